"""ActionItem: a thing to do, with an owner and a due date, usually born in a meeting."""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import DDL, bindparam, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db
from portal.vocab import ACTION_STATUSES, OPEN_STATUSES, PRIORITIES, check_in

# Tags every item from a meeting note carries (the Obsidian Tasks marker): no chip in lists.
QUIET_TAGS = frozenset({"task"})

if TYPE_CHECKING:
    from portal.people.models import Person
    from portal.program.models import Workstream


def telling_tags(tags: str) -> list[str]:
    """The tags worth a chip in a list: without the marker every imported task carries
    (`#task`, the Obsidian Tasks filter) and without a status word (`#proposed`), which
    the status column says, or contradicts once the status moved on."""
    return [tag for tag in tags.split()
            if tag.lower() not in QUIET_TAGS
            and tag.lower().replace("-", "_") not in ACTION_STATUSES]


class ActionItem(db.Model):
    __tablename__ = "action_item"
    __table_args__ = (
        sa.CheckConstraint(check_in("status", ACTION_STATUSES), name="status"),
        sa.CheckConstraint(check_in("priority", PRIORITIES), name="priority"),
        # An item's identity in imports: its meeting plus its normalised title.
        sa.UniqueConstraint("meeting_id", "title_key", name="uq_action_item_meeting_title"),
        # owner_id too: the dashboard's counts of open, overdue, mine and unowned items
        # read only this index (3x faster at 20,000 items on SQLite).
        sa.Index("ix_action_item_status_due", "status", "due_date", "owner_id"),
        # id last: a person's items in due order, and the undated by id, straight from the
        # index on PostgreSQL too (SQLite ends every index with the rowid).
        sa.Index("ix_action_item_owner_status", "owner_id", "status", "due_date", "id"),
        # The summary asks for the first day anything was created on every view.
        sa.Index("ix_action_item_created_date", "created_date"),
        # due_date too: the per-workstream readiness aggregates read only this index
        # (6x faster at 20,000 items on SQLite; bench/results).
        sa.Index("ix_action_item_workstream_status", "workstream_id", "status", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(500))
    title_key: Mapped[str] = mapped_column(sa.String(500))
    owner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    workstream_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("workstream.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(20), default="open", index=True)
    priority: Mapped[str] = mapped_column(sa.String(10), default="normal", index=True)
    due_date: Mapped[date | None] = mapped_column(sa.Date, index=True)
    scheduled_date: Mapped[date | None] = mapped_column(sa.Date)
    start_date: Mapped[date | None] = mapped_column(sa.Date)
    created_date: Mapped[date | None] = mapped_column(sa.Date)
    done_date: Mapped[date | None] = mapped_column(sa.Date)
    cancelled_date: Mapped[date | None] = mapped_column(sa.Date)
    recurrence: Mapped[str | None] = mapped_column(sa.String(200))
    # Space-separated, without '#', as exported.
    tags: Mapped[str] = mapped_column(sa.String(500), default="")
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    meeting_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="SET NULL"), index=True
    )
    source_line: Mapped[int | None]
    # The Obsidian block id (`^id`) of the note line: it finds the line again on the next
    # import even after its text changed.
    block_id: Mapped[str | None] = mapped_column(sa.String(64))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)

    __mapper_args__ = {"version_id_col": version}

    owner: Mapped[Person | None] = relationship()
    workstream: Mapped[Workstream | None] = relationship()
    meeting = relationship("Meeting", back_populates="action_items")
    comments: Mapped[list[Comment]] = relationship(
        back_populates="action_item", order_by="Comment.created_at",
        cascade="all, delete-orphan",
    )

    @property
    def tag_list(self) -> list[str]:
        return self.tags.split()

    @property
    def telling_tags(self) -> list[str]:
        return telling_tags(self.tags)

    def __repr__(self) -> str:
        return f"<ActionItem {self.id} {self.title[:30]!r}>"


def due_order():
    """The list's default order, "due": dated items soonest first, then the undated ones,
    ties by id. The two indexes below hold it, so a page of the list, filtered by one
    status, by the open ones or by nothing, is read from an index in order and cut at its
    fifty rows instead of sorting every matching item (5 ms at 20,000 items on PostgreSQL,
    1-3 ms on SQLite, growing with the items)."""
    return (ActionItem.due_date.is_(None), ActionItem.due_date, ActionItem.id)


