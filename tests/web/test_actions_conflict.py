"""Two people edit the same item: the second save answers 409, says who changed what and
when, shows both values and saves nothing."""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from portal.actions import service
from portal.actions.models import ActionItem
from portal.audit.log import Actor
from portal.audit.models import AuditEvent
from portal.extensions import db
from tests.factories import PASSWORD, make_item, make_person, make_user
from tests.web.test_actions_views import edit_data

HX = {"HX-Request": "true"}


def two_sessions(app):
    alice = make_user("lead")
    bob = make_user("lead")
    first, second = app.test_client(), app.test_client()
    first.post("/login", data={"email": alice.email, "password": PASSWORD})
    second.post("/login", data={"email": bob.email, "password": PASSWORD})
    return alice, bob, first, second


def test_edit_form_conflict_409_with_theirs_beside_yours(app):
    alice, bob, first, second = two_sessions(app)
    owner = make_person("Rob Banga")
    item = make_item("Hire SREs", status="open", priority="high", due_date=date(2026, 1, 10),
                     owner_id=owner.id)
    db.session.commit()
    # Both open the item at version 1.
    assert first.get(f"/actions/{item.id}").status_code == 200
    assert second.get(f"/actions/{item.id}").status_code == 200
    stale = edit_data(item)
    # Alice saves first.
    saved = first.post(f"/actions/{item.id}", data={**stale, "status": "done",
                                                    "due_date": "2026-01-20"})
    assert saved.status_code == 303
    events = db.session.scalar(select(func.count(AuditEvent.id)))
    # Bob saves over the older version.
    for headers in (HX, {}):
        response = second.post(f"/actions/{item.id}", headers=headers,
                               data={**stale, "status": "in_progress", "title": "Hire 3 SREs"})
        assert response.status_code == 409
        html = response.get_data(as_text=True)
        assert ("<html" in html) == (not headers)
        assert "yours was not saved" in html
        assert alice.name in html  # who
        assert "Done" in html and "In progress" in html  # theirs beside yours
        assert "20 Jan 2026" in html  # their due date, written as the pages write dates
        assert "Hire 3 SREs" in html  # your title kept in the form
        assert 'name="version" value="2"' in html  # saving again overwrites knowingly
        status_row = re.search(r'<tr data-field="status" class="([^"]*)">(.*?)</tr>', html, re.S)
        assert status_row and status_row.group(1) == "is-different"
        assert re.search(r'class="theirs">.*Done.*</td>\s*<td class="yours">.*In progress',
                         status_row.group(2), re.S)
    db.session.expire_all()
    current = db.session.get(ActionItem, item.id)
    assert (current.status, current.title, current.version) == ("done", "Hire SREs", 2)
    assert db.session.scalar(select(func.count(AuditEvent.id))) == events
    # Saving again with the version the 409 gave puts Bob's values over Alice's.
    again = second.post(f"/actions/{item.id}", data={**stale, "version": 2,
                                                     "status": "in_progress"})
    assert again.status_code == 303
    db.session.expire_all()
    assert db.session.get(ActionItem, item.id).status == "in_progress"


def test_inline_conflict_409_in_the_row(app):
    alice, bob, first, second = two_sessions(app)
    item = make_item("Count licences", status="open", priority="normal")
    db.session.commit()
    assert first.post(f"/actions/{item.id}/row", headers=HX,
                      data={"priority": "high", "version": 1}).status_code == 200
    response = second.post(f"/actions/{item.id}/row", headers=HX,
                           data={"status": "done", "version": 1, "return_to": "/actions"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith("<tr") and "changed meanwhile" in html
    assert alice.name in html and 'data-version="2"' in html
    db.session.expire_all()
    assert db.session.get(ActionItem, item.id).status == "open"


def test_status_form_conflict(app):
    alice, bob, first, second = two_sessions(app)
    item = make_item("Book venue", status="open")
    db.session.commit()
    assert first.post(f"/actions/{item.id}/status",
                      data={"status": "in_progress", "version": 1}).status_code == 303
    response = second.post(f"/actions/{item.id}/status", headers=HX,
                           data={"status": "done", "version": 1})
    assert response.status_code == 409
    assert alice.name in response.get_data(as_text=True)


@pytest.mark.committed
def test_race_between_read_and_write_is_a_conflict(app):
    """The version column catches a change committed after our read (StaleDataError)."""
    item = make_item("Race me", status="open")
    db.session.commit()
    item_id = item.id
    loaded = db.session.get(ActionItem, item_id)
    assert loaded.version == 1
    # Another connection saves meanwhile.
    with db.engine.begin() as conn:
        conn.execute(ActionItem.__table__.update().where(ActionItem.__table__.c.id == item_id)
                     .values(status="done", version=2))
    try:
        service.update_item(db.session, Actor(via="cli"), loaded, {"status": "in_progress"},
                            expected_version=1, today=date.today())
    except service.ConflictError as error:
        assert error.item_id == item_id
    else:
        raise AssertionError("no conflict raised")
    db.session.rollback()
    assert db.session.get(ActionItem, item_id).status == "done"
