"""What a 409 shows, for every record edited with a version: the values saved now beside
the editor's, field by field, and the audit events that moved the record on meanwhile."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from portal.audit.models import AuditEvent

# Audit keys that are bookkeeping, not a field of the form.
_NOT_FIELDS = ("version", "note")


@dataclass
class ConflictView:
    """The record as saved now (`current`, by form field) and the changes since the
    editor's version (`events`, newest first)."""

    record: Any
    current: dict[str, Any]
    events: list[AuditEvent] = field(default_factory=list)

    @property
    def changed_fields(self) -> set[str]:
        return {k for e in self.events for k in (e.after or {}) if k not in _NOT_FIELDS}


def changes_since(session: Session, entity_type: str, entity_id: int,
                  expected_version: int | None, current_version: int) -> list[AuditEvent]:
    """The audit events that moved the record past `expected_version`; the newest change
    alone when that version means nothing."""
    events = list(session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == entity_id)
        .options(joinedload(AuditEvent.actor_person), joinedload(AuditEvent.actor_user))
        .order_by(AuditEvent.id.desc()).limit(50)
    ))
    versioned = [e for e in events if isinstance((e.after or {}).get("version"), int)]
    since = []
    if expected_version is not None and expected_version < current_version:
        since = [e for e in versioned if e.after["version"] > expected_version]
    return since or (versioned or events)[:1]


def _plain(value):
    if hasattr(value, "isoformat"):
        value = value.isoformat()
    return None if value is None or value == "" or value == [] else value


def conflict_rows(conflict: ConflictView, yours: dict[str, Any],
                  labels: dict[str, str]) -> list[dict[str, Any]]:
    """Field by field, in the order of `yours`: the saved value beside the editor's, for
    every field that differs or that the other change touched."""
    changed = conflict.changed_fields
    rows = []
    for name, mine in yours.items():
        theirs, mine = conflict.current.get(name), _plain(mine)
        differs = _plain(theirs) != mine
        if differs or name in changed:
            rows.append({"field": name, "label": labels.get(name, name), "theirs": theirs,
                         "yours": mine, "changed": name in changed, "differs": differs})
    return rows
