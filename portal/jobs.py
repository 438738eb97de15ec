"""The APScheduler setup: explicit job ids, coalescing, a long misfire grace, so a restart
neither loses nor repeats a run. `JOBS` lists every area's jobs."""
from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from portal.actions.tally import compact_job
from portal.config import refresh_statistics
from portal.extensions import db
from portal.observability import recorded
from portal.reminders.jobs import run_reminders, send_due_mail
from portal.summary.jobs import snapshot_job, weekly_digest_job

log = logging.getLogger(__name__)

FIRST_RUN_DELAY = timedelta(seconds=30)
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 6 * 3600}



def statistics_job(app: Flask) -> bool:
    """The planner's statistics brought up to date (`refresh_statistics`): the data a team
    enters changes what its plans should be."""
    with app.app_context():
        return refresh_statistics(db.engine)


# (job id, function taking the app, trigger kwargs): every scheduled job of every area.
JOBS: list[tuple[str, Callable[[Flask], object], dict]] = [
    ("reminders", run_reminders, {"trigger": "interval", "minutes": 15}),
    ("outbox", send_due_mail, {"trigger": "interval", "minutes": 1}),
    ("summary-snapshot", snapshot_job, {"trigger": "cron", "minute": 50}),
    ("summary-weekly-digest", weekly_digest_job, {"trigger": "cron", "minute": "*/15"}),
    ("item-tally", compact_job, {"trigger": "interval", "minutes": 10}),
    ("planner-statistics", statistics_job, {"trigger": "interval", "hours": 6}),
]


def _add_jobs(scheduler, app: Flask) -> None:
    for job_id, job, trigger in JOBS:
        func = recorded(job_id, job)  # last run -> /metrics
        if os.environ.get("PORTAL_SCHEDULER_INTERVAL_SECONDS"):  # tests: every job, often
            trigger = {"trigger": "interval",
                       "seconds": float(os.environ["PORTAL_SCHEDULER_INTERVAL_SECONDS"])}
        elif trigger["trigger"] == "interval":
            # First run soon after a start, not a whole interval later.
            trigger = {**trigger, "next_run_time": datetime.now(UTC) + FIRST_RUN_DELAY}
        scheduler.add_job(func, id=job_id, name=job_id, args=[app], replace_existing=True,
                          **trigger)


def start_background_scheduler(app: Flask) -> BackgroundScheduler:
    """Runs the jobs in a thread of this process (the one-machine setup)."""
    scheduler = BackgroundScheduler(job_defaults=JOB_DEFAULTS, timezone="UTC")
    _add_jobs(scheduler, app)
    scheduler.start()
    log.info("scheduler started in the web process with %d jobs", len(JOBS))
    return scheduler


def run_blocking_scheduler(app: Flask) -> None:
    """Runs the jobs in the foreground: `flask scheduler`, the production way."""
    scheduler = BlockingScheduler(job_defaults=JOB_DEFAULTS, timezone="UTC")
    _add_jobs(scheduler, app)
    log.info("scheduler running with %d jobs", len(JOBS))
    scheduler.start()
