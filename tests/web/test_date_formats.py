"""One date format for reading, ISO for machines, the picker for input (issue 17, point 8)."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta
from pathlib import Path

from portal.clock import local_today, reading_date, short_date
from portal.extensions import db
from portal.templating import format_date
from tests.factories import PASSWORD, make_item, make_program, make_user, make_workstream

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def login(client, role="lead"):
    user = make_user(role)
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    return user


def test_the_reading_forms():
    day = date(2026, 11, 30)
    assert reading_date(day) == format_date(day) == "30 Nov 2026"
    assert short_date(day) == "30 Nov"
    assert reading_date(None) == short_date(None) == format_date(None) == ""


def test_no_template_shows_an_iso_date_to_people():
    """`.isoformat()` only inside attributes (input values, data-*, links), never as text."""
    shown = re.compile(r">[^<>]*\{\{[^}]*isoformat\(\)[^}]*\}\}[^<>]*<")
    offenders = [str(path.relative_to(TEMPLATES)) for path in TEMPLATES.rglob("*.html")
                 if shown.search(path.read_text(encoding="utf-8"))]
    assert offenders == []


def test_import_preview_writes_dates_for_reading(client):
    login(client)
    program = make_program()
    make_workstream(program, name="Hiring", keywords="hire")
    db.session.commit()
    note = ("---\ntitle: Pasted\ndate: 2025-11-06\n---\n"
            "- [ ] Hire two SREs @Rob Banga 📅 2025-11-20 ⏫\n")
    html = client.post("/imports/preview", data={"note_text": note},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "due 20 Nov 2025" in html and "06 Nov 2025" in html
    assert "2025-11-20" not in re.sub(r'<[^>]*>', "", html)  # not as text, only in attributes


def test_item_page_reads_dates_and_inputs_stay_iso(client):
    login(client)
    make_program()
    item = make_item("Sign the contract", due_date=date(2026, 12, 11), status="open")
    db.session.commit()
    html = client.get(f"/actions/{item.id}").get_data(as_text=True)
    assert "<dd>11 Dec 2026</dd>" in html
    assert 'value="2026-12-11"' in html and 'type="date"' in html
    assert "2026-12-11" not in re.sub(r'<[^>]*>', "", html)


def test_summary_as_of_speaks_of_picking_a_day(client):
    login(client, "executive")
    program = make_program(target_date=local_today("UTC") + timedelta(days=40))
    make_workstream(program, name="A", gating=True)
    db.session.commit()
    html = client.get("/summary").get_data(as_text=True)
    assert 'aria-describedby="as-of-hint"' in html and "Pick a day" in html
    assert f"to {reading_date(program.target_date)}" in html
    assert "YYYY" not in html
    response = client.get("/summary", query_string={"as_of": "30/11/2026"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Pick a day in the calendar" in html and "YYYY" not in html
    assert reading_date(local_today("UTC")) in html
    past = client.get("/summary", query_string={"as_of": "1999-01-01"})  # ISO in URLs works
    assert past.status_code == 400 and "no data for 01 Jan 1999" in past.get_data(as_text=True)


def test_json_and_csv_stay_iso(client):
    login(client, "executive")
    target = local_today("UTC") + timedelta(days=40)
    program = make_program(target_date=target)
    make_workstream(program, name="A", gating=True)
    make_item("Dated", due_date=date(2026, 12, 11), status="open")
    db.session.commit()
    data = client.get("/summary.json").get_json()
    assert data["program"]["target_date"] == target.isoformat()
    text = client.get("/actions/export.csv").data.decode("utf-8-sig")
    assert ",2026-12-11," in text and "11 Dec 2026" not in text
    assert io.StringIO(text).readline().startswith("id,")


def test_dates_outside_the_plans_years_are_refused_everywhere_they_are_typed(client):
    """Year 9999 or 0001 is a typo: it was taken, then broke the POC timeline, the calendar
    feeds and the bulk shift (500) or read '739952 days overdue'. Every date field, the
    row's and the import's included, keeps to 2000-2099 (`portal.clock`), with a message."""
    from portal.notes.parse import parse_note

    login(client)
    item = make_item("Dated", status="open", due_date=date(2026, 3, 1))
    ws = make_workstream(name="Compliance")
    db.session.commit()
    for typed in ("9999-12-31", "0001-01-01", "1999-12-31", "2100-01-01"):
        row = client.post(f"/actions/{item.id}/row", headers={"HX-Request": "true"},
                          data={"due_date": typed, "version": item.version})
        assert row.status_code == 422 and "between 2000 and 2099" in row.get_data(as_text=True)
        created = client.post("/actions", data={"title": "New", "due_date": typed})
        assert created.status_code == 422, typed
        target = client.post(f"/workstreams/{ws.id}", data={
            "name": ws.name, "target_date": typed, "version": ws.version})
        assert target.status_code == 422 and "between 2000 and 2099" in target.get_data(
            as_text=True)
    db.session.expire_all()
    assert db.session.get(type(item), item.id).due_date == date(2026, 3, 1)
    note = parse_note("- [ ] Far off 📅 9999-12-31\n".encode())
    assert note.tasks[0].due is None
    assert "9999-12-31 is not between 2000 and 2099" in note.warnings[0].message


def test_what_is_finished_is_not_overdue_and_a_past_milestone_passed(client):
    """A done or cancelled item's page gives its due date without "overdue"; a milestone
    behind us reads "passed" on the summary, as on the dashboard and the milestones page."""
    from portal.program.models import Milestone

    login(client)
    program = make_program(target_date=local_today("UTC") + timedelta(days=60))
    db.session.add(Milestone(program=program, name="Kickoff",
                             due_date=local_today("UTC") - timedelta(days=30)))
    late = local_today("UTC") - timedelta(days=10)
    done = make_item("Finished", due_date=late, status="done", done_date=late)
    gone = make_item("Dropped", due_date=late, status="cancelled")
    still = make_item("Still open", due_date=late, status="open")
    db.session.commit()
    for item in (done, gone):
        html = client.get(f"/actions/{item.id}").get_data(as_text=True)
        assert f"Due {reading_date(late)}</span>" in html and "overdue" not in html
    assert "10 days overdue" in client.get(f"/actions/{still.id}").get_data(as_text=True)
    summary = client.get("/summary").get_data(as_text=True)
    table = summary[summary.index("Milestones as a table"):]
    assert "<td>passed</td>" in table and "30 days overdue" not in summary
