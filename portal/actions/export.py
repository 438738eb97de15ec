"""Export of action items as CSV or JSON, with exactly the fields of `FIELDS` (the
README lists them for `flask actions export`)."""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.actions.models import ActionItem
from portal.actions.queries import Filters, filtered, item_options

FIELDS = ("id", "title", "owner", "owner_email", "workstream", "status", "priority",
          "due_date", "scheduled_date", "start_date", "done_date", "tags", "source")
# Excel needs the byte-order mark to read UTF-8 (names like "Zoë"); Tableau accepts it.
BOM = "\ufeff"


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


def row(item: ActionItem) -> dict[str, object]:
    """One item as an export record, keys in the order of FIELDS."""
    return {
        "id": item.id,
        "title": item.title,
        "owner": item.owner.name if item.owner else "",
        "owner_email": (item.owner.email or "") if item.owner else "",
        "workstream": item.workstream.name if item.workstream else "",
        "status": item.status,
        "priority": item.priority,
        "due_date": _iso(item.due_date),
        "scheduled_date": _iso(item.scheduled_date),
        "start_date": _iso(item.start_date),
        "done_date": _iso(item.done_date),
        "tags": " ".join(tag.lstrip("#") for tag in item.tags.split()),
        "source": item.meeting.title if item.meeting else "",
    }


def export_rows(session: Session, filters: Filters | None = None,
                today: date | None = None) -> Iterator[dict[str, object]]:
    """Every item (or those matching `filters`) by id, in one statement."""
    stmt = select(ActionItem).options(*item_options()).order_by(ActionItem.id)
    if filters is not None:
        stmt = filtered(stmt, filters, today or date.today())
    for item in session.scalars(stmt).unique():
        yield row(item)


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert_cell(value: object) -> object:
    """OWASP's rule for CSV: a text cell that a spreadsheet would run as a formula gets a
    leading apostrophe, which shows it as text. Numbers are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(rows, *, bom: bool = False) -> str:
    """CSV text: a header row of FIELDS, then one row per item (CRLF line ends, RFC 4180),
    every cell safe to open in a spreadsheet (`inert_cell`)."""
    buffer = io.StringIO()
    if bom:
        buffer.write(BOM)
    writer = csv.DictWriter(buffer, fieldnames=FIELDS)
    writer.writeheader()
    writer.writerows({key: inert_cell(value) for key, value in row.items()} for row in rows)
    return buffer.getvalue()


def to_json(rows) -> str:
    """A JSON list of objects with the keys of FIELDS in that order."""
    return json.dumps(list(rows), ensure_ascii=False, indent=2) + "\n"
