"""the open items by workstream in due order

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 18:30:00.000000

`ix_action_item_open_due` (workstream_id, due_date, id), of the open items only: the
dashboard's next item due per workstream is one probe of it a workstream, where it was one
per open status and a sort of their first items (`portal.actions.models.is_open`).
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


def upgrade():
    op.create_index("ix_action_item_open_due", "action_item",
                    ["workstream_id", "due_date", "id"],
                    sqlite_where=OPEN_ITEMS, postgresql_where=OPEN_ITEMS)


def downgrade():
    op.drop_index("ix_action_item_open_due", table_name="action_item")
