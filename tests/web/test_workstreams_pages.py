"""Workstream pages through the test client: reading, editing, RAG history, exit criteria,
dependencies, permissions, bad input, stale edits and the query count."""
from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import pytest
from sqlalchemy import func, insert, select

from portal.actions.models import ActionItem
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.people.models import Person
from portal.program.models import Criterion, StatusUpdate, Workstream
from tests.factories import (
    PASSWORD,
    make_item,
    make_person,
    make_program,
    make_user,
    make_workstream,
    signed_in,
)

HX = {"HX-Request": "true"}


@pytest.fixture
def world(app):
    program = make_program(target_date=date.today() + timedelta(days=60))
    lead = make_person("Ada Lead")
    ws = make_workstream(program, name="Hiring", lead=lead, position=1, rag="green")
    other = make_workstream(program, name="Integrations", position=2)
    third = make_workstream(program, name="Compliance", position=3)
    db.session.commit()
    return {"program": program, "ws": ws, "other": other, "third": third, "lead": lead}


def login(app, role):
    return signed_in(app, role)


@pytest.fixture
def lead_client(app):
    return login(app, "lead")


def edit_data(ws, **changes):
    data = {"name": ws.name, "lead_id": str(ws.lead_id or ""), "description": ws.description,
            "target_date": "", "gating": "y", "keywords": ws.keywords, "version": str(ws.version)}
    data.update(changes)
    return data


def add_criteria(ws, *texts):
    for position, text in enumerate(texts, 1):
        db.session.add(Criterion(workstream_id=ws.id, text=text, position=position))
    db.session.commit()
    return list(db.session.scalars(select(Criterion).where(Criterion.workstream_id == ws.id)
                                   .order_by(Criterion.position)))


def readiness_percent(html: str) -> int:
    match = re.search(r'id="readiness-percent">(\d+)%', html)
    assert match, "no readiness percentage on the page"
    return int(match.group(1))


# --- reading -----------------------------------------------------------------------------

def test_list_shows_every_workstream_gating_first(app, world, lead_client):
    world["third"].gating = False
    db.session.commit()
    html = lead_client.get("/workstreams").get_data(as_text=True)
    assert html.index("Hiring") < html.index("Integrations") < html.index("Compliance")
    assert "New workstream" in html


def test_list_with_htmx_header_is_still_the_page(app, world, lead_client):
    response = lead_client.get("/workstreams", headers=HX)
    assert response.status_code == 200 and "<html" in response.get_data(as_text=True)
    assert "HX-Request" in response.headers["Vary"]


