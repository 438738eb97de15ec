"""Planning and delivery: reminder points and digests, exactly once.

A run (1) plans: computes what is due (policy.due_points), inserts one message per
recipient per local day (key `digest:<person>:<date>`) and its points with "on conflict
do nothing"; a runner sends only the messages whose insert it won. (2) delivers: claims
its new messages and the failed ones whose backoff ran out with one UPDATE, re-renders
each without the items closed meanwhile (`obsolete` when none is left), and sends them
over one SMTP connection. Everything is set-based: a fixed number of queries for the
plan, and a few per batch of messages, whatever the number of items.
"""
from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import render_template
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, joinedload, selectinload

from portal.auth.models import deactivated_login
from portal.reminders import links, policy
from portal.reminders.mailer import Mailer, MailError, build_message
from portal.reminders.models import OutboxMessage, ReminderPoint
from portal.vocab import OPEN_STATUSES

log = logging.getLogger("portal.reminders")

MAX_ATTEMPTS = 8
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=6)
# A runner that inserted or claimed a message holds it this long before another may retry.
LEASE = timedelta(hours=1)
BATCH = 25
CHUNK = 500


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt after `attempts` failed ones: 1 min doubling, <= 6 h."""
    return min(FIRST_BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


@dataclass
class RunResult:
    planned: int = 0
    messages: int = 0
    sent: int = 0
    failed: int = 0
    dead: int = 0
    logged: int = 0
    obsolete: int = 0
    skipped: int = 0
    lines: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"points planned: {self.planned}, messages sent: {self.sent}, "
                f"failed: {self.failed + self.dead}, logged: {self.logged}, "
                f"skipped: {self.skipped + self.obsolete}")


# ---------------------------------------------------------------- planning


def _candidates(session: Session, settings: policy.ReminderSettings, now: datetime):
    """Open items with an owner and a due date near or past, with their workstream's lead;
    the people who may receive mail (an address, not unsubscribed, not deactivated). Two
    queries."""
    from portal.actions.models import ActionItem
    from portal.people.models import Person
    from portal.program.models import Workstream

    horizon = now.date() + timedelta(days=max(settings.days_before, default=0) + 3)
    rows = session.execute(
        sa.select(ActionItem.id, ActionItem.status, ActionItem.due_date, ActionItem.owner_id,
                  Workstream.lead_id)
        .outerjoin(Workstream, Workstream.id == ActionItem.workstream_id)
        .where(ActionItem.status.in_(OPEN_STATUSES), ActionItem.due_date.is_not(None),
               ActionItem.owner_id.is_not(None), ActionItem.due_date <= horizon)
    ).all()
    items = [policy.ItemInfo(*row) for row in rows]
    people = {p.id: policy.Prefs.of(p) for p in session.scalars(
        sa.select(Person).where(Person.email.is_not(None), Person.email != "",
                                Person.reminders_off.is_(False), ~deactivated_login(Person.id)))}
    return items, people


def _existing_point_keys(session: Session) -> set[tuple]:
    """Keys of points already planned for the current due dates of open items (one query)."""
    from portal.actions.models import ActionItem

    rows = session.execute(
        sa.select(ReminderPoint.action_item_id, ReminderPoint.kind, ReminderPoint.due_date,
                  ReminderPoint.person_id)
        .join(ActionItem, sa.and_(ActionItem.id == ReminderPoint.action_item_id,
                                  ActionItem.due_date == ReminderPoint.due_date))
        .where(ActionItem.status.in_(OPEN_STATUSES))
    ).all()
    return {tuple(row) for row in rows}


def _insert(session: Session, model, rows: list[dict], returning):
    """INSERT ... ON CONFLICT DO NOTHING RETURNING, by dialect; the rows this runner won."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    won = []
    for start in range(0, len(rows), CHUNK):
        stmt = insert(model).values(rows[start:start + CHUNK]).on_conflict_do_nothing()
        won.extend(session.execute(stmt.returning(*returning)).all())
    return won


