"""The executive summary page and its JSON: figures, as-of, bad input, queries, roles."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert

from portal.actions.models import ActionItem
from portal.audit.models import AuditEvent
from portal.clock import local_today
from portal.extensions import db
from portal.program.models import Criterion, Milestone, StatusUpdate
from tests.factories import (
    make_item,
    make_person,
    make_program,
    make_user,
    make_workstream,
    signed_in,
)


def today():
    return local_today("UTC")


def login(app, role="executive"):
    return signed_in(app, role)


def program_with(workstreams):
    """workstreams: list of (name, rag, gating, [(status, due offset days)], criteria)."""
    program = make_program(target_date=today() + timedelta(days=60))
    db.session.add(Milestone(program=program, name="Private offers",
                             due_date=today() + timedelta(days=20)))
    made = {}
    for name, rag, gating, items, criteria in workstreams:
        ws = make_workstream(program, name=name, rag=rag, gating=gating)
        for status, offset in items:
            make_item(workstream_id=ws.id, status=status,
                      due_date=today() + timedelta(days=offset) if offset is not None else None)
        for weight, done in criteria:
            db.session.add(Criterion(workstream=ws, text=f"c{weight}", weight=weight, done=done))
        made[name] = ws
    db.session.commit()
    return program, made


def page_figures(html: str) -> dict:
    def one(name):
        match = re.search(rf'data-figure="{name}">([^<]*)<', html)
        return match.group(1).strip() if match else None

    return {
        "percent": one("percent"), "verdict": one("verdict"), "reason": one("reason"),
        "open": one("open"), "overdue": one("overdue"), "days_left": one("days_left"),
        "ws_percents": re.findall(r'data-figure="ws-percent">(\d+)%<', html),
    }


def test_all_green(app):
    program_with([("A", "green", True, [("done", -3), ("open", 5)], [(1, True)]),
                  ("B", "green", True, [("open", 10)], [])])
    client = login(app)
    html = client.get("/summary").get_data(as_text=True)
    figures = page_figures(html)
    assert figures["verdict"] == "On track"
    assert figures["reason"] == "All 2 gating workstreams are on track."
    data = client.get("/summary.json").get_json()
    assert data["headline"]["rag"] == "green"
    assert data["headline"]["days_left"] == 60 and figures["days_left"] == "60"


def test_one_red_gating_workstream_makes_the_program_off_track(app):
    good = [("done", -1)] * 20
    program_with([("Big", "green", True, good, [(5, True)]),
                  ("Compliance", "red", True, [("open", 3)], []),
                  ("Side", "red", False, [], [])])
    client = login(app)
    html = client.get("/summary").get_data(as_text=True)
    figures = page_figures(html)
    assert figures["verdict"] == "Off track"
    assert figures["reason"] == "1 of 2 gating workstreams is red: Compliance."
    assert int(figures["percent"].rstrip("%")) > 80  # a good average does not hide the red one
    data = client.get("/summary.json").get_json()
    assert [r["name"] for r in data["gating"]] == ["Big", "Compliance"]
    assert [r["name"] for r in data["other_workstreams"]] == ["Side"]
    assert {r["name"] for r in data["risks"]["workstreams"]} == {"Compliance", "Side"}


def test_no_criteria_and_no_items(app):
    program_with([("Items only", "green", True, [("done", -1), ("open", 4)], []),
                  ("Nothing", "green", True, [], [])])
    client = login(app)
    data = client.get("/summary.json").get_json()
    by_name = {r["name"]: r for r in data["gating"]}
    assert by_name["Items only"]["percent"] == 50
    assert by_name["Nothing"]["percent"] == 0 and by_name["Nothing"]["items_total"] == 0
    # weights 2 (items) and 1 (empty): (0.5 * 2 + 0) / 3
    assert data["headline"]["percent"] == 33
    html = client.get("/summary").get_data(as_text=True)
    assert page_figures(html)["ws_percents"] == ["50", "0"]


def test_overdue_items_and_disagreement_are_shown_with_links(app):
    _, made = program_with([("Hiring", "green", True,
                             [("open", -10), ("open", -2), ("open", 8), ("done", -4)], [])])
    client = login(app)
    html = client.get("/summary").get_data(as_text=True)
    ws_id = made["Hiring"].id
    assert 'data-disagrees="1"' in html
    assert f"/actions?workstream={ws_id}&amp;overdue=1" in html
    assert "/actions?overdue=1" in html
    data = client.get("/summary.json").get_json()
    overdue = data["risks"]["overdue_items"]
    assert [i["days_overdue"] for i in overdue] == [10, 2]
    assert data["gating"][0]["disagrees"] is True and data["gating"][0]["health"] == "red"


def test_json_figures_equal_the_page(app):
    program_with([("A", "amber", True, [("open", -3), ("done", -1), ("open", 2)], [(2, True)]),
                  ("B", "green", True, [("open", 9)], [(1, False)])])
    client = login(app)
    figures = page_figures(client.get("/summary").get_data(as_text=True))
    data = client.get("/summary.json").get_json()
    h = data["headline"]
    assert figures["percent"] == f"{h['percent']}%"
    assert figures["verdict"] == h["verdict"] and figures["reason"] == h["reason"]
    assert figures["open"] == str(data["item_counts"]["open"])
    assert figures["overdue"] == str(data["item_counts"]["overdue"])
    assert figures["days_left"] == str(abs(h["days_left"]))
    assert figures["ws_percents"] == [str(r["percent"]) for r in data["gating"]]


def test_as_of_a_day_before_a_change_shows_the_old_values(app):
    _, made = program_with([("Compliance", "red", True, [("done", -20)], [])])
    ws = made["Compliance"]
    item = db.session.query(ActionItem).one()
    item.done_date = today() - timedelta(days=2)
    item.created_date = today() - timedelta(days=30)
    when = datetime.combine(today() - timedelta(days=5), datetime.min.time())
    db.session.add_all([
        AuditEvent(entity_type="workstream", entity_id=ws.id, action="status",
                   before={"rag": "green"}, after={"rag": "red"}, created_at=when),
        StatusUpdate(workstream_id=ws.id, previous_rag="green", rag="red",
                     note="Auditor not engaged", created_at=when),
    ])
    db.session.commit()
    client = login(app)
    past = (today() - timedelta(days=10)).isoformat()
    response = client.get(f"/summary?as_of={past}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'data-historical="{past}"' in html and "Historical view" in html
    data = client.get(f"/summary.json?as_of={past}").get_json()
    assert data["historical"] is True and data["source"] == "audit log"
    row = data["gating"][0]
    assert row["owner_rag"] == "green"  # red only since five days ago
    assert row["items_done"] == 0 and row["items_open"] == 1  # done two days ago
    assert row["latest_note"] is None
    now = client.get("/summary.json").get_json()
    assert now["gating"][0]["owner_rag"] == "red" and now["gating"][0]["items_done"] == 1
    assert now["gating"][0]["latest_note"]["text"] == "Auditor not engaged"
    assert page_figures(html)["verdict"] == data["headline"]["verdict"]


def test_as_of_prefers_the_snapshot_of_that_day(app):
    from portal.summary.snapshots import take_snapshot

    program_with([("A", "green", True, [("open", 5)], [])])
    past = today() - timedelta(days=3)
    take_snapshot(db.session, past, today())
    from portal.summary.models import Snapshot

    snap = db.session.query(Snapshot).filter_by(scope="program", taken_on=past).one()
    figures = dict(snap.figures)
    figures["workstreams"] = [dict(figures["workstreams"][0], rag="amber")]
    snap.figures = figures
    db.session.commit()
    client = login(app)
    data = client.get(f"/summary.json?as_of={past.isoformat()}").get_json()
    assert data["source"] == "snapshot" and data["gating"][0]["owner_rag"] == "amber"


@pytest.mark.parametrize("value,words", [
    ("garbage", "not a date"),
    ("2026-02-30", "not a date"),
    ("<script>", "not a date"),
    ("future", "in the future"),
    ("1999-01-01", "no data"),
])
def test_bad_as_of_is_a_clear_400(app, value, words):
    program_with([("A", "green", True, [], [])])
    if value == "future":
        value = (today() + timedelta(days=1)).isoformat()
    client = login(app)
    response = client.get("/summary", query_string={"as_of": value})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert words in html and "<script>" not in html
    response = client.get("/summary.json", query_string={"as_of": value})
    assert response.status_code == 400 and words in response.get_json()["error"]


def test_as_of_today_is_the_live_page(app):
    program_with([("A", "green", True, [], [])])
    client = login(app)
    response = client.get(f"/summary?as_of={today().isoformat()}")
    assert response.status_code == 200 and "Historical view" not in response.get_data(True)


def test_without_a_program(app):
    client = login(app)
    html = client.get("/summary").get_data(as_text=True)
    assert "The program is not set up yet" in html and "flask" not in html
    response = client.get("/summary.json")
    assert response.status_code == 404 and "/setup" in response.get_json()["error"]


def _bulk_items(ws_ids, count):
    rows = []
    for n in range(count):
        status = ("open", "done", "in_progress", "cancelled")[n % 4]
        rows.append({"title": f"Bulk {count} {n}", "title_key": f"bulk {count} {n}",
                     "status": status,
                     "priority": "normal", "workstream_id": ws_ids[n % len(ws_ids)],
                     "due_date": today() + timedelta(days=(n % 40) - 20), "version": 1})
    db.session.execute(insert(ActionItem), rows)
    db.session.commit()


def test_query_count_does_not_grow_with_the_items(app, query_counter):
    _, made = program_with([("A", "amber", True, [], [(1, True)]),
                            ("B", "green", True, [], []), ("C", "red", False, [], [])])
    from portal.program.models import workstream_dependency

    db.session.execute(insert(workstream_dependency).values(workstream_id=made["B"].id,
                                                            depends_on_id=made["A"].id))
    db.session.add(StatusUpdate(workstream_id=made["A"].id, previous_rag="green", rag="amber",
                                note="n", created_at=datetime.now()))
    db.session.commit()
    ws_ids = [w.id for w in made.values()]
    client = login(app)
    client.get("/summary")  # warm up

    def count():
        with query_counter() as page:
            assert client.get("/summary").status_code == 200
        with query_counter() as json:
            assert client.get("/summary.json").status_code == 200
        return len(page), len(json)

    _bulk_items(ws_ids, 10)
    small = count()
    _bulk_items(ws_ids, 1990)
    assert db.session.query(ActionItem).count() == 2000
    large = count()
    assert small == large
    assert small[0] <= 25


@pytest.mark.parametrize("role", ["admin", "lead", "owner", "executive"])
def test_every_role_reads_and_nobody_writes(app, role):
    program_with([("A", "green", True, [], [])])
    client = login(app, role)
    assert client.get("/summary").status_code == 200
    assert client.get("/summary.json").status_code == 200
    for path in ("/summary", "/summary.json"):
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            assert client.open(path, method=method).status_code == 405
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("summary.")]
    assert {r.endpoint for r in rules} == {"summary.index", "summary.as_json"}
    assert all(r.methods <= {"GET", "HEAD", "OPTIONS"} for r in rules)


def test_anonymous_goes_to_login(client):
    assert client.get("/summary").status_code == 302
    assert client.get("/summary.json").status_code == 302


def test_htmx_request_gets_the_whole_page(app):
    program_with([("A", "green", True, [], [])])
    client = login(app)
    plain = client.get("/summary")
    htmx = client.get("/summary", headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and "<html" in htmx.get_data(as_text=True)
    assert "HX-Request" in htmx.headers.get("Vary", "")
    assert page_figures(plain.get_data(True)) == page_figures(htmx.get_data(True))


def test_page_has_charts_with_text_alternatives_and_no_inline_styles(app):
    from portal.summary.snapshots import backfill, take_snapshot

    program_with([("A", "green", True, [("open", 3), ("done", -2)], [])])
    db.session.query(ActionItem).update({"created_date": today() - timedelta(days=30)})
    db.session.commit()
    backfill(db.session, today())
    take_snapshot(db.session, today())
    db.session.commit()
    html = login(app).get("/summary").get_data(as_text=True)
    # readiness, items, the forecast's burn-up, milestones
    assert html.count('<svg class="chart-svg') == 4
    assert html.count("Values behind this chart") == 3 and "Milestones as a table" in html
    assert "<figcaption" in html and "<polyline" in html and "timeline-today" in html
    # today's line is drawn under the milestones, whose (haloed) labels read over it
    timeline = html[html.index('class="chart-svg timeline-svg"'):]
    assert -1 < timeline.index('class="timeline-today"') < timeline.index('class="timeline-point')
    assert "style=" not in html and "<style" not in html and "<script>" not in html
    assert "css/summary.css" in html


def _why(html: str) -> str:
    start = html.index('data-figure="why"')
    return html[start:html.index("</ul>", start)]


def test_the_verdict_leads_with_why_each_red_or_amber_workstream_is(app):
    """Each red or amber gating workstream with its latest note, named after whoever wrote
    it (not the workstream's lead of today), and its oldest late item; green ones and
    workstreams that do not gate are left out."""
    _, made = program_with([
        ("Compliance", "red", True, [("open", -9), ("open", -2)], []),
        ("Hiring", "amber", True, [("open", 5)], []),
        ("Telemetry", "green", True, [("open", 5)], []),
        ("Side", "red", False, [], []),
    ])
    made["Compliance"].lead_id = make_person("Lena Lead").id
    author = make_user("lead")
    db.session.add(StatusUpdate(workstream_id=made["Compliance"].id, previous_rag="amber",
                                rag="red", note="Auditor not engaged", author_id=author.id,
                                created_at=datetime.now()))
    oldest = db.session.scalars(
        ActionItem.__table__.select().where(ActionItem.workstream_id == made["Compliance"].id)
        .order_by(ActionItem.due_date)).first()
    db.session.commit()
    why = _why(login(app).get("/summary").get_data(as_text=True))
    assert why.index("Compliance") < why.index("Hiring")  # red before amber
    assert "Auditor not engaged" in why
    assert f"({author.name}, " in why and "Lena Lead" not in why
    assert f"/actions/{oldest}" in why and "9 days overdue" in why
    assert "no status note from" in why.split("Hiring", 1)[1]
    assert "Telemetry" not in why and "Side" not in why


def test_an_all_green_summary_needs_no_why(app):
    program_with([("A", "green", True, [("open", 5)], [])])
    assert 'data-figure="why"' not in login(app).get("/summary").get_data(as_text=True)


def test_an_empty_trend_says_how_it_fills_and_as_of_starts_at_the_first_day(app):
    program_with([("A", "green", True, [("open", 5)], [])])
    html = login(app).get("/summary").get_data(as_text=True)
    assert 'data-figure="trend-empty"' in html and "grow from tomorrow" in html
    assert f'min="{today().isoformat()}"' in html and f'max="{today().isoformat()}"' in html
