"""Scheduler jobs of the summary: the daily snapshot and the weekly executive digest.

Both run often and are idempotent, so the scheduler's time zone (UTC) does not matter
and a restart loses nothing: the snapshot job refreshes today's snapshot (in the
program's time zone) every hour, so the day's last run leaves its end-of-day figures; the
digest job looks every quarter of an hour whether it is Monday 08:00 or later in the
program's zone and queues the week's digest once (its idempotency key holds the ISO week).
"""
from __future__ import annotations

import logging
from datetime import datetime

from flask import Flask
from sqlalchemy.exc import IntegrityError

from portal.clock import utcnow
from portal.extensions import db
from portal.program.clock import program_today

log = logging.getLogger(__name__)


def snapshot_job(app: Flask, now: datetime | None = None) -> int:
    """Take (or refresh) today's snapshot."""
    from portal.summary.snapshots import take_snapshot

    with app.app_context():
        today = program_today(now or utcnow())
        try:
            rows = take_snapshot(db.session, today, today)
            db.session.commit()
        except IntegrityError:
            # Another scheduler wrote the same day at the same moment; theirs stands.
            db.session.rollback()
            return 0
        finally:
            db.session.remove()
        log.info("snapshot of %s: %d rows", today, rows)
        return rows


def weekly_digest_job(app: Flask, now: datetime | None = None) -> int:
    """Queue the weekly executive digest when it is due; returns the messages queued."""
    from portal.summary.digest import queue_weekly_digest

    with app.app_context():
        try:
            queued = queue_weekly_digest(db.session, app.config, now or utcnow())
            db.session.commit()
        finally:
            db.session.remove()
        if queued:
            log.info("weekly digest queued for %d recipients", queued)
        return queued
