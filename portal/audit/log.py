"""record(): add an AuditEvent to the session; the caller's commit makes it durable."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.audit.models import AuditEvent


@dataclass(frozen=True)
class Actor:
    """Who makes a change, and through what: passed to domain functions instead of
    `current_user`, so they run the same from a view, a mail link or the CLI."""

    user_id: int | None = None
    person_id: int | None = None
    via: str = "web"
    name: str = "system"

    @classmethod
    def for_user(cls, user, via: str = "web") -> Actor:
        return cls(user_id=user.id, person_id=user.person_id, via=via, name=user.name)


SYSTEM = Actor(via="system")


def _plain(value: Any) -> Any:
    """JSON-safe form of a column value."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def snapshot(obj, fields: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """The current values of `fields` on `obj`, ready for `record`."""
    return {field: _plain(getattr(obj, field)) for field in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    """Only the fields that changed, as (before, after)."""
    changed = [key for key in after if before.get(key) != after[key]]
    return {k: before.get(k) for k in changed}, {k: after[k] for k in changed}


def record(
    session: Session,
    actor: Actor,
    entity_type: str,
    entity_id: int | None,
    action: str,
    *,
    summary: str = "",
    before: dict | None = None,
    after: dict | None = None,
    workstream_id: int | None = None,
) -> AuditEvent:
    """Add an audit event to `session`; it commits with the change it describes."""
    event = AuditEvent(
        actor_user_id=actor.user_id,
        actor_person_id=actor.person_id,
        via=actor.via,
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
        summary=summary[:500],
        before={k: _plain(v) for k, v in before.items()} if before else None,
        after={k: _plain(v) for k, v in after.items()} if after else None,
        workstream_id=workstream_id,
    )
    session.add(event)
    return event


def last_event_id(session: Session) -> int:
    """The id of the newest audit event (0 when there is none): a change's events are those
    after the id read before it."""
    return session.scalar(select(func.max(AuditEvent.id))) or 0