sa.Index("ix_action_item_status_due_order", ActionItem.status, *due_order())
sa.Index("ix_action_item_due_order", *due_order())

# The open items only, by workstream in due order and by owner: a workstream's next open
# item due, or whether a person owns an open item, is one probe, not one per open status
# (and a sort of each status's first items), and a person's open items are one range.
OPEN_ITEMS = sa.text(check_in("status", OPEN_STATUSES))
sa.Index("ix_action_item_open_due", ActionItem.workstream_id, ActionItem.due_date, ActionItem.id,
         sqlite_where=OPEN_ITEMS, postgresql_where=OPEN_ITEMS)
sa.Index("ix_action_item_open_owner", ActionItem.owner_id, ActionItem.due_date,
         sqlite_where=OPEN_ITEMS, postgresql_where=OPEN_ITEMS)


def is_open():
    """The condition "the item is open" as the open items' indexes state it
    (`ix_action_item_open_due`, `ix_action_item_open_owner`): one IN of the open statuses
    written out, in vocabulary order. SQLite uses a partial index only for a query that
    repeats its condition term for term, and neither database would for values bound at
    run time."""
    return ActionItem.status.in_(bindparam("open_statuses", OPEN_STATUSES, expanding=True,
                                           literal_execute=True))


class Comment(db.Model):
    __tablename__ = "comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("action_item.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    action_item: Mapped[ActionItem] = relationship(back_populates="comments")
    author = relationship("User")


# The search index over items' titles and tags, built by create_all after action_item and
# by migration 0009 on existing databases, from these statements; search_index.py searches
# through it. SQLite: an FTS5 table with the trigram tokenizer
# (external content, so it holds only the index), kept in step by triggers, so every write
# path (the ORM, bulk updates and deletes, restores, raw SQL) keeps it right in the same
# transaction. PostgreSQL: GIN trigram indexes (pg_trgm) on lower(title) and lower(tags),
# which answer the search's LIKE; without a pending list, so a bulk load is searchable
# through them at once.
SEARCH_TABLE = "action_item_search"
SEARCH_PG_INDEXES = ("ix_action_item_title_trgm", "ix_action_item_tags_trgm")

_SQLITE_CREATE = (
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
SEARCH_INDEX_REBUILD = "INSERT INTO action_item_search (action_item_search) VALUES ('rebuild')"
_SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS action_item_search_update",
    "DROP TRIGGER IF EXISTS action_item_search_delete",
    "DROP TRIGGER IF EXISTS action_item_search_insert",
    "DROP TABLE IF EXISTS action_item_search",
)

_POSTGRESQL_CREATE = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ix_action_item_title_trgm ON action_item "
    "USING gin (lower(title) gin_trgm_ops) WITH (fastupdate = off)",
    "CREATE INDEX IF NOT EXISTS ix_action_item_tags_trgm ON action_item "
    "USING gin (lower(tags) gin_trgm_ops) WITH (fastupdate = off)",
)
# The extension stays: creating it may have needed rights the portal's role lacks.
_POSTGRESQL_DROP = (
    "DROP INDEX IF EXISTS ix_action_item_tags_trgm",
    "DROP INDEX IF EXISTS ix_action_item_title_trgm",
)

SEARCH_INDEX_CREATE = {"sqlite": _SQLITE_CREATE, "postgresql": _POSTGRESQL_CREATE}
SEARCH_INDEX_DROP = {"sqlite": _SQLITE_DROP, "postgresql": _POSTGRESQL_DROP}

for _dialect, _statements in SEARCH_INDEX_CREATE.items():
    for _statement in _statements:
        event.listen(ActionItem.__table__, "after_create",
                     DDL(_statement).execute_if(dialect=_dialect))
# Dropping action_item drops its triggers and indexes, not the FTS5 table beside it.
event.listen(ActionItem.__table__, "after_drop",
             DDL(_SQLITE_DROP[-1]).execute_if(dialect="sqlite"))

# SQLite reads a search's matches (the rowids the FTS5 table answers) back through this
# index rather than the table: the status and due date that the list's counts and its due
# order read lie in it, a few hundred to a page, where the table's rows are wide. For 990
# matches at 20,000 items the counts took 0.5 ms instead of 0.9, the page's ids 0.4 instead
# of 0.8 (migration 0015). PostgreSQL reads each match's row anyway, to recheck the
# trigram indexes' LIKE, so it has no such index.
SEARCH_ROWS_INDEX = "ix_action_item_search_rows"
event.listen(ActionItem.__table__, "after_create", DDL(
    f"CREATE INDEX IF NOT EXISTS {SEARCH_ROWS_INDEX} ON action_item (id, status, due_date)"
).execute_if(dialect="sqlite"))