def test_detail_page_and_its_items_block_for_htmx(app, world, lead_client):
    ws = world["ws"]
    make_item("Hire two SREs", workstream_id=ws.id, owner_id=world["lead"].id)
    db.session.commit()
    page = lead_client.get(f"/workstreams/{ws.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<html" in html and "Hire two SREs" in html and "Ada Lead" in html
    fragment = lead_client.get(f"/workstreams/{ws.id}?page=1", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and 'id="items"' in fragment and "Hire two SREs" in fragment


def test_the_page_lists_what_it_is_blocked_by_and_what_it_blocks(app, world, lead_client):
    """Both ways, each in the program's order, with each workstream's reported status; an
    unrelated workstream in neither."""
    ws, other, third = world["ws"], world["other"], world["third"]
    fourth = make_workstream(world["program"], name="Enablement", position=4, rag="red")
    other.depends_on = [fourth, ws]
    ws.depends_on = [third]
    db.session.commit()

    def panel(workstream_id):
        html = lead_client.get(f"/workstreams/{workstream_id}").get_data(as_text=True)
        section = html[html.index('id="dependencies"'):html.index('id="about"')]
        blocked_by, blocks = section.split("Blocks</h3>")
        return (re.findall(r">([^<]+)</a>", blocked_by), re.findall(r">([^<]+)</a>", blocks))

    assert panel(ws.id) == (["Compliance"], ["Integrations"])
    assert panel(other.id) == (["Hiring", "Enablement"], [])
    assert panel(fourth.id) == ([], ["Integrations"])
    html = lead_client.get(f"/workstreams/{other.id}").get_data(as_text=True)
    assert 'data-rag="red"' in html[html.index('id="dependencies"'):html.index('id="about"')]


def test_unknown_workstream_is_404(app, world, lead_client):
    assert lead_client.get("/workstreams/999999").status_code == 404


def test_executive_reads_but_sees_no_forms(app, world):
    client = login(app, "executive")
    html = client.get(f"/workstreams/{world['ws'].id}").get_data(as_text=True)
    assert "Record status" not in html and "Add criterion" not in html
    assert "New workstream" not in client.get("/workstreams").get_data(as_text=True)


# --- permissions ---------------------------------------------------------------------------

def _change_requests(world, criterion_id):
    ws = world["ws"]
    return [
        ("/workstreams", {"name": "New one"}),
        (f"/workstreams/{ws.id}", edit_data(ws, description="changed")),
        (f"/workstreams/{ws.id}/status", {"rag": "red", "note": "Late"}),
        (f"/workstreams/{ws.id}/criteria", {"text": "Rota staffed", "weight": "1"}),
        (f"/workstreams/{ws.id}/criteria/{criterion_id}/toggle", {"done": "1"}),
        (f"/workstreams/{ws.id}/criteria/{criterion_id}/move", {"direction": "down"}),
        (f"/workstreams/{ws.id}/criteria/{criterion_id}/delete", {}),
    ]


@pytest.mark.parametrize("role,allowed", [("admin", True), ("lead", True), ("owner", False),
                                          ("executive", False)])
def test_only_leads_and_admins_change_workstreams(app, world, role, allowed):
    first, _second = add_criteria(world["ws"], "One", "Two")
    client = login(app, role)
    for path, data in _change_requests(world, first.id):
        response = client.post(path, data=data)
        expected = (303,) if allowed else (403,)
        assert response.status_code in expected, (role, path, response.status_code)
        db.session.expire_all()
        world["ws"] = db.session.get(Workstream, world["ws"].id)
    if not allowed:
        assert db.session.scalar(select(func.count(StatusUpdate.id))) == 0
        assert db.session.scalar(select(func.count(Criterion.id))) == 2


# --- creating and editing ---------------------------------------------------------------

def test_create_workstream_with_dependency(app, world, lead_client):
    response = lead_client.post("/workstreams", data={
        "name": "Telemetry", "lead_id": str(world["lead"].id), "description": "Polaris to Tableau",
        "target_date": "2026-03-01", "gating": "y", "keywords": "telemetry  Tableau",
        "depends_on": [str(world["other"].id)],
    })
    assert response.status_code == 303
    ws = db.session.scalar(select(Workstream).where(Workstream.name == "Telemetry"))
    assert response.headers["Location"].endswith(f"/workstreams/{ws.id}")
    assert ws.keywords == "telemetry Tableau" and ws.target_date == date(2026, 3, 1)
    assert [d.name for d in ws.depends_on] == ["Integrations"]
    html = lead_client.get(f"/workstreams/{world['other'].id}").get_data(as_text=True)
    blocks = html[html.index("Blocks</h3>"):]
    assert "Telemetry" in blocks[:600]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "workstream",
                                                       AuditEvent.action == "create"))
    assert event is not None and event.workstream_id == ws.id


