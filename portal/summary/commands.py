"""`flask snapshots take [--date D]` and `flask snapshots backfill`."""
from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from portal.extensions import db
from portal.program.clock import program_today

snapshots_cli = AppGroup("snapshots", help="Daily readiness snapshots for the summary's trend.")


def _day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD).", param_hint=name) \
            from None


@snapshots_cli.command("take")
@click.option("--date", "day_text", metavar="YYYY-MM-DD",
              help="The day to snapshot (default: today); a past day is rebuilt from the "
                   "audit log.")
def take_command(day_text: str | None) -> None:
    """Snapshot the readiness figures of one day; running it again replaces that day's."""
    from portal.summary.snapshots import take_snapshot

    today = program_today()
    day = _day(day_text, "--date") or today
    if day > today:
        raise click.ClickException(f"{day.isoformat()} is in the future; today is "
                                   f"{today.isoformat()}.")
    rows = take_snapshot(db.session, day, today)
    db.session.commit()
    if not rows:
        click.echo("No program yet; nothing to snapshot.")
    else:
        click.echo(f"Snapshot of {day.isoformat()}: {rows} rows (program and workstreams).")


@snapshots_cli.command("backfill")
@click.option("--from", "start_text", metavar="YYYY-MM-DD", help="First day (default: the "
              "first day the data knows, at most a year back).")
@click.option("--to", "end_text", metavar="YYYY-MM-DD", help="Last day (default: yesterday).")
@click.option("--overwrite", is_flag=True, help="Also rebuild days that have a snapshot.")
def backfill_command(start_text: str | None, end_text: str | None, overwrite: bool) -> None:
    """Rebuild the snapshots of past days from the audit log and the items' dates."""
    from portal.summary.snapshots import backfill

    today = program_today()
    start, end = _day(start_text, "--from"), _day(end_text, "--to")
    if start and end and start > end:
        raise click.ClickException("--from is after --to.")
    days = backfill(db.session, today, start=start, end=end, overwrite=overwrite)
    db.session.commit()
    if days:
        click.echo(f"Backfilled {len(days)} days, {days[0].isoformat()} to "
                   f"{days[-1].isoformat()}.")
    else:
        click.echo("Nothing to backfill: every day already has a snapshot.")
