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


def test_activity_filter_by_kind_with_a_shareable_url(trail):
    client = trail["client"]
    record(db.session, Actor(via="cli"), "milestone", 7, "create", summary="Added Launch")
    db.session.commit()
    page = client.get("/activity?kind=milestone")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html  # works without JavaScript
    assert "Added Launch" in html and "Changed owner" not in html and "Old thing" not in html
    assert '<option value="milestone" selected>Milestone</option>' in html
    assert '<select id="a-kind" name="kind">' in html and '<option value="poc">POC</option>' in html
    items = client.get("/activity?kind=action_item", headers=HX).get_data(as_text=True)
    assert "Changed owner" in items and "Old thing" in items and "Added Launch" not in items


def test_activity_unknown_kind_is_a_clear_400(trail):
    response = trail["client"].get("/activity?kind=spaceship")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "kind: &#39;spaceship&#39; is not a kind of change" in html and "Milestone" in html
    assert "Changed owner" in html  # the bad filter is left out, the list stays


def test_every_recorded_kind_is_offered():
    """A new kind of audit event must be named in vocab.AUDIT_KINDS to be filterable."""
    import re
    from pathlib import Path

    from portal.vocab import AUDIT_KINDS

    source = Path(__file__).resolve().parents[2] / "portal"
    call = re.compile(r'record\(\s*[\w.]+,\s*[^,]+?,\s*"(\w+)"', re.S)
    kinds = {kind for path in source.rglob("*.py")
             for kind in call.findall(path.read_text(encoding="utf-8"))}
    assert "action_item" in kinds and kinds <= set(AUDIT_KINDS)


def test_activity_times_in_the_viewers_zone(app, trail):
    """12:00 UTC on 15 January is 13:00 in Berlin; the program's zone for a viewer without
    their own, and the ISO moment with its offset in the time element."""
    client = trail["client"]
    html = client.get("/activity?from=2025-01-15&to=2025-01-15").get_data(as_text=True)
    assert "in UTC, the program&#39;s time zone" in html
    assert '<time datetime="2025-01-15T12:00:00+00:00">15 Jan 2025, 12:00</time>' in html
    viewer = make_user("executive")
    viewer.person.timezone = "Europe/Berlin"
    db.session.commit()
    berlin = app.test_client()
    berlin.post("/login", data={"email": viewer.email, "password": PASSWORD})
    html = berlin.get("/activity?from=2025-01-15&to=2025-01-15").get_data(as_text=True)
    assert "Times and days in Europe/Berlin, your time zone." in html
    assert '<time datetime="2025-01-15T13:00:00+01:00">15 Jan 2025, 13:00</time>' in html
    assert "UTC</td>" not in html


def test_activity_days_are_the_viewers_days(app, trail):
    """23:30 UTC on 31 January is 1 February in Tokyo: a Tokyo viewer finds it there."""
    late = record(db.session, Actor(via="cli"), "program", 1, "update", summary="Late change")
    db.session.flush()
    late.created_at = datetime(2025, 1, 31, 23, 30)
    viewer = make_user("executive")
    viewer.person.timezone = "Asia/Tokyo"
    db.session.commit()
    tokyo = app.test_client()
    tokyo.post("/login", data={"email": viewer.email, "password": PASSWORD})
    assert "Late change" in tokyo.get("/activity?from=2025-02-01&to=2025-02-01").get_data(True)
    assert "Late change" not in tokyo.get("/activity?to=2025-01-31").get_data(True)
    utc = trail["client"].get("/activity?from=2025-01-31&to=2025-01-31").get_data(True)
    assert "Late change" in utc