@pytest.mark.parametrize("data,field,message", [
    ({"name": ""}, "name", "Give the workstream a name"),
    ({"name": "x" * 121}, "name", "120"),
    ({"name": "Hiring"}, "name", "already exists"),
    ({"name": "Ok", "lead_id": "987654"}, "lead_id", "not a known person"),
    ({"name": "Ok", "lead_id": "nonsense"}, "lead_id", "Choose from the list"),
    ({"name": "Ok", "target_date": "2026-02-30"}, "target_date", "is not a date that exists"),
    ({"name": "Ok", "keywords": "k" * 1001}, "keywords", "1000"),
    ({"name": "Ok", "description": "d" * 5001}, "description", "5000"),
    ({"name": "Ok", "depends_on": ["424242"]}, "depends_on", "Choose dependencies"),
])
def test_create_refuses_bad_input_beside_the_field(app, world, lead_client, data, field, message):
    before = db.session.scalar(select(func.count(Workstream.id)))
    response = lead_client.post("/workstreams", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field}-msg"' in html and message in html
    assert db.session.scalar(select(func.count(Workstream.id))) == before


def test_create_invalid_with_htmx_answers_the_form_block(app, world, lead_client):
    response = lead_client.post("/workstreams", data={"name": ""}, headers=HX)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'id="new-workstream"' in html


def test_edit_saves_and_audits(app, world, lead_client):
    ws = world["ws"]
    response = lead_client.post(f"/workstreams/{ws.id}",
                                data=edit_data(ws, name="Hiring and onboarding", gating=""))
    assert response.status_code == 303
    db.session.expire_all()
    ws = db.session.get(Workstream, ws.id)
    assert ws.name == "Hiring and onboarding" and ws.gating is False
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "update"))
    assert event.before == {"name": "Hiring", "gating": True}
    # The version the change made, so a stale edit can tell which changes it missed.
    assert event.after == {"name": "Hiring and onboarding", "gating": False, "version": 2}
    assert ws.version == 2


def two_leads(app):
    """Alice and Bob, two leads signed in with their own sessions."""
    alice, bob = make_user("lead"), make_user("lead")
    first, second = app.test_client(), app.test_client()
    first.post("/login", data={"email": alice.email, "password": PASSWORD})
    second.post("/login", data={"email": bob.email, "password": PASSWORD})
    return alice, bob, first, second


def conflict_row(html: str, field: str) -> tuple[str, str]:
    """The (theirs, yours) cells of a field's row in the conflict table, tags stripped."""
    match = re.search(rf'<tr data-field="{field}"[^>]*>.*?<td class="theirs">(.*?)</td>\s*'
                      rf'<td class="yours">(.*?)</td>', html, re.S)
    assert match, f"no conflict row for {field}"
    return tuple(" ".join(unescape(re.sub(r"<[^>]+>", "", cell)).split())
                 for cell in match.groups())


def event_count() -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)))


def test_edit_with_htmx_redirects_through_htmx(app, world, lead_client):
    ws = world["ws"]
    response = lead_client.post(f"/workstreams/{ws.id}", headers=HX,
                                data=edit_data(ws, name="Hiring (htmx)"))
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/workstreams/{ws.id}"


def lead_options(html: str) -> list[str]:
    """The option labels of the edit form's lead select."""
    select = re.search(r'<select[^>]*name="lead_id"[^>]*>(.*?)</select>', html, re.S)
    assert select, "no lead select"
    return [unescape(label) for label in re.findall(r"<option[^>]*>([^<]*)", select.group(1))]


def test_the_lead_select_lists_its_choice_and_loads_everyone_on_demand(app, world, lead_client):
    ws = world["ws"]
    for n in range(5):
        make_person(f"Candidate {n}")
    db.session.commit()
    html = lead_client.get(f"/workstreams/{ws.id}/edit", headers=HX).get_data(as_text=True)
    # The current lead and the blank only; portal.js loads the others from data-options.
    assert lead_options(html) == ["No lead yet", "Ada Lead"]
    assert re.search(r'<select[^>]*data-options="/actions/owner-options"[^>]*name="lead_id"',
                     html)
    # Without JavaScript, a link to the page listing everyone, the form open.
    assert f'href="/workstreams/{ws.id}?choices=all#edit"' in html
    everyone = lead_client.get(f"/workstreams/{ws.id}?choices=all").get_data(as_text=True)
    assert len(lead_options(everyone)) == 1 + db.session.scalar(select(func.count(Person.id)))
    assert "data-options" not in re.search(r'<select[^>]*name="lead_id"', everyone).group(0)
    assert '<details class="edit-details" open>' in everyone
    # A form sent back with an error keeps the lead it chose, listed.
    chosen = db.session.scalar(select(Person.id).where(Person.name == "Candidate 3"))
    refused = lead_client.post(f"/workstreams/{ws.id}", headers=HX, data=edit_data(
        ws, name="", lead_id=str(chosen)))
    assert refused.status_code == 422
    assert lead_options(refused.get_data(as_text=True)) == ["No lead yet", "Candidate 3"]


