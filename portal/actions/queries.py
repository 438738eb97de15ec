"""Read side of action items: the filters of `/actions`, their parsing, the page of rows
and the counts above the table. Plain functions over a session; no request in here."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cache, lru_cache
from typing import NamedTuple

from sqlalchemy import (
    Select,
    String,
    and_,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.sql.elements import BindParameter

from portal.actions.models import ActionItem, ItemTally, due_order, telling_tags
from portal.actions.search_index import MIN_INDEXED_LENGTH, fts_phrase, word_clause
from portal.extensions import read_rows
from portal.pagination import Page, clamp_page
from portal.people.models import Person
from portal.program.models import Workstream
from portal.vocab import ACTION_STATUSES, OPEN_STATUSES, PRIORITIES

PER_PAGE = 50
MAX_QUERY_LENGTH = 200
SORTS = {
    "due": "Due date, soonest first",
    "-due": "Due date, latest first",
    "priority": "Priority, highest first",
    "owner": "Owner",
    "updated": "Recently changed",
}
DEFAULT_SORT = "due"
UNASSIGNED = 0  # the owner filter's "none": no id is 0


@dataclass(frozen=True)
class Filters:
    """What the list shows: each field is one query-string parameter of `/actions`."""

    q: str = ""
    owner: int | None = None  # UNASSIGNED: items without an owner
    workstream: int | None = None
    status: tuple[str, ...] = ()
    priority: tuple[str, ...] = ()
    due_from: date | None = None
    due_to: date | None = None
    overdue: bool = False
    sort: str = DEFAULT_SORT
    page: int = 1

    def to_args(self, **changes) -> dict:
        """The query-string form (for url_for), leaving defaults out so URLs stay short."""
        f = replace(self, **changes)
        args: dict = {}
        if f.q:
            args["q"] = f.q
        if f.owner is not None:
            args["owner"] = "none" if f.owner == UNASSIGNED else f.owner
        if f.workstream is not None:
            args["workstream"] = f.workstream
        if f.status:
            args["status"] = list(f.status)
        if f.priority:
            args["priority"] = list(f.priority)
        if f.due_from:
            args["due_from"] = f.due_from.isoformat()
        if f.due_to:
            args["due_to"] = f.due_to.isoformat()
        if f.overdue:
            args["overdue"] = 1
        if f.sort != DEFAULT_SORT:
            args["sort"] = f.sort
        if f.page != 1:
            args["page"] = f.page
        return args

    @property
    def active(self) -> bool:
        """Whether anything narrows the list (sort and page do not)."""
        return bool(self.q or self.owner is not None or self.workstream is not None or self.status
                    or self.priority or self.due_from or self.due_to or self.overdue)


@dataclass
class ParsedFilters:
    filters: Filters
    # (parameter, message) for each value that was refused; the rest still applies.
    errors: list[tuple[str, str]] = field(default_factory=list)


def _parse_id(raw: str | None, name: str, errors: list) -> int | None:
    if raw is None or raw.strip() == "":
        return None
    raw = raw.strip()
    if not raw.isdigit() or len(raw) > 9:
        errors.append((name, f"{name}: {raw[:40]!r} is not an id; it was ignored."))
        return None
    return int(raw)


def _parse_date(raw: str | None, name: str, errors: list) -> date | None:
    if raw is None or raw.strip() == "":
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        errors.append((name, f"{name}: {raw[:40]!r} is not a date (use YYYY-MM-DD); "
                             "it was ignored."))
        return None


def _parse_choices(values: list[str], allowed: tuple[str, ...], name: str,
                   errors: list) -> tuple[str, ...]:
    chosen = []
    for value in values:
        if value == "":
            continue
        if value not in allowed:
            errors.append((name, f"{name}: {value[:40]!r} is not one of {', '.join(allowed)}; "
                                 "it was ignored."))
        elif value not in chosen:
            chosen.append(value)
    # Keep the vocabulary's order, so equal filters give equal URLs.
    return tuple(v for v in allowed if v in chosen)


def parse_filters(args) -> ParsedFilters:
    """Reads the filters from a query string (a MultiDict); refuses nonsense value by value.

    Each refused value is reported and left out; the caller answers 400 with the list
    filtered by the values that made sense."""
    errors: list[tuple[str, str]] = []
    q = " ".join((args.get("q") or "").split())
    if len(q) > MAX_QUERY_LENGTH:
        errors.append(("q", f"q: the search text is longer than {MAX_QUERY_LENGTH} characters; "
                            "it was shortened."))
        q = q[:MAX_QUERY_LENGTH]
    sort = args.get("sort") or DEFAULT_SORT
    if sort not in SORTS:
        errors.append(("sort", f"sort: {sort[:40]!r} is not one of {', '.join(SORTS)}; "
                               "sorted by due date instead."))
        sort = DEFAULT_SORT
    page_raw = (args.get("page") or "1").strip()
    page = 1
    if not page_raw.isdigit() or int(page_raw) < 1 or len(page_raw) > 6:
        errors.append(("page", f"page: {page_raw[:40]!r} is not a page number (1, 2, ...); "
                               "showing page 1."))
    else:
        page = int(page_raw)
    overdue_raw = args.get("overdue") or ""
    if overdue_raw not in ("", "0", "1"):
        errors.append(("overdue", f"overdue: use 1 or leave it out, not {overdue_raw[:40]!r}."))
    filters = Filters(
        q=q,
        owner=UNASSIGNED if (args.get("owner") or "").strip() == "none"
        else _parse_id(args.get("owner"), "owner", errors),
        workstream=_parse_id(args.get("workstream"), "workstream", errors),
        status=_parse_choices(args.getlist("status"), ACTION_STATUSES, "status", errors),
        priority=_parse_choices(args.getlist("priority"), PRIORITIES, "priority", errors),
        due_from=_parse_date(args.get("due_from"), "due_from", errors),
        due_to=_parse_date(args.get("due_to"), "due_to", errors),
        overdue=overdue_raw == "1",
        sort=sort,
        page=page,
    )
    if filters.due_from and filters.due_to and filters.due_from > filters.due_to:
        errors.append(("due_to", "due_to: the range ends before it starts; the dates were "
                                 "ignored."))
        filters = replace(filters, due_from=None, due_to=None)
    return ParsedFilters(filters, errors)


def overdue_clause(today):
    """Open, with a due date before `today` (a date or a bind parameter)."""
    return and_(ActionItem.due_date < today, ActionItem.status.in_(OPEN_STATUSES))


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def scan_clause(word: str | BindParameter):
    """One search word as a plain test of every row: in the title or the tags, any case.
    The search index gives the same answers (`portal.actions.search_index`). A bind
    parameter stands for the word's LIKE pattern (`_like`)."""
    pattern = _like(word) if isinstance(word, str) else word
    return or_(func.lower(ActionItem.title).like(pattern, escape="\\"),
               func.lower(ActionItem.tags).like(pattern, escape="\\"))


