"""indexes in the action list's default order

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 09:00:00.000000

`ix_action_item_status_due_order` (status, due_date IS NULL, due_date, id) and
`ix_action_item_due_order` (the same without the status) hold the list's "due" order
(`portal.actions.models.due_order`): a page of items by one status, by the open ones or by
none is read in order from an index and cut at its rows, instead of sorting every match.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

DUE_ORDER = [sa.text("(due_date IS NULL)"), "due_date", "id"]


def upgrade():
    op.create_index("ix_action_item_status_due_order", "action_item", ["status", *DUE_ORDER])
    op.create_index("ix_action_item_due_order", "action_item", DUE_ORDER)


def downgrade():
    op.drop_index("ix_action_item_due_order", table_name="action_item")
    op.drop_index("ix_action_item_status_due_order", table_name="action_item")