def test_a_closed_edit_panel_fetches_its_form_when_opened(app, world, lead_client):
    ws = world["ws"]
    page = lead_client.get(f"/workstreams/{ws.id}").get_data(as_text=True)
    panel = page[page.index('id="edit"'):page.index("</section>", page.index('id="edit"'))]
    # Closed, without its form: a loader fetches it once, on the panel's first opening,
    # and its link opens the page with the form for a browser without JavaScript.
    assert '<details class="edit-details">' in panel and "<form" not in panel
    assert (f'data-hx-get="/workstreams/{ws.id}/edit" data-hx-trigger="toggle from:closest '
            'details once"') in panel
    assert f'href="/workstreams/{ws.id}?edit=1#edit">Open the form</a>' in panel
    # The version the form saves with is on the page already (a status change updates it).
    assert f'form="ws-edit" name="version" id="ws-version" value="{ws.version}"' in panel
    fragment = lead_client.get(f"/workstreams/{ws.id}/edit", headers=HX)
    assert fragment.status_code == 200 and "HX-Request" in fragment.headers["Vary"]
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and 'id="edit"' not in html
    assert html.count('<form method="post" id="ws-edit"') == 1
    assert f'name="name" required type="text" value="{ws.name}"' in html
    # Without htmx, the page with the panel open.
    plain = lead_client.get(f"/workstreams/{ws.id}/edit")
    assert plain.status_code == 302
    assert plain.headers["Location"] == f"/workstreams/{ws.id}?edit=1#edit"
    opened = lead_client.get(f"/workstreams/{ws.id}?edit=1").get_data(as_text=True)
    assert '<details class="edit-details" open>' in opened and 'id="ws-edit"' in opened
    assert "panel-loader" not in opened[opened.index('id="edit"'):]


def test_the_edit_form_saves_without_javascript(app, world, lead_client):
    """The version sits outside the fetched form, tied to it by `form=`: a plain POST of
    the page's form (as a browser sends it, the version included) saves."""
    ws = world["ws"]
    response = lead_client.post(f"/workstreams/{ws.id}", data=edit_data(ws, name="Renamed"))
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Workstream, ws.id).name == "Renamed"


