"""Read-side queries of the reminders area: the outbox's messages by state, one message with
its points."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload, selectinload

from portal.actions.models import ActionItem
from portal.pagination import Page, clamp_page
from portal.reminders.models import LAST_RUN_PREFIX, OutboxMessage, ReminderPoint, Setting

# The outbox tabs: `portal.vocab.OUTBOX_STATES`, those that need a look first.
STATE_ORDER = ("pending", "failed", "dead", "sent", "logged", "obsolete")
PER_PAGE = 25


@dataclass(frozen=True)
class OutboxPage:
    """One page of messages, newest first, with the count of each state and the number of
    reminder points each message carries."""

    page: Page[OutboxMessage]
    counts: dict[str, int]
    point_counts: dict[int, int]


def outbox_page(session: Session, state: str, page: int) -> OutboxPage:
    """The messages in `state` (every state when empty), three statements at most."""
    counts = dict(session.execute(
        sa.select(OutboxMessage.state, sa.func.count()).group_by(OutboxMessage.state)).all())
    total = counts.get(state, 0) if state else sum(counts.values())
    number = clamp_page(page, total, PER_PAGE)
    stmt = sa.select(OutboxMessage).order_by(OutboxMessage.created_at.desc(),
                                             OutboxMessage.id.desc())
    if state:
        stmt = stmt.where(OutboxMessage.state == state)
    items = list(session.scalars(stmt.limit(PER_PAGE).offset((number - 1) * PER_PAGE)))
    ids = [m.id for m in items]
    point_counts = dict(session.execute(
        sa.select(ReminderPoint.message_id, sa.func.count())
        .where(ReminderPoint.message_id.in_(ids)).group_by(ReminderPoint.message_id)
    ).all()) if ids else {}
    return OutboxPage(Page(items=items, page=number, per_page=PER_PAGE, total=total),
                      counts, point_counts)


def message(session: Session, message_id: int) -> OutboxMessage | None:
    """A message with its points and their items, workstreams and owners."""
    return session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.id == message_id)
        .options(selectinload(OutboxMessage.points).joinedload(ReminderPoint.action_item)
                 .options(joinedload(ActionItem.workstream), joinedload(ActionItem.owner))))


@dataclass(frozen=True)
class LastRun:
    """When a scheduled job last finished, and whether it succeeded."""

    at: datetime
    ok: bool


def last_run(session: Session, job_id: str) -> LastRun | None:
    """The last run the scheduler recorded for `job_id` (`observability.record_last_run`);
    None when it never ran: no scheduler process has been running."""
    setting = session.get(Setting, f"{LAST_RUN_PREFIX}{job_id}")
    if setting is None or not isinstance(setting.value, dict):
        return None
    try:
        return LastRun(datetime.fromisoformat(setting.value["at"]), bool(setting.value.get("ok")))
    except (KeyError, TypeError, ValueError):
        return None
