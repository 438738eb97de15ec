"""Filter parsing of `/actions`, and the indexes behind the filters (SQLite query plans)."""
from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import bindparam, select
from werkzeug.datastructures import MultiDict

import portal.models  # noqa: F401  (complete metadata)
from portal.actions.models import ActionItem
from portal.actions.queries import (
    Filters,
    ListedItem,
    Soonest,
    _ordered,
    filter_shape,
    filtered,
    parse_filters,
    search,
    shape_clauses,
)
from portal.extensions import db
from portal.vocab import ACTION_STATUSES, OPEN_STATUSES
from tests.factories import make_item, make_person, make_workstream


def parse(query: list[tuple[str, str]]):
    return parse_filters(MultiDict(query))


def test_defaults():
    parsed = parse([])
    assert parsed.filters == Filters() and parsed.errors == []


def test_every_parameter():
    parsed = parse([("q", "  sales   force "), ("owner", "3"), ("workstream", "2"),
                    ("status", "done"), ("status", "open"), ("status", "open"),
                    ("priority", "low"), ("priority", "highest"),
                    ("due_from", "2025-11-01"), ("due_to", "2025-11-30"), ("overdue", "1"),
                    ("sort", "-due"), ("page", "3")])
    assert parsed.errors == []
    f = parsed.filters
    assert f.q == "sales force" and f.owner == 3 and f.workstream == 2
    assert f.status == ("open", "done")  # vocabulary order, no repeats
    assert f.priority == ("highest", "low")
    assert (f.due_from, f.due_to) == (date(2025, 11, 1), date(2025, 11, 30))
    assert f.overdue and f.sort == "-due" and f.page == 3
    assert f.to_args() == {"q": "sales force", "owner": 3, "workstream": 2,
                           "status": ["open", "done"], "priority": ["highest", "low"],
                           "due_from": "2025-11-01", "due_to": "2025-11-30", "overdue": 1,
                           "sort": "-due", "page": 3}
    assert parse([(k, str(v)) for k, v in MultiDict(f.to_args()).items(multi=True)]).filters == f


@pytest.mark.parametrize("query,name", [
    ([("sort", "garbage")], "sort"), ([("page", "-1")], "page"), ([("page", "0")], "page"),
    ([("page", "9999999")], "page"), ([("status", "finished")], "status"),
    ([("priority", "urgent")], "priority"), ([("owner", "abc")], "owner"),
    ([("owner", "-4")], "owner"), ([("workstream", "1.5")], "workstream"),
    ([("due_from", "2025-02-30")], "due_from"), ([("due_to", "tomorrow")], "due_to"),
    ([("overdue", "yes")], "overdue"), ([("q", "x" * 201)], "q"),
    ([("due_from", "2025-03-01"), ("due_to", "2025-02-01")], "due_to"),
])
def test_nonsense_is_reported_and_left_out(query, name):
    parsed = parse(query)
    assert [n for n, _ in parsed.errors] == [name]
    f = parsed.filters
    assert f.sort in ("due",) and f.page == 1 and not f.status and not f.priority
    assert f.owner is None and f.workstream is None and len(f.q) <= 200


@pytest.fixture(scope="module")
def engine():
    engine = sa.create_engine("sqlite://")
    db.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.insert(ActionItem), [
            {"title": f"t{n}", "title_key": f"t{n}", "status": "open", "priority": "normal",
             "tags": "", "version": 1} for n in range(50)])
        conn.exec_driver_sql("ANALYZE")
    yield engine
    engine.dispose()