def test_stale_edit_409_shows_their_change_beside_yours(app, world):
    alice, bob, first, second = two_leads(app)
    ws, other = world["ws"], world["other"]
    for client in (first, second):  # both open the page at version 1
        assert 'id="ws-version" value="1"' in client.get(f"/workstreams/{ws.id}").get_data(
            as_text=True)
    stale = edit_data(ws, name="Mine", keywords="sre hiring", description="Bob's words",
                      depends_on=[str(other.id)])
    assert first.post(f"/workstreams/{ws.id}", data=edit_data(
        ws, name="Theirs", description="Alice's words")).status_code == 303
    events = event_count()
    for headers in (HX, {}):
        response = second.post(f"/workstreams/{ws.id}", headers=headers, data=stale)
        assert response.status_code == 409
        html = response.get_data(as_text=True)
        assert ("<html" in html) == (not headers)  # htmx gets the edit block alone
        assert ("Your edit was not saved" in html) == (not headers)  # the page says so on top
        assert "Changed by someone else since you opened it. Nothing was saved." in html
        # Who, and what they changed (from the audit trail).
        panel = html[html.index('id="ws-conflict"'):html.index("</ul>", html.index(
            'id="ws-conflict"'))]
        assert alice.name in panel and "Theirs" in panel and "Alice&#39;s words" in panel
        # Theirs beside yours, field by field; what nobody changed is left out.
        assert conflict_row(html, "name") == ("Theirs", "Mine")
        assert conflict_row(html, "description") == ("Alice's words", "Bob's words")
        assert conflict_row(html, "depends_on") == ("none", "Integrations")
        assert 'data-field="gating"' not in html
        # Bob's values stay in the form, with the current version: saving again is deliberate.
        assert 'name="name" required type="text" value="Mine">' in html
        assert "Bob&#39;s words</textarea>" in html
        assert f'<option selected value="{other.id}">Integrations' in html
        assert 'id="ws-version" value="2"' in html
        assert "Save mine over theirs" in html
    # Nothing of Bob's was written: no change, no audit event.
    db.session.expire_all()
    current = db.session.get(Workstream, ws.id)
    assert (current.name, current.description, current.version) == ("Theirs", "Alice's words", 2)
    assert current.depends_on == []
    assert event_count() == events
    # Re-submitting with the version the 409 gave puts Bob's values over Alice's.
    again = second.post(f"/workstreams/{ws.id}", data={**stale, "version": "2"})
    assert again.status_code == 303
    db.session.expire_all()
    current = db.session.get(Workstream, ws.id)
    assert (current.name, current.keywords, current.version) == ("Mine", "sre hiring", 3)
    assert [d.id for d in current.depends_on] == [other.id]


def test_conflict_lists_only_the_changes_since_your_version(app, world):
    alice, bob, first, second = two_leads(app)
    ws = world["ws"]
    assert first.post(f"/workstreams/{ws.id}", data=edit_data(ws, name="First")).status_code == 303
    stale = edit_data(ws, name="Mine", version="2")  # Bob opened the page after that
    assert first.post(f"/workstreams/{ws.id}", data=edit_data(
        ws, name="Second", version="2")).status_code == 303
    assert first.post(f"/workstreams/{ws.id}/status", data={
        "rag": "red", "note": "Offers declined"}).status_code == 303
    response = second.post(f"/workstreams/{ws.id}", data=stale, headers=HX)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    events = re.findall(r'<li data-event-id="(\d+)">', html)
    assert len(events) == 2  # the second edit and the status change, not the first edit
    assert "Offers declined" in html and 'data-rag="red"' in html
    assert "First" not in html.split('id="ws-conflict"')[1].split("</ul>")[0]
    assert conflict_row(html, "name") == ("Second", "Mine")
    assert 'id="ws-version" value="4"' in html


def test_a_dependency_change_alone_makes_older_forms_stale(app, world):
    alice, bob, first, second = two_leads(app)
    ws, other = world["ws"], world["other"]
    stale = edit_data(ws, name="Mine")
    assert first.post(f"/workstreams/{ws.id}", data=edit_data(
        ws, depends_on=[str(other.id)])).status_code == 303
    db.session.expire_all()
    assert db.session.get(Workstream, ws.id).version == 2
    response = second.post(f"/workstreams/{ws.id}", data=stale, headers=HX)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert alice.name in html
    assert conflict_row(html, "depends_on") == ("Integrations", "—")
    db.session.expire_all()
    assert db.session.get(Workstream, ws.id).name == "Hiring"


@pytest.mark.parametrize("version", ["", "abc", "99"])
def test_edit_without_a_current_version_is_refused(app, world, lead_client, version):
    ws = world["ws"]
    response = lead_client.post(f"/workstreams/{ws.id}", data=edit_data(ws, name="X",
                                                                        version=version))
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert conflict_row(html, "name") == ("Hiring", "X")  # the form is kept, nothing lost
    assert 'id="ws-version" value="1"' in html
    db.session.expire_all()
    assert db.session.get(Workstream, ws.id).name == "Hiring"


