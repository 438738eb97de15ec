"""SQLite: the index a search's matches are read back through

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 20:30:00.000000

`ix_action_item_search_rows` (id, status, due_date), on SQLite only: the list's counts and
its due order read each match of the FTS5 table's search there, not in the table's wide
rows (portal/actions/models.py, SEARCH_ROWS_INDEX). PostgreSQL reads each match's row
anyway, to recheck its trigram indexes.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# Written out here: a migration keeps the schema of its day.
NAME = "ix_action_item_search_rows"


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"CREATE INDEX IF NOT EXISTS {NAME} ON action_item (id, status, due_date)")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP INDEX IF EXISTS {NAME}")
