"""What is due for whom: the reminder policy as pure functions.

Nothing here touches the database except `load_settings`, `save_settings` and
`unremindable_items`; `due_points` takes plain values and `now`, so every rule of issue 6
(points, most urgent wins, send hour in the recipient's zone, weekdays only, pause,
overdue only, escalation) is tested without a request or a database.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.actions.models import ActionItem
from portal.actions.queries import Soonest
from portal.people.models import Person
from portal.vocab import OPEN_STATUSES

SETTINGS_KEY = "reminders.points"

# Kinds of points; the number after the colon says how many days before/after the due date.
BEFORE, DUE, OVERDUE, ESCALATION = "before", "due", "overdue", "escalation"


@dataclass(frozen=True)
class ReminderSettings:
    """The reminder points an admin configures (defaults of issue 6)."""

    days_before: tuple[int, ...] = (7, 2)
    on_due_date: bool = True
    overdue_first: int = 1
    overdue_every: int = 3
    escalate_after: int = 7  # 0 turns escalation off

    def as_json(self) -> dict:
        data = asdict(self)
        data["days_before"] = list(self.days_before)
        return data

    @classmethod
    def from_json(cls, data: dict | None) -> ReminderSettings:
        if not isinstance(data, dict):
            return cls()
        default = cls()
        try:
            days = tuple(sorted({int(d) for d in data.get("days_before", default.days_before)
                                 if int(d) > 0}, reverse=True))
            return cls(
                days_before=days,
                on_due_date=bool(data.get("on_due_date", default.on_due_date)),
                overdue_first=max(1, int(data.get("overdue_first", default.overdue_first))),
                overdue_every=max(1, int(data.get("overdue_every", default.overdue_every))),
                escalate_after=max(0, int(data.get("escalate_after", default.escalate_after))),
            )
        except (TypeError, ValueError):
            return default


@dataclass(frozen=True)
class Prefs:
    """A recipient's reminder preferences (from Person)."""

    person_id: int
    email: str | None
    name: str = ""
    timezone: str | None = None
    send_hour: int = 8
    weekdays_only: bool = False
    overdue_only: bool = False
    pause_from: date | None = None
    pause_until: date | None = None

    @classmethod
    def of(cls, person) -> Prefs:
        return cls(person_id=person.id, email=person.email, name=person.name,
                   timezone=person.timezone, send_hour=person.send_hour,
                   weekdays_only=person.weekdays_only, overdue_only=person.overdue_only,
                   pause_from=person.pause_from, pause_until=person.pause_until)


@dataclass(frozen=True)
class ItemInfo:
    """What the policy needs of an action item."""

    id: int
    status: str
    due_date: date | None
    owner_id: int | None
    lead_id: int | None = None


@dataclass(frozen=True)
class Point:
    """A reminder owed: item, kind, due date, recipient (the unique key of ReminderPoint)."""

    item_id: int
    kind: str
    due_date: date
    person_id: int

    @property
    def family(self) -> str:
        return self.kind.partition(":")[0]

    @property
    def key(self) -> tuple[int, str, date, int]:
        return (self.item_id, self.kind, self.due_date, self.person_id)


@dataclass
class Digest:
    """The points one recipient gets today, in one mail."""

    person_id: int
    local_date: date
    points: list[Point] = field(default_factory=list)

    @property
    def idempotency_key(self) -> str:
        return digest_key(self.person_id, self.local_date)


def digest_key(person_id: int, local_date: date) -> str:
    return f"digest:{person_id}:{local_date.isoformat()}"


def zone_for(timezone: str | None, default: str | None = None) -> ZoneInfo:
    """The recipient's zone: their own, else `default` (the program's), else UTC."""
    for name in (timezone, default):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def local_now(now: datetime, zone: ZoneInfo) -> datetime:
    """`now` (naive UTC, or aware) in `zone`."""
    aware = now if now.tzinfo else now.replace(tzinfo=UTC)
    return aware.astimezone(zone)


def point_kind(days_left: int, settings: ReminderSettings) -> str | None:
    """The most urgent point of an item that applies when it is due in `days_left` days
    (negative: late). Later points supersede earlier ones, so after an outage only the
    most urgent one goes out."""
    if days_left < 0:
        late = -days_left
        if late >= settings.overdue_first:
            steps = (late - settings.overdue_first) // settings.overdue_every
            return f"{OVERDUE}:{settings.overdue_first + steps * settings.overdue_every}"
        days_left = 0  # late, but before the first overdue point: the due-day point
    if days_left == 0:
        if settings.on_due_date:
            return f"{DUE}:0"
        return f"{BEFORE}:{min(settings.days_before)}" if settings.days_before else None
    applicable = [d for d in settings.days_before if d >= days_left]
    return f"{BEFORE}:{min(applicable)}" if applicable else None