@pytest.mark.committed
def test_a_save_between_read_and_write_is_a_conflict_too(app, world, lead_client, monkeypatch):
    """Someone commits after the version check and before our write: the version column
    catches it (StaleDataError), and the answer is the same 409 with their change."""
    from portal.workstreams import service

    ws = world["ws"]
    checked = service.check_version

    def check_then_someone_saves(workstream, version):
        checked(workstream, version)
        with db.engine.begin() as conn:  # another process, its own transaction
            conn.execute(Workstream.__table__.update().where(Workstream.__table__.c.id == ws.id)
                         .values(name="Raced", version=2))
            conn.execute(insert(AuditEvent).values(
                via="cli", entity_type="workstream", entity_id=ws.id, action="update",
                summary="Edited workstream Raced: name", before={"name": "Hiring"},
                after={"name": "Raced", "version": 2}, workstream_id=ws.id))

    monkeypatch.setattr(service, "check_version", check_then_someone_saves)
    events = event_count()
    response = lead_client.post(f"/workstreams/{ws.id}", headers=HX,
                                data=edit_data(ws, name="Mine"))
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "via cli" in html and conflict_row(html, "name") == ("Raced", "Mine")
    assert 'id="ws-version" value="2"' in html
    db.session.expire_all()
    assert db.session.get(Workstream, ws.id).name == "Raced"
    assert event_count() == events + 1  # theirs only


def test_self_dependency_is_refused(app, world, lead_client):
    ws = world["ws"]
    response = lead_client.post(f"/workstreams/{ws.id}",
                                data=edit_data(ws, depends_on=[str(ws.id)]))
    assert response.status_code == 422
    assert "cannot depend on itself" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Workstream, ws.id).depends_on == []


def test_cycle_is_refused_with_the_loop_named(app, world, lead_client):
    ws, other, third = world["ws"], world["other"], world["third"]
    # Hiring -> Integrations -> Compliance
    assert lead_client.post(f"/workstreams/{ws.id}",
                            data=edit_data(ws, depends_on=[str(other.id)])).status_code == 303
    db.session.expire_all()
    other = db.session.get(Workstream, other.id)
    assert lead_client.post(f"/workstreams/{other.id}",
                            data=edit_data(other, depends_on=[str(third.id)])).status_code == 303
    db.session.expire_all()
    third = db.session.get(Workstream, third.id)
    response = lead_client.post(f"/workstreams/{third.id}",
                                data=edit_data(third, depends_on=[str(ws.id)]))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "would make a cycle" in html
    assert "Compliance → Hiring → Integrations → Compliance" in html
    db.session.expire_all()
    assert db.session.get(Workstream, third.id).depends_on == []


# --- RAG status -----------------------------------------------------------------------------

@pytest.mark.parametrize("rag", ["amber", "red"])
def test_amber_or_red_needs_a_note(app, world, lead_client, rag):
    ws = world["ws"]
    response = lead_client.post(f"/workstreams/{ws.id}/status", data={"rag": rag, "note": "  "},
                                headers=HX)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'id="note-msg"' in html and "note is required" in html
    assert db.session.scalar(select(func.count(StatusUpdate.id))) == 0
    db.session.expire_all()
    assert db.session.get(Workstream, ws.id).rag == "green"


@pytest.mark.parametrize("data", [{"rag": "purple", "note": "x"},
                                  {"rag": "red", "note": "n" * 2001}])
def test_status_refuses_nonsense(app, world, lead_client, data):
    response = lead_client.post(f"/workstreams/{world['ws'].id}/status", data=data)
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(StatusUpdate.id))) == 0


