"""Calendar feeds: parse with icalendar, exactly the person's open items with due dates;
a regenerated token kills the old URL; the program calendar is for leads."""
from __future__ import annotations

from datetime import date, timedelta

from icalendar import Calendar

from portal.extensions import db
from portal.program.models import Milestone
from tests.factories import (
    PASSWORD,
    make_item,
    make_person,
    make_program,
    make_user,
    make_workstream,
)


def _events(body: bytes):
    cal = Calendar.from_ical(body)
    return [c for c in cal.walk("VEVENT")]


def test_feed_lists_exactly_the_persons_open_items_with_due_dates(app, client):
    me, other = make_person("Me"), make_person("Other")
    due = date(2026, 3, 10)
    mine = [make_item("Open one", owner_id=me.id, due_date=due),
            make_item("In progress", owner_id=me.id, status="in_progress", due_date=due),
            make_item("Proposed", owner_id=me.id, status="proposed", due_date=due)]
    make_item("Done", owner_id=me.id, status="done", due_date=due)
    make_item("Cancelled", owner_id=me.id, status="cancelled", due_date=due)
    make_item("No date", owner_id=me.id)
    make_item("Not mine", owner_id=other.id, due_date=due)
    db.session.commit()
    response = client.get(f"/calendar/{me.calendar_token}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    events = _events(response.data)
    assert sorted(str(e["summary"]) for e in events) == sorted(i.title for i in mine)
    event = events[0]
    assert event.decoded("dtstart") == due
    assert event.decoded("dtend") == due + timedelta(days=1)
    assert len(event.walk("VALARM")) == 1
    assert "http://portal.test/actions/" in str(event["url"])


def test_regenerating_the_token_kills_the_old_url(app, client):
    user = make_user("owner")
    person = user.person
    old = person.calendar_token
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    page = client.get(f"/people/{person.id}/reminders").get_data(as_text=True)
    assert f"/calendar/{old}.ics" in page
    response = client.post(f"/people/{person.id}/reminders/calendar-token")
    assert response.status_code == 303
    db.session.expire_all()
    assert person.calendar_token != old
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{person.calendar_token}.ics").status_code == 200
    assert f"/calendar/{person.calendar_token}.ics" in client.get(
        f"/people/{person.id}/reminders").get_data(as_text=True)


def test_unknown_tokens_get_a_404(client):
    assert client.get("/calendar/not-a-token.ics").status_code == 404
    assert client.get(f"/calendar/{'x' * 300}.ics").status_code == 404


def test_program_calendar_is_for_leads_with_milestones_and_all_due_dates(app, client):
    lead = make_user("lead").person
    owner = make_user("owner").person
    program = make_program()
    db.session.add(Milestone(program=program, name="Private offers", due_date=date(2026, 1, 1)))
    ws_lead = make_person("Workstream Lead")
    make_workstream(program, lead_id=ws_lead.id)
    make_item("Someone's item", owner_id=owner.id, due_date=date(2026, 3, 1))
    make_item("Closed", owner_id=owner.id, status="done", due_date=date(2026, 3, 1))
    db.session.commit()
    response = client.get(f"/calendar/program/{lead.calendar_token}.ics")
    assert response.status_code == 200
    summaries = sorted(str(e["summary"]) for e in _events(response.data))
    assert summaries == ["Milestone: Private offers", "Someone's item"]
    assert client.get(f"/calendar/program/{ws_lead.calendar_token}.ics").status_code == 200
    assert client.get(f"/calendar/program/{owner.calendar_token}.ics").status_code == 404
