"""program setup: the program's time zone, versions of the program and its milestones,
archived workstreams

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 09:00:00.000000

An existing program gets the zone its days were counted in until now: PORTAL_TIMEZONE of
the environment that runs the upgrade (UTC when that is not a known zone).
"""
from zoneinfo import available_timezones

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _zone_until_now() -> str:
    try:
        from flask import current_app

        zone = current_app.config.get("PORTAL_TIMEZONE") or "UTC"
    except RuntimeError:  # run outside Flask
        zone = "UTC"
    return zone if zone in available_timezones() else "UTC"


def upgrade():
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=False,
                                      server_default=_zone_until_now()))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False,
                                      server_default="1"))
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False,
                                      server_default="1"))
    with op.batch_alter_table("workstream", schema=None) as batch_op:
        batch_op.add_column(sa.Column("archived_at", sa.DateTime(), nullable=True))
    # The defaults only filled the existing rows; new rows get theirs from the models.
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.alter_column("timezone", server_default=None)
        batch_op.alter_column("version", server_default=None)
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.alter_column("version", server_default=None)


def downgrade():
    with op.batch_alter_table("workstream", schema=None) as batch_op:
        batch_op.drop_column("archived_at")
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.drop_column("version")
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.drop_column("version")
        batch_op.drop_column("timezone")