# Statements built per filter shape are kept for the most used shapes only: a search of
# many words has many shapes, and a cache without bound would grow with what is typed.
shape_cache = lru_cache(maxsize=256)


def _narrowing(table, by_status: bool, by_workstream: bool) -> list:
    """The status and workstream conditions on `table` (ActionItem, or ItemTally for the
    tally's side of a tallied list), as bind parameters."""
    where = []
    if by_workstream:
        where.append(table.workstream_id == bindparam("workstream"))
    if by_status:
        where.append(table.status.in_(bindparam("statuses", expanding=True)))
    return where


def filter_shape(filters: Filters, today: date) -> tuple[tuple, dict]:
    """Which conditions `filters` set (each search word: indexed or scanned; the owner:
    none, unassigned or one) and the values of their bind parameters. Statements are built
    once per shape (`shape_clauses`) and run with these values."""
    words = filters.q.split()
    params: dict = {"today": today}
    for n, word in enumerate(words):
        params[f"like_{n}"], params[f"phrase_{n}"] = _like(word), fts_phrase(word)
    owner = None
    if filters.owner == UNASSIGNED:
        owner = "none"
    elif filters.owner is not None:
        owner, params["owner"] = "one", filters.owner
    if filters.workstream is not None:
        params["workstream"] = filters.workstream
    if filters.status:
        params["statuses"] = list(filters.status)
    if filters.priority:
        params["priorities"] = list(filters.priority)
    if filters.due_from:
        params["due_from"] = filters.due_from
    if filters.due_to:
        params["due_to"] = filters.due_to
    shape = (tuple(len(word) >= MIN_INDEXED_LENGTH for word in words), owner,
             filters.workstream is not None, bool(filters.status), bool(filters.priority),
             bool(filters.due_from), bool(filters.due_to), filters.overdue)
    return shape, params