def test_statements_are_built_once_per_filter_shape_and_kept_within_a_bound():
    """Two searches of other words by other owners share one built statement, their values
    bind parameters; a short word (scanned) makes another shape than a long one (indexed).
    However many shapes are asked for, a bounded number is kept."""
    today = date(2025, 6, 1)
    first, first_values = filter_shape(Filters(q="soc2 audit", owner=3), today)
    second, second_values = filter_shape(Filters(q="hiring plan", owner=9), today)
    assert first == second and first_values != second_values
    assert shape_clauses(first) is shape_clauses(second)
    assert filter_shape(Filters(q="ab audit"), today)[0] != filter_shape(Filters(q="soc2 audit"),
                                                                         today)[0]
    for n in range(400):
        words = ["ab"] * (n % 40) + ["abc"] * (n // 40)
        shape_clauses(filter_shape(Filters(q=" ".join(words)), today)[0])
    assert shape_clauses.cache_info().currsize <= shape_clauses.cache_info().maxsize == 256


@pytest.mark.parametrize("filters", [
    Filters(owner=1), Filters(workstream=1), Filters(status=("open",)),
    Filters(priority=("high",)), Filters(due_from=date(2025, 1, 1)),
    Filters(due_to=date(2025, 1, 1)), Filters(overdue=True),
], ids=["owner", "workstream", "status", "priority", "due_from", "due_to", "overdue"])
def test_each_filter_uses_an_index(engine, filters):
    stmt = filtered(select(ActionItem.id), filters, date(2025, 6, 1))
    sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        plan = " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
    assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, plan


@pytest.mark.parametrize("filters", [Filters(), Filters(status=("open",))],
                         ids=["everything", "one status"])
def test_a_page_in_due_order_is_read_in_order_from_an_index(engine, filters):
    """The list's default order comes from `ix_action_item_due_order` or
    `ix_action_item_status_due_order`: a page is cut from an index walk, not from a sort of
    every matching item."""
    stmt = _ordered(filtered(select(ActionItem.id), filters, date(2025, 6, 1)),
                    "due").limit(50)
    sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        plan = " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
    assert "due_order" in plan and "TEMP B-TREE" not in plan, plan


def test_a_workstreams_next_item_due_is_one_probe_of_the_open_items_index(engine):
    """The dashboard's next item due per workstream states "open" as the open items' partial
    index does (`is_open`), so SQLite reads it there in due order: one probe a workstream,
    no sort. A condition written otherwise (another order, bound values) would not use it."""
    from portal.dashboard.queries import _next_due_statement

    statement = _next_due_statement().params(program_id=1)
    sql = str(statement.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        plan = " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
    assert "ix_action_item_open_due" in plan and "TEMP B-TREE" not in plan, plan


@pytest.mark.postgres_only
def test_postgresql_asks_whether_a_person_owns_an_open_item_of_the_open_items_index(session):
    """The setup checklist asks it of every person: on PostgreSQL one probe each of the
    open items' index by owner (`ix_action_item_open_owner`), not one per open status of
    the index of all items by owner and status. (SQLite, whose probes cost a tenth, keeps
    its covering index of every status.)"""
    from portal.program.checklist import _counts_statement

    people = [make_person(f"Owner {n}") for n in range(40)]
    session.execute(sa.insert(ActionItem), [
        {"title": f"t{n}", "title_key": f"t{n}", "owner_id": people[n % 40].id,
         "status": ACTION_STATUSES[n % len(ACTION_STATUSES)], "priority": "normal",
         "tags": "", "version": 1} for n in range(4000)])
    session.execute(sa.text("ANALYZE action_item"))
    statement = _counts_statement().params(program_id=1)
    sql = str(statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
    plan = "\n".join(session.execute(sa.text(f"EXPLAIN {sql}")).scalars())
    assert "ix_action_item_open_owner" in plan, plan


@pytest.mark.postgres_only
def test_postgresql_reads_a_persons_items_in_order_from_the_owner_index(session):
    """"My items" (`Soonest` by owner, undated last): each status's dated items in due date
    then id order, and its undated ones in id order, straight from `ix_action_item_owner_status`
    (owner, status, due date, id), cut at the limit; without the id at its end PostgreSQL
    sorted each status's items and read every undated one's row first."""
    from portal.dashboard.queries import _MINE

    people = [make_person(f"Owner {n}") for n in range(100)]
    session.execute(sa.insert(ActionItem), [  # the first owns half of them, as a lead may
        {"title": f"t{n}", "title_key": f"t{n}", "owner_id": people[n % 200 // 2 * (n % 2)].id,
         "status": ACTION_STATUSES[n % len(ACTION_STATUSES)], "priority": "normal",
         "tags": "", "version": 1,
         "due_date": None if n % 3 == 0 else date(2025, 1, 1) + timedelta(days=n % 5)}
        for n in range(6000)])
    session.execute(sa.text("ANALYZE action_item"))
    statement = _MINE._build(8).params(person_id=people[0].id)
    sql = str(statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
    plan = "\n".join(session.execute(sa.text(f"EXPLAIN {sql}")).scalars())
    assert "ix_action_item_owner_status" in plan, plan
    assert "Incremental Sort" not in plan and "Bitmap Heap Scan" not in plan, plan


@pytest.mark.parametrize("undated", [False, True])
def test_soonest_is_the_head_of_the_whole_sorted_list(session, undated):
    """`Soonest` reads per status and merges; it must pick what sorting every matching open
    item by due date (undated last, when asked for), then id, would pick: on both
    databases, whose NULL orders differ, and again when one built statement is run with
    other values of its bind parameters."""
    rng = random.Random(7)
    ann, bob = make_person("Ann"), make_person("Bob")
    for _ in range(120):
        offset = rng.choice([None, -9, -1, 0, 0, 3, 12])
        make_item(owner_id=rng.choice([ann.id, bob.id, None]),
                  status=rng.choice(ACTION_STATUSES),
                  due_date=None if offset is None else date(2026, 3, 1) + timedelta(days=offset))
    session.commit()
    by_owner = Soonest(ActionItem.owner_id == bindparam("owner"), undated=undated)
    unowned = Soonest(ActionItem.owner_id.is_(None), undated=undated)
    for query, params, keep in ((by_owner, {"owner": ann.id}, lambda i: i.owner_id == ann.id),
                                (by_owner, {"owner": bob.id}, lambda i: i.owner_id == bob.id),
                                (unowned, {}, lambda i: i.owner_id is None)):
        every = [i for i in session.scalars(select(ActionItem))
                 if i.status in OPEN_STATUSES and keep(i) and (undated or i.due_date)]
        every.sort(key=lambda i: (i.due_date is None, i.due_date or date.min, i.id))
        for limit in (1, 8, 500, None):
            got = query(session, limit, **params)
            assert [i.id for i in got] == [i.id for i in every[:limit]]


def test_a_listed_item_holds_what_the_item_holds(session):
    """The tables read items as `ListedItem`s (a Core select), not as ORM objects: each
    must carry every column of its item, with the owner's and workstream's names, whatever
    the sort, on both databases (dates come back as dates on SQLite too)."""
    ann = make_person("Ann Owner")
    ws = make_workstream(name="Telemetry")
    make_item("Owned and placed", owner_id=ann.id, workstream_id=ws.id, due_date=date(2026, 3, 2),
              priority="high", tags="task soc2 blocked", notes="A note.")
    make_item("Nobody's", status="done", done_date=date(2026, 2, 1))
    session.commit()
    for sort in ("due", "-due", "priority", "owner", "updated"):
        listed = search(session, Filters(sort=sort), date(2026, 3, 1)).items
        assert {type(i) for i in listed} == {ListedItem}
        for row in listed:
            item = session.get(ActionItem, row.id)
            for column in ActionItem.__table__.columns:
                assert getattr(row, column.key) == getattr(item, column.key), column.key
            assert (row.owner and (row.owner.id, row.owner.name)) == (
                item.owner and (item.owner.id, item.owner.name))
            assert (row.workstream and (row.workstream.id, row.workstream.name)) == (
                item.workstream and (item.workstream.id, item.workstream.name))
            assert row.telling_tags == item.telling_tags
    assert [i.title for i in search(session, Filters(sort="owner"), date(2026, 3, 1)).items
            ] == ["Owned and placed", "Nobody's"]



def test_a_search_reads_its_matches_through_the_search_rows_index():
    """On SQLite a search's counts and its due order read each match's status and due date
    in `ix_action_item_search_rows`, where the FTS5 table's rowids are looked up, not in
    the table's wide rows, once the planner has statistics. Without that index, or without
    statistics, both plans read the table."""
    from portal.actions.models import SEARCH_ROWS_INDEX
    from portal.actions.queries import _scanned_counts_statement, _shape_page_statement
    from portal.config import refresh_statistics

    engine = sa.create_engine("sqlite://")
    db.metadata.create_all(engine)
    today = date(2025, 6, 1)
    with engine.begin() as conn:
        conn.execute(sa.insert(ActionItem), [
            {"title": f"item {n}" + (" SOC2 audit" if n % 20 == 0 else ""),
             "title_key": f"k{n}", "status": ACTION_STATUSES[n % len(ACTION_STATUSES)],
             "priority": "normal", "tags": "", "notes": "a long note " * 40, "version": 1,
             "due_date": today + timedelta(days=n % 90)} for n in range(3000)])
    assert refresh_statistics(engine)  # as the scheduler's planner-statistics job does
    shape, params = filter_shape(Filters(q="soc2 audit"), today)
    params |= {"soon_end": today, "offset": 0}

    @sa.event.listens_for(engine, "before_cursor_execute", retval=True)
    def explain(conn, cursor, statement, parameters, context, executemany):
        return f"EXPLAIN QUERY PLAN {statement}", parameters

    for statement in (_scanned_counts_statement(shape), _shape_page_statement(shape, "due", 50)):
        with engine.connect() as conn:
            plan = " ".join(row[-1] for row in conn.execute(statement, params))
        assert "action_item_search VIRTUAL TABLE" in plan, plan
        assert f"COVERING INDEX {SEARCH_ROWS_INDEX}" in plan, plan
    engine.dispose()


@pytest.mark.committed  # ANALYZE takes a connection of its own
def test_the_planner_statistics_job_analyzes_sqlite_and_leaves_postgresql_to_autovacuum(
        app, session):
    """SQLite gathers no statistics by itself: the scheduled job takes them, where its
    planner reads them. PostgreSQL's autovacuum keeps its own, so there the job does
    nothing. Either way no kept page is invalidated."""
    from portal.jobs import JOBS
    from portal.pagecache import current_version

    make_item("Counted", status="open")
    session.commit()
    before = current_version(session)
    job = {job_id: job for job_id, job, _ in JOBS}["planner-statistics"]
    sqlite = db.engine.dialect.name == "sqlite"
    assert job(app) is sqlite
    if sqlite:
        analyzed = session.execute(sa.text("SELECT DISTINCT tbl FROM sqlite_stat1")).scalars()
        assert "action_item" in set(analyzed)
    assert current_version(session) == before


def test_rows_read_past_the_orm_see_the_sessions_pending_changes(session):
    """`read_rows` flushes first, as `session.execute` would: the lists read within a change,
    before its commit, show it. Inside `no_autoflush` it leaves pending changes alone, as
    the ORM does."""
    from portal.extensions import read_rows

    item = make_item(title="Before", status="open")
    item.title = "After"
    assert [listed.title for listed in search(session, Filters(), date(2025, 6, 1)).items] \
        == ["After"]
    count = select(sa.func.count()).select_from(ActionItem)
    with session.no_autoflush:
        later = ActionItem(title="Later", title_key="later", status="open",
                                priority="normal", tags="", version=1)
        session.add(later)
        assert read_rows(session, count).scalar() == 1
    assert read_rows(session, count).scalar() == 2
