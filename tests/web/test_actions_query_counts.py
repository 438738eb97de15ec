"""A fixed number of SQL statements per page, whatever the number of items."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import insert

from portal.actions.models import ActionItem
from portal.extensions import db
from tests.factories import PASSWORD, make_person, make_user, make_workstream

PAGES = ["/actions", "/actions?status=open&status=proposed&sort=owner",
         "/actions?q=item&overdue=1&sort=priority", "/people/{person}", "/people",
         "/activity"]


def add_items(count: int, start: int, people, streams) -> None:
    """Bulk insert, for speed."""
    today = date.today()
    rows = [{"title": f"Item {n}", "title_key": f"item {n}",
             "owner_id": people[n % len(people)].id,
             "workstream_id": streams[n % len(streams)].id,
             "status": ("open", "proposed", "in_progress", "done")[n % 4],
             "priority": ("high", "normal", "low")[n % 3],
             "due_date": today + timedelta(days=(n % 40) - 20), "tags": "task",
             "version": 1}
            for n in range(start, start + count)]
    db.session.execute(insert(ActionItem), rows)
    db.session.commit()


def counts_for(client, query_counter, person) -> dict[str, int]:
    result = {}
    for page in PAGES:
        url = page.format(person=person.id)
        client.get(url)  # warm caches (templates, login)
        with query_counter() as statements:
            response = client.get(url)
        assert response.status_code == 200, url
        result[url] = len(statements)
    return result


def test_same_statement_count_with_10_and_2000_items(app, query_counter):
    lead = make_user("lead")
    people = [make_person(f"Owner {n}") for n in range(8)]
    streams = [make_workstream(name=f"Stream {n}") for n in range(3)]
    db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": lead.email, "password": PASSWORD})
    add_items(10, 0, people, streams)
    small = counts_for(client, query_counter, people[0])
    add_items(1990, 10, people, streams)
    large = counts_for(client, query_counter, people[0])
    assert small == large
    assert max(small.values()) <= 12, small


def test_pages_of_items_do_not_read_the_meeting_notes(app, demo, query_counter):
    """A meeting's imported note (tens of KB) is read only to compare a re-import: the
    list, the dashboard and an item's page do not load it, once per row or at all."""
    lead = make_user("lead")
    client = app.test_client()
    client.post("/login", data={"email": lead.email, "password": PASSWORD})
    item = db.session.scalar(
        db.select(ActionItem).where(ActionItem.meeting_id.is_not(None)).limit(1))
    for url in ("/actions", "/", f"/actions/{item.id}", "/actions/export.csv"):
        with query_counter() as statements:
            response = client.get(url)
        assert response.status_code == 200, url
        assert statements and not [s for s in statements if "raw_text" in s], url
        if url == f"/actions/{item.id}":
            assert item.meeting.title in response.get_data(as_text=True)  # the source shows
