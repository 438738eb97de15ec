"""Reminder preferences from the mail, for people without a login: the signed link opens
that person's preferences (and nobody else's), List-Unsubscribe turns reminders off with
one POST, and a person with reminders off gets no digest."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.people.models import Person
from portal.reminders import links, outbox
from portal.reminders.models import OutboxMessage
from tests.factories import PASSWORD, make_item, make_person, make_user

NOW = datetime(2026, 3, 2, 9, 0)  # a Monday, after the default send hour (08:00 UTC)


@pytest.fixture
def csrf_app(app_factory):
    """CSRF on, as in production: the one-click unsubscribe must work without a token."""
    application = app_factory(WTF_CSRF_ENABLED=True)
    with application.app_context():
        yield application


def urls(app, person):
    prefs, unsubscribe = links.preferences_urls(app.config, person.id)
    return prefs.removeprefix("http://portal.test"), unsubscribe.removeprefix("http://portal.test")


def fresh(person_id) -> Person:
    db.session.expire_all()
    return db.session.get(Person, person_id)


def form_token(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start:html.index('"', start)]


def test_the_link_opens_that_persons_preferences_without_a_login(csrf_app):
    olga = make_person("Olga Owner", email="olga@example.com")
    other = make_person("Otto Other", email="otto@example.com")
    db.session.commit()
    prefs, _ = urls(csrf_app, olga)
    client = csrf_app.test_client()
    page = client.get(prefs)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Reminders for Olga Owner" in html
    assert "Otto" not in html
    response = client.post(prefs, data={
        "csrf_token": form_token(html), "reminders": "y", "send_hour": "6",
        "timezone": "Europe/Berlin", "weekdays_only": "y", "pause_from": "2026-04-01",
        "pause_until": "2026-04-10"})
    assert response.status_code == 200 and "Saved." in response.get_data(as_text=True)
    saved = fresh(olga.id)
    assert (saved.send_hour, saved.timezone, saved.weekdays_only, saved.pause_until) == (
        6, "Europe/Berlin", True, date(2026, 4, 10))
    assert fresh(other.id).send_hour == 8  # nobody else's
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "person")
                               .order_by(AuditEvent.id.desc())).first()
    assert (event.via, event.actor_person_id, event.actor_user_id) == ("mail", olga.id, None)
    # nonsense is refused with the form, nothing saved
    bad = client.post(prefs, data={"csrf_token": form_token(html), "send_hour": "99",
                                   "timezone": "Mars/Olympus", "pause_from": "2026-05-10",
                                   "pause_until": "2026-05-01"})
    assert bad.status_code == 422
    assert fresh(olga.id).send_hour == 6
    # without the form's token the POST is refused (it is a form, not the one-click)
    assert client.post(prefs, data={"send_hour": "7"}).status_code == 400


def test_tampered_expired_and_orphaned_links(app):
    olga = make_person("Olga Owner", email="olga@example.com")
    db.session.commit()
    client = app.test_client()
    with time_machine.travel(datetime(2026, 1, 1, 12, 0), tick=False):
        prefs, unsubscribe = urls(app, olga)
    token = prefs.rsplit("/", 1)[1]
    assert client.get(prefs.replace(token, token[:-2] + "xx")).status_code == 400
    assert client.get("/mail/preferences/" + "a" * 600).status_code == 400
    # another link's token (a mark-done link) is not a preferences token
    item = make_item("Sign", owner_id=olga.id, due_date=date(2026, 1, 5))
    db.session.commit()
    action = links.make_token(app.config["SECRET_KEY"], item, "done", olga.id)
    assert client.get(f"/mail/preferences/{action}").status_code == 400
    with time_machine.travel(datetime(2026, 3, 31, 12, 0), tick=False):
        assert client.get(prefs).status_code == 200
    with time_machine.travel(datetime(2026, 4, 2, 12, 0), tick=False):
        assert client.get(prefs).status_code == 410
        assert client.post(unsubscribe).status_code == 410
    fresh_link, _ = urls(app, olga)
    db.session.delete(fresh(olga.id))
    db.session.commit()
    assert client.get(fresh_link).status_code == 404


def test_the_preferences_page_in_the_portal_still_needs_a_login(app):
    olga = make_person("Olga Owner", email="olga@example.com")
    db.session.commit()
    assert app.test_client().get(f"/people/{olga.id}/reminders").status_code == 302
    owner = make_user("owner")
    client = app.test_client()
    client.post("/login", data={"email": owner.email, "password": PASSWORD})
    assert client.get(f"/people/{olga.id}/reminders").status_code == 403
    assert client.get(f"/people/{owner.person_id}/reminders").status_code == 200


def test_one_click_unsubscribe_then_no_digest(csrf_app):
    olga = make_person("Olga Owner", email="olga@example.com")
    make_item("Sign the DPA", owner_id=olga.id, status="open", due_date=NOW.date())
    db.session.commit()
    _, unsubscribe = urls(csrf_app, olga)
    client = csrf_app.test_client()
    asked = client.get(unsubscribe)
    assert asked.status_code == 200 and "Stop reminder mails?" in asked.get_data(as_text=True)
    assert fresh(olga.id).reminders_off is False  # a GET only asks
    # RFC 8058: the mail client POSTs this body, with no session and no CSRF token
    done = client.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "Reminder mails are off" in done.get_data(as_text=True)
    assert fresh(olga.id).reminders_off is True
    result = outbox.run(db.session, csrf_app.config, NOW)
    assert result.planned == 0
    assert db.session.scalar(select(OutboxMessage.id).limit(1)) is None
    # the lead sees why: the item cannot be reminded
    from portal.reminders.policy import unremindable_items

    assert [i.title for i in unremindable_items(db.session)] == ["Sign the DPA"]


def test_reminders_back_on_from_the_preferences_link(csrf_app):
    olga = make_person("Olga Owner", email="olga@example.com", reminders_off=True)
    make_item("Sign the DPA", owner_id=olga.id, status="open", due_date=NOW.date())
    db.session.commit()
    prefs, _ = urls(csrf_app, olga)
    client = csrf_app.test_client()
    html = client.get(prefs).get_data(as_text=True)
    assert 'name="reminders"' in html and "checked" not in html.split('name="reminders"')[0][-80:]
    response = client.post(prefs, data={"csrf_token": form_token(html), "reminders": "y",
                                        "send_hour": "8"})
    assert response.status_code == 200
    assert fresh(olga.id).reminders_off is False
    assert outbox.run(db.session, csrf_app.config, NOW + timedelta(minutes=1)).planned == 1
