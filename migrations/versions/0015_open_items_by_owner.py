"""the open items by owner

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 19:00:00.000000

`ix_action_item_open_owner` (owner_id, due_date), of the open items only: whether a person
owns an open item (the setup checklist asks it of everyone) is one probe, and a person's
open and overdue items are one range of it (`portal.actions.models.is_open`).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# Written out as the model states it (portal/actions/models.py, OPEN_ITEMS).
OPEN_ITEMS = sa.text("status IN ('proposed', 'open', 'in_progress')")


def upgrade():
    op.create_index("ix_action_item_open_owner", "action_item", ["owner_id", "due_date"],
                    sqlite_where=OPEN_ITEMS, postgresql_where=OPEN_ITEMS)


def downgrade():
    op.drop_index("ix_action_item_open_owner", table_name="action_item")