def test_status_change_without_htmx_redirects(app, world, lead_client):
    ws = world["ws"]
    response = lead_client.post(f"/workstreams/{ws.id}/status",
                                data={"rag": "red", "note": "Two SREs declined"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Workstream, ws.id).rag == "red"


def test_status_history_newest_first_with_audit(app, world, lead_client):
    ws = world["ws"]
    for rag, note in [("amber", "First slip"), ("red", "Second slip"), ("green", "")]:
        response = lead_client.post(f"/workstreams/{ws.id}/status", data={"rag": rag, "note": note},
                                    headers=HX)
        assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'id="status"' in html
    # The htmx answer also refreshes the head badges and the edit form's version.
    assert 'id="ws-head-badges" data-hx-swap-oob="true"' in html
    db.session.expire_all()
    version = db.session.get(Workstream, ws.id).version
    assert f'id="ws-version" value="{version}" data-hx-swap-oob="true"' in html
    history = html[html.index("History"):]
    assert history.index("Second slip") < history.index("First slip")
    updates = db.session.scalars(select(StatusUpdate).order_by(StatusUpdate.id)).all()
    assert [(u.previous_rag, u.rag) for u in updates] == [("green", "amber"), ("amber", "red"),
                                                          ("red", "green")]
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "status")).all()
    assert len(events) == 3 and all(e.workstream_id == ws.id for e in events)


# --- exit criteria ------------------------------------------------------------------------

def test_ticking_a_criterion_changes_the_readiness(app, world, lead_client):
    ws = world["ws"]
    first, second = add_criteria(ws, "Rota staffed", "Runbooks written")
    html = lead_client.get(f"/workstreams/{ws.id}").get_data(as_text=True)
    assert readiness_percent(html) == 0
    response = lead_client.post(f"/workstreams/{ws.id}/criteria/{first.id}/toggle",
                                data={"done": "1"}, headers=HX)
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert "<html" not in fragment and 'id="readiness"' in fragment
    assert readiness_percent(fragment) == 50
    assert f'data-criterion-id="{first.id}" data-done="true"' in fragment
    # Untick: back to 0; the same request twice is harmless.
    for _ in range(2):
        fragment = lead_client.post(f"/workstreams/{ws.id}/criteria/{first.id}/toggle",
                                    data={"done": "0"}, headers=HX).get_data(as_text=True)
    assert readiness_percent(fragment) == 0
    assert db.session.scalar(select(func.count(AuditEvent.id))
                             .where(AuditEvent.entity_type == "criterion")) == 2


def test_toggle_without_htmx_redirects_back(app, world, lead_client):
    ws = world["ws"]
    (first,) = add_criteria(ws, "Rota staffed")
    response = lead_client.post(f"/workstreams/{ws.id}/criteria/{first.id}/toggle",
                                data={"done": "1"})
    assert response.status_code == 303 and response.headers["Location"].endswith("#readiness")
    assert readiness_percent(lead_client.get(f"/workstreams/{ws.id}").get_data(as_text=True)) \
        == 100


def test_add_move_and_delete_criteria(app, world, lead_client):
    ws = world["ws"]
    for text in ("A first", "B second", "C third"):
        assert lead_client.post(f"/workstreams/{ws.id}/criteria",
                                data={"text": text, "weight": "1"}).status_code == 303
    criteria = db.session.scalars(select(Criterion).order_by(Criterion.position)).all()
    third = criteria[2]
    response = lead_client.post(f"/workstreams/{ws.id}/criteria/{third.id}/move",
                                data={"direction": "up"}, headers=HX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.index("C third") < html.index("B second")
    assert lead_client.post(f"/workstreams/{ws.id}/criteria/{third.id}/move",
                            data={"direction": "up"}).status_code == 303
    db.session.expire_all()
    texts = [c.text for c in db.session.scalars(select(Criterion).order_by(Criterion.position))]
    assert texts == ["C third", "A first", "B second"]
    # Moving the first one up changes nothing.
    lead_client.post(f"/workstreams/{ws.id}/criteria/{third.id}/move", data={"direction": "up"})
    response = lead_client.post(f"/workstreams/{ws.id}/criteria/{third.id}/delete", headers=HX)
    assert response.status_code == 200 and "C third" not in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Criterion.id))) == 2