@shape_cache
def shape_clauses(shape: tuple) -> tuple:
    """The WHERE conditions of a filter shape (`filter_shape`), their values bind
    parameters. Each search word is answered by the search index where it can be."""
    indexed_words, owner, by_workstream, by_status, by_priority, due_from, due_to, overdue = \
        shape
    clauses = [word_clause(indexed, scan_clause(bindparam(f"like_{n}", type_=String)),
                           bindparam(f"phrase_{n}", type_=String))
               for n, indexed in enumerate(indexed_words)]
    if owner == "none":
        clauses.append(ActionItem.owner_id.is_(None))
    elif owner == "one":
        clauses.append(ActionItem.owner_id == bindparam("owner"))
    clauses += _narrowing(ActionItem, by_status, by_workstream)
    if by_priority:
        clauses.append(ActionItem.priority.in_(bindparam("priorities", expanding=True)))
    if due_from:
        clauses.append(ActionItem.due_date >= bindparam("due_from"))
    if due_to:
        clauses.append(ActionItem.due_date <= bindparam("due_to"))
    if overdue:
        clauses.append(overdue_clause(bindparam("today")))
    return tuple(clauses)


def filtered(statement: Select, filters: Filters, today: date) -> Select:
    """`statement` narrowed to the items matching `filters`, their values bound: for a
    statement built for one run (the export). The list's own are built once per shape."""
    shape, params = filter_shape(filters, today)
    return statement.where(*shape_clauses(shape)).params(params)


PRIORITY_RANK = case({p: i for i, p in enumerate(PRIORITIES)}, value=ActionItem.priority,
                     else_=len(PRIORITIES))


def _ordered(stmt: Select, sort: str) -> Select:
    due = due_order()
    if sort == "-due":
        return stmt.order_by(due[0], ActionItem.due_date.desc(), ActionItem.id.desc())
    if sort == "priority":
        return stmt.order_by(PRIORITY_RANK, *due)
    if sort == "owner":
        return stmt.order_by(Person.name.is_(None), Person.name, *due)
    if sort == "updated":
        return stmt.order_by(ActionItem.updated_at.desc(), ActionItem.id.desc())
    return stmt.order_by(*due)


def written_limit(limit: int | None):
    """`limit` written into the SQL rather than bound. PostgreSQL then keeps one generic plan
    for the prepared statement, knowing how many rows it keeps; with a bound LIMIT it judged
    every run's own plan cheaper and planned each run anew (1-3 ms a statement)."""
    return None if limit is None else literal(limit, literal_execute=True)


def row_options():
    """Eager loads a whole item needs where a page shows it with its owner and workstream."""
    return joinedload(ActionItem.owner), joinedload(ActionItem.workstream)


def item_options():
    """Eager loads the item's page and the export need: the owner, the workstream and the
    meeting the item came from (without its note, which the meeting defers)."""
    return *row_options(), joinedload(ActionItem.meeting)


class Ref(NamedTuple):
    """An item's owner or workstream as a row names it."""

    id: int
    name: str


# Every column of an item (each named as its attribute): a listed item carries them all,
# so a field the table shows (`portal.actions.fields.columns()`) needs nothing here.
_ITEM_COLUMNS = tuple(ActionItem.__table__.columns)


class ListedItem:
    """An action item as the tables show it (`portal.actions.rows`, the dashboard's lists):
    its columns and its owner's and workstream's names, read by one Core select
    (`row_select`). Loading whole items with their owner and workstream through the ORM
    cost three times as much for a page of 50, most of it building the owner's and
    workstream's objects and tracking all three in the session. Read-only: a change loads
    the item itself."""

    __slots__ = (*(column.key for column in _ITEM_COLUMNS), "owner", "workstream")

    def __init__(self, row):
        *values, owner_name, workstream_name = row
        for column, value in zip(_ITEM_COLUMNS, values, strict=True):
            setattr(self, column.key, value)
        self.owner = None if self.owner_id is None else Ref(self.owner_id, owner_name)
        self.workstream = (None if self.workstream_id is None
                           else Ref(self.workstream_id, workstream_name))

    @property
    def telling_tags(self) -> list[str]:
        return telling_tags(self.tags)

    def __repr__(self) -> str:
        return f"<ListedItem {self.id} {self.title[:30]!r}>"


