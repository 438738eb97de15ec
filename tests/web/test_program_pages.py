"""The program's pages in the test client: an install without a program, the setup and its
steps, the program page, milestones, hyperscalers, archived workstreams, the checklist."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html import unescape

import pytest
import time_machine
from sqlalchemy import func, select

from portal.actions.models import ActionItem
from portal.audit.log import Actor
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.pocs.models import Customer, Hyperscaler, Poc
from portal.program.models import Milestone, Program, Workstream
from portal.workstreams import service
from tests.factories import (
    PASSWORD,
    make_item,
    make_person,
    make_program,
    make_user,
    make_workstream,
    signed_in,
)
from tests.unit.test_notes_import import SAMPLE
from tests.web.test_notes_import import counts, hidden

HX = {"HX-Request": "true"}
FUTURE = date.today() + timedelta(days=120)
PROGRAM_PAGES = ["/", "/summary", "/workstreams", "/program", "/program/milestones", "/setup",
                 "/pocs", "/pocs/timeline", "/pocs/hyperscalers", "/pocs/customers",
                 "/actions", "/people", "/activity"]


def login(app, role="lead", **fields):
    return signed_in(app, role, **fields)


def setup_form(**changes) -> dict:
    return {"name": "Cloud Launch", "target_date": FUTURE.isoformat(),
            "timezone": "Europe/Berlin", "description": "Support for GA."} | changes


def text(response) -> str:
    return response.get_data(as_text=True)


# --- an install without a program ---------------------------------------------------------

@pytest.mark.parametrize("role", ["admin", "lead", "owner", "executive"])
def test_no_page_sends_anyone_to_a_command(app, role):
    make_user("lead")  # someone who can set it up
    client = login(app, role)
    editor = role in ("admin", "lead")
    for path in PROGRAM_PAGES + ["/imports/new"]:
        response = client.get(path)
        if path == "/" and editor:
            assert response.status_code == 302 and response.headers["Location"] == "/setup"
            continue
        expected = 403 if path == "/imports/new" and not editor else 200
        assert response.status_code == expected, (path, response.status_code)
        body = text(response)
        assert "flask " not in body and "seed-demo" not in body, path
    response = client.get("/summary.json")
    assert response.status_code == 404 and "/setup" in response.get_json()["error"]


def test_owners_read_who_can_set_it_up(app):
    make_user("admin", email="ada@example.com")
    make_user("lead", email="lena@example.com").active = False
    db.session.commit()
    page = text(login(app, "owner").get("/summary"))
    assert "The program is not set up yet" in page
    assert "ada@example.com" in page and "lena@example.com" not in page
    assert "Set up the program" not in page


def test_leads_get_the_way_to_set_it_up(app):
    client = login(app, "lead")
    page = text(client.get("/workstreams"))
    assert "The program is not set up yet" in page and 'href="/setup"' in page
    assert client.post("/workstreams", data={"name": "Tooling"}).status_code == 409
    assert db.session.scalar(select(func.count()).select_from(Workstream)) == 0


def test_the_import_page_says_there_is_no_program_and_writes_nothing(app):
    client = login(app, "lead")
    page = text(client.get("/imports/new"))
    assert "no program to import into yet" in page and 'href="/setup"' in page
    assert 'name="note_file"' not in page
    before = counts()
    for headers in ({}, HX):
        preview = client.post("/imports/preview", data={"note_text": SAMPLE.read_text()},
                              content_type="multipart/form-data", headers=headers)
        assert preview.status_code == 409 and "no program to import into" in text(preview)
        commit = client.post("/imports/commit", data={"note_data": "eA==", "fingerprint": "x"},
                             headers=headers)
        assert commit.status_code == 409
    assert counts() == before


# --- the setup ----------------------------------------------------------------------------

def test_setting_up_leads_through_the_steps(app):
    client = login(app, "admin")
    form = text(client.get("/setup"))
    assert "Set up the program" in form and 'name="timezone"' in form
    assert '<option selected value="UTC">UTC</option>' in form  # PORTAL_TIMEZONE
    assert '<optgroup label="Europe">' in form
    response = client.post("/setup", data=setup_form())
    assert response.status_code == 303
    assert response.headers["Location"] == "/program/milestones?setup=1"
    program = db.session.scalar(select(Program))
    assert (program.name, program.timezone, program.target_date) == ("Cloud Launch",
                                                                     "Europe/Berlin", FUTURE)
    steps = text(client.get("/program/milestones?setup=1"))
    assert "step 2 of 4" in steps and 'href="/pocs/hyperscalers?setup=1"' in steps
    assert "step 3 of 4" in text(client.get("/pocs/hyperscalers?setup=1"))
    last = text(client.get("/workstreams?setup=1"))
    assert "step 4 of 4" in last and "Finish: go to the dashboard" in last
    assert 'action="/workstreams?setup=1"' in last
    created = client.post("/workstreams?setup=1", data={"name": "Tooling", "gating": "y"})
    assert created.headers["Location"] == "/workstreams?setup=1"
    # Without ?setup=1 the pages are the everyday ones.
    assert "Setting up the program" not in text(client.get("/program/milestones"))
    # The setup page now shows what is left.
    done = text(client.get("/setup"))
    assert "Setup steps" in done and 'data-step="milestones" data-done="false"' in done


def test_bad_setup_input_is_all_shown_and_nothing_written(app):
    client = login(app, "lead")
    for data in (setup_form(name="", target_date="2020-01-01", timezone="Mars/Olympus"),
                 setup_form(target_date="2026-02-30"), setup_form(name="x" * 5000),
                 setup_form(description="y" * 9000), {}):
        response = client.post("/setup", data=data)
        assert response.status_code == 422, data
        assert db.session.scalar(select(func.count()).select_from(Program)) == 0
    page = text(client.post("/setup", data=setup_form(name="", target_date="2020-01-01",
                                                      timezone="Mars/Olympus")))
    assert "Give the program a name." in page and "That date has passed" in page
    assert "is not a time zone" in page and "3 fields below need another look" in page


def test_only_leads_and_admins_set_up(app):
    for role in ("owner", "executive"):
        client = login(app, role)
        assert client.post("/setup", data=setup_form()).status_code == 403
        assert "not set up yet" in text(client.get("/setup"))
    assert db.session.scalar(select(func.count()).select_from(Program)) == 0


def test_a_second_setup_is_refused(app):
    make_program(name="The one")
    db.session.commit()
    client = login(app, "admin")
    response = client.post("/setup", data=setup_form())
    assert response.status_code == 303 and response.headers["Location"] == "/program"
    assert "already tracks the program" in text(client.get("/program"))
    assert db.session.scalar(select(func.count()).select_from(Program)) == 1


# --- the program page ---------------------------------------------------------------------

@pytest.fixture
def program(app):
    program = make_program(name="Cloud Launch", target_date=FUTURE, timezone="UTC")
    db.session.commit()
    return program


def test_readers_see_the_program_and_cannot_change_it(app, program):
    client = login(app, "executive")
    page = text(client.get("/program"))
    assert "Cloud Launch" in page and "About the program" in page and "<form" not in \
        page.split('id="program-form"')[1].split("</section>")[0]
    assert client.post("/program", data=setup_form()).status_code == 403


def test_editing_the_program_is_audited(app, program):
    client = login(app, "lead")
    response = client.post("/program", data=setup_form(name="Cloud GA", version="1"))
    assert response.status_code == 303
    db.session.expire_all()
    saved = db.session.get(Program, program.id)
    assert (saved.name, saved.timezone, saved.version) == ("Cloud GA", "Europe/Berlin", 2)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "program"))
    assert event.action == "update" and event.after["name"] == "Cloud GA"
    # A readiness date that has passed may stay (the program is late) and the rest saves;
    # moving the date into the past is refused, as on /setup.
    moved = client.post("/program", data=setup_form(target_date="2020-01-01", version="2"))
    assert moved.status_code == 422 and "That date has passed" in text(moved)
    saved.target_date = date(2020, 1, 1)
    db.session.commit()
    late = client.post("/program", data=setup_form(target_date="2020-01-01", name="Late GA",
                                                   version=str(saved.version)))
    assert late.status_code == 303
    db.session.expire_all()
    assert db.session.get(Program, program.id).name == "Late GA"


def test_a_stale_program_form_answers_409_with_both_values(app, program):
    other = login(app, "lead")
    assert other.post("/program", data=setup_form(name="Theirs", version="1")).status_code == 303
    client = login(app, "admin")
    for headers in ({}, HX):
        response = client.post("/program", data=setup_form(name="Mine", version="1"),
                               headers=headers)
        assert response.status_code == 409
        page = text(response)
        assert "Not saved" in page and "Save mine over theirs" in page
        table = re.search(r'<table class="table program-conflict-table">.*?</table>', page,
                          re.S).group(0)
        assert "Theirs" in table and "Mine" in table
        assert hidden(page, "version") == "2"
    db.session.expire_all()
    assert db.session.get(Program, program.id).name == "Theirs"
    assert client.post("/program", data=setup_form(name="Mine", version="2")).status_code == 303


def test_program_form_errors_stay_in_place(app, program):
    response = login(app, "lead").post("/program", data=setup_form(name="", version="1"),
                                       headers=HX)
    assert response.status_code == 422
    page = text(response)
    assert "<html" not in page and "Give the program a name." in page


# --- milestones -----------------------------------------------------------------------------

def test_milestones_are_added_edited_and_removed(app, program):
    client = login(app, "lead")
    added = client.post("/program/milestones", data={"name": "Beta",
                                                      "due_date": "2026-05-01"}, headers=HX)
    assert added.status_code == 200 and "Added the milestone Beta." in text(added)
    beta = db.session.scalar(select(Milestone))
    edited = client.post(f"/program/milestones/{beta.id}", data={
        f"m{beta.id}-name": "Public beta", f"m{beta.id}-due_date": "2026-05-15",
        f"m{beta.id}-version": "1"})
    assert edited.status_code == 303
    page = text(client.get("/program/milestones"))
    assert "Public beta" in page and "Saved the milestone Public beta." in page
    removed = client.post(f"/program/milestones/{beta.id}/delete", data={"version": "2"},
                          headers=HX)
    assert removed.status_code == 200 and "Removed the milestone Public beta." in text(removed)
    assert db.session.scalar(select(func.count()).select_from(Milestone)) == 0
    assert [e.action for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "milestone"))] == [
        "create", "update", "delete"]


def test_milestone_refusals(app, program):
    client = login(app, "lead")
    invalid = client.post("/program/milestones", data={"name": "Beta", "due_date": "soon"})
    assert invalid.status_code == 422 and "is not a date; use YYYY-MM-DD" in text(invalid)
    beta = service_milestone(program)
    stale = client.post(f"/program/milestones/{beta.id}", data={
        f"m{beta.id}-name": "Mine", f"m{beta.id}-due_date": "2026-05-15",
        f"m{beta.id}-version": "7"}, headers=HX)
    assert stale.status_code == 409 and "Someone else changed this milestone" in text(stale)
    assert "Mine" in text(stale)  # the editor's values are kept in the form
    gone = client.post("/program/milestones/9999", data={"m9999-name": "X"})
    assert gone.status_code == 404 and "no longer exists" in text(gone)
    gone = client.post("/program/milestones/9999/delete", data={"version": "1"})
    assert gone.status_code == 404
    assert client.post(f"/program/milestones/{beta.id}/delete",
                       data={"version": "3"}).status_code == 409
    db.session.expire_all()
    assert db.session.get(Milestone, beta.id).name == "Beta"


def service_milestone(program) -> Milestone:
    milestone = Milestone(program_id=program.id, name="Beta", due_date=date(2026, 5, 1))
    db.session.add(milestone)
    db.session.commit()
    return milestone


def test_milestones_show_on_the_dashboard_the_summary_and_the_poc_timeline(app, program):
    db.session.add(Milestone(program_id=program.id, name="Go/no-go",
                             due_date=FUTURE - timedelta(days=10)))
    db.session.commit()
    client = login(app, "lead")
    assert "Go/no-go" in text(client.get("/"))
    assert "Go/no-go" in text(client.get("/summary"))
    assert "◆ Go/no-go" in text(client.get("/pocs/timeline"))
    assert "Go/no-go" in text(client.get("/program"))


def test_readers_see_milestones_without_forms(app, program):
    service_milestone(program)
    page = text(login(app, "owner").get("/program/milestones"))
    assert "Beta" in page and "Add a milestone" not in page and "Remove" not in page


# --- hyperscalers ---------------------------------------------------------------------------

def names() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(Hyperscaler.name).order_by(Hyperscaler.rank)))


def test_hyperscalers_are_managed_on_the_poc_area(app):
    client = login(app, "lead")
    for name in ("AWS", "Azure", "GCP"):
        assert client.post("/pocs/hyperscalers", data={"name": name}).status_code == 303
    duplicate = client.post("/pocs/hyperscalers", data={"name": "gcp"}, headers=HX)
    assert duplicate.status_code == 422 and "already" in text(duplicate)
    ids = {n: i for n, i in db.session.execute(select(Hyperscaler.name, Hyperscaler.id))}
    order = ",".join(str(ids[n]) for n in ("AWS", "Azure", "GCP"))
    moved = client.post(f"/pocs/hyperscalers/{ids['GCP']}/move",
                        data={"direction": "up", "expected": order}, headers=HX)
    assert moved.status_code == 200 and "GCP is now priority 2." in text(moved)
    assert names() == ["AWS", "GCP", "Azure"]
    stale = client.post(f"/pocs/hyperscalers/{ids['GCP']}/move",
                        data={"direction": "up", "expected": order})
    assert stale.status_code == 409 and names() == ["AWS", "GCP", "Azure"]
    first = client.post(f"/pocs/hyperscalers/{ids['AWS']}/move",
                        data={"direction": "up", "expected": f"{ids['AWS']},{ids['GCP']},"
                                                             f"{ids['Azure']}"})
    assert first.status_code == 422 and "already first" in text(first)
    renamed = client.post(f"/pocs/hyperscalers/{ids['GCP']}/rename",
                          data={"name": "Google Cloud", "expected_name": "GCP"})
    assert renamed.status_code == 303 and names() == ["AWS", "Google Cloud", "Azure"]
    stale = client.post(f"/pocs/hyperscalers/{ids['GCP']}/rename",
                        data={"name": "G", "expected_name": "GCP"}, headers=HX)
    assert stale.status_code == 409 and "renamed 'GCP' to 'Google Cloud'" in unescape(text(stale))
    empty = client.post(f"/pocs/hyperscalers/{ids['AWS']}/rename",
                        data={"name": " ", "expected_name": "AWS"}, headers=HX)
    assert empty.status_code == 422 and 'aria-invalid="true"' in text(empty)
    retired = client.post(f"/pocs/hyperscalers/{ids['Azure']}/retire", headers=HX)
    assert retired.status_code == 200 and "Retired Azure." in text(retired)
    assert names() == ["AWS", "Google Cloud"]


def test_a_hyperscaler_with_pocs_is_not_retired(app):
    scaler = Hyperscaler(name="AWS", rank=1)
    db.session.add(Poc(customer=Customer(name="Zoom"), hyperscaler=scaler, position=1))
    db.session.commit()
    client = login(app, "lead")
    page = text(client.get("/pocs/hyperscalers"))
    assert "Move its POCs first" in page
    refused = client.post(f"/pocs/hyperscalers/{scaler.id}/retire")
    assert refused.status_code == 409
    assert "AWS has 1 POC: move it to another hyperscaler" in text(refused)
    assert names() == ["AWS"]


def test_readers_see_the_hyperscalers_in_order(app):
    db.session.add_all([Hyperscaler(name="AWS", rank=2), Hyperscaler(name="GCP", rank=1)])
    db.session.commit()
    page = text(login(app, "executive").get("/pocs/hyperscalers"))
    assert page.index("GCP") < page.index("AWS") and "<form" not in page.split(
        'id="hyperscalers"')[1]


def test_an_empty_board_leads_to_the_hyperscalers(app):
    page = text(login(app, "lead").get("/pocs"))
    assert "No hyperscalers yet" in page and 'href="/pocs/hyperscalers"' in page


# --- archived workstreams ---------------------------------------------------------------------

@pytest.fixture
def archived(app, program):
    kept = make_workstream(program, name="Tooling", position=1)
    gone = make_workstream(program, name="Staffing", keywords="hiring", position=2)
    make_item("Hire two SREs", workstream_id=gone.id, status="open")
    db.session.commit()
    client = login(app, "lead")
    response = client.post(f"/workstreams/{gone.id}/archive")
    assert response.status_code == 303
    assert "Staffing is archived" in text(client.get(response.headers["Location"]))
    return client, kept, gone


def test_an_archived_workstream_leaves_the_lists_and_the_figures(app, archived):
    client, kept, gone = archived
    listing = text(client.get("/workstreams"))
    table = listing.split('class="table stack ws-table"')[1].split("</table>")[0]
    assert "Tooling" in table and "Staffing" not in table
    assert 'id="archived"' in listing and "Unarchive" in listing
    dashboard = text(client.get("/"))
    assert f'data-workstream-id="{kept.id}"' in dashboard
    assert f'data-workstream-id="{gone.id}"' not in dashboard  # its items still show
    assert "Staffing" not in text(client.get("/summary"))
    assert [w["name"] for w in client.get("/summary.json").get_json()["other_workstreams"]
            + client.get("/summary.json").get_json()["gating"]] == ["Tooling"]
    page = text(client.get(f"/workstreams/{gone.id}"))
    assert "Archived on" in page and "Hire two SREs" in page
    assert ">Staffing<" not in text(client.get("/actions/workstream-options"))
    assert ">Staffing<" in text(client.get("/actions/workstream-options?archived=1"))
    item = db.session.scalar(select(ActionItem))  # its own page still offers its workstream
    assert f'<option selected value="{gone.id}">Staffing</option>' in text(
        client.get(f"/actions/{item.id}"))


def test_the_importer_no_longer_suggests_it(app, archived):
    client, _, _ = archived
    preview = client.post("/imports/preview",
                          data={"note_text": "# Sync\n- [ ] Start hiring SREs @Joe\n"},
                          content_type="multipart/form-data")
    assert preview.status_code == 200
    assert "Staffing" not in text(preview)


def test_unarchive_brings_it_back_and_refusals(app, archived):
    client, _, gone = archived
    again = client.post(f"/workstreams/{gone.id}/archive", headers=HX)
    assert again.status_code == 409
    assert client.post(f"/workstreams/{gone.id}/unarchive").status_code == 303
    assert "Staffing" in text(client.get("/workstreams")).split("</table>")[0]
    assert login(app, "owner").post(f"/workstreams/{gone.id}/archive").status_code == 403
    events = [e.action for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_id == gone.id,
                                 AuditEvent.entity_type == "workstream"))]
    assert events == ["archive", "unarchive"]


# --- the dashboard's checklist -------------------------------------------------------------------

def test_a_new_programs_dashboard_shows_the_checklist_to_leads(app, program):
    page = text(login(app, "lead").get("/"))
    assert "Set up your program" in page
    for href in ('href="/program"', 'href="/program/milestones"', 'href="/workstreams"',
                 'href="/pocs/hyperscalers"', 'href="/imports/new"', 'href="/people?missing=1"'):
        assert href in page, href
    assert "Set up your program" not in text(login(app, "owner").get("/"))


def test_the_checklist_goes_once_everything_is_done(app, program):
    from portal.notes.models import Meeting

    lead = make_user("lead")
    db.session.add_all([
        Milestone(program_id=program.id, name="Beta", due_date=FUTURE),
        Hyperscaler(name="AWS", rank=1),
        Meeting(title="Kick-off", raw_text="-", sha256="0" * 64)])
    ws = make_workstream(program, name="Tooling", lead_id=lead.person_id)
    make_item("Wire the exporter", workstream_id=ws.id, owner_id=lead.person_id, status="open")
    db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": lead.email, "password": PASSWORD})
    assert "Set up your program" not in text(client.get("/"))


def test_owners_without_a_login_leave_the_checklist_done(app, program):
    """A real team's owners mostly act from their reminder mails: once every other step is
    done, owners who cannot sign in do not keep the checklist on the dashboard."""
    from portal.notes.models import Meeting

    lead = make_user("lead")
    db.session.add_all([
        Milestone(program_id=program.id, name="Beta", due_date=FUTURE),
        Hyperscaler(name="AWS", rank=1),
        Meeting(title="Kick-off", raw_text="-", sha256="0" * 64)])
    ws = make_workstream(program, name="Tooling", lead_id=lead.person_id)
    mailed = make_person("Mailed Max", email="max@example.com")
    make_item("Wire the exporter", workstream_id=ws.id, owner_id=mailed.id, status="open")
    db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": lead.email, "password": PASSWORD})
    assert "Set up your program" not in text(client.get("/"))
    setup = text(client.get("/setup"))
    assert "Owners invited" in setup and "optional" in setup


def test_the_checklist_costs_the_same_with_few_and_many_items(app, program, query_counter):
    client = login(app, "lead")
    owners = [make_person(f"Owner {n}", email=None if n % 2 else "auto") for n in range(4)]
    ws = make_workstream(program, name="Tooling")

    def add(n):
        for i in range(n):
            make_item(f"Item {i}-{n}", owner_id=owners[i % 4].id, workstream_id=ws.id,
                      status="open", due_date=date.today() + timedelta(days=i % 9))
        db.session.commit()

    def count():
        with query_counter() as statements:
            assert "Set up your program" in text(client.get("/"))
        return len(statements)

    add(5)
    few = count()
    add(300)
    assert count() == few


# --- the program's time zone on the pages -------------------------------------------------------

def test_the_days_left_count_in_the_programs_zone(app):
    """At 23:30 UTC on 1 March it is 2 March in Tokyo: one day less to 10 March there."""
    program = make_program(target_date=date(2026, 3, 10), timezone="UTC")
    db.session.commit()
    with time_machine.travel(datetime(2026, 3, 1, 23, 30, tzinfo=UTC), tick=False):
        client = login(app, "lead")
        days = lambda: re.search(r'countdown-number">(\d+)<', text(client.get("/"))).group(1)  # noqa: E731
        assert days() == "9"
        client.post("/program", data=setup_form(name=program.name, target_date="2026-03-10",
                                                timezone="Asia/Tokyo", version="1"))
        assert days() == "8"


def test_archive_is_audited_with_the_actor(app, archived):
    _, _, gone = archived
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "archive"))
    assert event.workstream_id == gone.id and event.via == "web"
    assert event.actor_user.role == "lead"


@pytest.mark.parametrize("path", ["/program", "/program/milestones", "/pocs/hyperscalers",
                                  "/setup", "/workstreams"])
def test_the_program_pages_cost_the_same_whatever_their_length(app, program, query_counter,
                                                               path):
    client = login(app, "lead")

    def add(start, n):
        for i in range(start, start + n):
            db.session.add(Milestone(program_id=program.id, name=f"M{i}",
                                     due_date=FUTURE - timedelta(days=i)))
            db.session.add(Hyperscaler(name=f"Cloud {i}", rank=i + 1))
        db.session.flush()
        ws = make_workstream(program, name=f"Archived {start}")
        service.archive_workstream(db.session, Actor(via="cli"), ws)
        db.session.commit()

    def count():
        with query_counter() as statements:
            assert client.get(path).status_code == 200
        return len(statements)

    add(0, 2)
    few = count()
    add(2, 40)
    assert count() == few
