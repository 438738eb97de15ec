"""The demo program: built from the shipped sample note through the importer."""
from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

from portal.actions.models import ActionItem
from portal.audit.models import AuditEvent
from portal.auth.models import User
from portal.demo import (
    DEMO_LOGINS,
    DEMO_PASSWORD,
    MEETING_DATE,
    SAMPLE_NOTE,
    existing_demo_logins,
    is_empty,
    rebase_offset,
    rebase_text,
    seed_demo,
)
from portal.extensions import db
from portal.notes.apply import apply, build_plan
from portal.notes.models import Meeting
from portal.notes.parse import parse_note
from portal.people.models import Person
from portal.pocs.models import Customer, Hyperscaler, Poc
from portal.program.models import Decision, Milestone, Program, Workstream
from tests.conftest import unavailable
from tests.unit.test_notes_import import DAMAGE

SHARED_SAMPLE = Path(__file__).parents[3] / "shared" / "samples" / SAMPLE_NOTE.name


def all_items():
    return db.session.scalars(select(ActionItem).order_by(ActionItem.source_line)).all()


def test_the_shipped_note_is_the_sample_byte_for_byte():
    if not SHARED_SAMPLE.exists():
        unavailable(f"the shared sample is missing: {SHARED_SAMPLE}")
    assert SAMPLE_NOTE.read_bytes() == SHARED_SAMPLE.read_bytes()


def test_demo_program_milestones_and_scalers(demo):
    [program] = db.session.scalars(select(Program)).all()
    assert program.target_date == date(2026, 2, 1)
    milestones = {m.name: m.due_date for m in db.session.scalars(select(Milestone))}
    assert milestones["Operational readiness"] == date(2026, 2, 1)
    private, public = milestones["Private offers"], milestones["Public offers"]
    assert 55 <= (private - MEETING_DATE).days <= 65  # about two months after the meeting
    assert 6 * 30 <= (public - private).days <= 8 * 31  # six to eight months after those
    assert milestones["Full SaaS (FY28)"].year in (2027, 2028)
    ranks = dict(db.session.execute(select(Hyperscaler.name, Hyperscaler.rank)).all())
    assert ranks == {"GCP": 1, "Azure": 2, "AWS": 3}


def test_demo_is_the_imported_note(demo):
    items = all_items()
    assert len(items) == 17
    assert [i.due_date for i in items].count(date(2025, 11, 8)) == 15
    assert [i.due_date for i in items].count(date(2025, 10, 31)) == 2
    assert {i.status for i in items} == {"proposed"}
    [meeting] = db.session.scalars(select(Meeting)).all()
    assert len(meeting.decisions) == 4 and len(meeting.participants) == 7
    assert meeting.date == MEETING_DATE
    lead = db.session.scalar(select(User).where(User.email == "lead@example.com"))
    assert meeting.imported_by_id == lead.id and lead.person.name == "Jason Vallery"
    mine = [i for i in items if i.owner_id == lead.person_id]
    assert len(mine) == 3  # the three @Myself lines
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "action_item")).all()
    assert len(events) == 17 and {e.actor_user_id for e in events} == {lead.id}
    assert demo.import_result.plan.source_name == SAMPLE_NOTE.name
    assert len(demo.import_result.plan.note.repairs) == 37


def test_demo_items_have_their_suggested_workstreams(demo):
    by_line = {i.source_line: i.workstream.name if i.workstream else None for i in all_items()}
    assert by_line[33] == "Hiring"
    assert by_line[35] == by_line[47] == "Integrations"
    assert by_line[36] == by_line[37] == "Telemetry and analytics"
    assert by_line[43] == "Compliance"
    assert by_line[41] == by_line[48] == "Enablement"
    # no keyword of any workstream in these titles: a lead assigns them by hand
    assert {line for line, name in by_line.items() if name is None} == {32, 34, 39, 42, 44, 45}


def test_demo_workstreams_leads_and_criteria_from_the_note(demo):
    note = parse_note(SAMPLE_NOTE.read_bytes())
    sources = [t.title for t in note.tasks] + note.key_information
    workstreams = db.session.scalars(select(Workstream).order_by(Workstream.position)).all()
    assert [w.name for w in workstreams] == [
        "Hiring", "Integrations", "Telemetry and analytics", "Compliance", "Enablement"]
    leads = {w.name: w.lead.name for w in workstreams}
    assert leads == {"Hiring": "Rob Banga", "Integrations": "Christina",
                     "Telemetry and analytics": "Yancey", "Compliance": "Legal",
                     "Enablement": "Product Marketing"}
    named_in_note = set(note.participants) | {t.owner for t in note.tasks}
    assert set(leads.values()) <= named_in_note
    for workstream in workstreams:
        assert workstream.gating and workstream.keywords and workstream.target_date
        assert len(workstream.criteria) >= 2
        for criterion in workstream.criteria:
            assert criterion.text in sources and not criterion.done
    assert any(c.text.startswith("Tackle integration with Salesforce is a gating")
               for c in workstreams[1].criteria)


