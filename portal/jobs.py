"""The APScheduler setup: explicit job ids, coalescing, a long misfire grace, so a restart
neither loses nor repeats a run. Jobs are added by the areas that own them."""
from __future__ import annotations

import logging
import os
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

log = logging.getLogger(__name__)

FIRST_RUN_DELAY = timedelta(seconds=30)
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 6 * 3600}

# (job id, "module:function" taking the app, trigger kwargs). Areas append here.
JOBS: list[tuple[str, str, dict]] = [
    ("reminders", "portal.reminders.jobs:run_reminders", {"trigger": "interval", "minutes": 15}),
    ("outbox", "portal.reminders.jobs:send_due_mail", {"trigger": "interval", "minutes": 1}),
    ("summary-snapshot", "portal.summary.jobs:snapshot_job", {"trigger": "cron", "minute": 50}),
    ("summary-weekly-digest", "portal.summary.jobs:weekly_digest_job",
     {"trigger": "cron", "minute": "*/15"}),
]


def _add_jobs(scheduler, app: Flask) -> None:
    from importlib import import_module

    from portal.observability import recorded

    for job_id, target, trigger in JOBS:
        module, _, name = target.partition(":")
        func = recorded(job_id, getattr(import_module(module), name))  # last run -> /metrics
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
