"""The item counts the dashboard and the summary show, against counting the rows one by
one, on both databases."""
from __future__ import annotations

import random
from datetime import date, timedelta

from portal.actions.queries import Filters, counts, search
from portal.dashboard.queries import late_by_owner, next_due_by_workstream, totals
from portal.program.readiness import DUE_SOON_DAYS
from portal.summary.snapshots import live_item_totals
from portal.vocab import ACTION_STATUSES, OPEN_STATUSES
from tests.factories import make_item, make_person, make_program, make_workstream

TODAY = date(2026, 3, 1)


def test_totals_agree_with_counting_the_rows(session):
    rng = random.Random(9)
    ann, bob = make_person("Ann"), make_person("Bob")
    offsets = [None, -20, -1, 0, 1, DUE_SOON_DAYS, DUE_SOON_DAYS + 1, 30]
    rows = [(rng.choice([ann.id, bob.id, None]), rng.choice(ACTION_STATUSES),
             rng.choice(offsets)) for _ in range(250)]
    for owner_id, status, offset in rows:
        make_item(owner_id=owner_id, status=status,
                  due_date=None if offset is None else TODAY + timedelta(days=offset))
    session.commit()

    open_ = [(owner, offset) for owner, status, offset in rows if status in OPEN_STATUSES]
    late = [(owner, offset) for owner, offset in open_ if offset is not None and offset < 0]
    # The late items are counted once, by owner: their sum is the page's overdue count.
    by_owner = late_by_owner(session, TODAY)
    assert (by_owner.items, by_owner.total_owners) == (len(late), len({o for o, _ in late}))
    assert sum(owner.late for owner in by_owner.owners) == len(late)  # three owners, all shown
    for person_id in (ann.id, None):
        got = totals(session, TODAY, person_id, overdue=by_owner.items)
        assert (got.open, got.overdue, got.unowned) == (
            len(open_), len(late), sum(owner is None for owner, _ in open_))
        assert got.due_week == sum(o is not None and 0 <= o <= DUE_SOON_DAYS for _, o in open_)
        assert (got.mine_open, got.mine_overdue) == (
            (sum(owner == ann.id for owner, _ in open_), sum(owner == ann.id for owner, _ in late))
            if person_id else (0, 0))
        assert live_item_totals(session, TODAY) == {
            "open": len(open_), "overdue": len(late),
            "done": sum(status == "done" for _, status, _ in rows)}


def test_list_counts_agree_with_counting_the_rows(session):
    """The list's chips and its page total under filters, against the rows one by one:
    those counted from the tally (status and workstream filters only) as well as the others,
    and again after items changed status and workstream and some were deleted."""
    rng = random.Random(11)
    ann = make_person("Ann")
    program = make_program()
    ws_a, ws_b = make_workstream(program, name="A"), make_workstream(program, name="B")
    offsets = [None, -5, -1, 0, 3, DUE_SOON_DAYS, DUE_SOON_DAYS + 1]
    items = [make_item(title=rng.choice(["Audit prep", "SOC2 audit", "Hiring"]),
                       owner_id=rng.choice([ann.id, None]), status=rng.choice(ACTION_STATUSES),
                       workstream_id=rng.choice([ws_a.id, ws_b.id, None]),
                       due_date=(None if (offset := rng.choice(offsets)) is None
                                 else TODAY + timedelta(days=offset)))
             for _ in range(200)]
    session.commit()

    cases = [(Filters(), lambda i: True),
             (Filters(status=("open", "done")), lambda i: i.status in ("open", "done")),
             (Filters(workstream=ws_a.id), lambda i: i.workstream_id == ws_a.id),
             (Filters(workstream=ws_b.id, status=OPEN_STATUSES),
              lambda i: i.workstream_id == ws_b.id and i.status in OPEN_STATUSES),
             (Filters(owner=ann.id), lambda i: i.owner_id == ann.id),
             (Filters(q="soc2"), lambda i: "SOC2" in i.title)]

    def check():
        for filters, keep in cases:
            mine = [i for i in items if keep(i)]
            dated = [(i.due_date - TODAY).days for i in mine
                     if i.status in OPEN_STATUSES and i.due_date is not None]
            got = counts(session, filters, TODAY)
            assert (got.total, got.open, got.done) == (
                len(mine), sum(i.status in OPEN_STATUSES for i in mine),
                sum(i.status == "done" for i in mine)), filters
            assert (got.overdue, got.due_soon) == (
                sum(o < 0 for o in dated), sum(0 <= o <= DUE_SOON_DAYS for o in dated))
            assert search(session, filters, TODAY).total == got.total

    check()
    for item in rng.sample(items, 60):
        item.status = rng.choice(ACTION_STATUSES)
        item.workstream_id = rng.choice([ws_a.id, ws_b.id, None])
    for item in rng.sample(items, 20):
        session.delete(item)
        items.remove(item)
    session.commit()
    check()


def test_next_due_is_each_workstreams_earliest_open_item(session):
    rng = random.Random(5)
    program = make_program()
    workstreams = [make_workstream(program, name=f"W{n}") for n in range(4)]
    rows = []
    for n in range(120):
        ws = rng.choice(workstreams[:3])  # the fourth has no items
        status = rng.choice(ACTION_STATUSES)
        offset = rng.choice([None, -3, -3, 0, 2, 9])
        item = make_item(f"Item {n}", workstream_id=ws.id, status=status,
                         due_date=None if offset is None else TODAY + timedelta(days=offset))
        rows.append(item)
    session.commit()
    expected = {}
    for item in sorted(rows, key=lambda i: (i.due_date or date.max, i.id)):
        if item.status in OPEN_STATUSES and item.due_date:
            expected.setdefault(item.workstream_id, item.id)
    got = next_due_by_workstream(session, program.id)
    assert {ws: item.id for ws, item in got.items()} == expected
    assert workstreams[3].id not in got
