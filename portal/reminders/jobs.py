"""The scheduled reminder run: every 15 minutes, the same code as `flask reminders run`."""
from __future__ import annotations

import logging
from contextlib import contextmanager
from datetime import datetime

import sqlalchemy as sa
from flask import Flask

from portal.clock import utcnow
from portal.extensions import db

log = logging.getLogger("portal.reminders")

# pg_try_advisory_lock key: any constant the portal uses for nothing else ("REMINDER").
ADVISORY_LOCK_KEY = 0x52454D494E444552 & 0x7FFFFFFFFFFFFFFF


def run_reminders(app: Flask, now: datetime | None = None):
    """One tick. On PostgreSQL it first takes an advisory lock and skips when another
    scheduler holds it; the unique keys make even two racing runners harmless."""
    from portal.reminders.outbox import run

    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "postgresql":
            return _run(run, app, now)
        with engine.connect() as lock_connection:
            locked = lock_connection.execute(
                sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
            ).scalar()
            lock_connection.commit()
            if not locked:
                log.info("reminders: another scheduler holds the lock; skipping this tick")
                return None
            try:
                return _run(run, app, now)
            finally:
                lock_connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"),
                                        {"key": ADVISORY_LOCK_KEY})
                lock_connection.commit()


@contextmanager
def _job_session(failure: str):
    """A scheduled job's hold on the session: an error rolls back, is logged as `failure`
    and raised again; the session is released either way, ready for the next tick."""
    try:
        yield
    except Exception:
        db.session.rollback()
        log.exception(failure)
        raise
    finally:
        db.session.remove()


def _run(run, app: Flask, now: datetime | None):
    with _job_session("reminder run failed"):
        result = run(db.session, app.config, now or utcnow())
        log.info("reminders: %s", result.summary())
        return result


def send_due_mail(app: Flask, now: datetime | None = None):
    """Every minute: mails whose retry is due, or whose sender stopped before sending
    them (an invitation whose request died), go out. One UPDATE claims each message for
    one runner, so two schedulers never send the same mail."""
    from portal.reminders.outbox import send_due

    with app.app_context(), _job_session("sending due mail failed"):
        return send_due(db.session, app.config, now or utcnow())
