"""the search index over action items' titles and tags

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 09:00:00.000000

SQLite gets an FTS5 table with the trigram tokenizer, kept in step by triggers on
action_item, and filled here from the existing items; PostgreSQL gets the pg_trgm
extension and GIN trigram indexes on lower(title) and lower(tags). The statements are the
ones `create_all` runs (portal/actions/models.py).
"""
from alembic import op

from portal.actions.models import (SEARCH_INDEX_CREATE, SEARCH_INDEX_DROP,
                                   SEARCH_INDEX_REBUILD)

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    dialect = op.get_bind().dialect.name
    for statement in SEARCH_INDEX_CREATE.get(dialect, ()):
        op.execute(statement)
    if dialect == "sqlite":
        op.execute(SEARCH_INDEX_REBUILD)


def downgrade():
    for statement in SEARCH_INDEX_DROP.get(op.get_bind().dialect.name, ()):
        op.execute(statement)