def escalation_kind(days_left: int, settings: ReminderSettings) -> str | None:
    """The escalation point for the workstream lead, once an item is late long enough."""
    late = -days_left
    if not settings.escalate_after or late < settings.escalate_after:
        return None
    steps = (late - settings.escalate_after) // settings.overdue_every
    return f"{ESCALATION}:{settings.escalate_after + steps * settings.overdue_every}"


def is_overdue_kind(kind: str) -> bool:
    return kind.startswith((OVERDUE, ESCALATION))


def is_paused(prefs: Prefs, day: date) -> bool:
    if prefs.pause_from is None and prefs.pause_until is None:
        return False
    after_start = prefs.pause_from is None or day >= prefs.pause_from
    before_end = prefs.pause_until is None or day <= prefs.pause_until
    return after_start and before_end


def send_day(prefs: Prefs, now: datetime, default_tz: str | None) -> date | None:
    """The recipient's local date when their digest may go out at `now`: the send hour
    has passed there, it is not a weekend for a weekdays-only person, no pause. None
    otherwise."""
    local = local_now(now, zone_for(prefs.timezone, default_tz))
    day = local.date()
    if local.hour < prefs.send_hour:
        return None
    if prefs.weekdays_only and day.weekday() >= 5:
        return None
    if is_paused(prefs, day):
        return None
    return day


def _owner_kind(due: date, day: date, prefs: Prefs, settings: ReminderSettings) -> str | None:
    """The owner's point on `day`; for weekdays-only people on a Friday, the weekend's
    not-yet-overdue points come forward (overdue ones wait for Monday by themselves)."""
    kind = point_kind((due - day).days, settings)
    if prefs.weekdays_only and day.weekday() == 4 and (kind is None or not is_overdue_kind(kind)):
        for ahead in (1, 2):
            later = point_kind((due - (day + timedelta(days=ahead))).days, settings)
            if later is not None and not is_overdue_kind(later):
                kind = later
    return kind


def due_points(
    items: list[ItemInfo],
    people: dict[int, Prefs],
    settings: ReminderSettings,
    now: datetime,
    default_tz: str | None = None,
) -> dict[int, Digest]:
    """Which points are due for whom at `now`: one digest per recipient, holding for each
    item only its most urgent point (owner) and escalation (workstream lead)."""
    days: dict[int, date | None] = {}

    def day_of(person_id: int) -> date | None:
        if person_id not in days:
            prefs = people.get(person_id)
            days[person_id] = (send_day(prefs, now, default_tz)
                               if prefs is not None and prefs.email else None)
        return days[person_id]

    digests: dict[int, Digest] = {}

    def add(person_id: int, point: Point, day: date) -> None:
        digests.setdefault(person_id, Digest(person_id, day)).points.append(point)

    for item in items:
        if item.status not in OPEN_STATUSES or item.due_date is None or item.owner_id is None:
            continue
        owner_day = day_of(item.owner_id)
        if owner_day is not None:
            prefs = people[item.owner_id]
            kind = _owner_kind(item.due_date, owner_day, prefs, settings)
            if kind and not (prefs.overdue_only and not is_overdue_kind(kind)):
                add(item.owner_id, Point(item.id, kind, item.due_date, item.owner_id), owner_day)
        lead = item.lead_id
        if lead is not None and lead != item.owner_id:
            lead_day = day_of(lead)
            if lead_day is not None:
                kind = escalation_kind((item.due_date - lead_day).days, settings)
                if kind:
                    add(lead, Point(item.id, kind, item.due_date, lead), lead_day)
    return digests


def load_settings(session: Session) -> ReminderSettings:
    from portal.reminders.models import Setting

    row = session.get(Setting, SETTINGS_KEY)
    return ReminderSettings.from_json(row.value if row else None)


def save_settings(session: Session, settings: ReminderSettings) -> None:
    from portal.reminders.models import Setting

    row = session.get(Setting, SETTINGS_KEY)
    if row is None:
        session.add(Setting(key=SETTINGS_KEY, value=settings.as_json()))
    else:
        row.value = settings.as_json()


# Open items with a due date that no reminder can reach: no owner, or one without an
# email or with reminders turned off.
_UNREMINDABLE = sa.or_(
    ActionItem.owner_id.is_(None),
    ActionItem.owner_id.in_(sa.select(Person.id).where(sa.or_(
        Person.email.is_(None), Person.email == "", Person.reminders_off.is_(True)))))
_UNREMINDABLE_ITEMS = Soonest(_UNREMINDABLE, whole=True)
_UNREMINDABLE_ROWS = Soonest(_UNREMINDABLE)


def unremindable_items(session: Session, limit: int | None = None, *, whole: bool = True):
    """Open items with a due date whose owner has no email or unsubscribed (or no owner at
    all): they cannot be reminded. The `limit` due soonest (None: all), in one statement
    (`Soonest`): as items with their owner and workstream loaded (the outbox shows whether
    the owner turned reminders off), or with `whole=False` as the `ListedItem`s a list
    shows (the dashboard's)."""
    return (_UNREMINDABLE_ITEMS if whole else _UNREMINDABLE_ROWS)(session, limit)

