"""The index behind the search box: the DDL on each database and the clause that uses it.

SQLite: an FTS5 table with the trigram tokenizer over action_item's title and tags
(external content, so it holds only the index), kept in step by triggers, so every write
path (the ORM, bulk updates and deletes, restores, raw SQL) keeps it right in the same
transaction. PostgreSQL: GIN trigram indexes (pg_trgm) on lower(title) and lower(tags),
which answer the search's `lower(...) LIKE '%word%'` as it is.

`create_all` builds it through the table's DDL events; migration 0009 builds it for
existing databases from the same statements."""
from __future__ import annotations

from sqlalchemy import DDL, Boolean, event, literal_column, select, table
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, Grouping
from sqlalchemy.sql.visitors import InternalTraversal

from portal.actions.models import ActionItem

FTS = "action_item_search"
# A trigram index cannot answer a word shorter than this: such words are scanned.
MIN_INDEXED_LENGTH = 3
PG_INDEXES = ("ix_action_item_title_trgm", "ix_action_item_tags_trgm")

SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS action_item_search USING fts5(title, tags, "
    "content='action_item', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS action_item_search_insert AFTER INSERT ON action_item "
    "BEGIN INSERT INTO action_item_search (rowid, title, tags) "
    "VALUES (new.id, new.title, new.tags); END",
    "CREATE TRIGGER IF NOT EXISTS action_item_search_delete AFTER DELETE ON action_item "
    "BEGIN INSERT INTO action_item_search (action_item_search, rowid, title, tags) "
    "VALUES ('delete', old.id, old.title, old.tags); END",
    # Only writes that touch the indexed columns: a status change costs no index work.
    "CREATE TRIGGER IF NOT EXISTS action_item_search_update "
    "AFTER UPDATE OF id, title, tags ON action_item "
    "BEGIN INSERT INTO action_item_search (action_item_search, rowid, title, tags) "
    "VALUES ('delete', old.id, old.title, old.tags); "
    "INSERT INTO action_item_search (rowid, title, tags) "
    "VALUES (new.id, new.title, new.tags); END",
)
# Fills the index from the rows already in action_item (a migrated database).
SQLITE_REBUILD = "INSERT INTO action_item_search (action_item_search) VALUES ('rebuild')"
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS action_item_search_update",
    "DROP TRIGGER IF EXISTS action_item_search_delete",
    "DROP TRIGGER IF EXISTS action_item_search_insert",
    "DROP TABLE IF EXISTS action_item_search",
)

POSTGRESQL_CREATE = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ix_action_item_title_trgm ON action_item "
    "USING gin (lower(title) gin_trgm_ops) WITH (fastupdate = off)",
    "CREATE INDEX IF NOT EXISTS ix_action_item_tags_trgm ON action_item "
    "USING gin (lower(tags) gin_trgm_ops) WITH (fastupdate = off)",
)
# The extension stays: creating it may have needed rights the portal's role lacks.
POSTGRESQL_DROP = (
    "DROP INDEX IF EXISTS ix_action_item_tags_trgm",
    "DROP INDEX IF EXISTS ix_action_item_title_trgm",
)

CREATE = {"sqlite": SQLITE_CREATE, "postgresql": POSTGRESQL_CREATE}
DROP = {"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}

for _dialect, _statements in CREATE.items():
    for _statement in _statements:
        event.listen(ActionItem.__table__, "after_create",
                     DDL(_statement).execute_if(dialect=_dialect))
# Dropping action_item drops its triggers and indexes, not the FTS table beside it.
event.listen(ActionItem.__table__, "after_drop",
             DDL(SQLITE_DROP[-1]).execute_if(dialect="sqlite"))


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic's filter of reflected names: the index is not in the models' metadata (it is
    DDL of its own), so autogenerate must neither drop it nor report it as a difference.
    The FTS5 table's shadow tables are named after it."""
    if type_ == "table" and name is not None:
        return name != FTS and not name.startswith(f"{FTS}_")
    if type_ == "index":
        return name not in PG_INDEXES
    return True


def fts_phrase(word: str) -> str:
    """`word` as one FTS5 phrase (double quotes doubled): whatever was typed is text to
    find, never query syntax."""
    return '"' + word.replace('"', '""') + '"'


class IndexedWord(ColumnElement[bool]):
    """One search word's condition: `scan` (today's LIKE test, which PostgreSQL's trigram
    indexes answer) everywhere but SQLite, where the FTS5 table answers `word` instead.
    Chosen when the statement is compiled, so the query functions need no dialect."""

    type = Boolean()
    _is_implicitly_boolean = True
    inherit_cache = True
    _traverse_internals = [("scan", InternalTraversal.dp_clauseelement),
                           ("indexed", InternalTraversal.dp_clauseelement)]

    def __init__(self, word: str, scan: ColumnElement[bool]):
        # In parentheses: the scan is an OR, and the word's condition is ANDed with others.
        self.scan = Grouping(scan)
        self.indexed = ActionItem.id.in_(
            select(literal_column("rowid")).select_from(table(FTS))
            .where(literal_column(FTS).op("MATCH")(fts_phrase(word))))


@compiles(IndexedWord)
def _scan(element: IndexedWord, compiler, **kw) -> str:
    return compiler.process(element.scan, **kw)


@compiles(IndexedWord, "sqlite")
def _indexed(element: IndexedWord, compiler, **kw) -> str:
    return compiler.process(element.indexed, **kw)


def word_clause(word: str, scan: ColumnElement[bool]) -> ColumnElement[bool]:
    """The condition for one search word given its plain `scan`: through the index when the
    word is long enough for trigrams, else the scan itself."""
    if len(word) < MIN_INDEXED_LENGTH:
        return scan
    return IndexedWord(word, scan)