def _taken_keys(session: Session, keys: list[str]) -> set[str]:
    """The digest keys that already have a message (today's digest went out already)."""
    taken = set()
    for start in range(0, len(keys), CHUNK):
        taken.update(session.scalars(sa.select(OutboxMessage.idempotency_key).where(
            OutboxMessage.idempotency_key.in_(keys[start:start + CHUNK]))))
    return taken


def _digests_to_send(session: Session, digests, result: RunResult) -> list[policy.Digest]:
    """The digests still to send, each with only its points not planned before; counts
    the points it drops as skipped."""
    existing = _existing_point_keys(session)
    taken = _taken_keys(session, [d.idempotency_key for d in digests.values()])
    todo: list[policy.Digest] = []
    for digest in digests.values():
        fresh = [p for p in digest.points if p.key not in existing]
        result.skipped += len(digest.points) - len(fresh)
        if not fresh:
            continue
        if digest.idempotency_key in taken:  # today's digest went out already: tomorrow
            result.skipped += len(fresh)
            continue
        digest.points = fresh
        todo.append(digest)
    return todo


def _report_dry_run(todo: list[policy.Digest], people, result: RunResult) -> None:
    """What a dry run would send, one line per digest."""
    for digest in todo:
        prefs = people[digest.person_id]
        kinds = ", ".join(f"item {p.item_id} {p.kind}" for p in digest.points)
        result.lines.append(f"would send {digest.idempotency_key} to {prefs.email}: {kinds}")
        result.planned += len(digest.points)


def _insert_messages(session: Session, todo: list[policy.Digest], people,
                     now: datetime) -> dict[str, int]:
    """Inserts one pending message per digest; the message id of each key this runner won."""
    won = _insert(session, OutboxMessage, [
        {"idempotency_key": d.idempotency_key, "kind": "digest", "person_id": d.person_id,
         "recipient": people[d.person_id].email, "state": "pending", "attempts": 0,
         "next_attempt_at": now + LEASE, "created_at": now}
        for d in sorted(todo, key=lambda d: d.idempotency_key)
    ], (OutboxMessage.id, OutboxMessage.idempotency_key))
    return {key: message_id for message_id, key in won}


def _insert_points(session: Session, todo: list[policy.Digest], message_of: dict[str, int],
                   now: datetime, result: RunResult) -> set[int]:
    """Inserts the points of the won messages; the ids of the messages that got points."""
    rows = [
        {"action_item_id": p.item_id, "kind": p.kind, "due_date": p.due_date,
         "person_id": p.person_id, "message_id": message_of[d.idempotency_key],
         "created_at": now}
        for d in todo if d.idempotency_key in message_of
        for p in sorted(d.points, key=lambda p: (p.item_id, p.kind))
    ]
    inserted = _insert(session, ReminderPoint, rows, (ReminderPoint.message_id,)) if rows else []
    result.planned += len(inserted)
    result.skipped += len(rows) - len(inserted)
    return {message_id for (message_id,) in inserted}


def _plan(session: Session, config, now: datetime, dry_run: bool, result: RunResult) -> list[int]:
    """Inserts today's digests and their points; returns the ids of messages this runner won."""
    settings = policy.load_settings(session)
    items, people = _candidates(session, settings, now)
    digests = policy.due_points(items, people, settings, now, _program_zone(session, config))
    if not digests:
        return []
    todo = _digests_to_send(session, digests, result)
    if dry_run:
        _report_dry_run(todo, people, result)
        return []
    if not todo:
        return []
    message_of = _insert_messages(session, todo, people, now)
    result.skipped += sum(len(d.points) for d in todo if d.idempotency_key not in message_of)
    with_points = _insert_points(session, todo, message_of, now, result)
    empty = [m for m in message_of.values() if m not in with_points]
    if empty:  # another runner planned these points first (under another day's digest)
        session.execute(sa.delete(OutboxMessage).where(OutboxMessage.id.in_(empty)))
    return sorted(with_points)


