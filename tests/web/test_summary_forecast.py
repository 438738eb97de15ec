"""The forecast where executives read it: one line under the headline, a column in the
go/no-go table, a chart with its text alternative, /summary.json's `forecast`, the weekly
digest; the same numbers everywhere, "as of" a past day from the history up to then; a
new program says "not enough history yet"."""
from __future__ import annotations

import json
import re
from datetime import date, timedelta

import time_machine
from sqlalchemy import select

from portal.demo import rebase_offset, seed_demo
from portal.extensions import db
from portal.program.models import Program
from portal.summary.digest import render_weekly_digest, weekly_changes
from tests.factories import make_program, make_workstream, signed_in

TODAY = date(2026, 12, 1)


def living_demo():
    seed_demo(db.session, offset_days=rebase_offset(TODAY), living=True, today=TODAY)
    db.session.commit()
    return db.session.scalar(select(Program))


def test_the_same_forecast_on_the_page_in_the_json_and_in_the_digest(app):
    with time_machine.travel(TODAY, tick=False):
        program = living_demo()
        client = signed_in(app)
        html = client.get("/summary").get_data(as_text=True)
        data = json.loads(client.get("/summary.json").data)
        changes = weekly_changes(db.session, TODAY)
    forecast = data["forecast"]
    assert forecast["basis"] == "history" and forecast["finishes"] is True
    assert set(forecast) >= {"probability_ready", "p50_date", "p85_date", "p95_date",
                             "window_days", "done_per_week", "added_per_week", "workstreams"}
    percent = round(forecast["probability_ready"] * 100)
    p85 = date.fromisoformat(forecast["p85_date"])
    line = re.search(r'data-figure="forecast">(.*?)</p>', html, re.S).group(1)
    assert f"{percent} % chance to be ready by {program.target_date:%d %b %Y}" in line
    assert f"85 % by {p85:%d %b %Y}" in line
    # the go/no-go column: Integrations' 85 % date is after the readiness date, in red
    integrations = next(w for w in forecast["workstreams"] if w["name"] == "Integrations")
    assert integrations["late"] is True
    cell = re.search(r'data-workstream="\d+">\s*<td[^>]*><strong><a[^>]*>Integrations</a>'
                     r'.*?data-figure="ws-p85">(.*?)</td>', html, re.S).group(1)
    assert "forecast-late" in cell
    assert "The date hangs on <strong>Integrations</strong>" in html
    assert "How is the forecast made?" in html and 'id="chart-forecast-title"' in html
    # the digest: the same figures, and last week's beside them
    assert changes["forecast"] == changes["summary"].forecast.program
    assert changes["forecast"].as_json() == {k: v for k, v in forecast.items()
                                             if k != "workstreams"}
    _subject, text, _html = render_weekly_digest(app.config, changes)
    assert f"{percent}% chance to be ready by {program.target_date:%d %b %Y}" in text
    assert "(last week" in text


def test_as_of_a_past_day_reads_the_history_up_to_that_day(app):
    with time_machine.travel(TODAY, tick=False):
        living_demo()
        client = signed_in(app)
        now = json.loads(client.get("/summary.json").data)["forecast"]
        past_day = TODAY - timedelta(days=10)
        past = json.loads(client.get(f"/summary.json?as_of={past_day}").data)["forecast"]
    assert past != now
    from portal.summary.outlook import outlook
    from portal.summary.pace import PROGRAM, pace

    program = db.session.scalar(select(Program))
    history, remaining = pace(db.session, program.id, past_day)[PROGRAM]
    assert max(h.day for h in history) <= past_day
    assert past["remaining"] == remaining
    assert outlook(db.session, program, past_day, 8).program.as_json() == {
        k: v for k, v in past.items() if k != "workstreams"}


def test_a_new_program_has_not_enough_history(app):
    with time_machine.travel(TODAY, tick=False):
        program = make_program(target_date=TODAY + timedelta(days=90))
        make_workstream(program, name="Hiring", gating=True)
        db.session.commit()
        client = signed_in(app)
        html = client.get("/summary").get_data(as_text=True)
        data = json.loads(client.get("/summary.json").data)
    assert data["forecast"]["basis"] == "not enough history"
    assert data["forecast"]["probability_ready"] is None and data["forecast"]["p85_date"] is None
    assert "not enough history yet" in html
    assert 'data-forecast="thin"' in html
