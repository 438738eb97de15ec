"""The weekly executive digest: what changed since last week, and the headline.

Due on Monday from 08:00 in the program's time zone. One message per executive per ISO week,
through the reminders' outbox: the row is inserted with the idempotency key
`weekly:<program id>:<ISO week>:<user id>` "on conflict do nothing", and only the runner
whose insert won sends it, so a second scheduler or a restart never sends it twice.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.auth.models import User
from portal.clock import local_today
from portal.pocs.models import Customer, Hyperscaler, Poc
from portal.program.clock import zone_of
from portal.program.models import Program
from portal.program.readiness import program_readiness
from portal.reminders.models import OutboxMessage
from portal.summary.history import History
from portal.summary.outlook import outlook
from portal.summary.report import build_summary
from portal.vocab import OPEN_STATUSES

SEND_WEEKDAY = 0  # Monday
SEND_HOUR = 8
LIST_LIMIT = 15


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def is_due(now: datetime, timezone: str) -> bool:
    """Monday, 08:00 or later, in `timezone` (`now` is naive UTC)."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):  # unknown: UTC, as local_today does
        zone = ZoneInfo("UTC")
    local = now.replace(tzinfo=UTC).astimezone(zone)
    return local.weekday() == SEND_WEEKDAY and local.hour >= SEND_HOUR


def weekly_changes(session: Session, today: date, forecast_weeks: int = 8) -> dict | None:
    """The headline today and what changed in the seven days before it, the forecast
    included (as it stood a week ago: from the history up to then)."""
    summary = build_summary(session, today, forecast_weeks=forecast_weeks)
    if summary is None:
        return None
    week_ago = today - timedelta(days=7)
    program = session.get(Program, summary.program.id)
    forecast_before = outlook(session, program, week_ago, forecast_weeks).program
    history = History.load(session, summary.program.id)
    before_items = {i.id: i for i in history.items_on(week_ago)}
    now_items = history.items_on(today)
    before_figures = history.figures_on(week_ago, list(before_items.values()))
    before = {f.workstream_id: f for f in before_figures}
    before_overall = program_readiness(before_figures)

    rag_changes = []
    for row in summary.gating + summary.other_workstreams:
        old = before.get(row.workstream_id)
        if old is not None and old.effective_rag != row.effective_rag:
            rag_changes.append({"workstream": row.name, "before": old.effective_rag,
                                "after": row.effective_rag, "gating": row.gating,
                                "note": row.latest_note.text if row.latest_note else None})
    names = {row.workstream_id: row.name for row in summary.gating + summary.other_workstreams}

    def item(i):
        return {"id": i.id, "title": i.title, "owner": i.owner, "due_date": i.due_date,
                "workstream": names.get(i.workstream_id)}

    done = [item(i) for i in now_items if i.status == "done"
            and (i.id not in before_items or before_items[i.id].status != "done")]

    def overdue(i, day):
        return i is not None and i.status in OPEN_STATUSES and i.due_date is not None \
            and i.due_date < day

    newly_overdue = [item(i) for i in sorted(now_items, key=lambda i: (i.due_date or today, i.id))
                     if overdue(i, today) and not overdue(before_items.get(i.id), week_ago)]

    then_stages = history.poc_stages_on(week_ago)
    poc_rows = session.execute(
        select(Poc.id, Poc.stage, Customer.name, Hyperscaler.name)
        .join(Customer, Customer.id == Poc.customer_id)
        .join(Hyperscaler, Hyperscaler.id == Poc.hyperscaler_id)
        .order_by(Hyperscaler.rank, Poc.position)
    ).all()
    poc_changes = [{"customer": customer, "hyperscaler": scaler, "before": then_stages.get(pid),
                    "after": stage}
                   for pid, stage, customer, scaler in poc_rows
                   if then_stages.get(pid) not in (None, stage)]
    return {
        "summary": summary,
        "forecast": summary.forecast.program,
        "forecast_before": forecast_before,
        "week": iso_week(today),
        "since": week_ago,
        "score_before": round(before_overall.score, 4),
        "percent_before": before_overall.percent,
        "rag_before": before_overall.rag,
        "rag_changes": rag_changes,
        "done": done,
        "newly_overdue": newly_overdue,
        "poc_changes": poc_changes,
        "limit": LIST_LIMIT,
    }


def render_weekly_digest(config, changes: dict) -> tuple[str, str, str]:
    """(subject, text, html) of the digest."""
    h = changes["summary"].headline
    program = changes["summary"].program.name
    subject = (f"{program}: {h.verdict}, {h.percent}% ready, "
               f"{h.days_left} days left (week {changes['week'][-2:]})")
    context = {"c": changes, "s": changes["summary"], "h": h, "subject": subject,
               "base_url": config["PORTAL_BASE_URL"]}
    return (subject, render_template("emails/weekly_digest.txt", **context),
            render_template("emails/weekly_digest.html", **context))


def _insert_message(session: Session, row: dict) -> int | None:
    """INSERT ... ON CONFLICT DO NOTHING; the new id, or None when it existed already."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(OutboxMessage).values(**row).on_conflict_do_nothing().returning(OutboxMessage.id)
    return session.execute(stmt).scalar()


def recipients(session: Session) -> list[User]:
    return list(session.scalars(
        select(User).where(User.role == "executive", User.active.is_(True)).order_by(User.id)))


def queue_weekly_digest(session: Session, config, now: datetime, *, force: bool = False) -> int:
    """Queue and send this week's digest when due (or `force`); returns messages queued.

    `now` is naive UTC. Each executive gets one message per ISO week, whatever the number
    of runs. The caller commits.
    """
    timezone = zone_of(session, config.get("PORTAL_TIMEZONE"))
    if not force and not is_due(now, timezone):
        return 0
    people = recipients(session)
    if not people:
        return 0
    today = local_today(timezone, now)
    changes = weekly_changes(session, today, config.get("PORTAL_FORECAST_WEEKS", 8))
    if changes is None:
        return 0
    subject, text, html = render_weekly_digest(config, changes)
    program_id = changes["summary"].program.id
    won = []
    for user in people:
        message_id = _insert_message(session, {
            "idempotency_key": f"weekly:{program_id}:{changes['week']}:{user.id}",
            "kind": "weekly", "person_id": user.person_id, "recipient": user.email,
            "subject": subject[:300], "text_body": text, "html_body": html,
            "state": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now,
        })
        if message_id is not None:
            won.append(message_id)
    if won:
        _send(session, config, won, now)
    return len(won)


def _send(session: Session, config, ids: list[int], now: datetime) -> None:
    """Sends the messages this runner inserted, through the reminders' mailer: `sent`, or
    `logged` when no SMTP server is configured (the outbox page shows them)."""
    from portal.reminders.mailer import Mailer
    from portal.reminders.outbox import RunResult, attempt

    session.flush()
    messages = list(session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids))))
    with Mailer(config) as mailer:
        for message in messages:
            message.attempts += 1
            attempt(message, mailer, config, now, RunResult())
