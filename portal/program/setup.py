"""The program itself and its milestones: created when a team sets up the portal, edited
later. Domain functions: they take a session, an `Actor` and plain values, add their
audit events to the session and leave the commit to the caller.

The portal runs one program. Creating it takes a lock first (a table lock on PostgreSQL,
the write lock on SQLite), so two people setting it up at the same moment cannot make two.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from portal.audit.log import Actor, diff, record, snapshot
from portal.clock import known_zones, local_today, out_of_range
from portal.errors import Conflict, DomainError
from portal.program.models import GRACE_DAYS_MAX, MIN_SHARE_MAX, Milestone, Program

NAME_MAX = 200
DESCRIPTION_MAX = 2000
ZONE_MAX = 64
# Dates outside these are typing mistakes (9999-12-31), not plans.

PROGRAM_FIELDS = ("name", "target_date", "timezone", "description", "health_grace_days",
                  "health_min_share")
MILESTONE_FIELDS = ("name", "due_date", "description")


class SetupError(DomainError):
    """A change that cannot be made; `field` names the form field the message belongs to,
    `problems` holds every field's message when several are wrong at once."""

    def __init__(self, message: str, field: str | None = None,
                 problems: dict[str, str] | None = None):
        super().__init__(message, field)
        self.problems = problems or ({field: message} if field else {})


class ProgramExists(SetupError):
    """There is a program already; the portal runs one."""

    def __init__(self, program: Program):
        super().__init__(f"The portal already tracks the program {program.name!r} and runs "
                         "one program; change it on its program page instead.")
        self.program = program


class Stale(SetupError, Conflict):
    """The form started from an older version than the one stored: nothing was saved."""

    def __init__(self, what: str, current: Any):
        super().__init__(f"{what} was changed by someone else since you opened it. Nothing "
                         "was saved; the values saved now are shown beside yours.")
        self.current = current


@dataclass(frozen=True)
class ProgramValues:
    """The program's fields as given. The health rule's two settings are whole numbers or
    their text as typed; None leaves them as they are (a new program: the defaults)."""

    name: str
    target_date: date | None
    timezone: str
    description: str = ""
    health_grace_days: int | str | None = None
    health_min_share: int | str | None = None


@dataclass(frozen=True)
class MilestoneValues:
    name: str
    due_date: date | None
    description: str = ""


# --- checks -----------------------------------------------------------------------------

def _name(value: str | None, what: str) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise SetupError(f"Give the {what} a name.", "name")
    if len(name) > NAME_MAX:
        raise SetupError(f"Keep the name within {NAME_MAX} characters.", "name")
    return name


