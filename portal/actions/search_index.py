"""Searching through the index of action items' titles and tags (its DDL is with the
model, in portal/actions/models.py): the condition of one search word on each database,
and what Alembic's autogenerate must leave alone.

SQLite answers a word from the FTS5 trigram table; PostgreSQL answers today's
`lower(...) LIKE '%word%'` from its GIN trigram indexes as it is."""
from __future__ import annotations

from sqlalchemy import Boolean, literal_column, select, table
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, Grouping
from sqlalchemy.sql.visitors import InternalTraversal

from portal.actions.models import (
    SEARCH_PG_INDEXES,
    SEARCH_ROWS_INDEX,
    SEARCH_TABLE,
    ActionItem,
)

# A trigram index cannot answer a word shorter than this: such words are scanned.
MIN_INDEXED_LENGTH = 3


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic's filter of reflected names: the index (and on SQLite the index its matches
    are read back through) is not in the models' metadata (it is DDL of its own), so
    autogenerate must neither drop it nor report it as a difference.
    The FTS5 table's shadow tables are named after it."""
    if type_ == "table" and name is not None:
        return name != SEARCH_TABLE and not name.startswith(f"{SEARCH_TABLE}_")
    if type_ == "index":
        return name not in (*SEARCH_PG_INDEXES, SEARCH_ROWS_INDEX)
    return True


def fts_phrase(word: str) -> str:
    """`word` as one FTS5 phrase (double quotes doubled): whatever was typed is text to
    find, never query syntax."""
    return '"' + word.replace('"', '""') + '"'


class IndexedWord(ColumnElement[bool]):
    """One search word's condition: `scan` (today's LIKE test, which PostgreSQL's trigram
    indexes answer) everywhere but SQLite, where the FTS5 table answers the word's `phrase`
    (`fts_phrase`, a bind parameter) instead. Chosen when the statement is compiled, so
    the query functions need no dialect."""

    type = Boolean()
    _is_implicitly_boolean = True
    inherit_cache = True
    _traverse_internals = [("scan", InternalTraversal.dp_clauseelement),
                           ("indexed", InternalTraversal.dp_clauseelement)]

    def __init__(self, phrase: ColumnElement, scan: ColumnElement[bool]):
        # In parentheses: the scan is an OR, and the word's condition is ANDed with others.
        self.scan = Grouping(scan)
        self.indexed = ActionItem.id.in_(
            select(literal_column("rowid")).select_from(table(SEARCH_TABLE))
            .where(literal_column(SEARCH_TABLE).op("MATCH")(phrase)))


@compiles(IndexedWord)
def _scan(element: IndexedWord, compiler, **kw) -> str:
    return compiler.process(element.scan, **kw)


@compiles(IndexedWord, "sqlite")
def _indexed(element: IndexedWord, compiler, **kw) -> str:
    return compiler.process(element.indexed, **kw)


def word_clause(indexed: bool, scan: ColumnElement[bool],
                phrase: ColumnElement) -> ColumnElement[bool]:
    """The condition for one search word given its plain `scan` and its FTS5 `phrase`:
    through the index when the word is long enough for trigrams (`indexed`), else the
    scan itself."""
    return IndexedWord(phrase, scan) if indexed else scan
