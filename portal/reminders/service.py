"""Changes to a person's reminder preferences, from the portal or from a mail's signed link.
Each takes a session and an `Actor`, audits in the same session, leaves the commit."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from portal.audit.log import Actor, diff, record, snapshot

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
