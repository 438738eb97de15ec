"""The outbox, preferences and settings pages: permissions per role, previews, retry,
test mail, and bad input on the forms."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.people.models import Person
from portal.reminders import outbox, policy
from portal.reminders.models import OutboxMessage
from tests.factories import PASSWORD, make_item, make_person, make_user, make_workstream
from tests.web.test_reminders_smtp import running_smtp_server

smtp_fixture = pytest.fixture(running_smtp_server, name="smtp_server")

NOW = datetime(2026, 3, 4, 9, 0)
HX = {"HX-Request": "true"}


def login(app, role, **kw):
    user = make_user(role, **kw)
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    return client, user


@pytest.fixture
def logged(app):
    owner = make_person("Mia Owner")
    nomail = make_person("Nora NoMail", email=None)
    ws = make_workstream(name="Compliance")
    make_item("Send <SOC2> pack", owner_id=owner.id, workstream_id=ws.id,
              due_date=NOW.date() + timedelta(days=2))
    make_item("Unreachable item", owner_id=nomail.id, due_date=NOW.date())
    db.session.commit()
    outbox.run(db.session, {**app.config, "MAIL_SERVER": None}, NOW)
    return db.session.scalars(sa.select(OutboxMessage)).one()


@pytest.mark.parametrize("role,status", [("admin", 200), ("lead", 200), ("owner", 403),
                                         ("executive", 403)])
def test_outbox_permissions_per_role(app, logged, role, status):
    client, _ = login(app, role)
    assert client.get("/outbox").status_code == status
    assert client.get(f"/outbox/{logged.id}").status_code == status
    assert client.get(f"/outbox/{logged.id}/preview.html").status_code == status
    assert client.post(f"/outbox/{logged.id}/retry").status_code in (
        {409} if status == 200 else {403})
    assert client.post("/outbox/test-mail").status_code in (
        {303} if role == "admin" else {403})
    assert client.get("/settings/reminders").status_code == (200 if role == "admin" else 403)


def test_outbox_lists_messages_by_state_and_unremindable_items(app, logged):
    client, _ = login(app, "lead")
    page = client.get("/outbox").get_data(as_text=True)
    assert logged.recipient in page and 'data-state="logged"' in page
    assert "1 action item needs you: 1 due within 7 days" in page
    assert "Unreachable item" in page and "Nora NoMail" in page
    assert logged.recipient not in client.get("/outbox?state=failed").get_data(as_text=True)
    assert client.get("/outbox?state=bogus&page=-4").status_code == 200
    fragment = client.get("/outbox?state=logged", headers=HX)
    assert fragment.status_code == 200
    body = fragment.get_data(as_text=True)
    assert 'id="messages"' in body and "<html" not in body
    assert [i.title for i in policy.unremindable_items(db.session)] == ["Unreachable item"]


def test_outbox_says_whether_the_reminder_run_runs(app, logged):
    """Without a scheduler nothing is ever planned: the page says so, and otherwise when
    the run last finished and whether it failed."""
    from portal.observability import record_last_run

    client, _ = login(app, "lead")
    page = client.get("/outbox").get_data(as_text=True)
    assert "The reminder run has never run" in page and "flask scheduler" in page
    record_last_run(app, "reminders", ok=True, seconds=0.2)
    page = client.get("/outbox").get_data(as_text=True)
    assert "never run" not in page and "it last ran" in page
    assert "<strong>failed</strong>" not in page
    record_last_run(app, "reminders", ok=False, seconds=0.2)
    assert "<strong>failed</strong>" in client.get("/outbox").get_data(as_text=True)


def test_outbox_escapes_the_titles_of_items_that_cannot_be_reminded(app, logged):
    make_item("Renew <SOC2> report", due_date=NOW.date())  # no owner: cannot be reminded
    db.session.commit()
    client, _ = login(app, "lead")
    page = client.get("/outbox").get_data(as_text=True)
    stuck = page[page.index('id="unremindable"'):]
    assert "Renew &lt;SOC2&gt; report" in stuck and "<SOC2>" not in page


def test_message_page_shows_points_and_a_sandboxed_preview(app, logged):
    client, _ = login(app, "lead")
    page = client.get(f"/outbox/{logged.id}").get_data(as_text=True)
    assert "Send &lt;SOC2&gt; pack" in page and "<SOC2>" not in page
    assert "sandbox" in page and f"/outbox/{logged.id}/preview.html" in page
    preview = client.get(f"/outbox/{logged.id}/preview.html")
    assert "style-src 'unsafe-inline'" in preview.headers["Content-Security-Policy"]
    assert "script-src" not in preview.headers["Content-Security-Policy"]
    assert "Send &lt;SOC2&gt; pack" in preview.get_data(as_text=True)
    assert client.get("/outbox/999999").status_code == 404


def test_retry_queues_a_dead_message(app, logged):
    logged.state, logged.attempts = "dead", 8
    db.session.commit()
    client, _ = login(app, "lead")
    assert "Retry" in client.get("/outbox").get_data(as_text=True)
    response = client.post(f"/outbox/{logged.id}/retry")
    assert response.status_code == 303
    db.session.expire_all()
    assert (logged.state, logged.attempts) == ("failed", 0)
    htmx = client.post(f"/outbox/{logged.id}/retry", headers=HX)
    assert htmx.status_code == 204 and htmx.headers["HX-Redirect"].endswith(f"/outbox/{logged.id}")


def test_admin_test_mail_goes_through_smtp(app_factory, smtp_server):
    app = app_factory(**smtp_server.config())
    with app.app_context():
        client, user = login(app, "admin")
        response = client.post("/outbox/test-mail")
        assert response.status_code == 303
        smtp_server.wait_for(1)
        assert [m["To"] for m in smtp_server.messages] == [user.email]
        assert db.session.scalars(sa.select(OutboxMessage.state)).all() == ["sent"]


def test_preferences_are_editable_by_the_person_and_leads_only(app):
    client, user = login(app, "owner")
    other = make_person("Someone Else")
    db.session.commit()
    assert client.get(f"/people/{user.person_id}/reminders").status_code == 200
    assert client.get(f"/people/{other.id}/reminders").status_code == 403
    assert client.post(f"/people/{other.id}/reminders", data={"send_hour": "9"}).status_code == 403
    lead, _ = login(app, "lead")
    assert lead.get(f"/people/{other.id}/reminders").status_code == 200
    executive, _ = login(app, "executive")
    assert executive.get(f"/people/{other.id}/reminders").status_code == 403
    assert lead.get("/people/999999/reminders").status_code == 404


def test_preferences_save(app):
    client, user = login(app, "owner")
    response = client.post(f"/people/{user.person_id}/reminders", data={
        "send_hour": "7", "timezone": "Asia/Tokyo", "weekdays_only": "y",
        "pause_from": "2026-03-01", "pause_until": "2026-03-05"})
    assert response.status_code == 303
    person = db.session.get(Person, user.person_id)
    db.session.refresh(person)
    assert (person.send_hour, person.timezone, person.weekdays_only, person.overdue_only) == \
        (7, "Asia/Tokyo", True, False)
    assert (person.pause_from, person.pause_until) == (date(2026, 3, 1), date(2026, 3, 5))


@pytest.mark.parametrize("data,message", [
    ({"send_hour": "24"}, "Choose an hour"),
    ({"send_hour": "abc"}, "Choose an hour"),
    ({"send_hour": "8", "timezone": "Mars/Olympus"}, "Unknown time zone"),
    ({"send_hour": "8", "timezone": "x" * 500}, "Unknown time zone"),
    ({"send_hour": "8", "pause_from": "2026-03-05", "pause_until": "2026-03-01"},
     "on or after"),
    ({"send_hour": "8", "pause_from": "not-a-date"}, "is not a date; use YYYY-MM-DD."),
    ({"send_hour": "8", "pause_until": "9999-12-31"}, "Choose a date between 2000 and 2099."),
])
def test_preferences_refuse_bad_input(app, data, message):
    client, user = login(app, "owner")
    for headers in ({}, HX):
        response = client.post(f"/people/{user.person_id}/reminders", data=data, headers=headers)
        assert response.status_code == 422
        body = response.get_data(as_text=True)
        assert message in body
        assert ("<html" in body) == (headers == {})
    person = db.session.get(Person, user.person_id)
    db.session.refresh(person)
    assert (person.send_hour, person.timezone, person.pause_from) == (8, None, None)


def test_settings_save_and_apply(app):
    client, _ = login(app, "admin")
    page = client.get("/settings/reminders").get_data(as_text=True)
    assert 'value="7, 2"' in page
    response = client.post("/settings/reminders", data={
        "days_before": "14, 3,3", "on_due_date": "y", "overdue_first": "2",
        "overdue_every": "5", "escalate_after": "10"})
    assert response.status_code == 303
    saved = policy.load_settings(db.session)
    assert saved == policy.ReminderSettings((14, 3), True, 2, 5, 10)
    htmx = client.post("/settings/reminders", headers=HX, data={
        "days_before": "", "overdue_first": "1", "overdue_every": "1", "escalate_after": "0"})
    assert htmx.status_code == 204 and "HX-Redirect" in htmx.headers
    assert policy.load_settings(db.session).days_before == ()


@pytest.mark.parametrize("data,message", [
    ({"days_before": "7, two", "overdue_first": "1", "overdue_every": "3",
      "escalate_after": "7"}, "Whole numbers"),
    ({"days_before": "0", "overdue_first": "1", "overdue_every": "3",
      "escalate_after": "7"}, "Whole numbers"),
    ({"days_before": "7", "overdue_first": "0", "overdue_every": "3",
      "escalate_after": "7"}, "between 1 and 60"),
    ({"days_before": "7", "overdue_first": "1", "overdue_every": "x",
      "escalate_after": "7"}, "Not a valid integer"),
    ({"days_before": "7", "overdue_first": "1", "overdue_every": "3"}, "required"),
    ({"days_before": ",".join(["1"] * 40), "overdue_first": "1", "overdue_every": "3",
      "escalate_after": "7"}, "Field cannot be longer"),
])
def test_settings_refuse_bad_input(app, data, message):
    client, _ = login(app, "admin")
    for headers in ({}, HX):
        response = client.post("/settings/reminders", data=data, headers=headers)
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    assert policy.load_settings(db.session) == policy.ReminderSettings()


def test_outbox_page_query_count_does_not_grow(app, query_counter):
    client, _ = login(app, "lead")
    person = make_person("Many")
    for i in range(3):
        make_item(f"Stuck {i}", owner_id=make_person(f"NoMail {i}", email=None).id,
                  due_date=NOW.date())
        db.session.add(OutboxMessage(idempotency_key=f"k{i}", recipient=person.email,
                                     person_id=person.id, state="logged"))
    db.session.commit()
    with query_counter() as few:
        client.get("/outbox")
    for i in range(3, 60):
        make_item(f"Stuck {i}", owner_id=make_person(f"NoMail {i}", email=None).id,
                  due_date=NOW.date())
        db.session.add(OutboxMessage(idempotency_key=f"k{i}", recipient=person.email,
                                     person_id=person.id, state="logged"))
    db.session.commit()
    with query_counter() as many:
        assert client.get("/outbox").status_code == 200
    assert len(many) == len(few)
