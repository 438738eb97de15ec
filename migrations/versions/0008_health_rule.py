"""the health rule per program: a grace period and a minimum share of late items

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 09:00:00.000000

An overdue item counts as late for a workstream's computed health only after
`health_grace_days` days, and a workstream turns amber only when `health_min_share`
percent of its open items are late. Existing programs get the defaults (2 days, 10 %).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.add_column(sa.Column("health_grace_days", sa.Integer(), nullable=False,
                                      server_default="2"))
        batch_op.add_column(sa.Column("health_min_share", sa.Integer(), nullable=False,
                                      server_default="10"))
        batch_op.create_check_constraint(batch_op.f("ck_program_health_grace_days"),
                                         "health_grace_days BETWEEN 0 AND 30")
        batch_op.create_check_constraint(batch_op.f("ck_program_health_min_share"),
                                         "health_min_share BETWEEN 0 AND 100")
    # The defaults only filled the existing rows; new rows get theirs from the model.
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.alter_column("health_grace_days", server_default=None)
        batch_op.alter_column("health_min_share", server_default=None)


def downgrade():
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_program_health_min_share"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_program_health_grace_days"), type_="check")
        batch_op.drop_column("health_min_share")
        batch_op.drop_column("health_grace_days")
