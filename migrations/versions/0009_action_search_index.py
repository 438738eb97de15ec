"""the search index over action items' titles and tags

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 09:00:00.000000

SQLite gets an FTS5 table with the trigram tokenizer, kept in step by triggers on
action_item, and filled here from the existing items; PostgreSQL gets the pg_trgm
extension and GIN trigram indexes on lower(title) and lower(tags). The statements are the
ones `create_all` runs (portal/actions/search_index.py).
"""
from alembic import op

from portal.actions.search_index import CREATE, DROP, SQLITE_REBUILD

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    dialect = op.get_bind().dialect.name
    for statement in CREATE.get(dialect, ()):
        op.execute(statement)
    if dialect == "sqlite":
        op.execute(SQLITE_REBUILD)


def downgrade():
    for statement in DROP.get(op.get_bind().dialect.name, ()):
        op.execute(statement)
