"""the owner's items' index ends with the id

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 22:00:00.000000

`ix_action_item_owner_status` (owner_id, status, due_date) gains `id`: a person's items
are listed by due date then id, and the undated ones by id, and PostgreSQL read them in
that order from the index only with it (without, a sort of each status's items, and a
read of every undated one's row: the dashboard's "My items" of an owner of 500 items took
1.4 ms, 0.27 ms with it). SQLite ends every index with the rowid already.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

NAME = "ix_action_item_owner_status"


def upgrade():
    op.drop_index(NAME, table_name="action_item")
    op.create_index(NAME, "action_item", ["owner_id", "status", "due_date", "id"])


def downgrade():
    op.drop_index(NAME, table_name="action_item")
    op.create_index(NAME, "action_item", ["owner_id", "status", "due_date"])