def row_select() -> Select:
    """The columns of `ListedItem`, in its order, with the owner and workstream joined: to
    be narrowed (`.join(chosen ids)`) and ordered by the caller."""
    return (select(*_ITEM_COLUMNS, Person.name, Workstream.name)
            .select_from(ActionItem)
            .outerjoin(Person, Person.id == ActionItem.owner_id)
            .outerjoin(Workstream, Workstream.id == ActionItem.workstream_id))


def listed_items(session: Session, statement, params: dict | None = None) -> list[ListedItem]:
    """The `ListedItem`s of a statement built on `row_select`."""
    return [ListedItem(row) for row in read_rows(session, statement, params)]


def search(session: Session, filters: Filters, today: date, per_page: int = PER_PAGE,
           total: int | None = None) -> Page:
    """The page of items matching `filters`: two statements whatever the data size, one
    when the caller has counted them already (`total`, e.g. `counts(...).total`).

    The page's ids are chosen first on the narrow rows (a sort of ids and dates, often
    straight from an index), and only those rows are read, as `ListedItem`s: sorting
    thousands of wide joined rows to keep fifty is what made a long list slow. A page past
    the end shows the last page. The statements are built once per filter shape; a
    tallied list (`_tallied_shape`) is counted from the tally."""
    shape, params = filter_shape(filters, today)
    if total is None:
        total = read_rows(session, _total_statement(shape), params).scalar() or 0
    page = clamp_page(filters.page, total, per_page)
    statement = _shape_page_statement(shape, filters.sort, per_page)
    items = listed_items(session, statement, {**params, "offset": (page - 1) * per_page})
    return Page(items=items, page=page, per_page=per_page, total=total)


class Soonest:
    """The first open items matching `condition` due soonest (then by id), as `ListedItem`s,
    or with `whole` as items with their owner and workstream loaded; with `undated`, the
    items without a due date follow the dated ones. One statement whose cost does not grow
    with the items: per open status, an index range read in due order and cut at the
    limit (on `ix_action_item_status_due`, or `ix_action_item_owner_status` when
    `condition` names the owner), the few candidates merged, and only the chosen rows read.

    Built once, run often: a page keeps its own as a module constant, `condition` names
    what changes per call as bind parameters, and a call gives their values:
    `Soonest(ActionItem.due_date < bindparam("today"))(session, 8, today=today)`. Building
    the statement (unions of subqueries) costs more than running it."""

    def __init__(self, condition, *, undated: bool = False, whole: bool = False):
        self.condition, self.undated, self.whole = condition, undated, whole
        self._statements: dict[int | None, Select] = {}

    def __call__(self, session: Session, limit: int | None, **params) -> list:
        statement = self._statements.get(limit)
        if statement is None:
            statement = self._statements[limit] = self._build(limit)
        if self.whole:
            return list(session.scalars(statement, params).unique())
        return listed_items(session, statement, params)

    def _build(self, limit: int | None) -> Select:
        def branch(status, dated):
            due = ActionItem.due_date.is_not(None) if dated else ActionItem.due_date.is_(None)
            order = (ActionItem.due_date, ActionItem.id) if dated else (ActionItem.id,)
            return select(select(ActionItem.id, ActionItem.due_date)
                          .where(ActionItem.status == status, due, self.condition)
                          .order_by(*order).limit(written_limit(limit)).subquery())

        branches = [branch(status, dated) for status in OPEN_STATUSES
                    for dated in ((True, False) if self.undated else (True,))]
        merged = union_all(*branches).subquery()
        chosen = (select(merged.c.id).order_by(merged.c.due_date.is_(None),
                                               merged.c.due_date, merged.c.id)
                  .limit(written_limit(limit)).subquery())
        read = (select(ActionItem).options(*row_options()) if self.whole
                else row_select())
        return read.join(chosen, chosen.c.id == ActionItem.id).order_by(*due_order())