def test_demo_customers_and_pocs(demo):
    customers = {c.name: c for c in db.session.scalars(select(Customer))}
    assert set(customers) == {"Microsoft", "UKMET", "NBCU", "Sigma", "Jump Trading",
                              "Citadel", "Zoom"}
    assert "MAI" in customers["Microsoft"].notes
    assert "Microsoft" in customers["UKMET"].notes
    pocs = {(p.customer.name, p.hyperscaler.name, p.position, p.stage)
            for p in db.session.scalars(select(Poc))}
    assert pocs == {("Microsoft", "Azure", 1, "confirmed"), ("UKMET", "Azure", 2, "candidate"),
                    ("Zoom", "AWS", 1, "candidate")}
    by_customer = {p.customer.name: p for p in db.session.scalars(select(Poc))}
    microsoft, ukmet = by_customer["Microsoft"], by_customer["UKMET"]
    assert microsoft.planned_start < microsoft.planned_end <= ukmet.planned_start
    assert microsoft.owner.name == "Yancey"


def test_demo_people_and_logins(demo):
    people = db.session.scalars(select(Person)).all()
    assert all(p.email and p.email.endswith("@example.com") for p in people)
    names = {p.name: p for p in people}
    assert names["Product Marketing"].kind == names["Legal"].kind == "team"
    assert "Timo Pervane Pervane" not in names
    assert existing_demo_logins(db.session) == [(e, r) for e, _n, r, _p in DEMO_LOGINS]
    roles = dict(db.session.execute(select(User.email, User.role)).all())
    assert sorted(roles.values()) == ["admin", "executive", "lead", "owner"]
    assert db.session.scalar(select(User).where(User.role == "owner")).check_password(
        DEMO_PASSWORD)
    assert not is_empty(db.session)


def test_demo_stores_no_damaged_character(demo):
    import json

    import sqlalchemy as sa

    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, sa.String | sa.Text | sa.JSON)]
        for row in db.session.execute(select(*columns)).all() if columns else []:
            for value in row:
                text = value if isinstance(value, str) or value is None else json.dumps(
                    value, ensure_ascii=False)
                assert not any(mark in (text or "") for mark in DAMAGE), (table.name, text)


def test_importing_the_sample_again_changes_nothing(demo):
    lead = db.session.scalar(select(User).where(User.email == "lead@example.com"))
    plan = build_plan(db.session, parse_note(SAMPLE_NOTE.read_bytes()), myself_id=lead.person_id)
    assert not plan.has_changes and len(plan.unchanged) == 17


def test_rebase_moves_every_date_by_one_offset(app):
    offset = rebase_offset(date(2026, 6, 15))
    assert MEETING_DATE + timedelta(days=offset) == date(2026, 5, 14)  # 32 days before
    seed_demo(db.session, offset_days=offset)
    db.session.commit()
    shift = timedelta(days=offset)
    [meeting] = db.session.scalars(select(Meeting)).all()
    assert meeting.date == MEETING_DATE + shift
    assert {d.decided_on for d in db.session.scalars(select(Decision))} == {meeting.date}
    dues = sorted({i.due_date for i in all_items()})
    assert dues == [date(2025, 10, 31) + shift, date(2025, 11, 8) + shift]
    program = db.session.scalar(select(Program))
    assert program.target_date == date(2026, 2, 1) + shift
    milestones = {m.name: m.due_date for m in program.milestones}
    assert milestones["Operational readiness"] == program.target_date
    assert milestones["Private offers"] == MEETING_DATE + timedelta(days=61) + shift
    targets = {w.name: w.target_date for w in program.workstreams}
    assert targets["Hiring"] == program.target_date
    assert targets["Integrations"] == milestones["Private offers"]
    # The note is kept as imported, byte for byte; what the portal shows moved.
    assert meeting.sha256 == hashlib.sha256(SAMPLE_NOTE.read_bytes()).hexdigest()
    assert "2025-11-08" in meeting.raw_text
    assert (date(2026, 2, 1) + shift).isoformat() in meeting.decisions[3].text
    assert db.session.scalar(select(func.count()).select_from(ActionItem)) == 17