@pytest.mark.parametrize("data,field,message", [
    ({"text": "", "weight": "1"}, "text", "Describe the exit criterion"),
    ({"text": "x" * 501, "weight": "1"}, "text", "500"),
    ({"text": "Ok", "weight": "0"}, "weight", "from 1 to 100"),
    ({"text": "Ok", "weight": "many"}, "weight", "integer"),
])
def test_add_criterion_refuses_bad_input(app, world, lead_client, data, field, message):
    response = lead_client.post(f"/workstreams/{world['ws'].id}/criteria", data=data, headers=HX)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<html" not in html and f'id="{field}-msg"' in html and message in html
    assert db.session.scalar(select(func.count(Criterion.id))) == 0


def test_unknown_or_foreign_criterion_is_404(app, world, lead_client):
    ws, other = world["ws"], world["other"]
    (foreign,) = add_criteria(other, "Belongs elsewhere")
    for path, data in [
        (f"/workstreams/{ws.id}/criteria/999999/toggle", {"done": "1"}),
        (f"/workstreams/{ws.id}/criteria/{foreign.id}/toggle", {"done": "1"}),
        (f"/workstreams/{ws.id}/criteria/999999/move", {"direction": "up"}),
        (f"/workstreams/{ws.id}/criteria/999999/delete", {}),
    ]:
        response = lead_client.post(path, data=data, headers=HX)
        assert response.status_code == 404, path
    db.session.expire_all()
    assert db.session.get(Criterion, foreign.id).done is False


@pytest.mark.parametrize("path,data", [("toggle", {"done": "maybe"}),
                                       ("move", {"direction": "sideways"})])
def test_criterion_nonsense_values_are_422(app, world, lead_client, path, data):
    (first,) = add_criteria(world["ws"], "One")
    response = lead_client.post(f"/workstreams/{world['ws'].id}/criteria/{first.id}/{path}",
                                data=data)
    assert response.status_code == 422


# --- speed ------------------------------------------------------------------------------

def bulk_items(ws_id: int, owner_id: int, count: int, today: date) -> None:
    rows = [{"title": f"Bulk item {n}", "title_key": f"bulk item {n}", "workstream_id": ws_id,
             "owner_id": owner_id, "status": ("open", "done", "in_progress")[n % 3],
             "priority": "normal", "due_date": today + timedelta(days=(n % 40) - 20), "tags": "",
             "notes": "", "version": 1}
            for n in range(count)]
    db.session.execute(insert(ActionItem), rows)
    db.session.commit()


def count_detail(client, query_counter, ws_id: int) -> int:
    client.get(f"/workstreams/{ws_id}")  # warm up: login loader, caches
    with query_counter() as statements:
        response = client.get(f"/workstreams/{ws_id}")
    assert response.status_code == 200
    return len(statements)


def test_detail_query_count_does_not_grow_with_items(app, world, lead_client, query_counter):
    ws = world["ws"]
    add_criteria(ws, "One", "Two")
    db.session.add(StatusUpdate(workstream_id=ws.id, rag="amber", previous_rag="green", note="x"))
    db.session.commit()
    today = date.today()
    bulk_items(ws.id, world["lead"].id, 10, today)
    small = count_detail(lead_client, query_counter, ws.id)
    bulk_items(ws.id, world["lead"].id, 1990, today)
    assert db.session.scalar(select(func.count(ActionItem.id))) == 2000
    large = count_detail(lead_client, query_counter, ws.id)
    assert small == large
    assert small < 25


def test_list_query_count_does_not_grow_with_items(app, world, lead_client, query_counter):
    today = date.today()

    def count():
        lead_client.get("/workstreams")
        with query_counter() as statements:
            assert lead_client.get("/workstreams").status_code == 200
        return len(statements)

    bulk_items(world["ws"].id, world["lead"].id, 10, today)
    small = count()
    bulk_items(world["other"].id, world["lead"].id, 1990, today)
    assert count() == small
