"""The health rule per program (issue 17, point 5): the program page saves and refuses its
two settings, and every page that computes health uses them and says so in its numbers."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.clock import local_today
from portal.extensions import db
from portal.program.models import Program
from portal.summary.snapshots import take_snapshot
from tests.factories import make_item, make_program, make_workstream, signed_in

HX = {"HX-Request": "true"}


def today():
    return local_today("UTC")


def login(app, role="lead"):
    return signed_in(app, role)


@pytest.fixture
def program(app):
    """Ten open items in one gating workstream, one of them 4 days late and one 1 day late:
    with the defaults (2 days, 10 %) amber; with 5 days of grace green."""
    program = make_program(name="Cloud Launch", target_date=today() + timedelta(days=84),
                           timezone="UTC")
    ws = make_workstream(program, name="Integrations", rag="green")
    created = today() - timedelta(days=10)
    make_item("Four days late", workstream_id=ws.id, status="open", created_date=created,
              due_date=today() - timedelta(days=4))
    make_item("One day late", workstream_id=ws.id, status="open", created_date=created,
              due_date=today() - timedelta(days=1))
    for n in range(8):
        make_item(f"Later {n}", workstream_id=ws.id, status="open", created_date=created,
                  due_date=today() + timedelta(days=10 + n))
    db.session.commit()
    return program


def form(program, **changes) -> dict:
    return {"name": program.name, "target_date": program.target_date.isoformat(),
            "timezone": program.timezone, "description": "",
            "health_grace_days": "2", "health_min_share": "10",
            "version": str(program.version)} | changes


def health_of(client, name="Integrations") -> str:
    data = client.get("/summary.json").get_json()
    return next(r["health"] for r in data["gating"] if r["name"] == name)


def test_the_program_page_shows_the_two_fields_with_the_rule_in_words(app, program):
    page = login(app).get("/program").get_data(as_text=True)
    assert 'name="health_grace_days"' in page and 'value="2"' in page
    assert 'name="health_min_share"' in page and 'value="10"' in page
    assert 'type="number"' in page and 'max="30"' in page and 'max="100"' in page
    assert "An item counts as late once it is more than 2 days past its due date" in page
    # Readers see the rule, not the form.
    reader = login(app, "executive").get("/program").get_data(as_text=True)
    assert 'name="health_grace_days"' not in reader
    assert "more than 2 days past its due date" in reader


def test_saving_the_rule_is_audited_and_changes_the_health(app, program):
    client = login(app)
    assert health_of(client) == "amber"  # 1 of 10 late beyond 2 days: 10 %
    response = client.post("/program", data=form(program, health_grace_days=" 5 ",
                                                 health_min_share="25"))
    assert response.status_code == 303
    db.session.expire_all()
    saved = db.session.get(Program, program.id)
    assert (saved.health_grace_days, saved.health_min_share, saved.version) == (5, 25, 2)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "program",
                                                       AuditEvent.action == "update"))
    assert event.before == {"health_grace_days": 2, "health_min_share": 10}
    assert event.after == {"health_grace_days": 5, "health_min_share": 25, "version": 2}
    assert "health_grace_days" in event.summary
    assert health_of(client) == "green"  # nothing is more than 5 days late
    assert client.post("/program", data=form(saved, health_grace_days="0",
                                             health_min_share="0")).status_code == 303
    assert health_of(client) == "amber"  # both late now, 20 %


@pytest.mark.parametrize("field,value,words", [
    ("health_grace_days", "", "Give the grace period: a whole number from 0 to 30 days."),
    ("health_grace_days", "two", "“two” is not a whole number; give the grace period"),
    ("health_grace_days", "2.5", "“2.5” is not a whole number"),
    ("health_grace_days", "31", "The grace period is from 0 to 30 days; 31 is outside that."),
    ("health_grace_days", "-1", "The grace period is from 0 to 30 days; -1 is outside that."),
    ("health_min_share", "101", "The minimum share of late items is from 0 to 100 %; 101"),
    ("health_min_share", "ten", "“ten” is not a whole number; give the minimum share"),
    ("health_min_share", "", "Give the minimum share of late items"),
])
def test_nonsense_is_refused_beside_its_field(app, program, field, value, words):
    client = login(app)
    for headers in ({}, HX):
        response = client.post("/program", data=form(program, **{field: value}),
                               headers=headers)
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert words in page
        assert f'id="{field}-msg"' in page and f'aria-describedby="{field}-msg"' in page
    db.session.expire_all()
    saved = db.session.get(Program, program.id)
    assert (saved.health_grace_days, saved.health_min_share, saved.version) == (2, 10, 1)


def test_a_post_without_the_fields_leaves_the_rule_as_it_is(app, program):
    """A program page opened before the fields existed still saves its own fields."""
    program.health_grace_days = 4
    db.session.commit()
    data = form(program, name="Cloud GA")
    del data["health_grace_days"], data["health_min_share"]
    assert login(app).post("/program", data=data).status_code == 303
    db.session.expire_all()
    saved = db.session.get(Program, program.id)
    assert (saved.name, saved.health_grace_days, saved.health_min_share) == ("Cloud GA", 4, 10)


def test_the_pages_state_the_programs_numbers(app, program):
    program.health_grace_days, program.health_min_share = 5, 25
    db.session.commit()
    ws_id = db.session.scalar(select(Program).where(Program.id == program.id)).workstreams[0].id
    client = login(app)
    dashboard = client.get("/").get_data(as_text=True)
    assert ("An item counts as late once it is more than 5 days past its due date; health "
            "turns amber when 25% of the open items are late") in dashboard
    assert "at least 25 % of its open items are late" in dashboard  # "How is this computed?"
    assert "12 days or more past its date" in dashboard
    assert "any item is overdue" not in dashboard
    summary = client.get("/summary").get_data(as_text=True)
    assert "more than 5 days past its due date" in summary and "25 %" in summary
    data = client.get("/summary.json").get_json()
    assert data["health_rule"] == {"grace_days": 5, "min_share": 25}
    assert any("more than 5 days past its due date" in line for line in data["formula"])
    detail = client.get(f"/workstreams/{ws_id}").get_data(as_text=True)
    assert "more than 5 days past its due date" in detail


def test_one_item_a_day_late_of_one_open_is_green_everywhere(app):
    """The issue's case: 84 days left, each gating workstream has one item one day late."""
    program = make_program(target_date=today() + timedelta(days=84), timezone="UTC")
    for name in ("Hiring", "Compliance"):
        ws = make_workstream(program, name=name, rag="green")
        make_item(f"{name} item", workstream_id=ws.id, status="open",
                  due_date=today() - timedelta(days=1))
    db.session.commit()
    client = login(app)
    data = client.get("/summary.json").get_json()
    assert [(r["health"], r["items_overdue"], r["items_late"]) for r in data["gating"]] == \
        [("green", 1, 0), ("green", 1, 0)]
    assert data["headline"]["rag"] == "green"
    dashboard = client.get("/").get_data(as_text=True)
    assert 'data-health="red"' not in dashboard and 'data-health="amber"' not in dashboard
    assert "Owner status better than the figures" not in dashboard


