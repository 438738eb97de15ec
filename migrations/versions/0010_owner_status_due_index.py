"""the owner index of action items carries the due date; an index on created_date

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 00:00:00.000000

`ix_action_item_owner_status` becomes (owner_id, status, due_date): a person's open items
are then read in due order straight from the index (the dashboard's "Mine"), not sorted.
`ix_action_item_created_date` answers the summary's first day with data without a scan.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_action_item_owner_status", table_name="action_item")
    op.create_index("ix_action_item_owner_status", "action_item",
                    ["owner_id", "status", "due_date"])
    op.create_index("ix_action_item_created_date", "action_item", ["created_date"])


def downgrade():
    op.drop_index("ix_action_item_created_date", table_name="action_item")
    op.drop_index("ix_action_item_owner_status", table_name="action_item")
    op.create_index("ix_action_item_owner_status", "action_item", ["owner_id", "status"])
