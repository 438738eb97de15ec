"""Export: `/actions/export.csv` and `flask actions export`, with exactly the fields of
the README lists for `flask actions export`, in that order."""
from __future__ import annotations

import csv
import io
import json
from datetime import date

from portal.actions.export import FIELDS
from portal.extensions import db
from portal.notes.models import Meeting
from tests.factories import PASSWORD, make_item, make_person, make_user, make_workstream

HEADER = ("id,title,owner,owner_email,workstream,status,priority,due_date,scheduled_date,"
          "start_date,done_date,tags,source")


def seed():
    owner = make_person("Zoë Ñúñez", email="zoe@example.com")
    ws = make_workstream(name="Telemetry and analytics")
    meeting = Meeting(title="Cloud support operating model", date=date(2025, 10, 30),
                      raw_text="x", sha256="0" * 64)
    db.session.add(meeting)
    db.session.flush()
    full = make_item('Define metrics, "churn" and feature use\nfor Tableau', owner_id=owner.id,
                     workstream_id=ws.id, status="done", priority="high",
                     due_date=date(2025, 11, 8), scheduled_date=date(2025, 11, 1),
                     start_date=date(2025, 10, 31), done_date=date(2025, 11, 7),
                     tags="task proposed", meeting_id=meeting.id)
    bare = make_item("Undated, unowned", status="open", priority="normal")
    db.session.commit()
    return full, bare


def test_csv_download_header_and_round_trip(client, app):
    full, bare = seed()
    client.post("/login", data={"email": make_user("executive").email, "password": PASSWORD})
    response = client.get("/actions/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="action-items-')
    raw = response.data
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark, for Excel
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0] == HEADER
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [tuple(r.keys()) for r in rows] == [FIELDS, FIELDS]
    first, second = rows
    assert first == {
        "id": str(full.id), "title": 'Define metrics, "churn" and feature use\nfor Tableau',
        "owner": "Zoë Ñúñez", "owner_email": "zoe@example.com",
        "workstream": "Telemetry and analytics", "status": "done", "priority": "high",
        "due_date": "2025-11-08", "scheduled_date": "2025-11-01", "start_date": "2025-10-31",
        "done_date": "2025-11-07", "tags": "task proposed",
        "source": "Cloud support operating model"}
    assert second == {"id": str(bare.id), "title": "Undated, unowned", "owner": "",
                      "owner_email": "", "workstream": "", "status": "open",
                      "priority": "normal", "due_date": "", "scheduled_date": "",
                      "start_date": "", "done_date": "", "tags": "", "source": ""}


def test_csv_honours_filters_and_refuses_bad_ones(client, app):
    seed()
    client.post("/login", data={"email": make_user("owner").email, "password": PASSWORD})
    text = client.get("/actions/export.csv?status=open").data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["title"] for r in rows] == ["Undated, unowned"]
    bad = client.get("/actions/export.csv?due_from=2025-02-30")
    assert bad.status_code == 400 and b"not a date" in bad.data


def test_csv_needs_a_login(client):
    response = client.get("/actions/export.csv")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_cli_export_csv_and_json(app):
    full, bare = seed()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["actions", "export"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == HEADER  # no BOM on stdout by default
    rows = list(csv.DictReader(io.StringIO(result.output, newline="")))
    assert rows[0]["owner"] == "Zoë Ñúñez" and rows[1]["due_date"] == ""
    with_bom = runner.invoke(args=["actions", "export", "--format", "csv", "--bom"])
    assert with_bom.output.startswith("\ufeff" + HEADER)
    result = runner.invoke(args=["actions", "export", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [list(obj.keys()) for obj in data] == [list(FIELDS)] * 2
    assert data[0]["id"] == full.id and data[0]["tags"] == "task proposed"
    assert data[0]["source"] == "Cloud support operating model"
    assert data[1]["owner_email"] == "" and data[1]["done_date"] == ""
    bad = runner.invoke(args=["actions", "export", "--format", "xml"])
    assert bad.exit_code != 0


FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+2", "-2+3", "@SUM(A1:A2)",
            "\tTabbed", "\rReturn"]


def test_no_cell_runs_as_a_formula_in_a_spreadsheet(client, app):
    """OWASP's CSV injection rule, on the web and the command line; JSON is unchanged."""
    owner = make_person("=Owner Formula", email="evil@example.com")
    ws = make_workstream(name="+Workstream")
    for title in FORMULAS:
        make_item(title, owner_id=owner.id, workstream_id=ws.id, status="open")
    make_item("Plain - with a dash inside", status="open")
    db.session.commit()
    client.post("/login", data={"email": make_user("executive").email, "password": PASSWORD})
    web = client.get("/actions/export.csv").data.decode("utf-8-sig")
    cli = app.test_cli_runner().invoke(args=["actions", "export"]).output
    for text in (web, cli):
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        assert [r["title"] for r in rows] == ["'" + t for t in FORMULAS] + [
            "Plain - with a dash inside"]
        assert {r["owner"] for r in rows[:-1]} == {"'=Owner Formula"}
        assert {r["workstream"] for r in rows[:-1]} == {"'+Workstream"}
        for row in rows:
            assert not any(str(value).startswith(("=", "+", "-", "@", "\t", "\r"))
                           for value in row.values())
    data = json.loads(app.test_cli_runner().invoke(
        args=["actions", "export", "--format", "json"]).output)
    assert [d["title"] for d in data][:len(FORMULAS)] == FORMULAS
