"""`flask reminders run [--now ISO-8601] [--dry-run]`."""
from __future__ import annotations

from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup

from portal.clock import utcnow
from portal.extensions import db

reminders_cli = AppGroup("reminders", help="Plan and send reminder mails.")


def parse_now(value: str | None) -> datetime:
    """An ISO-8601 moment as naive UTC (a value without offset is taken as UTC)."""
    if not value:
        return utcnow()
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise click.BadParameter(f"not an ISO-8601 date and time: {value!r}") from error
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


@reminders_cli.command("run")
@click.option("--now", "now_text", metavar="ISO-8601",
              help="The clock for this run (send hours, backoff); default: now.")
@click.option("--dry-run", is_flag=True, help="Print what would go out; write nothing.")
def run_command(now_text: str | None, dry_run: bool) -> None:
    """Plan and send due reminders once, then exit."""
    from portal.reminders.outbox import run

    now = parse_now(now_text)
    result = run(db.session, current_app.config, now, dry_run=dry_run)
    for line in result.lines:
        click.echo(line)
    prefix = "dry run, nothing written: " if dry_run else ""
    click.echo(f"{prefix}{result.summary()}")