# Counts the items already there (a migrated database, a restored backup).
TALLY_FILL = ("INSERT INTO item_tally (workstream_id, status, n) "
              "SELECT workstream_id, status, count(*) FROM action_item "
              "GROUP BY workstream_id, status")


class ItemTally(db.Model):
    """Items counted by workstream and status, so the pages' per-workstream and program
    counts read a few rows instead of counting every item (which grows with them).

    Kept by triggers on action_item (below), in the same transaction as every write to an
    item by any path: each insert, delete or change of workstream or status appends +1
    and -1 rows, so concurrent writers never update the same row (no lock waits, no
    deadlocks). A count is the sum of a key's rows; `portal.actions.tally.compact` folds
    them into one row per key (a scheduled job, and after bulk loads)."""

    __tablename__ = "item_tally"
    __page_neutral__ = True  # compacting changes no count; item writes move the version
    __table_args__ = (
        sa.Index("ix_item_tally_workstream_status", "workstream_id", "status", "n"),
        # Derived from action_item: a backup leaves it out, a restore fills it again.
        {"info": {"derived_by": TALLY_FILL}},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workstream_id: Mapped[int | None]  # no foreign key: a deleted workstream's rows sum to 0
    status: Mapped[str] = mapped_column(sa.String(20))
    n: Mapped[int]


_TALLY_SQLITE = (
    "CREATE TRIGGER IF NOT EXISTS item_tally_insert AFTER INSERT ON action_item "
    "BEGIN INSERT INTO item_tally (workstream_id, status, n) "
    "VALUES (new.workstream_id, new.status, 1); END",
    "CREATE TRIGGER IF NOT EXISTS item_tally_delete AFTER DELETE ON action_item "
    "BEGIN INSERT INTO item_tally (workstream_id, status, n) "
    "VALUES (old.workstream_id, old.status, -1); END",
    "CREATE TRIGGER IF NOT EXISTS item_tally_update "
    "AFTER UPDATE OF workstream_id, status ON action_item "
    "WHEN old.workstream_id IS NOT new.workstream_id OR old.status IS NOT new.status "
    "BEGIN INSERT INTO item_tally (workstream_id, status, n) "
    "VALUES (old.workstream_id, old.status, -1), (new.workstream_id, new.status, 1); END",
)
_TALLY_POSTGRESQL = (
    "CREATE OR REPLACE FUNCTION item_tally_keep() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
    "IF TG_OP = 'UPDATE' AND OLD.workstream_id IS NOT DISTINCT FROM NEW.workstream_id "
    "AND OLD.status = NEW.status THEN RETURN NULL; END IF; "
    "IF TG_OP <> 'INSERT' THEN INSERT INTO item_tally (workstream_id, status, n) "
    "VALUES (OLD.workstream_id, OLD.status, -1); END IF; "
    "IF TG_OP <> 'DELETE' THEN INSERT INTO item_tally (workstream_id, status, n) "
    "VALUES (NEW.workstream_id, NEW.status, 1); END IF; "
    "RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS item_tally_keep ON action_item",
    "CREATE TRIGGER item_tally_keep AFTER INSERT OR DELETE OR UPDATE OF workstream_id, status "
    "ON action_item FOR EACH ROW EXECUTE FUNCTION item_tally_keep()",
)
TALLY_CREATE = {"sqlite": _TALLY_SQLITE, "postgresql": _TALLY_POSTGRESQL}
TALLY_DROP = {
    "sqlite": ("DROP TRIGGER IF EXISTS item_tally_update",
               "DROP TRIGGER IF EXISTS item_tally_delete",
               "DROP TRIGGER IF EXISTS item_tally_insert"),
    "postgresql": ("DROP TRIGGER IF EXISTS item_tally_keep ON action_item",
                   "DROP FUNCTION IF EXISTS item_tally_keep()"),
}

# After every table exists: the triggers are on action_item and write item_tally.
for _dialect, _statements in TALLY_CREATE.items():
    for _statement in _statements:
        event.listen(db.metadata, "after_create", DDL(_statement).execute_if(dialect=_dialect))
