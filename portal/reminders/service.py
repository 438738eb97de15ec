"""Changes the reminder pages make: a person's preferences (from the portal or from a mail's
signed link) and calendar link, a retry of a message, a test mail, the reminder points.
Each takes a session and an `Actor`, audits in the same session, leaves the commit."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from portal.audit.log import Actor, diff, record, snapshot
from portal.errors import DomainError
from portal.reminders import calendar, outbox, policy
from portal.reminders.models import OutboxMessage

RETRYABLE = ("failed", "dead")


class NotRetryable(DomainError):
    """Only a failed or dead message can be tried again (409: it changed meanwhile)."""


class NoAddress(DomainError):
    """A test mail needs the address of the admin who asks for it (422)."""


PREF_FIELDS = ("send_hour", "timezone", "weekdays_only", "overdue_only", "pause_from",
               "pause_until", "reminders_off")


def set_preferences(session: Session, actor: Actor, person, values: dict[str, Any]) -> dict:
    """Sets the given preference fields (checked by the form); returns what changed."""
    before = snapshot(person, PREF_FIELDS)
    for field in PREF_FIELDS:
        if field in values:
            setattr(person, field, values[field])
    old, new = diff(before, snapshot(person, PREF_FIELDS))
    if new:
        what = ("Turned reminder mails off" if new.get("reminders_off") is True else
                "Turned reminder mails on" if set(new) == {"reminders_off"} else
                "Changed the reminder preferences")
        record(session, actor, "person", person.id, "update",
               summary=f"{what} of {person.name}", before=old, after=new)
    return new


def mail_actor(person) -> Actor:
    """The person acting through a signed link of their own mail."""
    return Actor(person_id=person.id, via="mail", name=person.name)


def regenerate_calendar_token(session: Session, actor: Actor, person) -> str:
    """A new secret calendar link for `person`; the old one stops working."""
    token = calendar.regenerate_token(session, person)
    record(session, actor, "person", person.id, "calendar_token",
           summary=f"Regenerated the calendar link of {person.name}")
    return token


def retry_message(session: Session, actor: Actor, message: OutboxMessage,
                  now: datetime) -> None:
    """Queues a failed or dead message for the next run."""
    if message.state not in RETRYABLE:
        raise NotRetryable("Only failed and dead messages can be retried.")
    before = snapshot(message, ("state", "attempts"))
    outbox.retry(session, message, now)
    old, new = diff(before, snapshot(message, ("state", "attempts")))
    record(session, actor, "outbox_message", message.id, "retry",
           summary=f"Queued the mail to {message.recipient} for another try",
           before=old, after=new)


def send_test_mail(session: Session, actor: Actor, config: Mapping, recipient: str | None,
                   now: datetime) -> OutboxMessage:
    """Sends a test mail to `recipient` at once, to check the mail settings; the message
    tells how it went (sent, logged without a mail server, or dead)."""
    if not recipient:
        raise NoAddress("Your login has no email address.")
    message = outbox.send_test_mail(session, config, recipient, now)
    record(session, actor, "outbox_message", None, "test_mail",
           summary=f"Test mail to {recipient}: {message.state}")
    return message


def save_settings(session: Session, actor: Actor,
                  settings: policy.ReminderSettings) -> policy.ReminderSettings:
    """Replaces the reminder points; they apply from the next run."""
    current = policy.load_settings(session)
    policy.save_settings(session, settings)
    record(session, actor, "setting", None, "update", summary="Changed the reminder points",
           before=current.as_json(), after=settings.as_json())
    return settings