def test_a_past_day_keeps_the_rule_its_snapshot_was_taken_under(app, program):
    yesterday = today() - timedelta(days=1)
    take_snapshot(db.session, yesterday, today())  # 1 of 10 three days late: amber
    program.health_grace_days = 10
    db.session.commit()
    client = login(app)
    past = client.get(f"/summary.json?as_of={yesterday.isoformat()}").get_json()
    assert past["source"] == "snapshot" and past["gating"][0]["health"] == "amber"
    assert past["health_rule"] == {"grace_days": 2, "min_share": 10}
    assert any("more than 2 days past its due date" in line for line in past["formula"])
    now = client.get("/summary.json").get_json()
    assert now["gating"][0]["health"] == "green" and now["health_rule"]["grace_days"] == 10


def test_a_snapshot_from_before_the_rule_is_rebuilt_from_the_audit_log(app, program):
    from portal.summary.models import Snapshot

    yesterday = today() - timedelta(days=1)
    take_snapshot(db.session, yesterday, today())
    snap = db.session.scalar(select(Snapshot).where(Snapshot.scope == "program",
                                                    Snapshot.taken_on == yesterday))
    old = [{k: v for k, v in row.items() if k not in ("items_late", "rule")}
           for row in snap.figures["workstreams"]]
    snap.figures = dict(snap.figures, workstreams=old)
    db.session.commit()
    past = login(app).get(f"/summary.json?as_of={yesterday.isoformat()}").get_json()
    assert past["source"] == "audit log"
    assert past["gating"][0]["health"] == "amber" and past["gating"][0]["items_late"] == 1
