"""Bulk edit over ticked rows: one transaction, a summary, all or nothing."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from portal.actions.models import ActionItem
from portal.audit.models import AuditEvent
from portal.extensions import db
from tests.factories import PASSWORD, make_item, make_person, make_user, make_workstream

HX = {"HX-Request": "true"}


@pytest.fixture
def lead_client(app):
    lead = make_user("lead")
    client = app.test_client()
    client.post("/login", data={"email": lead.email, "password": PASSWORD})
    return client


@pytest.fixture
def items(app):
    made = [make_item(f"Item {n}", status="open", due_date=date(2026, 1, 10 + n))
            for n in range(3)]
    made.append(make_item("Undated", status="open"))
    db.session.commit()
    return made


def state():
    db.session.expire_all()
    return {i.title: (i.status, i.owner_id, i.workstream_id, i.due_date, i.version)
            for i in db.session.scalars(select(ActionItem))}


def test_shift_due_dates(lead_client, items):
    ids = [i.id for i in items]
    response = lead_client.post("/actions/bulk", data={
        "ids": ids, "action": "shift", "days": "7", "return_to": "/actions?status=open"})
    assert response.status_code == 303 and response.headers["Location"] == "/actions?status=open"
    now = state()
    assert now["Item 0"][3] == date(2026, 1, 17) and now["Item 2"][3] == date(2026, 1, 19)
    assert now["Undated"][3] is None
    page = lead_client.get("/actions").get_data(as_text=True)
    assert "3 items changed; 1 without a due date left alone." in page
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "bulk_update")).all()
    assert len(events) == 3 and events[0].before == {"due_date": "2026-01-10"}


def test_set_status_owner_workstream(lead_client, items):
    person = make_person("Christina")
    ws = make_workstream(name="Integrations")
    db.session.commit()
    ids = [items[0].id, items[1].id]
    for data in ({"action": "status", "status": "done"},
                 {"action": "owner", "owner": person.id},
                 {"action": "workstream", "workstream": ws.id}):
        response = lead_client.post("/actions/bulk", headers=HX, data={"ids": ids, **data})
        assert response.status_code == 204 and response.headers["HX-Redirect"] == "/actions"
    now = state()
    assert now["Item 0"][:3] == ("done", person.id, ws.id)
    assert now["Item 2"][:3] == ("open", None, None)
    again = lead_client.post("/actions/bulk", data={"ids": ids, "action": "status",
                                                    "status": "done"})
    assert again.status_code == 303
    assert "0 items changed; 2 already as asked." in lead_client.get("/actions").get_data(
        as_text=True)


@pytest.mark.parametrize("data,message", [
    ({"action": "status", "status": "done"}, "Tick at least one item"),
    ({"ids": ["{0}", "999999"], "action": "status", "status": "done"}, "no longer exist"),
    ({"ids": ["abc"], "action": "status", "status": "done"}, "not items"),
    ({"ids": ["99999999999999999999"], "action": "status", "status": "done"}, "not items"),
    ({"ids": ["{0}"], "action": "status", "status": "finished"}, "Not a valid choice"),
    ({"ids": ["{0}"], "action": "explode"}, "Not a valid choice"),
    ({"ids": ["{0}"], "action": "owner", "owner": "424242"}, "does not exist"),
    ({"ids": ["{0}"], "action": "workstream", "workstream": "424242"}, "does not exist"),
    ({"ids": ["{0}"], "action": "shift", "days": "0"}, "not 0"),
    ({"ids": ["{0}"], "action": "shift", "days": "abc"}, "Not a valid integer"),
    ({"ids": ["{0}"], "action": "shift", "days": "99999"}, "between"),
])
def test_bad_bulk_input_changes_nothing(lead_client, items, data, message):
    data = {k: ([v.format(items[0].id) for v in val] if isinstance(val, list) else val)
            for k, val in data.items()}
    before = state()
    for headers in (HX, {}):
        response = lead_client.post("/actions/bulk", headers=headers, data=data)
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert message in html
        assert ("<html" in html) == (not headers)
    assert state() == before


@pytest.mark.parametrize("due,days", [(date(2098, 6, 1), 1000), (date(2001, 6, 1), -1000)])
def test_a_shift_past_the_plans_years_changes_nothing(lead_client, items, due, days):
    """Shifted dates keep to the years every date field takes (2000-2099): one that would
    leave them fails the whole change, with the field's message."""
    edge = make_item("At the edge", status="open", due_date=due)
    db.session.commit()
    before = state()
    response = lead_client.post("/actions/bulk", headers=HX, data={
        "ids": [items[0].id, edge.id], "action": "shift", "days": str(days)})
    assert response.status_code == 422
    assert "between 2000 and 2099" in response.get_data(as_text=True)
    assert state() == before


def test_all_or_nothing_when_one_item_fails(lead_client, items):
    """A failing item rolls back the ones before it."""
    person = make_person("Temp")
    db.session.commit()
    ids = [items[0].id, items[1].id]
    before = state()
    events = db.session.scalar(select(func.count(AuditEvent.id)))
    # The person disappears between the form and the change: the service refuses.
    db.session.delete(person)
    db.session.commit()
    response = lead_client.post("/actions/bulk", data={"ids": ids, "action": "owner",
                                                       "owner": person.id})
    assert response.status_code == 422
    assert state() == before
    assert db.session.scalar(select(func.count(AuditEvent.id))) == events