def _description(value: str | None) -> str:
    description = (value or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise SetupError(f"Keep the description within {DESCRIPTION_MAX} characters.",
                         "description")
    return description


def _date(value: date | None, field: str, what: str) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise SetupError(f"Give the {what} as a date (YYYY-MM-DD).", field)
    problem = out_of_range(value, what)
    if problem:
        raise SetupError(problem, field)
    return value


def _whole(value: int | str, field: str, high: int, what: str, unit: str) -> int:
    """A whole number from 0 to `high` (the health rule's settings), else SetupError."""
    text = str(value).strip()
    if text == "":
        raise SetupError(f"Give the {what}: a whole number from 0 to {high}{unit}.", field)
    try:
        number = int(text)
    except ValueError:
        raise SetupError(f"“{text[:20]}” is not a whole number; give the {what} from 0 to "
                         f"{high}{unit}.", field) from None
    if not 0 <= number <= high:
        raise SetupError(f"The {what} is from 0 to {high}{unit}; {number} is outside that.",
                         field)
    return number


def clean_grace_days(value: int | str) -> int:
    return _whole(value, "health_grace_days", GRACE_DAYS_MAX, "grace period", " days")


def clean_min_share(value: int | str) -> int:
    return _whole(value, "health_min_share", MIN_SHARE_MAX, "minimum share of late items",
                  " %")


def clean_zone(value: str | None) -> str:
    """An IANA zone name this machine knows (Europe/Berlin), else SetupError."""
    zone = (value or "").strip()
    if not zone:
        raise SetupError("Choose the program's time zone.", "timezone")
    if len(zone) > ZONE_MAX or zone not in known_zones():
        raise SetupError(f"{zone[:ZONE_MAX]!r} is not a time zone; choose one from the list "
                         "(for example Europe/Berlin).", "timezone")
    return zone


def _program_values(values: ProgramValues, *, saved_date: date | None = None,
                    now: datetime | None = None) -> dict[str, Any]:
    """The cleaned values, or SetupError with every problem at once. A readiness date
    given anew (a new program's, or one that changes `saved_date`) may not have passed,
    today in the program's zone; a saved one that has passed may stay."""
    checks = {"name": lambda: _name(values.name, "program"),
              "target_date": lambda: _date(values.target_date, "target_date", "readiness date"),
              "timezone": lambda: clean_zone(values.timezone),
              "description": lambda: _description(values.description)}
    if values.health_grace_days is not None:
        checks["health_grace_days"] = lambda: clean_grace_days(values.health_grace_days)
    if values.health_min_share is not None:
        checks["health_min_share"] = lambda: clean_min_share(values.health_min_share)
    cleaned, problems = {}, {}
    for field, check in checks.items():
        try:
            cleaned[field] = check()
        except SetupError as error:
            problems[field] = error.message
    if "target_date" in cleaned and cleaned["target_date"] != saved_date:
        zone = cleaned.get("timezone", "UTC")  # a zone that is refused too: judged in UTC
        today = local_today(zone, now)
        if cleaned["target_date"] < today:
            problems["target_date"] = (
                f"That date has passed (today is {today:%d %b %Y} in {zone}); choose the "
                "day the program must be ready by, today or later.")
    if problems:
        field, message = next(iter(problems.items()))
        raise SetupError(message, field, problems)
    return cleaned


def program_problems(values: ProgramValues, *, saved_date: date | None = None,
                     now: datetime | None = None) -> dict[str, str]:
    """Every problem of `values` by field, so a form can show them all at once (`saved_date`:
    the program's readiness date as saved, None for a new program)."""
    try:
        _program_values(values, saved_date=saved_date, now=now)
    except SetupError as error:
        return error.problems
    return {}


def _check_version(version: int | None, current: int, what: str, obj: Any) -> None:
    if version is None or version != current:
        raise Stale(what, obj)


# --- the program ------------------------------------------------------------------------

def current(session: Session) -> Program | None:
    """The program, without its collections (one statement)."""
    return session.scalar(select(Program).order_by(Program.id).limit(1))


def _lock_for_create(session: Session) -> None:
    """Serialises program creation until the transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE program IN SHARE ROW EXCLUSIVE MODE"))
    else:
        # SQLite: a write statement takes the database's single write lock (busy timeout).
        session.execute(update(Program).where(Program.id.is_(None)).values(name=Program.name),
                        execution_options={"synchronize_session": False})


def create_program(session: Session, actor: Actor, values: ProgramValues, *,
                   now: datetime | None = None) -> Program:
    """The program, once: refuses a second one (ProgramExists) and a readiness date before
    today in the program's zone."""
    cleaned = _program_values(values, now=now)
    _lock_for_create(session)
    existing = current(session)
    if existing is not None:
        raise ProgramExists(existing)
    program = Program(**cleaned)
    session.add(program)
    session.flush()
    record(session, actor, "program", program.id, "create",
           summary=f"Set up the program {program.name}",
           after=snapshot(program, PROGRAM_FIELDS))
    return program


def update_program(session: Session, actor: Actor, program: Program, values: ProgramValues,
                   *, version: int | None, now: datetime | None = None) -> bool:
    """Saves the program page; refuses a stale version (Stale) and a readiness date moved
    to a day that has passed. Returns whether anything changed."""
    _check_version(version, program.version, program.name, program)
    cleaned = _program_values(values, saved_date=program.target_date, now=now)
    before = snapshot(program, PROGRAM_FIELDS)
    for field, value in cleaned.items():
        setattr(program, field, value)
    old, new = diff(before, snapshot(program, PROGRAM_FIELDS))
    if not new:
        return False
    session.flush()  # the version column moves here
    record(session, actor, "program", program.id, "update",
           summary=f"Edited the program {program.name}: {', '.join(sorted(new))}",
           before=old, after=new | {"version": program.version})
    return True


# --- milestones ---------------------------------------------------------------------------

def _milestone_values(session: Session, program: Program, values: MilestoneValues,
                      exclude_id: int | None) -> dict[str, Any]:
    name = _name(values.name, "milestone")
    query = select(Milestone.id).where(Milestone.program_id == program.id,
                                       func.lower(Milestone.name) == name.lower())
    if exclude_id is not None:
        query = query.where(Milestone.id != exclude_id)
    if session.scalar(query.limit(1)) is not None:
        raise SetupError(f"There is a milestone named {name!r} already.", "name")
    return {"name": name, "due_date": _date(values.due_date, "due_date", "date"),
            "description": _description(values.description)}


def add_milestone(session: Session, actor: Actor, program: Program,
                  values: MilestoneValues) -> Milestone:
    cleaned = _milestone_values(session, program, values, None)
    milestone = Milestone(program_id=program.id, **cleaned)
    session.add(milestone)
    session.flush()
    record(session, actor, "milestone", milestone.id, "create",
           summary=f"Added the milestone {milestone.name} ({milestone.due_date.isoformat()})",
           after=snapshot(milestone, MILESTONE_FIELDS))
    return milestone


def update_milestone(session: Session, actor: Actor, milestone: Milestone,
                     values: MilestoneValues, *, version: int | None) -> bool:
    """Saves a milestone's form; refuses a stale version. Returns whether anything changed."""
    _check_version(version, milestone.version, f"The milestone {milestone.name}", milestone)
    cleaned = _milestone_values(session, milestone.program, values, milestone.id)
    before = snapshot(milestone, MILESTONE_FIELDS)
    for field, value in cleaned.items():
        setattr(milestone, field, value)
    old, new = diff(before, snapshot(milestone, MILESTONE_FIELDS))
    if not new:
        return False
    session.flush()
    record(session, actor, "milestone", milestone.id, "update",
           summary=f"Edited the milestone {milestone.name}: {', '.join(sorted(new))}",
           before=old, after=new | {"version": milestone.version})
    return True


def delete_milestone(session: Session, actor: Actor, milestone: Milestone, *,
                     version: int | None) -> None:
    """Removes a milestone; refuses when it changed since the page showed it."""
    _check_version(version, milestone.version, f"The milestone {milestone.name}", milestone)
    record(session, actor, "milestone", milestone.id, "delete",
           summary=f"Removed the milestone {milestone.name}",
           before=snapshot(milestone, MILESTONE_FIELDS))
    session.delete(milestone)
    session.flush()
