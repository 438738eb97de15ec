"""The field specification of action items (portal/actions/fields.py) drives the forms,
the table and its in-place editor; a form saves only the fields it posted."""
from __future__ import annotations

from datetime import date

import pytest

from portal.actions import fields
from portal.actions.fields import ItemField
from portal.actions.models import ActionItem
from portal.extensions import db
from tests.factories import PASSWORD, make_item, make_person, make_user, make_workstream

HX = {"HX-Request": "true"}


@pytest.fixture
def lead_client(app):
    lead = make_user("lead")
    client = app.test_client()
    assert client.post("/login", data={"email": lead.email,
                                       "password": PASSWORD}).status_code == 303
    return client


@pytest.fixture
def item(app):
    owner = make_person("Ada Owner")
    ws = make_workstream(name="Billing")
    item = make_item("Wire the exporter", owner_id=owner.id, workstream_id=ws.id,
                     status="in_progress", priority="high", due_date=date(2026, 3, 1),
                     scheduled_date=date(2026, 2, 20), start_date=date(2026, 2, 1),
                     tags="export billing", notes="Keep the CSV as is.")
    db.session.commit()
    return item


def test_a_field_added_to_the_specification_shows_everywhere(app, lead_client, item,
                                                             monkeypatch):
    """A throw-away column: no other change than the specification."""
    repeats = ItemField("recurrence", "Repeats", "text", max_length=200, column=True)
    monkeypatch.setattr(fields, "ITEM_FIELDS", fields.ITEM_FIELDS + (repeats,))

    page = lead_client.get(f"/actions/{item.id}").get_data(as_text=True)
    assert 'name="recurrence"' in page and "Repeats" in page  # the edit form
    assert 'name="recurrence"' in lead_client.get("/actions").get_data(as_text=True)

    listing = lead_client.get("/actions").get_data(as_text=True)
    assert '<th data-field="recurrence">Repeats</th>' in listing
    row = listing[listing.index(f'id="item-{item.id}"'):]
    row = row[:row.index("</tr>")]
    assert '<td data-label=Repeats><input name="recurrence"' in row

    answer = lead_client.post(f"/actions/{item.id}/row", headers=HX, data={
        "recurrence": "every   week", "version": item.version})
    assert answer.status_code == 200
    assert 'value="every week"' in answer.get_data(as_text=True)
    saved = db.session.get(ActionItem, item.id, populate_existing=True)
    assert saved.recurrence == "every week"
    assert (saved.status, saved.priority, saved.due_date) == ("in_progress", "high",
                                                              date(2026, 3, 1))

    lead_client.post(f"/actions/{item.id}", data={
        "title": item.title, "recurrence": "every day", "version": saved.version})
    assert db.session.get(ActionItem, item.id, populate_existing=True).recurrence == "every day"


def _stored(item_id: int) -> dict:
    saved = db.session.get(ActionItem, item_id, populate_existing=True)
    return {f.name: getattr(saved, f.name) for f in fields.ITEM_FIELDS}


@pytest.mark.parametrize("posted", [
    {"title": "Wire the exporter again"},
    {"due_date": "2026-04-01"},
    {"owner_id": ""},
    {"notes": "Only the notes."},
])
def test_the_edit_form_saves_only_the_fields_it_posted(app, lead_client, item, posted):
    before = _stored(item.id)
    response = lead_client.post(f"/actions/{item.id}", data={**posted,
                                                             "version": item.version})
    assert response.status_code == 303
    after = _stored(item.id)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == set(posted)


def test_the_status_and_row_forms_leave_the_other_fields_alone(app, lead_client, item):
    before = _stored(item.id)
    assert lead_client.post(f"/actions/{item.id}/status", data={
        "status": "done", "version": item.version}).status_code == 303
    # said as the row's toast says it, in the status's own words
    assert "Saved: Status Done." in lead_client.get(f"/actions/{item.id}").get_data(as_text=True)
    version = db.session.get(ActionItem, item.id, populate_existing=True).version
    assert lead_client.post(f"/actions/{item.id}/row", headers=HX, data={
        "priority": "low", "version": version}).status_code == 200
    after = _stored(item.id)
    assert {name for name in before if before[name] != after[name]} == {"status", "priority"}


def test_the_forms_show_every_field_of_the_specification(app, lead_client, item):
    page = lead_client.get(f"/actions/{item.id}").get_data(as_text=True)
    edit = page[page.index('id="edit"'):]
    for spec in fields.ITEM_FIELDS:
        assert f'name="{spec.name}"' in edit, spec.name
    listing = lead_client.get("/actions?new=1").get_data(as_text=True)
    create = listing[listing.index('id="create-panel"'):listing.index('id="filters"')]
    fetched = lead_client.get("/actions/new", headers={"HX-Request": "true"})
    for spec in fields.ITEM_FIELDS:
        assert (f'name="{spec.name}"' in create) == spec.create, spec.name
        assert (f'name="{spec.name}"' in fetched.get_data(as_text=True)) == spec.create
    for spec in fields.columns():
        assert f'<th data-field="{spec.posted_as}">{spec.label}</th>' in listing
        assert f"<td data-label={spec.label}>" in listing


def test_a_posted_field_is_still_judged(app, lead_client, item):
    response = lead_client.post(f"/actions/{item.id}", data={
        "title": "  ", "due_date": "2026-02-30", "version": item.version})
    assert response.status_code == 422
    assert "A title is required." in response.get_data(as_text=True)
    assert "2026-02-30 is not a date that exists." in response.get_data(as_text=True)
    assert _stored(item.id)["title"] == "Wire the exporter"
