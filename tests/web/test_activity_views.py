"""`/activity`: every change, newest first, filtered by person, workstream and date."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from portal.audit.log import Actor, record
from portal.audit.models import AuditEvent
from portal.extensions import db
from tests.factories import PASSWORD, make_item, make_person, make_user, make_workstream

HX = {"HX-Request": "true"}


@pytest.fixture
def trail(app):
    lead = make_user("lead")
    other = make_user("lead")
    ws = make_workstream(name="Hiring")
    owner = make_person("Rob Banga")
    item = make_item("Recruit SREs", workstream_id=ws.id, owner_id=owner.id)
    actor = Actor.for_user(lead)
    record(db.session, actor, "action_item", item.id, "update", summary="Changed owner",
           before={"owner_id": None}, after={"owner_id": owner.id, "version": 2},
           workstream_id=ws.id)
    old = record(db.session, Actor.for_user(other), "action_item", 424242, "delete",
                 summary="Deleted “Old thing”", before={"title": "Old thing"})
    db.session.flush()
    old.created_at = datetime(2025, 1, 15, 12, 0)
    db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": make_user("executive").email, "password": PASSWORD})
    return {"lead": lead, "other": other, "ws": ws, "item": item, "client": client}


def test_activity_lists_events_newest_first(trail):
    response = trail["client"].get("/activity")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html
    assert html.index("Changed owner") < html.index("Deleted “Old thing”")
    # Who, what (a link to the item that still exists), before -> after with names, via.
    assert trail["lead"].name in html
    assert f'href="/actions/{trail["item"].id}"' in html
    assert "Rob Banga" in html and "version" not in html.split('id="results"')[1].split(
        "</section>")[0].replace("version=", "")
    assert "/actions/424242" not in html  # deleted: no link


def test_activity_filters(trail):
    client = trail["client"]
    by_person = client.get(f"/activity?person={trail['other'].person_id}", headers=HX)
    text = by_person.get_data(as_text=True)
    assert "<html" not in text and "Old thing" in text and "Changed owner" not in text
    by_ws = client.get(f"/activity?workstream={trail['ws'].id}").get_data(as_text=True)
    assert "Changed owner" in by_ws and "Old thing" not in by_ws
    jan = client.get("/activity?from=2025-01-01&to=2025-01-31").get_data(as_text=True)
    assert "Old thing" in jan and "Changed owner" not in jan
    today = (datetime.utcnow() + timedelta(days=1)).date().isoformat()
    recent = client.get(f"/activity?from=2025-02-01&to={today}").get_data(as_text=True)
    assert "Changed owner" in recent and "Old thing" not in recent


@pytest.mark.parametrize("query", ["person=abc", "from=2025-02-30", "page=-3", "page=x",
                                   "from=2025-03-01&to=2025-01-01", "workstream=1e9"])
def test_activity_bad_filters(trail, query):
    response = trail["client"].get(f"/activity?{query}")
    assert response.status_code == 400
    assert "Some filters were not understood" in response.get_data(as_text=True)


def test_activity_pagination(trail):
    for n in range(60):
        record(db.session, Actor(via="cli"), "person", None, "update", summary=f"Event {n}")
    db.session.commit()
    first = trail["client"].get("/activity").get_data(as_text=True)
    assert "Page 1 of 2" in first and first.count("<tr data-action") == 50
    assert db.session.query(AuditEvent).count() > 60