def _lock_sqlite(session: Session) -> None:
    """On SQLite, take the write lock before reading, so that two runners serialise
    instead of failing on a stale snapshot."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(sa.text("UPDATE setting SET key = key WHERE 1 = 0"))


def plan(session: Session, config, now: datetime, dry_run: bool = False,
         result: RunResult | None = None) -> tuple[RunResult, list[int]]:
    """Plans and commits (unless dry_run); retried when SQLite reports a busy database."""
    result = result or RunResult()
    for attempt in range(5):
        try:
            if not dry_run:
                _lock_sqlite(session)
            ids = _plan(session, config, now, dry_run, result)
            if dry_run:
                session.rollback()
            else:
                session.commit()
            return result, ids
        except OperationalError:
            session.rollback()
            if attempt == 4:
                raise
            result.planned = result.skipped = 0
            result.lines.clear()
            time.sleep(0.2 * (attempt + 1))
    return result, []


# ---------------------------------------------------------------- delivery


def claim_retries(session: Session, now: datetime) -> list[int]:
    """Takes the failed (and abandoned pending) messages whose time has come: one UPDATE,
    so two runners never take the same message."""
    rows = session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.state.in_(("pending", "failed")),
               OutboxMessage.next_attempt_at <= now)
        .values(next_attempt_at=now + LEASE)
        .returning(OutboxMessage.id)
    ).all()
    session.commit()
    return sorted(row[0] for row in rows)


@dataclass
class Entry:
    """One line of a digest, as the templates show it."""

    item: object
    kind: str
    days_left: int
    done_url: str | None = None
    snooze_url: str | None = None
    url: str = ""

    @property
    def days_late(self) -> int:
        return -self.days_left


def live_points(message: OutboxMessage) -> list[ReminderPoint]:
    """The message's points whose item is still open with the same due date."""
    return [p for p in message.points
            if p.action_item is not None and p.action_item.status in OPEN_STATUSES
            and p.action_item.due_date == p.due_date]


def subject_for(groups: dict[str, list[Entry]]) -> str:
    """`3 action items need you: 1 overdue, 2 due within 7 days`."""
    overdue, today, soon = len(groups["overdue"]), len(groups["today"]), len(groups["soon"])
    escalations = len(groups["escalations"])
    own = overdue + today + soon
    parts = []
    if overdue:
        parts.append(f"{overdue} overdue")
    if today:
        parts.append(f"{today} due today")
    if soon:
        within_week = all(e.days_left <= 7 for e in groups["soon"])
        parts.append(f"{soon} due {'within 7 days' if within_week else 'soon'}")
    if own:
        text = f"{own} action item{'s' if own != 1 else ''} need{'' if own != 1 else 's'} you: "
        text += ", ".join(parts)
        if escalations:
            text += f"; {escalations} escalation{'s' if escalations != 1 else ''}"
        return text
    return (f"{escalations} overdue item{'s' if escalations != 1 else ''} in your "
            f"workstreams need{'' if escalations != 1 else 's'} attention")


def _program_zone(session: Session, config) -> str:
    """The zone of recipients without their own: the program's (one statement)."""
    from portal.program.clock import zone_of

    return zone_of(session, config.get("PORTAL_TIMEZONE"))