def test_importing_the_shipped_note_after_a_rebase_changes_nothing(app):
    seed_demo(db.session, offset_days=rebase_offset(date(2026, 6, 15)))
    db.session.commit()
    lead = db.session.scalar(select(User).where(User.email == "lead@example.com"))
    plan = build_plan(db.session, parse_note(SAMPLE_NOTE.read_bytes()), myself_id=lead.person_id)
    assert not plan.has_changes and len(plan.unchanged) == 17


def test_rebase_text_leaves_non_dates_alone():
    assert rebase_text("on 2025-10-30, not 2025-13-45 or 12025-10-30", 2) == (
        "on 2025-11-01, not 2025-13-45 or 12025-10-30")
    assert rebase_text("2025-10-30", 0) == "2025-10-30"


def test_seed_demo_command_rebases_to_today(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo", "--rebase-to-today"])
    assert result.exit_code == 0, result.output
    assert "lead@example.com" in result.output
    db.session.expire_all()
    meeting = db.session.scalar(select(Meeting))
    assert (date.today() - meeting.date).days == 32
    again = runner.invoke(args=["seed-demo", "--rebase-to-today", "--if-empty"])
    assert again.exit_code == 0 and "not loaded again" in again.output
    assert db.session.scalar(select(func.count()).select_from(Program)) == 1


def test_seed_demo_next_to_an_existing_import(app):
    """A database that already holds the meeting (but no program) gets no duplicates."""
    from tests.factories import make_user

    user = make_user("lead")
    apply(db.session, build_plan(db.session, parse_note(SAMPLE_NOTE.read_bytes()),
                                 myself_id=user.person_id), _actor(user))
    db.session.commit()
    seed_demo(db.session)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(ActionItem)) == 17
    assert db.session.scalar(select(func.count()).select_from(Meeting)) == 1


def _actor(user):
    from portal.audit.log import Actor

    return Actor.for_user(user, via="import")


def test_the_living_demo_is_in_its_fifth_week(app):
    """`seed-demo --rebase-to-today`: items in every state, some late, status notes from
    the leads, weeks of trend, digests due at once, and a forecast to read."""
    from portal.reminders import outbox
    from portal.summary.forecast import HISTORY, forecast
    from portal.summary.models import Snapshot
    from portal.summary.pace import PROGRAM, pace

    today = date(2026, 12, 1)
    seed_demo(db.session, offset_days=rebase_offset(today), living=True, today=today)
    db.session.commit()
    program = db.session.scalar(select(Program))
    assert 8 * 7 <= (program.target_date - today).days <= 9 * 7  # week 5 of 13
    items = all_items()
    statuses = {i.status for i in items}
    assert {"done", "open", "in_progress", "proposed"} <= statuses
    late = [i for i in items if i.status != "done" and i.due_date < today]
    soon = [i for i in items if i.status != "done" and today <= i.due_date <= today
            + timedelta(days=14)]
    assert 2 <= len(late) <= 6 and len(soon) >= 5
    assert all(i.done_date < today for i in items if i.status == "done")
    rags = {w.name: w.rag for w in program.workstreams}
    assert rags["Integrations"] == "red" and "amber" in rags.values()
    assert all(w.status_updates for w in program.workstreams)
    # The history happened on its days: the trend has weeks of points.
    days = {s.taken_on for s in db.session.scalars(select(Snapshot))}
    assert len(days) >= 30 and min(days) <= today - timedelta(days=35)
    first_event = db.session.scalar(select(func.min(AuditEvent.created_at)))
    assert first_event.date() < today - timedelta(days=20)
    # Nothing was recorded after today, and no item was changed before it was created.
    assert db.session.scalar(select(func.max(AuditEvent.created_at))).date() <= today
    created = dict(db.session.execute(
        select(AuditEvent.entity_id, AuditEvent.created_at)
        .where(AuditEvent.entity_type == "action_item", AuditEvent.action == "create")).all())
    changed = db.session.execute(
        select(AuditEvent.entity_id, AuditEvent.created_at)
        .where(AuditEvent.entity_type == "action_item", AuditEvent.action != "create")).all()
    assert changed and all(created[item_id] <= when for item_id, when in changed)
    history, remaining = pace(db.session, program.id, today)[PROGRAM]
    result = forecast(history, remaining, today, program.target_date, seed=1)
    assert result.basis == HISTORY and result.finishes and result.p85 is not None
    assert 0.3 < result.probability_ready < 1
    # Digests are due as soon as the portal runs.
    from datetime import datetime

    run = outbox.run(db.session, app.config, datetime.combine(today, datetime.min.time())
                     + timedelta(hours=0, minutes=5))
    assert run.logged >= 5
