"""items counted by workstream and status, kept by triggers

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 18:00:00.000000

`item_tally` holds +1/-1 rows per item write, appended by triggers on action_item (the
statements `create_all` runs, portal/actions/models.py), and is filled here with one row
per workstream and status of the items already there. The pages' counts sum it instead
of counting every item.
"""
import sqlalchemy as sa
from alembic import op

from portal.actions.models import TALLY_CREATE, TALLY_DROP, TALLY_FILL

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "item_tally",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workstream_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_tally")),
    )
    op.create_index("ix_item_tally_workstream_status", "item_tally",
                    ["workstream_id", "status", "n"])
    op.execute(TALLY_FILL)
    for statement in TALLY_CREATE.get(op.get_bind().dialect.name, ()):
        op.execute(statement)


def downgrade():
    for statement in TALLY_DROP.get(op.get_bind().dialect.name, ()):
        op.execute(statement)
    op.drop_index("ix_item_tally_workstream_status", table_name="item_tally")
    op.drop_table("item_tally")