@dataclass(frozen=True)
class Counts:
    total: int = 0
    open: int = 0
    overdue: int = 0
    due_soon: int = 0
    done: int = 0


def _tallied_shape(shape: tuple) -> tuple[bool, bool] | None:
    """(by status, by workstream) of a filter shape that only they narrow (the list as it
    opens, its status chips, a workstream's items), else None. Such a list is counted
    from the tally the triggers keep, which costs the same at any number of items."""
    words, owner, by_workstream, by_status, *rest = shape
    if words or owner or any(rest):
        return None
    return by_status, by_workstream


@shape_cache
def _scanned_counts_statement(shape: tuple):
    """(status, items, overdue, due soon) rows of the items a filter shape matches, read
    once for all three: a search finds its matches once, not once per part."""
    today = bindparam("today")
    return (select(ActionItem.status, func.count(),
                   func.count(case((ActionItem.due_date < today, 1))),
                   func.count(case((ActionItem.due_date.between(today, bindparam("soon_end")),
                                    1))))
            .where(*shape_clauses(shape)).group_by(ActionItem.status))


@shape_cache
def _total_statement(shape: tuple):
    """How many items a filter shape matches: from the tally for a tallied one."""
    tallied = _tallied_shape(shape)
    if tallied:
        return select(func.sum(ItemTally.n)).where(*_narrowing(ItemTally, *tallied))
    return select(func.count(ActionItem.id)).where(*shape_clauses(shape))


@shape_cache
def _shape_page_statement(shape: tuple, sort: str, limit: int):
    """A page of a filter shape's items, `limit` of them from the bind parameter `offset`:
    one statement that sorts only the ids and reads the chosen `ListedItem`s."""
    ids = select(ActionItem.id).where(*shape_clauses(shape))
    if sort == "owner":
        ids = ids.outerjoin(Person, ActionItem.owner_id == Person.id)
    chosen = (_ordered(ids, sort).limit(written_limit(limit)).offset(bindparam("offset"))
              .subquery())
    return _ordered(row_select().join(chosen, chosen.c.id == ActionItem.id), sort)


@cache
def _tallied_counts_statement(by_status: bool, by_workstream: bool):
    """(status, items, overdue, due soon) rows of a tallied list: the tally's counts, then
    the date tests on the matching open items due by `soon_end` only (a range of the
    status and due date index)."""
    today = bindparam("today")
    by_status_rows = (select(ItemTally.status, func.sum(ItemTally.n), literal(0), literal(0))
                      .where(*_narrowing(ItemTally, by_status, by_workstream))
                      .group_by(ItemTally.status))
    by_date = (select(ActionItem.status, literal(0),
                      func.count(case((ActionItem.due_date < today, 1))),
                      func.count(case((ActionItem.due_date >= today, 1))))
               .where(*_narrowing(ActionItem, by_status, by_workstream),
                      ActionItem.status.in_(OPEN_STATUSES),
                      ActionItem.due_date <= bindparam("soon_end"))
               .group_by(ActionItem.status))
    return union_all(by_status_rows, by_date)


def counts(session: Session, filters: Filters, today: date, soon_days: int = 7) -> Counts:
    """All / open / overdue / due in the next `soon_days` / done among the filtered items,
    in one statement. A list narrowed by status and workstream only (the list as it opens,
    its status chips, a workstream's items) is counted from the tally the triggers keep,
    which costs the same at any number of items; any other is counted from its matches."""
    shape, params = filter_shape(filters, today)
    params["soon_end"] = today + timedelta(days=soon_days)
    tallied = _tallied_shape(shape)
    statement = (_tallied_counts_statement(*tallied) if tallied
                 else _scanned_counts_statement(shape))
    total = open_ = overdue = soon = done = 0
    for status, count, late, due_soon in read_rows(session, statement, params):
        total += count
        if status in OPEN_STATUSES:
            open_, overdue, soon = open_ + count, overdue + late, soon + due_soon
        elif status == "done":
            done += count
    return Counts(total, open_, overdue, soon, done)


def get_item(session: Session, item_id: int) -> ActionItem | None:
    """One item with its owner, workstream and meeting (comments load on their own)."""
    return session.scalar(select(ActionItem).where(ActionItem.id == item_id)
                          .options(*item_options()))
