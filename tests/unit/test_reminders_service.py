"""The reminder pages' changes without a request: retry, test mail, reminder points, calendar
link, and who may edit preferences or have the program calendar."""
from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from portal.audit.log import Actor
from portal.audit.models import AuditEvent
from portal.auth.permissions import can_edit_preferences, can_see_program_calendar
from portal.reminders import calendar, policy, service
from portal.reminders.models import OutboxMessage
from tests.factories import make_person, make_user, make_workstream

ACTOR = Actor(user_id=None, name="tester", via="test")
NOW = datetime(2026, 3, 4, 9, 0)


def events(session, action):
    return list(session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def message(session, state, attempts=3):
    msg = OutboxMessage(idempotency_key=f"k-{state}", kind="test", recipient="a@example.com",
                        subject="s", text_body="t", html_body="", state=state,
                        attempts=attempts, next_attempt_at=NOW, created_at=NOW)
    session.add(msg)
    session.flush()
    return msg


def test_retry_queues_a_dead_message_and_audits_it(session):
    msg = message(session, "dead", attempts=8)
    service.retry_message(session, ACTOR, msg, NOW)
    assert (msg.state, msg.attempts, msg.next_attempt_at) == ("failed", 0, NOW)
    [event] = events(session, "retry")
    assert (event.entity_type, event.entity_id) == ("outbox_message", msg.id)
    assert event.before == {"state": "dead", "attempts": 8}
    assert event.after == {"state": "failed", "attempts": 0}


@pytest.mark.parametrize("state", ["sent", "pending", "logged", "obsolete"])
def test_retry_refuses_a_message_that_did_not_fail(session, state):
    msg = message(session, state)
    with pytest.raises(service.NotRetryable, match="Only failed and dead"):
        service.retry_message(session, ACTOR, msg, NOW)
    assert msg.state == state and events(session, "retry") == []


def test_test_mail_without_a_mail_server_is_logged_and_audited(app, session):
    msg = service.send_test_mail(session, ACTOR, {**app.config, "MAIL_SERVER": None},
                                 "admin@example.com", NOW)
    assert (msg.kind, msg.recipient, msg.state) == ("test", "admin@example.com", "logged")
    [event] = events(session, "test_mail")
    assert event.summary == "Test mail to admin@example.com: logged"


@pytest.mark.parametrize("recipient", [None, ""])
def test_test_mail_needs_an_address(app, session, recipient):
    with pytest.raises(service.NoAddress) as refused:
        service.send_test_mail(session, ACTOR, app.config, recipient, NOW)
    assert refused.value.message == "Your login has no email address."
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_save_settings_stores_the_points_and_audits_old_and_new(session):
    new = policy.ReminderSettings(days_before=(5,), on_due_date=False, overdue_first=2,
                                  overdue_every=4, escalate_after=0)
    service.save_settings(session, ACTOR, new)
    assert policy.load_settings(session) == new
    [event] = events(session, "update")
    assert event.entity_type == "setting"
    assert event.before == policy.ReminderSettings().as_json()
    assert event.after == new.as_json()


def test_regenerate_calendar_token_kills_the_old_link(session):
    person = make_person("Cal Endar")
    old = person.calendar_token
    token = service.regenerate_calendar_token(session, ACTOR, person)
    assert token != old and person.calendar_token == token
    assert calendar.find_person(session, old) is None
    assert calendar.find_person(session, token) is person
    [event] = events(session, "calendar_token")
    assert (event.entity_type, event.entity_id) == ("person", person.id)


def test_preferences_are_their_own_or_a_leads_to_edit(session):
    lead, admin = make_user("lead"), make_user("admin")
    owner, executive = make_user("owner"), make_user("executive")
    other = make_person("Somebody Else")
    for user in (lead, admin):
        assert can_edit_preferences(user, other)
    for user in (owner, executive):
        assert can_edit_preferences(user, user.person)
        assert not can_edit_preferences(user, other)
    owner.active = False
    assert not can_edit_preferences(owner, owner.person)
    assert not can_edit_preferences(None, other)


@pytest.mark.parametrize("role,allowed", [("lead", True), ("admin", True), ("owner", False),
                                          ("executive", False)])
def test_program_calendar_is_for_leads_by_login(session, role, allowed):
    user = make_user(role)
    assert can_see_program_calendar(user, leads_a_workstream=False) is allowed
    assert calendar.may_see_program(session, user.person) is allowed
    user.active = False
    assert not calendar.may_see_program(session, user.person)


def test_program_calendar_is_for_workstream_leads_without_a_login(session):
    person = make_person("Wanda Lead")
    assert not calendar.may_see_program(session, person)
    make_workstream(lead_id=person.id)
    assert can_see_program_calendar(None, leads_a_workstream=True)
    assert calendar.may_see_program(session, person)
