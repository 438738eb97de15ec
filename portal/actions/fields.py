"""The fields of an action item that people edit, in one list.

`ITEM_FIELDS` drives everything that shows or takes them: the create and edit forms
(`portal.actions.forms`), the fields the domain functions accept and audit
(`portal.actions.service`), the table's columns and the row's in-place editors
(`templates/actions/_table.html`, `portal/actions/rows.py`, whose cells carry their
`data-label`), and the names `static/js/portal.js` posts (the cells tell it). Adding a
field to action items is the model, its migration, one `ItemField` here and, for a kind
not yet shown, one branch of the row writer.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from portal.auth.permissions import can, can_change_item
from portal.vocab import ACTION_STATUSES, PRIORITIES

MAX_TITLE = 500
MAX_TAGS = 500
MAX_NOTES = 10_000


@dataclass(frozen=True)
class ItemField:
    """One editable field of an action item.

    kind: text, tags, notes, person, workstream, choice or date. `choices` is the
    vocabulary of a choice. `column` puts it in the action table, editable in place where
    the viewer may change it; `create` puts it on the create panel (every field is on the
    edit form). `row_name` is the name a table row posts it under.
    """

    name: str
    label: str
    kind: str
    choices: tuple[str, ...] = ()
    default: Any = None
    max_length: int | None = None
    required: bool = False
    hint: str | None = None
    wide: bool = False
    create: bool = True
    column: bool = False
    row_name: str | None = None

    @property
    def posted_as(self) -> str:
        """The name a table row posts the field under."""
        return self.row_name or self.name


ITEM_FIELDS: tuple[ItemField, ...] = (
    ItemField("title", "Title", "text", max_length=MAX_TITLE, required=True, wide=True),
    ItemField("owner_id", "Owner", "person", column=True, row_name="owner"),
    ItemField("workstream_id", "Workstream", "workstream"),
    ItemField("status", "Status", "choice", ACTION_STATUSES, default="open", column=True),
    ItemField("priority", "Priority", "choice", PRIORITIES, default="normal", column=True),
    ItemField("due_date", "Due", "date", column=True),
    ItemField("scheduled_date", "Scheduled", "date", create=False),
    ItemField("start_date", "Start", "date", create=False),
    ItemField("tags", "Tags", "tags", max_length=MAX_TAGS, hint="Space-separated, without #."),
    ItemField("notes", "Notes", "notes", max_length=MAX_NOTES, wide=True, create=False),
)

# Dates the status sets (done, cancelled): shown and audited, never typed.
STATUS_DATES = {"done_date": "Done on", "cancelled_date": "Cancelled on"}


def item_fields() -> tuple[ItemField, ...]:
    return ITEM_FIELDS


def editable_names() -> tuple[str, ...]:
    return tuple(f.name for f in ITEM_FIELDS)


def columns() -> tuple[ItemField, ...]:
    """The fields of the action table, in its order, after the title."""
    return tuple(f for f in ITEM_FIELDS if f.column)


@dataclass(frozen=True, slots=True)
class Cell:
    """One column of one table row: the field, the item's value (for a person field, the
    person too) and whether the viewer may change it there."""

    field: ItemField
    value: Any
    person: Any
    editable: bool


def row_cells(item, user) -> list[Cell]:
    """The table cells of `item` as `user` sees them, in column order: what the row writer
    (`portal.actions.rows`) shows and lets the viewer change."""
    lead = can(user, "edit_program")  # a lead changes every cell: asked once, not per cell
    return [Cell(f, getattr(item, f.name),
                 getattr(item, f.name.removesuffix("_id")) if f.kind == "person" else None,
                 lead or can_change_item(user, item, (f.name,)))
            for f in columns()]


def by_row_name() -> dict[str, ItemField]:
    """The table's in-place fields by the name a row posts them under."""
    return {f.posted_as: f for f in columns()}


def labels() -> dict[str, str]:
    """Every audited field's label (history, conflicts)."""
    return {f.name: f.label for f in ITEM_FIELDS} | STATUS_DATES
