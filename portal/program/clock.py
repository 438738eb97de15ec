"""The program's time zone and its today: what every page, job and command counts days in.

The zone is stored on the program. PORTAL_TIMEZONE is only the default for a new program
and the fallback while there is none.

Within an application context (a request, a job run, a command) the zone is read once,
the first time something asks, and kept for the rest of it: one small statement per
rendered page, whatever the data. The process also keeps the last zone it read, so a
page cache hit computes the date of its key without any statement (portal.pagecache). A
new zone is a write, which moves the data version: the next request renders again and
reads it.
"""
from __future__ import annotations

from datetime import date, datetime

from flask import Flask, current_app, g, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.clock import known_zones, local_today
from portal.extensions import db, read_rows
from portal.program.models import Program

_KEY = "program_zone"


_ZONE = select(Program.timezone).order_by(Program.id).limit(1)  # built once: every page asks


def zone_of(session: Session, default: str | None) -> str:
    """The program's zone, or `default` (then UTC) while there is no program: one statement.
    In an application context the answer is kept for the rest of it (`program_zone`)."""
    zone = read_rows(session, _ZONE).scalar()
    zone = zone or default or "UTC"
    if has_app_context():
        setattr(g, _KEY, zone)
        current_app.extensions[_KEY] = zone
    return zone


def program_zone() -> str:
    """The program's zone, read once per application context (and remembered by the
    process for the page cache)."""
    zone = g.get(_KEY)
    if zone is None:
        zone = zone_of(db.session, current_app.config["PORTAL_TIMEZONE"])
    return zone


def program_today(now: datetime | None = None) -> date:
    """Today (or the day of `now`, naive UTC) in the program's zone."""
    return local_today(program_zone(), now)


def viewer_zone(person) -> tuple[str, bool]:
    """The zone a person reads times in: their own (the one their reminders use) when they
    have set a known one, else the program's; and whether it is their own."""
    own = getattr(person, "timezone", None)
    if own and own in known_zones():
        return own, True
    return program_zone(), False


def last_read_zone(app: Flask) -> str:
    """The zone this process read last, without a statement (PORTAL_TIMEZONE before any)."""
    return app.extensions.get(_KEY) or app.config["PORTAL_TIMEZONE"]


def use_last_read_zone() -> None:
    """For pages rendered while the database cannot answer (the 503 page)."""
    setattr(g, _KEY, last_read_zone(current_app))


def _forget_zone(*_args) -> None:
    g.pop(_KEY, None)


def init_program_clock(app: Flask) -> None:
    """Each request reads the zone afresh, even when requests share an application context
    (as tests do)."""
    app.before_request(_forget_zone)
    app.teardown_request(_forget_zone)