def render_digest(config, message: OutboxMessage, person, now: datetime, default_zone: str):
    """(subject, text, html) of a digest from its live points, or None when none is left;
    `default_zone` is the zone of a recipient without their own."""
    points = live_points(message)
    if not points:
        return None
    base = config["PORTAL_BASE_URL"]
    zone = policy.zone_for(person.timezone if person else None, default_zone)
    today = policy.local_now(now, zone).date()
    groups: dict[str, list[Entry]] = {"overdue": [], "today": [], "soon": [], "escalations": []}
    seen = set()
    for point in sorted(points, key=lambda p: (p.action_item.due_date, p.action_item_id)):
        item = point.action_item
        if (item.id, point.kind.startswith(policy.ESCALATION)) in seen:
            continue
        seen.add((item.id, point.kind.startswith(policy.ESCALATION)))
        entry = Entry(item=item, kind=point.kind, days_left=(item.due_date - today).days,
                      url=f"{base}/actions/{item.id}")
        if point.kind.startswith(policy.ESCALATION):
            groups["escalations"].append(entry)
            continue
        if item.owner_id == point.person_id:
            for action in ("done", "snooze"):
                token = links.make_token(config["SECRET_KEY"], item, action, point.person_id, now)
                setattr(entry, f"{action}_url", f"{base}/mail/{token}")
        key = "overdue" if entry.days_left < 0 else "today" if entry.days_left == 0 else "soon"
        groups[key].append(entry)
    subject = subject_for(groups)
    context = {
        "subject": subject, "groups": groups, "person": person, "today": today,
        "base_url": base,
        "preferences_url": links.preferences_urls(config, message.person_id)[0],
        "count": sum(len(v) for v in groups.values()),
        # Only the owner's own items carry Mark done and Snooze; the note on them goes with them.
        "has_links": any(e.done_url for entries in groups.values() for e in entries),
    }
    return (subject, render_template("emails/digest.txt", **context),
            render_template("emails/digest.html", **context))


def _load(session: Session, ids: list[int]):
    from portal.actions.models import ActionItem
    from portal.people.models import Person

    messages = list(session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.id.in_(ids))
        .options(selectinload(OutboxMessage.points).joinedload(ReminderPoint.action_item)
                 .options(joinedload(ActionItem.workstream), joinedload(ActionItem.owner)))
        .order_by(OutboxMessage.id)))
    person_ids = {m.person_id for m in messages if m.person_id}
    people = {p.id: p for p in session.scalars(
        sa.select(Person).where(Person.id.in_(person_ids)))} if person_ids else {}
    return messages, people


def deliver(session: Session, config, ids: list[int], now: datetime, mailer: Mailer,
            result: RunResult) -> None:
    """Renders and sends the claimed messages, committing after each batch."""
    default_zone = _program_zone(session, config)
    for start in range(0, len(ids), BATCH):
        messages, people = _load(session, ids[start:start + BATCH])
        for message in messages:
            if message.state not in ("pending", "failed"):
                continue
            unsubscribe_url = None
            if message.kind == "digest":
                # A reminder digest is rendered again at each attempt, without the items
                # closed meanwhile; other mails (weekly summary, test) go out as stored.
                rendered = render_digest(config, message, people.get(message.person_id), now,
                                         default_zone)
                if rendered is None:
                    message.state = "obsolete"
                    message.last_error = None
                    result.obsolete += 1
                    continue
                subject, text, html = rendered
                message.subject, message.text_body, message.html_body = subject[:300], text, html
                unsubscribe_url = links.preferences_urls(config, message.person_id)[1]
            message.attempts += 1
            attempt(message, mailer, config, now, result, unsubscribe_url)
        session.commit()


def attempt(message: OutboxMessage, mailer: Mailer, config, now: datetime, result: RunResult,
            unsubscribe_url: str | None = None) -> None:
    """One attempt at sending `message` (already rendered); updates its state."""
    email = build_message(config, recipient=message.recipient, subject=message.subject,
                          text=message.text_body, html=message.html_body or None,
                          unsubscribe_url=unsubscribe_url)
    try:
        mailer.send(email)
    except MailError as error:
        message.last_error = str(error)[:2000]
        if message.attempts >= MAX_ATTEMPTS:
            message.state = "dead"
            result.dead += 1
        else:
            message.state = "failed"
            message.next_attempt_at = now + backoff(message.attempts)
            result.failed += 1
        log.warning("mail to %s failed (attempt %d): %s", message.recipient,
                    message.attempts, error)
        return
    message.last_error = None
    message.sent_at = now
    if mailer.logging_only:
        message.state = "logged"
        result.logged += 1
    else:
        message.state = "sent"
        result.sent += 1


