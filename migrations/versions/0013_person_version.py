"""a version of a person's details

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 13:00:00.000000

Two leads editing one person's details: the later save overwrote the earlier without a word.
The details form now carries the version it was opened at (`person.version`).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False,
                                      server_default="1"))


def downgrade():
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("version")
