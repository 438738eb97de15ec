"""Changes to action items: create, update (with conflict detection), bulk edit, cancel,
delete and comment. Each function takes a session and an `Actor`, writes its audit
events into the same session and leaves the commit to the caller."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.exc import StaleDataError

from portal.actions import fields
from portal.actions.fields import MAX_TITLE
from portal.actions.models import ActionItem, Comment
from portal.audit.conflicts import ConflictView, changes_since
from portal.audit.log import Actor, diff, record, snapshot
from portal.audit.models import AuditEvent
from portal.clock import out_of_range
from portal.errors import Conflict, DomainError
from portal.people.models import Person
from portal.program.models import Workstream
from portal.text import clean_text, one_line

# The fields a meeting note also sets: its own dates, the rule it repeats by, and where
# the item stands in the note.
NOTE_FIELDS = ("created_date", "done_date", "cancelled_date", "recurrence", "meeting_id",
               "source_line", "block_id")
# Of those, the ones the audit log keeps.
AUDITED_NOTE_FIELDS = NOTE_FIELDS[:4] + ("block_id",)
MAX_RECURRENCE = 200
MAX_BLOCK_ID = 64
MAX_COMMENT = 5_000
MAX_BULK = 1_000
MAX_SHIFT_DAYS = 3_650


class ActionError(DomainError):
    """A change to an action item that cannot be made."""


class ConflictError(ActionError, Conflict):
    """The item changed since the editor loaded it; nothing was saved."""

    def __init__(self, item_id: int, expected_version: int | None):
        super().__init__("Someone else changed this item after you opened it. "
                         "Nothing was saved.")
        self.item_id = item_id
        self.expected_version = expected_version


def title_key(title: str) -> str:
    """The key that identifies an item within its meeting: the title casefolded, spaces
    collapsed, without end punctuation, so that "Draft the plan." and "draft the plan"
    are one item. It is taken when an item is created; an item of a meeting keeps it
    when its title is edited, so the next import of the note still finds it."""
    return one_line(title).casefold().rstrip(" .,;:!?…")[:MAX_TITLE]


def normalise_tags(tags: str) -> str:
    """`#a  #b a` -> `a b`: space-separated, without '#', without repeats."""
    seen: list[str] = []
    for word in tags.replace(",", " ").split():
        word = word.lstrip("#")
        if word and word not in seen:
            seen.append(word)
    return " ".join(seen)


def audited_fields() -> tuple[str, ...]:
    """The fields a person edits and the dates the status sets: the audit log keeps their
    before and after values."""
    return fields.editable_names() + tuple(fields.STATUS_DATES)


def _accepted(values: dict[str, Any]) -> dict[str, Any]:
    allowed = fields.editable_names() + NOTE_FIELDS
    return {k: v for k, v in values.items() if k in allowed}


def _checked_text(spec: fields.ItemField, value) -> str:
    if spec.kind == "tags":
        text = normalise_tags(value or "")
    elif spec.kind == "notes":
        text = clean_text(value)
    else:
        text = one_line(value)
    if spec.required and not text:
        raise ActionError(f"A {spec.label.lower()} is required (invisible characters do not "
                          "count).", spec.name)
    if spec.max_length and len(text) > spec.max_length:
        raise ActionError(f"Keep the {spec.label.lower()} under {spec.max_length} characters.",
                          spec.name)
    return text


def _checked(session: Session, spec: fields.ItemField, value):
    """`value` as the item stores it; ActionError beside the field when it cannot be."""
    if spec.kind == "choice":
        if value not in spec.choices:
            raise ActionError(f"Unknown {spec.label.lower()} {value!r}.", spec.name)
        return value
    if spec.kind in ("person", "workstream"):
        model = Person if spec.kind == "person" else Workstream
        if value is not None and session.get(model, value) is None:
            raise ActionError(f"That {spec.label.lower()} does not exist (any more).",
                              spec.name)
        return value
    if spec.kind == "date":
        if value is not None and not isinstance(value, date):
            raise ActionError("Not a date.", spec.name)
        problem = out_of_range(value, f"{spec.label.lower()} date")
        if problem:
            raise ActionError(problem, spec.name)
        return value
    return _checked_text(spec, value)


_NOTE_DATES = {name: fields.ItemField(name, name, "date")
               for name in ("created_date", "done_date", "cancelled_date")}


def _check_values(session: Session, values: dict[str, Any]) -> None:
    """Cleans `values` in place; refuses unknown owners, workstreams, statuses, priorities,
    oversized text and what is not a date."""
    specs = {f.name: f for f in fields.item_fields()} | _NOTE_DATES
    for name in list(values):
        if name in specs:
            values[name] = _checked(session, specs[name], values[name])
    if "recurrence" in values:
        values["recurrence"] = " ".join((values["recurrence"] or "").split())[:MAX_RECURRENCE] \
            or None
    if values.get("block_id") is not None and len(values["block_id"]) > MAX_BLOCK_ID:
        raise ActionError(f"Keep the block id under {MAX_BLOCK_ID} characters.", "block_id")


def _apply_status_dates(item: ActionItem, today: date) -> None:
    """Done and cancelled carry their date; leaving those states clears it."""
    if item.status == "done":
        item.done_date = item.done_date or today
    else:
        item.done_date = None
    if item.status == "cancelled":
        item.cancelled_date = item.cancelled_date or today
    else:
        item.cancelled_date = None


def _describe(item: ActionItem, changed: dict) -> str:
    names = ", ".join(name.removesuffix("_id").replace("_", " ") for name in changed)
    return f"Changed {names} of “{item.title[:200]}”"


def create_item(session: Session, actor: Actor, today: date, *, summary: str | None = None,
                **values) -> ActionItem:
    """A new item; the title is required, the rest has defaults.

    A meeting note's import also passes the ``NOTE_FIELDS`` (its created, done and
    cancelled dates, recurrence, meeting, line and block id) and its own audit summary.
    """
    values = _accepted(values)
    for spec in fields.item_fields():
        if spec.default is not None:
            values.setdefault(spec.name, spec.default)
    values.setdefault("title", "")
    _check_values(session, values)
    values["created_date"] = values.get("created_date") or today
    item = ActionItem(title_key=title_key(values["title"]), **values)
    _apply_status_dates(item, today)
    session.add(item)
    session.flush()
    record(session, actor, "action_item", item.id, "create",
           summary=summary or f"Created “{item.title[:200]}”",
           after=snapshot(item, audited_fields() + AUDITED_NOTE_FIELDS),
           workstream_id=item.workstream_id)
    return item


def update_item(session: Session, actor: Actor, item: ActionItem, changes: dict[str, Any], *,
                expected_version: int | None, today: date, action: str = "update",
                summary: str | None = None) -> dict:
    """Applies `changes` if the item is still at `expected_version`; returns what changed.

    An item of a meeting keeps its identity key when its title changes (see
    `title_key`). A note's import may also change the ``NOTE_FIELDS``.

    Raises ConflictError when someone saved first (also when that happened between
    our read and our write: the version column makes the UPDATE match no row)."""
    item_id = item.id
    if expected_version is not None and expected_version != item.version:
        raise ConflictError(item_id, expected_version)
    changes = _accepted(changes)
    _check_values(session, changes)
    audited = audited_fields() + AUDITED_NOTE_FIELDS
    before = snapshot(item, audited)
    for name, value in changes.items():
        setattr(item, name, value)
    if "title" in changes and item.meeting_id is None:
        item.title_key = title_key(item.title)
    _apply_status_dates(item, today)
    old, new = diff(before, snapshot(item, audited))
    if not new:
        return {}
    workstream_id = item.workstream_id or before.get("workstream_id")
    try:
        session.flush()
    except StaleDataError as error:
        raise ConflictError(item_id, expected_version) from error
    record(session, actor, "action_item", item_id, action,
           summary=summary or _describe(item, new),
           before=old, after={**new, "version": item.version}, workstream_id=workstream_id)
    return new


def cancel_item(session: Session, actor: Actor, item: ActionItem, *,
                expected_version: int | None, today: date) -> dict:
    """The delete of non-admins: the item stays, with status cancelled."""
    if item.status == "cancelled":
        raise ActionError("This item is already cancelled.", "status")
    return update_item(session, actor, item, {"status": "cancelled"},
                       expected_version=expected_version, today=today, action="cancel")


def delete_item(session: Session, actor: Actor, item: ActionItem, *,
                expected_version: int | None) -> None:
    """Removes the item for good (admins only); the audit event keeps its last values."""
    item_id = item.id
    if expected_version is not None and expected_version != item.version:
        raise ConflictError(item_id, expected_version)
    record(session, actor, "action_item", item_id, "delete",
           summary=f"Deleted “{item.title[:200]}”", before=snapshot(item, audited_fields()),
           workstream_id=item.workstream_id)
    session.delete(item)
    try:
        session.flush()
    except StaleDataError as error:
        raise ConflictError(item_id, expected_version) from error


def add_comment(session: Session, actor: Actor, item: ActionItem, body: str) -> Comment:
    body = (body or "").strip()
    if not body:
        raise ActionError("Write something first.", "body")
    if len(body) > MAX_COMMENT:
        raise ActionError(f"Keep a comment under {MAX_COMMENT} characters.", "body")
    comment = Comment(action_item=item, author_id=actor.user_id, body=body)
    session.add(comment)
    session.flush()
    record(session, actor, "action_item", item.id, "comment",
           summary=f"Commented on “{item.title[:200]}”", after={"comment": body[:300]},
           workstream_id=item.workstream_id)
    return comment


BULK_ACTIONS = {"status": "Set status", "owner": "Set owner", "workstream": "Set workstream",
                "shift": "Shift due dates"}


@dataclass
class BulkResult:
    changed: int = 0
    unchanged: int = 0
    skipped: int = 0
    lines: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        parts = [f"{self.changed} item{'s' if self.changed != 1 else ''} changed"]
        if self.unchanged:
            parts.append(f"{self.unchanged} already as asked")
        if self.skipped:
            parts.append(f"{self.skipped} without a due date left alone")
        return "; ".join(parts) + "."


def bulk_update(session: Session, actor: Actor, item_ids: list[int], action: str, value: Any,
                *, today: date) -> BulkResult:
    """One change over many items, all or nothing: the caller commits once, or rolls back
    on ActionError. `value` is a status, a person id, a workstream id (or None) or days."""
    ids = list(dict.fromkeys(item_ids))
    if not ids:
        raise ActionError("Tick at least one item first.", "ids")
    if len(ids) > MAX_BULK:
        raise ActionError(f"Change at most {MAX_BULK} items at once.", "ids")
    if action not in BULK_ACTIONS:
        raise ActionError("Choose what to change.", "action")
    items = list(session.scalars(select(ActionItem).where(ActionItem.id.in_(ids))
                                 .options(joinedload(ActionItem.owner))
                                 .order_by(ActionItem.id)))
    missing = len(ids) - len(items)
    if missing:
        raise ActionError(f"{missing} of the ticked items no longer exist; reload and retry.",
                          "ids")
    if action == "shift":
        if not isinstance(value, int) or value == 0 or abs(value) > MAX_SHIFT_DAYS:
            raise ActionError(f"Shift by a whole number of days between -{MAX_SHIFT_DAYS} and "
                              f"{MAX_SHIFT_DAYS}, not 0.", "days")
    result = BulkResult()
    for item in items:
        if action == "status":
            changes = {"status": value}
        elif action == "owner":
            changes = {"owner_id": value}
        elif action == "workstream":
            changes = {"workstream_id": value}
        else:
            if item.due_date is None:
                result.skipped += 1
                continue
            changes = {"due_date": item.due_date + timedelta(days=value)}
        if update_item(session, actor, item, changes, expected_version=None, today=today,
                       action="bulk_update"):
            result.changed += 1
        else:
            result.unchanged += 1
    label = BULK_ACTIONS[action].lower()
    result.lines.append(f"{label[0].upper()}{label[1:]}: {result.summary}")
    return result


def _stored(name: str, value: Any) -> Any:
    """A field's value as the audit log keeps it (ISO dates) back in the item's type."""
    if value is not None and name.endswith("_date"):
        return date.fromisoformat(value)
    return value


def undo_bulk(session: Session, actor: Actor, first_event: int, last_event: int,
              today: date) -> BulkResult:
    """Puts back what one bulk change of `actor` changed (its audit events are
    first_event..last_event): each item whose version is still the one the bulk change made
    gets its earlier values back; an item changed since is left as it is."""
    events = list(session.scalars(
        select(AuditEvent).where(AuditEvent.id.between(first_event, last_event),
                                 AuditEvent.entity_type == "action_item",
                                 AuditEvent.action == "bulk_update",
                                 AuditEvent.actor_user_id == actor.user_id)
        .order_by(AuditEvent.id)))
    items = {item.id: item for item in session.scalars(
        select(ActionItem).where(ActionItem.id.in_([e.entity_id for e in events])))}
    result = BulkResult()
    for event in events:
        item = items.get(event.entity_id)
        if item is None or item.version != (event.after or {}).get("version"):
            result.skipped += 1
            continue
        changes = {name: _stored(name, value) for name, value in (event.before or {}).items()
                   if name in fields.editable_names()}
        if changes and update_item(session, actor, item, changes,
                                   expected_version=item.version, today=today,
                                   action="bulk_undo"):
            result.changed += 1
        else:
            result.unchanged += 1
    back = f"{result.changed} item{'s' if result.changed != 1 else ''} back as they were"
    since = f"; {result.skipped} changed since, left as they are" if result.skipped else ""
    result.lines.append(f"Undone: {back}{since}.")
    return result


def conflict_details(session: Session, item_id: int,
                     expected_version: int | None) -> ConflictView:
    """The item as it is now and the audit events that moved it past `expected_version`."""
    item = session.get(ActionItem, item_id, populate_existing=True)
    if item is None:
        raise ActionError("This item was deleted meanwhile.")
    events = changes_since(session, "action_item", item_id, expected_version, item.version)
    return ConflictView(record=item, current=snapshot(item, audited_fields()), events=events)
