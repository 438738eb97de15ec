"""the open items' indexes: by workstream in due order, and by owner

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 18:30:00.000000

Two indexes of the open items only (`portal.actions.models.is_open` states the condition
as they do):
- `ix_action_item_open_due` (workstream_id, due_date, id): the dashboard's next item due
  per workstream is one probe a workstream, where it was one per open status and a sort
  of their first items;
- `ix_action_item_open_owner` (owner_id, due_date): whether a person owns an open item
  (the setup checklist asks it of everyone) is one probe, and a person's open and overdue
  items are one range.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# Written out as the model states it (portal/actions/models.py, OPEN_ITEMS): a migration
# keeps the schema of its day.
OPEN_ITEMS = sa.text("status IN ('proposed', 'open', 'in_progress')")
INDEXES = {
    "ix_action_item_open_due": ["workstream_id", "due_date", "id"],
    "ix_action_item_open_owner": ["owner_id", "due_date"],
}


def upgrade():
    for name, columns in INDEXES.items():
        op.create_index(name, "action_item", columns,
                        sqlite_where=OPEN_ITEMS, postgresql_where=OPEN_ITEMS)


def downgrade():
    for name in reversed(INDEXES):
        op.drop_index(name, table_name="action_item")
