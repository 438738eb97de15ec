"""Calendar feeds (iCalendar, through the icalendar library): a person's open items with
due dates as all-day events with an alarm, and a program calendar for leads. A repeating
item (Obsidian Tasks' 🔁 rule) repeats in the feed when its rule maps onto an RRULE."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import sqlalchemy as sa
from icalendar import Alarm, Calendar, Event
from sqlalchemy.orm import Session, joinedload

from portal.auth.permissions import can_see_program_calendar
from portal.vocab import OPEN_STATUSES

PRODID = "-//Readiness Portal//Reminders//EN"
# The alarm rings at 09:00 the day before an all-day event.
ALARM_BEFORE = timedelta(hours=-15)


_WEEKDAYS = {"monday": "MO", "tuesday": "TU", "wednesday": "WE", "thursday": "TH",
             "friday": "FR", "saturday": "SA", "sunday": "SU"}
_DAY = "(?:" + "|".join(_WEEKDAYS) + ")"
_RULE = re.compile(
    r"every(?:\s+(?P<n>[1-9][0-9]{0,2}))?\s+(?P<unit>day|week|month|year)s?"
    r"(?:\s+on\s+(?P<days>" + _DAY + r"(?:\s*(?:,|and|,\s*and)\s*" + _DAY + r")*))?",
    re.IGNORECASE,
)


def recurrence_rule(text: str | None) -> dict | None:
    """The RRULE for an Obsidian Tasks rule that maps onto one: ``every day|week|month|
    year``, ``every N weeks``, ``every week on Friday`` (several days too). Rules that do
    not (``when done``, ``every month on the 2nd Wednesday``) give None."""
    match = _RULE.fullmatch(" ".join((text or "").split()))
    if not match or (match.group("days") and match.group("unit").lower() != "week"):
        return None
    rule: dict = {"freq": {"day": "daily", "week": "weekly", "month": "monthly",
                           "year": "yearly"}[match.group("unit").lower()]}
    if match.group("n") and int(match.group("n")) > 1:
        rule["interval"] = int(match.group("n"))
    if match.group("days"):
        days = re.findall(_DAY, match.group("days"), re.IGNORECASE)
        rule["byday"] = list(dict.fromkeys(_WEEKDAYS[day.lower()] for day in days))
    return rule


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    return cal


def _item_event(item, base_url: str, now: datetime, with_alarm: bool = True) -> Event:
    event = Event()
    event.add("uid", f"action-item-{item.id}@readiness-portal")
    event.add("dtstamp", now)
    event.add("summary", item.title)
    event.add("dtstart", item.due_date)
    event.add("dtend", item.due_date + timedelta(days=1))
    details = [f"Status: {item.status.replace('_', ' ')}"]
    if item.workstream is not None:
        details.append(f"Workstream: {item.workstream.name}")
    if item.owner is not None:
        details.append(f"Owner: {item.owner.name}")
    if item.recurrence:
        rule = recurrence_rule(item.recurrence)
        if rule is not None:
            event.add("rrule", rule)
            details.append(f"Repeats: {item.recurrence}")
        else:
            details.append(f"Repeats: {item.recurrence} (not as a calendar rule: shown once)")
    url = f"{base_url}/actions/{item.id}"
    details.append(url)
    event.add("description", "\n".join(details))
    event.add("url", url)
    event.add("transp", "TRANSPARENT")
    if with_alarm:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"Due tomorrow: {item.title}")
        alarm.add("trigger", ALARM_BEFORE)
        event.add_component(alarm)
    return event


def _open_items(session: Session, *conditions):
    from portal.actions.models import ActionItem

    return session.scalars(
        sa.select(ActionItem)
        .where(ActionItem.status.in_(OPEN_STATUSES), ActionItem.due_date.is_not(None),
               *conditions)
        .options(joinedload(ActionItem.workstream), joinedload(ActionItem.owner))
        .order_by(ActionItem.due_date, ActionItem.id)
    ).all()


def person_calendar(session: Session, person, base_url: str, now: datetime) -> bytes:
    """The open items of `person` with a due date (two queries at most)."""
    from portal.actions.models import ActionItem

    cal = _calendar(f"Action items: {person.name}")
    for item in _open_items(session, ActionItem.owner_id == person.id):
        cal.add_component(_item_event(item, base_url, now))
    return cal.to_ical()


def program_calendar(session: Session, base_url: str, now: datetime) -> bytes:
    """Milestones and every open item's due date, for leads."""
    from portal.program.models import Milestone

    cal = _calendar("Readiness program")
    for milestone in session.scalars(sa.select(Milestone).order_by(Milestone.due_date)):
        event = Event()
        event.add("uid", f"milestone-{milestone.id}@readiness-portal")
        event.add("dtstamp", now)
        event.add("summary", f"Milestone: {milestone.name}")
        event.add("dtstart", milestone.due_date)
        event.add("dtend", milestone.due_date + timedelta(days=1))
        if milestone.description:
            event.add("description", milestone.description)
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    for item in _open_items(session):
        cal.add_component(_item_event(item, base_url, now, with_alarm=False))
    return cal.to_ical()


def find_person(session: Session, token: str):
    """The Person whose calendar token this is, or None (also when their login is
    deactivated: the feed dies with it)."""
    from portal.auth.models import deactivated_login
    from portal.people.models import Person

    if not token or len(token) > 64:
        return None
    return session.scalar(sa.select(Person).where(Person.calendar_token == token,
                                                  ~deactivated_login(Person.id)))


def regenerate_token(session: Session, person) -> str:
    """A fresh token; the old feed URL stops working (no commit)."""
    from portal.people.models import new_calendar_token

    person.calendar_token = new_calendar_token()
    return person.calendar_token


def may_see_program(session: Session, person) -> bool:
    """Whether `person` may have the program calendar (the rule is
    `portal.auth.permissions.can_see_program_calendar`)."""
    from portal.auth.models import User
    from portal.program.models import Workstream

    leads = bool(session.scalar(sa.select(sa.func.count()).select_from(Workstream)
                                .where(Workstream.lead_id == person.id)))
    login = None if leads else session.scalar(sa.select(User).where(User.person_id == person.id))
    return can_see_program_calendar(login, leads)
