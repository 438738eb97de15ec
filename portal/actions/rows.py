"""The action table's rows, written in Python.

A row repeats up to 50 times a page on the list (a search included), a workstream's and a
person's page, and 8 times in each of the dashboard's lists. As a Jinja macro it cost
about 70 µs (some 50 values escaped and 35 tests, each through Jinja's runtime), the
largest part of those pages' render; written here it costs a fraction. Every text is
escaped, as Jinja's autoescape did; the item's id and version, integers, are not.

The row's markup lives here and nowhere else: `templates/actions/_table.html` calls a
`RowWriter` for its rows, and `actions.inline` answers an edit with one row from the same
writer. The rare note of a row whose edit conflicted stays a template
(`actions/_row_conflict.html`). A row carries each value once and no whitespace between
tags, and leaves out the </td> and </option> end tags, which HTML makes optional: a 50-row
page stays under 60 KB. Selects hold the current choice only; static/js/portal.js fills
in the rest.
"""
from __future__ import annotations

from datetime import date

from flask import render_template
from markupsafe import Markup, escape

from portal.actions.fields import columns, row_cells
from portal.templating import bare_attr, days_text, format_date, url_pattern
from portal.vocab import OPEN_STATUSES, label

_e = escape  # every value written into the row goes through it


class RowWriter:
    """Writes rows of one table as `user` sees them on `today`.

    selectable: a tick per row, tied to <form id="bulk-form">. hide_workstream: no
    workstream line under the title. id_prefix: put before the row's ids, for a page that
    lists an item twice. row_state: {item_id: {"errors", "values", "conflict", "names",
    "saved"}} for a row the actions views answer after an edit."""

    def __init__(self, user, today: date, *, selectable: bool = False,
                 hide_workstream: bool = False, id_prefix: str = "",
                 row_state: dict | None = None):
        self.user, self.today = user, today
        self.selectable, self.hide_workstream = bool(selectable), bool(hide_workstream)
        self.prefix = _e(id_prefix or "")
        self.row_state = row_state or {}
        self.detail_url = url_pattern("actions.detail", "item_id")
        self.person_url = url_pattern("people.detail", "person_id")
        # Per column: its posted name, the escaped label, and the cell's opening tag.
        self.columns = {f.name: (f.posted_as, _e(f.label), f"<td data-label={bare_attr(f.label)}>")
                        for f in columns()}

    def __call__(self, item) -> Markup:
        state = self.row_state.get(item.id) or {}
        errors = state.get("errors") or {}
        values = state.get("values") or {}
        is_open = item.status in OPEN_STATUSES
        overdue = bool(item.due_date and is_open and item.due_date < self.today)
        cells = row_cells(item, self.user)
        p, item_id = self.prefix, f"{item.id:d}"
        out = [f'<tr id="{p}item-{item_id}" class="item-row',
               " row-overdue" if overdue else "", "" if is_open else " row-closed",
               " row-invalid" if errors else "",
               " row-conflict" if state.get("conflict") else "",
               " row-saved" if state.get("saved") else "",
               f'" data-item-id="{item_id}"']
        out += [f' data-{cell.field.posted_as}="{_e(cell.value)}"'
                for cell in cells if cell.field.kind == "choice"]
        out.append(f' data-version="{item.version:d}">')
        if self.selectable:
            out.append(f'<td><input type="checkbox" name="ids" value="{item_id}" '
                       f'form="bulk-form" aria-labelledby="{p}t{item_id}">')
        out.append(f'<td><a id="{p}t{item_id}" class="item-title" '
                   f'href="{_e(self.detail_url(item_id))}">{_e(item.title)}</a>')
        out += self._title_line(item, overdue)
        if errors.get("row"):
            out.append(f'<p class="cell-error" role="alert">{_e(errors["row"])}</p>')
        if state.get("conflict"):
            out.append(render_template("actions/_row_conflict.html", conflict=state["conflict"],
                                       names=state.get("names") or {}))
        for cell in cells:
            out += self._cell(item_id, cell, errors, values, overdue)
        out.append("</tr>")
        # Safe: every text in it went through `_e`.
        return Markup("".join(out))  # noqa: S704  # nosec B704

    def _title_line(self, item, overdue: bool) -> list[str]:
        """Under the title: the workstream, how long overdue, the first telling tags."""
        ws = None if self.hide_workstream else item.workstream
        tags = item.telling_tags[:4]
        if not (ws or overdue or tags):
            return []
        out = ["<small>"]
        if ws:
            out.append(f"<span>{_e(ws.name)}</span>")
        if overdue:
            days = days_text((item.due_date - self.today).days)
            out.append(f'<span class="meta-late">{_e(days)}</span>')
        out += [f'<span class="tag">#{_e(tag)}</span>' for tag in tags]
        out.append("</small>")
        return out

    def _cell(self, item_id: str, cell, errors: dict, values: dict, overdue: bool) -> list[str]:
        """One column's cell: its in-place editor where the viewer may change it, else the
        value as text (with the owner's link)."""
        field, value, kind, editable = cell.field, cell.value, cell.field.kind, cell.editable
        name, text_label, head = self.columns[field.name]
        invalid = error = ""
        if errors.get(name):
            invalid = f' aria-invalid="true" aria-describedby="err-{name}-{item_id}"'
            if editable:
                error = (f'<span class="cell-error" id="err-{name}-{item_id}" role="alert">'
                         f"{_e(errors[name])}</span>")
        if kind == "person":
            person = cell.person
            if editable:
                option = (f'<option value="{_e(value)}">{_e(person.name)}' if person
                          else '<option value="">Nobody yet')
                body = f'<select name="{name}" aria-label="{text_label}"{invalid}>{option}</select>'
            elif person:
                body = (f'<a href="{_e(self.person_url(value))}" class="owner-link">'
                        f"{_e(person.name)}</a>")
            else:
                body = '<span class="muted">Nobody yet</span>'
        elif kind == "choice":
            if editable:
                body = (f'<select name="{name}" aria-label="{text_label}"{invalid}>'
                        f"<option>{_e(label(value))}</select>")
            else:
                body = f'<span class="{name} {name}-{_e(value)}">{_e(label(value))}</span>'
        elif kind == "date":
            if editable:
                typed = values.get(name, value.isoformat() if value else "")
                body = (f'<input type="date" name="{name}" aria-label="{text_label} date" '
                        f'value="{_e(typed)}"{invalid}>')
            elif value:
                late = " is-late" if overdue and field.name == "due_date" else ""
                body = f'<span class="due{late}">{_e(format_date(value))}</span>'
            else:
                body = '<span class="muted">No date</span>'
        elif editable:
            typed = values.get(name, value or "")
            body = f'<input name="{name}" aria-label="{text_label}" value="{_e(typed)}"{invalid}>'
        else:
            body = _e(value or "")
        return [head, body, error]