def run(session: Session, config, now: datetime, dry_run: bool = False) -> RunResult:
    """One run: plan, then deliver what this runner won plus the retries that are due."""
    result, ids = plan(session, config, now, dry_run)
    if dry_run:
        return result
    ids = sorted(set(ids) | set(claim_retries(session, now)))
    result.messages = len(ids)
    if ids:
        with Mailer(config) as mailer:
            deliver(session, config, ids, now, mailer, result)
    return result


def queue_mail(session: Session, *, kind: str, key: str, recipient: str, subject: str,
               text: str, html: str, now: datetime, person_id: int | None = None,
               hold: bool = True) -> OutboxMessage:
    """Adds a ready-made mail to the outbox (no commit). With `hold` it is held for the
    caller for a lease, so that the caller sends it right after its commit (`send_now`)
    while no scheduler takes it; should that attempt never happen, the scheduler sends it
    once the lease is over. Without, the scheduler's next `outbox` run sends it."""
    message = OutboxMessage(
        idempotency_key=key[:200], kind=kind, person_id=person_id, recipient=recipient,
        subject=" ".join(subject.split())[:300], text_body=text, html_body=html,
        state="pending", attempts=0, next_attempt_at=now + LEASE if hold else now,
        created_at=now)
    session.add(message)
    session.flush()
    return message


def send_now(session: Session, config, ids: list[int], now: datetime) -> RunResult:
    """Sends messages this process queued and committed (commits their new state)."""
    result = RunResult(messages=len(ids))
    if ids:
        with Mailer(config) as mailer:
            deliver(session, config, ids, now, mailer, result)
    return result


def send_due(session: Session, config, now: datetime) -> RunResult:
    """Sends what is due without planning new reminders: failed mails whose backoff ran
    out and mails whose sender never got to them (the scheduler's `outbox` job)."""
    return send_now(session, config, claim_retries(session, now), now)


SECRET_LINK = re.compile(r"(/(?:mail|password)/(?:[a-z]+/)?)[A-Za-z0-9._-]{16,}")


def inert(text: str | None) -> str:
    """`text` with its signed links (mail actions, preferences, password links) cut to
    a dead stub: what a lead previews in the outbox, never the recipient's live link."""
    return SECRET_LINK.sub(r"\1…", text or "")


def preview(session: Session, config, message: OutboxMessage, now: datetime):
    """(subject, text, html) as the message would go out now, or as it went out, with its
    signed links inert (`inert`): a lead reads a mail, never acts on it as its recipient.
    None when a digest has nothing left to send."""
    rendered = (message.subject, message.text_body, message.html_body)
    if message.kind == "digest" and not (
            message.state in ("sent", "logged", "dead", "failed") and message.html_body):
        from portal.people.models import Person

        person = session.get(Person, message.person_id) if message.person_id else None
        rendered = render_digest(config, message, person, now, _program_zone(session, config))
    if rendered is None:
        return None
    subject, text, html = rendered
    return subject, inert(text), inert(html)


def retry(session: Session, message: OutboxMessage, now: datetime) -> None:
    """A lead asks for another try of a failed or dead message (no commit)."""
    if message.state not in ("failed", "dead"):
        raise ValueError("Only failed and dead messages can be retried.")
    if message.state == "dead":
        message.attempts = 0
    message.state = "failed"
    message.next_attempt_at = now


def send_test_mail(session: Session, config, recipient: str, now: datetime) -> OutboxMessage:
    """Sends a short test mail at once through the configured settings (no commit)."""
    message = OutboxMessage(
        idempotency_key=f"test:{recipient}:{now.isoformat()}", kind="test", recipient=recipient,
        subject="Readiness Portal: test mail",
        text_body=("This is a test mail from the Readiness Portal.\n\nIf you can read it, the "
                   "mail settings work.\n"),
        html_body="", state="pending", attempts=1, next_attempt_at=now, created_at=now)
    session.add(message)
    with Mailer(config) as mailer:
        attempt(message, mailer, config, now, RunResult())
    if message.state == "failed":
        message.state = "dead"  # a test is not retried
    return message

