"""What a rendered page costs in SQL does not depend on how many items there are: every main
page runs a fixed number of statements, the same with 10 items as with 2,000 (issue 18).
The numbers are pinned, so a page that starts loading per row, or gains a statement, is
seen here first. The page cache is off (`query_counter`): this is the rendered cost."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, insert, select

from portal.actions.models import ActionItem
from portal.extensions import db
from portal.pocs.models import Customer, Hyperscaler, Poc
from portal.vocab import ACTION_STATUSES, PRIORITIES
from tests.factories import make_person, make_program, make_workstream, signed_in

TODAY = date.today()

# Each main page and the statements one request of it runs, the user's loading included.
PAGES = {
    "/": 18,
    "/actions": 4,
    "/actions?status=open&sort=due": 4,
    "/actions?q=bulk+7": 4,
    "/actions?owner={owner}&sort=priority": 5,  # the chosen owner, for the filter's select
    "/workstreams": 10,
    "/workstreams/{workstream}": 12,
    "/pocs": 5,
    "/pocs/timeline": 8,
    "/people": 6,
    "/summary": 17,
    "/summary.json": 16,
    "/activity": 12,
}


@pytest.fixture
def world(app):
    program = make_program(name="Launch", target_date=TODAY + timedelta(days=60))
    people = [make_person(f"Owner {n}") for n in range(4)]
    # Two of three workstreams have a lead, as a real program's do: leads are loaded too.
    streams = [make_workstream(program, name=name, gating=n < 2,
                               lead_id=people[n].id if n < 2 else None)
               for n, name in enumerate(("Hiring", "SOC2", "Telemetry"))]
    scalers = [Hyperscaler(name=name, rank=n + 1) for n, name in enumerate(("GCP", "Azure"))]
    customers = [Customer(name=f"Customer {n}") for n in range(4)]
    db.session.add_all([*scalers, *customers])
    db.session.flush()
    db.session.add_all([Poc(customer_id=c.id, hyperscaler_id=scalers[n % 2].id, position=n + 1,
                            stage=("scheduled", "running", "candidate", "won")[n],
                            planned_start=TODAY + timedelta(days=10 * n - 5),
                            planned_end=TODAY + timedelta(days=10 * n + 20))
                        for n, c in enumerate(customers)])
    db.session.commit()
    # Ids, not objects: the counting expunges the session, which would leave them detached.
    return {"streams": [ws.id for ws in streams], "people": [person.id for person in people]}


def add_items(world, start: int, count: int) -> None:
    """Items of every status and priority, due around today, across owners and streams."""
    streams, people = world["streams"], world["people"]
    rows = [{"title": f"Bulk {n}", "title_key": f"bulk {n}",
             "workstream_id": streams[n % 3] if n % 5 else None,
             "owner_id": people[n % 4] if n % 7 else None,
             "status": ACTION_STATUSES[n % len(ACTION_STATUSES)],
             "priority": PRIORITIES[n % len(PRIORITIES)],
             "due_date": TODAY + timedelta(days=(n * 13) % 40 - 20) if n % 9 else None,
             "tags": "soc2" if n % 3 == 0 else "", "notes": "", "version": 1}
            for n in range(start, start + count)]
    db.session.execute(insert(ActionItem), rows)
    db.session.commit()


def statement_counts(app, client, world, query_counter) -> dict[str, int]:
    counts = {}
    for page in PAGES:
        path = page.format(owner=world["people"][1], workstream=world["streams"][0])
        assert client.get(path).status_code == 200, path  # warm: first-request work aside
        # Requests share the test's session: start from an empty identity map, as a request
        # in production does, so nothing is counted short because a test loaded it.
        db.session.expunge_all()
        with query_counter() as statements:
            assert client.get(path).status_code == 200, path
        counts[page] = len(statements)
    return counts


def test_every_main_page_costs_the_same_statements_at_10_and_2000_items(app, world,
                                                                          query_counter):
    client = signed_in(app, "lead")
    add_items(world, 0, 10)
    small = statement_counts(app, client, world, query_counter)
    add_items(world, 10, 1990)
    assert db.session.scalar(select(func.count(ActionItem.id))) == 2000
    large = statement_counts(app, client, world, query_counter)
    assert large == small
    assert small == PAGES
