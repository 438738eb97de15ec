"""The action table's row as a browser receives it, pinned: `portal.actions.rows` writes
it in Python, so no template test notices a changed tag or attribute. A change here is a
change to what portal.js, the stacked phone layout and the row tests read."""
from __future__ import annotations

from datetime import date

from flask_login import login_user

from portal.actions.rows import RowWriter
from portal.extensions import db
from tests.factories import make_item, make_person, make_user, make_workstream

TODAY = date(2026, 12, 1)


def _row(app, role: str, **writer) -> tuple[str, int, int]:
    ws = make_workstream(name="SOC2 & FedRAMP")
    owner = make_person("Ana O'Neil")
    item = make_item("Book the <audit>", owner_id=owner.id, workstream_id=ws.id, status="open",
                     priority="high", due_date=date(2026, 11, 28), tags="task soc2 evidence")
    db.session.commit()
    user = make_user(role)
    with app.test_request_context("/actions"):
        login_user(user)
        return str(RowWriter(user, TODAY, **writer)(item)), item.id, owner.id


def test_a_leads_row_edits_in_place(app):
    html, i, o = _row(app, "lead", selectable=True)
    assert html == (
        f'<tr id="item-{i}" class="item-row row-overdue" data-item-id="{i}" data-status="open"'
        f' data-priority="high" data-version="1"><td><input type="checkbox" name="ids"'
        f' value="{i}" form="bulk-form" aria-labelledby="t{i}"><td><a id="t{i}"'
        f' class="item-title" href="/actions/{i}">Book the &lt;audit&gt;</a><small>'
        '<span>SOC2 &amp; FedRAMP</span><span class="meta-late">3 days overdue</span>'
        '<span class="tag">#soc2</span><span class="tag">#evidence</span></small>'
        f'<td data-label=Owner><select name="owner" aria-label="Owner"><option value="{o}">'
        "Ana O&#39;Neil</select><td data-label=Status><select name=\"status\""
        ' aria-label="Status"><option>Open</select><td data-label=Priority><select'
        ' name="priority" aria-label="Priority"><option>High</select><td data-label=Due>'
        '<input type="date" name="due_date" aria-label="Due date" value="2026-11-28"></tr>')


def test_an_executives_row_reads_only(app):
    html, i, o = _row(app, "executive", hide_workstream=True, id_prefix="due-")
    assert html == (
        f'<tr id="due-item-{i}" class="item-row row-overdue" data-item-id="{i}"'
        f' data-status="open" data-priority="high" data-version="1"><td><a id="due-t{i}"'
        f' class="item-title" href="/actions/{i}">Book the &lt;audit&gt;</a><small>'
        '<span class="meta-late">3 days overdue</span><span class="tag">#soc2</span>'
        '<span class="tag">#evidence</span></small><td data-label=Owner>'
        f'<a href="/people/{o}" class="owner-link">Ana O&#39;Neil</a><td data-label=Status>'
        '<span class="status status-open">Open</span><td data-label=Priority>'
        '<span class="priority priority-high">High</span><td data-label=Due>'
        '<span class="due is-late">28 Nov 2026</span></tr>')


def test_a_row_that_failed_to_save_says_why_beside_each_cell(app):
    ws = make_workstream()
    item = make_item("Second", workstream_id=ws.id, status="done", due_date=None)
    db.session.commit()
    user = make_user("lead")
    state = {item.id: {"errors": {"row": "Not saved.", "due_date": "Not a <date>."},
                       "values": {"due_date": "2026-02-30"}}}
    with app.test_request_context("/actions"):
        login_user(user)
        html = str(RowWriter(user, TODAY, row_state=state)(item))
    assert 'class="item-row row-closed row-invalid"' in html
    assert '<p class="cell-error" role="alert">Not saved.</p>' in html
    assert ('<input type="date" name="due_date" aria-label="Due date" value="2026-02-30"'
            f' aria-invalid="true" aria-describedby="err-due_date-{item.id}">'
            f'<span class="cell-error" id="err-due_date-{item.id}" role="alert">'
            "Not a &lt;date&gt;.</span></tr>") in html
    assert '<option value="">Nobody yet</select>' in html
