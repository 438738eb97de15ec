"""The action-item list, its filters, inline edits, item page, create, cancel, delete and
comments, in the test client (with and without HX-Request)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.actions.models import ActionItem, Comment
from portal.audit.models import AuditEvent
from portal.extensions import db
from tests.factories import PASSWORD, make_item, make_person, make_user, make_workstream

HX = {"HX-Request": "true"}


def login(client, user):
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 303
    return user


@pytest.fixture
def world(app):
    """A lead, an owner with a Person, two workstreams and a few items."""
    lead = make_user("lead")
    owner = make_user("owner")
    other = make_person("Zoë Ñúñez")
    ws1 = make_workstream(name="Hiring")
    ws2 = make_workstream(program=ws1.program, name="Integrations")
    today = date.today()
    items = {
        "late": make_item("Recruit SREs", owner_id=owner.person_id, workstream_id=ws1.id,
                          due_date=today - timedelta(days=3), status="open", priority="high",
                          tags="task hiring"),
        "soon": make_item("Salesforce deep-dive", owner_id=other.id, workstream_id=ws2.id,
                          due_date=today + timedelta(days=2), status="proposed",
                          priority="highest", tags="task"),
        "done": make_item("Licences counted", owner_id=other.id, workstream_id=ws2.id,
                          due_date=today - timedelta(days=10), status="done", priority="low"),
        "none": make_item("Undated thought", status="open", priority="normal"),
    }
    db.session.commit()
    return {"lead": lead, "owner": owner, "other": other, "ws1": ws1, "ws2": ws2, **items}


def titles(html: str, world) -> set[str]:
    return {key for key in ("late", "soon", "done", "none") if world[key].title in html}


def test_list_page_and_fragment(client, world):
    login(client, world["lead"])
    page = client.get("/actions")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<html" in html and 'id="filters"' in html and titles(html, world) == {
        "late", "soon", "done", "none"}
    assert "HX-Request" in page.headers["Vary"]
    fragment = client.get("/actions?q=sales", headers=HX)
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 200
    assert "<html" not in text and 'id="results"' in text and 'id="filters"' not in text
    assert titles(text, world) == {"soon"}


@pytest.mark.parametrize("query,expected", [
    ("q=recruit", {"late"}),
    ("q=HIRING", {"late"}),                      # tags, case-insensitive
    ("q=100%25", set()),                         # LIKE wildcards are literal
    ("status=open", {"late", "none"}),
    ("status=open&status=done", {"late", "none", "done"}),
    ("priority=highest&priority=low", {"soon", "done"}),
    ("overdue=1", {"late"}),
    ("due_from={today}", {"soon"}),
    ("due_to={today}", {"late", "done"}),
])
def test_filters(client, world, query, expected):
    login(client, world["lead"])
    query = query.format(today=date.today().isoformat())
    response = client.get(f"/actions?{query}", headers=HX)
    assert response.status_code == 200
    assert titles(response.get_data(as_text=True), world) == expected


def test_owner_and_workstream_filters(client, world):
    login(client, world["lead"])
    html = client.get(f"/actions?owner={world['other'].id}").get_data(as_text=True)
    assert titles(html, world) == {"soon", "done"}
    html = client.get(f"/actions?workstream={world['ws1'].id}").get_data(as_text=True)
    assert titles(html, world) == {"late"}


@pytest.mark.parametrize("sort,first", [("due", "late"), ("-due", "soon"),
                                        ("priority", "soon"), ("updated", None)])
def test_sorts(client, world, sort, first):
    login(client, world["lead"])
    html = client.get(f"/actions?sort={sort}&status=open&status=proposed").get_data(as_text=True)
    positions = {key: html.find(world[key].title) for key in ("late", "soon", "none")}
    assert all(p > 0 for p in positions.values())
    if first:
        assert min(positions, key=positions.get) == first
    if sort in ("due", "-due"):
        assert max(positions, key=positions.get) == "none"  # undated last either way


@pytest.mark.parametrize("query,message", [
    ("sort=garbage", "sort"),
    ("page=-1", "page"),
    ("page=abc", "page"),
    ("status=finished", "status"),
    ("priority=urgent", "priority"),
    ("owner=abc", "owner"),
    ("due_from=2025-02-30", "due_from"),
    ("due_from=2025-03-01&due_to=2025-02-01", "range ends before"),
    ("overdue=yes", "overdue"),
    ("q=" + "x" * 500, "longer than"),
])
def test_bad_filters_answer_400_with_a_message(client, world, query, message):
    login(client, world["lead"])
    response = client.get(f"/actions?{query}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Some filters were not understood" in html and message in html
    # The rest still applies: the table is there.
    assert world["late"].title in html or "No item" in html


def test_pagination_50_a_page(client, world):
    for n in range(60):
        make_item(f"Bulk item {n:03d}", status="open", due_date=date(2030, 1, 1))
    db.session.commit()
    login(client, world["lead"])
    first = client.get("/actions?q=bulk").get_data(as_text=True)
    assert first.count('class="item-row') == 50 and "Page 1 of 2" in first
    second = client.get("/actions?q=bulk&page=2").get_data(as_text=True)
    assert second.count('class="item-row') == 10
    beyond = client.get("/actions?q=bulk&page=99")
    assert beyond.status_code == 200 and beyond.get_data(as_text=True).count(
        'class="item-row') == 10


def test_inline_status_change_swaps_the_row(client, world):
    login(client, world["lead"])
    item = world["late"]
    response = client.post(f"/actions/{item.id}/row", headers=HX,
                           data={"status": "in_progress", "version": item.version,
                                 "return_to": "/actions?status=open"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith("<tr") and 'data-status="in_progress"' in html
    assert 'data-version="2"' in html
    db.session.expire_all()
    saved = db.session.get(ActionItem, item.id)
    assert saved.status == "in_progress" and saved.version == 2
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_id == item.id,
                                                        AuditEvent.entity_type == "action_item")
                               .order_by(AuditEvent.id.desc())).first()
    assert event.before == {"status": "open"}
    assert event.after == {"status": "in_progress", "version": 2}
    assert event.workstream_id == world["ws1"].id and event.actor_user_id == world["lead"].id


def test_inline_change_without_javascript_redirects_back(client, world):
    login(client, world["lead"])
    item = world["late"]
    response = client.post(f"/actions/{item.id}/row",
                           data={"priority": "low", "version": item.version,
                                 "return_to": "/actions?status=open"})
    assert response.status_code == 303 and response.headers["Location"] == "/actions?status=open"
    response = client.post(f"/actions/{item.id}/row",
                           data={"priority": "low", "version": 2,
                                 "return_to": "https://evil.example/"})
    assert response.headers["Location"] == "/actions"


@pytest.mark.parametrize("data,field,message", [
    ({"due_date": "2025-02-30"}, "due_date", "2025-02-30 is not a date that exists"),
    ({"due_date": "next week"}, "due_date", "not a date"),
    ({"owner": "999999"}, "owner", "That owner does not exist"),
    ({"owner": "abc"}, "owner", "Choose from the list"),
    ({"status": "finished"}, "status", "Not a valid choice"),
    ({"priority": "urgent"}, "priority", "Not a valid choice"),
    ({}, "row", "Nothing to change"),
])
def test_invalid_inline_edit_shows_message_in_row_and_saves_nothing(client, world, data, field,
                                                                    message):
    login(client, world["lead"])
    item = world["late"]
    before = (item.status, item.owner_id, item.due_date, item.priority, item.version)
    events = db.session.scalar(select(func.count(AuditEvent.id)))
    response = client.post(f"/actions/{item.id}/row", headers=HX,
                           data={**data, "version": item.version, "return_to": "/actions"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith("<tr") and "row-invalid" in html and message in html
    if field != "row":  # the cell's control points at its message
        assert (f'aria-invalid="true" aria-describedby="err-{field}-{item.id}"' in html
                and f'<span class="cell-error" id="err-{field}-{item.id}" role="alert">' in html)
    db.session.expire_all()
    saved = db.session.get(ActionItem, item.id)
    assert (saved.status, saved.owner_id, saved.due_date, saved.priority, saved.version) == before
    assert db.session.scalar(select(func.count(AuditEvent.id))) == events


def test_invalid_inline_edit_without_javascript_shows_the_list_with_the_message(client, world):
    login(client, world["lead"])
    item = world["late"]
    response = client.post(f"/actions/{item.id}/row",
                           data={"due_date": "2025-02-30", "version": item.version,
                                 "return_to": "/actions?status=open"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<html" in html and "2025-02-30 is not a date that exists" in html


def test_item_page_shows_fields_history_and_comments(client, world):
    login(client, world["lead"])
    item = world["late"]
    client.post(f"/actions/{item.id}/row", headers=HX,
                data={"owner": world["other"].id, "version": 1, "return_to": "/actions"})
    client.post(f"/actions/{item.id}/comments", data={"body": "Two offers out."})
    html = client.get(f"/actions/{item.id}").get_data(as_text=True)
    assert item.title in html and "Hiring" in html
    assert "Two offers out." in html
    # History names the people, not their ids.
    assert "Zoë Ñúñez" in html and world["owner"].person.name in html
    assert client.get("/actions/999999").status_code == 404


def test_create_item(client, world):
    login(client, world["lead"])
    response = client.post("/actions", data={
        "title": "  Book the  SKO venue ", "owner_id": world["other"].id,
        "workstream_id": world["ws2"].id, "status": "open", "priority": "high",
        "due_date": "2026-01-15", "tags": "#sko #venue sko"})
    assert response.status_code == 303
    item = db.session.scalar(select(ActionItem).where(ActionItem.title == "Book the SKO venue"))
    assert item.tags == "sko venue" and item.due_date == date(2026, 1, 15)
    assert response.headers["Location"] == f"/actions/{item.id}"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_id == item.id,
                                                       AuditEvent.action == "create"))
    assert event.after["title"] == "Book the SKO venue"


@pytest.mark.parametrize("data,message", [
    ({"title": ""}, "A title is required"),
    ({"title": "x" * 501}, "500 characters"),
    ({"title": "ok", "owner_id": "424242"}, "That owner does not exist"),
    ({"title": "ok", "workstream_id": "424242"}, "That workstream does not exist"),
    ({"title": "ok", "due_date": "2025-02-30"}, "2025-02-30 is not a date that exists"),
    ({"title": "ok", "status": "finished"}, "Not a valid choice"),
    ({"title": "ok", "priority": "urgent"}, "Not a valid choice"),
])
def test_create_refuses_bad_input(client, world, data, message):
    login(client, world["lead"])
    count = db.session.scalar(select(func.count(ActionItem.id)))
    base = {"status": "open", "priority": "normal"}
    for headers in ({}, HX):
        response = client.post("/actions", data={**base, **data}, headers=headers)
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert message in html
        assert ("<html" in html) == (not headers)
    assert db.session.scalar(select(func.count(ActionItem.id))) == count


def edit_data(item, **changes):
    data = {"title": item.title, "owner_id": item.owner_id or "", "workstream_id":
            item.workstream_id or "", "status": item.status, "priority": item.priority,
            "due_date": item.due_date.isoformat() if item.due_date else "", "scheduled_date": "",
            "start_date": "", "tags": item.tags, "notes": item.notes or "",
            "version": item.version}
    data.update(changes)
    return data


def test_edit_item_page_and_fragment(client, world):
    login(client, world["lead"])
    item = world["soon"]
    response = client.post(f"/actions/{item.id}", data=edit_data(item, title="Deep-dive booked",
                                                                 status="done"))
    assert response.status_code == 303
    db.session.expire_all()
    saved = db.session.get(ActionItem, item.id)
    assert saved.title == "Deep-dive booked" and saved.done_date == date.today()
    bad = client.post(f"/actions/{item.id}", headers=HX,
                      data=edit_data(saved, due_date="2025-02-30"))
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "<html" not in html and 'id="edit"' in html and "is not a date that exists" in html
    missing_version = client.post(f"/actions/{item.id}", data={**edit_data(saved), "version": ""})
    assert missing_version.status_code == 422


def test_cancel_keeps_the_item(client, world):
    login(client, world["lead"])
    item = world["late"]
    response = client.post(f"/actions/{item.id}/cancel", data={"version": item.version})
    assert response.status_code == 303
    db.session.expire_all()
    saved = db.session.get(ActionItem, item.id)
    assert saved.status == "cancelled" and saved.cancelled_date == date.today()
    again = client.post(f"/actions/{item.id}/cancel", data={"version": saved.version})
    assert again.status_code == 422 and "already cancelled" in again.get_data(as_text=True)


def test_delete_needs_admin_and_confirmation(client, world):
    admin = make_user("admin")
    item = world["late"]
    login(client, world["lead"])
    assert client.post(f"/actions/{item.id}/delete", data={"version": 1,
                                                           "confirm": "y"}).status_code == 403
    client.post("/logout")
    login(client, admin)
    unconfirmed = client.post(f"/actions/{item.id}/delete", data={"version": 1})
    assert unconfirmed.status_code == 422
    assert "Tick the box" in unconfirmed.get_data(as_text=True)
    assert db.session.get(ActionItem, item.id) is not None
    response = client.post(f"/actions/{item.id}/delete", data={"version": 1, "confirm": "y"})
    assert response.status_code == 303 and response.headers["Location"] == "/actions"
    db.session.expire_all()
    assert db.session.get(ActionItem, item.id) is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "delete",
                                                       AuditEvent.entity_id == item.id))
    assert event.before["title"] == "Recruit SREs"


def test_comments(client, world):
    login(client, world["owner"])
    own = world["late"]
    response = client.post(f"/actions/{own.id}/comments", headers=HX,
                           data={"body": "On it."})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and "On it." in html
    for body, status in (("", 422), ("x" * 5001, 422), ("   ", 422)):
        assert client.post(f"/actions/{own.id}/comments", data={"body": body}).status_code \
            == status
    assert db.session.scalar(select(func.count(Comment.id))) == 1
    plain = client.post(f"/actions/{own.id}/comments", data={"body": "Done soon."})
    assert plain.status_code == 303 and plain.headers["Location"].endswith("#comments")


def test_executive_reads_but_sees_no_forms(client, world):
    login(client, make_user("executive"))
    html = client.get("/actions").get_data(as_text=True)
    assert world["late"].title in html
    assert '<select name="status"' not in html and 'type="date" name="due_date"' not in html
    assert "bulk-form" not in html and "create-panel" not in html
    detail = client.get(f"/actions/{world['late'].id}").get_data(as_text=True)
    assert 'id="edit"' not in detail and "Set status" not in detail


def test_inline_edit_answers_a_row_that_fits_its_table(client, world):
    """The list's table has a tick column; the dashboard's has none; a workstream's page
    leaves the workstream line out: the row that comes back matches (portal.js sends the
    table's layout)."""
    login(client, world["lead"])
    item = world["late"]
    listed = client.post(f"/actions/{item.id}/row", headers=HX, data={
        "priority": "low", "version": 1, "return_to": "/actions", "ticks": "1"})
    html = listed.get_data(as_text=True)
    assert listed.status_code == 200 and 'name="ids"' in html and "Hiring" in html
    bare = client.post(f"/actions/{item.id}/row", headers=HX, data={
        "priority": "high", "version": 2, "return_to": "/", "hide_workstream": "1"})
    html = bare.get_data(as_text=True)
    html = html[:html.index("</tr>")]  # the dashboard's figures follow, out of band
    assert bare.status_code == 200 and 'name="ids"' not in html and "Hiring" not in html
    assert html.count("<td") == 5  # title, owner, status, priority, due


def test_the_navigation_opens_the_list_on_the_open_items(client, world):
    """Sorted by due date, every item would put the long-done ones first: the menu's
    Actions leads to the open ones; the bare URL still lists everything."""
    login(client, world["lead"])
    html = client.get("/").get_data(as_text=True)
    href = "/actions?status=proposed&amp;status=open&amp;status=in_progress"
    assert f'<a href="{href}" >Actions</a>' in html
    assert titles(client.get(href.replace("&amp;", "&")).get_data(as_text=True), world) == {
        "late", "soon", "none"}
    page = client.get(href.replace("&amp;", "&")).get_data(as_text=True)
    assert f'<a href="{href}" aria-current="page">Actions</a>' in page


def test_list_rows_leave_out_tags_that_say_nothing(client, world):
    """`#task` (every imported item has it) and a status word (`#proposed`) get no chip on
    /actions; other tags keep theirs, and the item page still lists every tag."""
    item = make_item("Tagged thing", status="in_progress", tags="task proposed In-Progress "
                                                               "security")
    db.session.commit()
    login(client, world["lead"])
    html = client.get("/actions?q=Tagged").get_data(as_text=True)
    row = html[html.index(f'id="item-{item.id}"'):]
    row = row[:row.index("</tr>") if "</tr>" in row else row.index("<tr", 10)]
    assert '<span class="tag">#security</span>' in row
    assert "#task" not in row and "#proposed" not in row and "#In-Progress" not in row
    detail = client.get(f"/actions/{item.id}").get_data(as_text=True)
    assert "#task" in detail and "#proposed" in detail and "#security" in detail


def test_new_item_link_renders_the_panel_open(client, world):
    login(client, world["lead"])
    closed = client.get("/actions?status=open").get_data(as_text=True)
    assert '<details class="card create-panel" id="create-panel">' in closed
    assert 'href="/actions?new=1&amp;status=open#create-panel" data-opens="create-panel"' in closed
    opened = client.get("/actions?new=1&status=open").get_data(as_text=True)
    assert '<details class="card create-panel" id="create-panel" open>' in opened


def test_a_closed_panel_fetches_its_form_when_opened(client, world):
    """The closed panel carries no form, only what fetches it on opening (htmx) and, for a
    browser without JavaScript, a link to the page with the panel open."""
    login(client, world["lead"])
    closed = client.get("/actions?status=open").get_data(as_text=True)
    panel = closed[closed.index('id="create-panel"'):closed.index("</details>")]
    assert "<form" not in panel and 'name="title"' not in panel
    assert ('data-hx-get="/actions/new?status=open" data-hx-trigger="toggle from:closest'
            ' details once" data-hx-swap="outerHTML"><a href="/actions?new=1&amp;status=open'
            '#create-panel">Open the form</a>') in panel
    fetched = client.get("/actions/new?status=open", headers={"HX-Request": "true"})
    assert fetched.status_code == 200 and "HX-Request" in fetched.headers["Vary"]
    form = fetched.get_data(as_text=True)
    assert form.lstrip().startswith('<form method="post" action="/actions"')
    assert 'name="title"' in form and "Create item</button>" in form and "<html" not in form
    assert 'href="/actions?choices=all&amp;new=1&amp;status=open#create-panel"' in form
    # Without htmx, the same URL leads to the list with the panel open.
    plain = client.get("/actions/new?status=open")
    assert plain.status_code == 302
    assert plain.headers["Location"] == "/actions?new=1&status=open#create-panel"
    # Only those who create items get it.
    owner = client.application.test_client()
    login(owner, world["owner"])
    assert owner.get("/actions/new", headers={"HX-Request": "true"}).status_code == 403
