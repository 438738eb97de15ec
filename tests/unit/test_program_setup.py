"""The program's domain functions: create it once, edit it with a version, its milestones,
archived workstreams, hyperscalers, and the setup checklist."""
from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.actions.models import ActionItem
from portal.audit.log import Actor
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.notes.resolve import WorkstreamSuggester
from portal.pocs import hyperscalers
from portal.pocs.models import Customer, Hyperscaler, Poc
from portal.pocs.sequencing import SequencingError, StaleBoard, change_rank
from portal.program import setup
from portal.program.checklist import setup_checklist
from portal.program.models import Milestone, Program
from portal.program.readiness import HealthRule, workstream_figures
from portal.summary.history import History
from portal.workstreams import service
from tests.factories import make_item, make_person, make_program, make_user, make_workstream

ACTOR = Actor(via="cli", name="test")
NOW = datetime(2026, 3, 2, 12, 0)  # naive UTC
TODAY = NOW.date()


def values(**changes) -> setup.ProgramValues:
    base = {"name": "Cloud Launch", "target_date": date(2026, 9, 30),
            "timezone": "Europe/Berlin", "description": "Support for the new cloud."}
    return setup.ProgramValues(**(base | changes))


def events(entity_type: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == entity_type)
                                   .order_by(AuditEvent.id)))


# --- the program ------------------------------------------------------------------------

def test_create_program_is_audited(session):
    program = setup.create_program(session, ACTOR, values(name="  Cloud   Launch "), now=NOW)
    session.commit()
    assert (program.name, program.timezone, program.version) == ("Cloud Launch",
                                                                 "Europe/Berlin", 1)
    [event] = events("program")
    assert event.action == "create" and event.entity_id == program.id
    # The health rule it starts with is the defaults, recorded with the rest.
    assert event.after == {"name": "Cloud Launch", "target_date": "2026-09-30",
                           "timezone": "Europe/Berlin", "description": "Support for the new cloud.",
                           "health_grace_days": 2, "health_min_share": 10}


def test_a_second_program_is_refused(session):
    setup.create_program(session, ACTOR, values(), now=NOW)
    session.commit()
    with pytest.raises(setup.ProgramExists) as refused:
        setup.create_program(session, ACTOR, values(name="Another"), now=NOW)
    session.rollback()
    assert "Cloud Launch" in refused.value.message
    assert session.scalar(select(func.count()).select_from(Program)) == 1


@pytest.mark.parametrize("changes,field,words", [
    ({"name": "  "}, "name", "Give the program a name"),
    ({"name": "x" * 201}, "name", "200 characters"),
    ({"target_date": None}, "target_date", "as a date"),
    ({"target_date": date(2026, 3, 1)}, "target_date", "has passed"),
    ({"target_date": date(9999, 12, 31)}, "target_date", "between 2000 and 2099"),
    ({"timezone": "Mars/Olympus"}, "timezone", "not a time zone"),
    ({"timezone": ""}, "timezone", "Choose the program's time zone"),
    ({"description": "x" * 2001}, "description", "2000 characters"),
])
def test_bad_values_are_refused_beside_their_field(session, changes, field, words):
    with pytest.raises(setup.SetupError) as refused:
        setup.create_program(session, ACTOR, values(**changes), now=NOW)
    session.rollback()
    assert refused.value.field == field and words in refused.value.message
    assert session.scalar(select(func.count()).select_from(Program)) == 0


def test_every_problem_is_reported_at_once():
    problems = setup.program_problems(values(name="", target_date=date(2026, 1, 1),
                                             description="x" * 3000), now=NOW)
    assert set(problems) == {"name", "target_date", "description"}


def test_the_past_is_judged_in_the_programs_own_zone(session):
    """At 23:30 UTC on 1 March it is 2 March in Tokyo: 1 March has passed there."""
    late = datetime(2026, 3, 1, 23, 30)
    assert setup.program_problems(values(target_date=date(2026, 3, 1), timezone="UTC"),
                                  now=late) == {}
    assert "target_date" in setup.program_problems(
        values(target_date=date(2026, 3, 1), timezone="Asia/Tokyo"), now=late)


def test_update_program_records_what_changed_and_moves_the_version(session):
    program = setup.create_program(session, ACTOR, values(), now=NOW)
    session.commit()
    assert setup.update_program(session, ACTOR, program, values(timezone="Asia/Tokyo",
                                                                target_date=date(2026, 10, 1)),
                                version=1, now=NOW)
    session.commit()
    assert program.version == 2 and program.timezone == "Asia/Tokyo"
    update = events("program")[-1]
    assert update.before == {"target_date": "2026-09-30", "timezone": "Europe/Berlin"}
    assert update.after == {"target_date": "2026-10-01", "timezone": "Asia/Tokyo", "version": 2}
    # The same values again: nothing to save, no event, the version stays.
    assert not setup.update_program(session, ACTOR, program, values(
        timezone="Asia/Tokyo", target_date=date(2026, 10, 1)), version=2, now=NOW)
    assert program.version == 2 and len(events("program")) == 2


def test_the_readiness_date_may_not_move_into_the_past_but_may_stay_there(session):
    """A readiness date given anew may not have passed (it read "2528 days past the date"
    after a typo); once the saved one has passed, the rest of the program still saves."""
    program = setup.create_program(session, ACTOR, values(target_date=date(2026, 6, 1)),
                                   now=NOW)
    session.commit()
    later = datetime(2026, 7, 1, 12)
    with pytest.raises(setup.SetupError) as refused:
        setup.update_program(session, ACTOR, program, values(target_date=date(2020, 1, 1)),
                             version=1, now=later)
    assert refused.value.field == "target_date" and "has passed" in refused.value.message
    session.rollback()
    assert setup.update_program(session, ACTOR, program, values(
        name="Renamed", target_date=date(2026, 6, 1)), version=1, now=later)
    assert program.name == "Renamed" and program.target_date == date(2026, 6, 1)


def test_a_stale_program_form_saves_nothing(session):
    program = setup.create_program(session, ACTOR, values(), now=NOW)
    session.commit()
    setup.update_program(session, ACTOR, program, values(name="Renamed"), version=1)
    session.commit()
    for stale in (1, None):
        with pytest.raises(setup.Stale):
            setup.update_program(session, ACTOR, program, values(name="Mine"), version=stale)
        session.rollback()
    assert session.get(Program, program.id).name == "Renamed"


@pytest.mark.committed  # threads, each with its own connection
def test_two_creations_at_once_make_one_program(app):
    """Both pass the check before either writes; the lock makes the second see the first."""
    results: list[str] = []
    barrier = threading.Barrier(2)

    def create(name):
        with app.app_context():
            barrier.wait()
            try:
                setup.create_program(db.session, ACTOR, values(name=name), now=NOW)
                db.session.commit()
                results.append("created")
            except setup.ProgramExists:
                db.session.rollback()
                results.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=create, args=(f"Program {n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == ["created", "refused"]
    assert db.session.scalar(select(func.count()).select_from(Program)) == 1


# --- milestones --------------------------------------------------------------------------

def test_milestones_are_added_edited_and_removed_with_the_audit_trail(session):
    program = make_program()
    beta = setup.add_milestone(session, ACTOR, program, setup.MilestoneValues(
        "Beta", date(2026, 5, 1), "First customers"))
    session.commit()
    assert setup.update_milestone(session, ACTOR, beta, setup.MilestoneValues(
        "Public beta", date(2026, 5, 15), "First customers"), version=1)
    session.commit()
    assert beta.version == 2
    setup.delete_milestone(session, ACTOR, beta, version=2)
    session.commit()
    assert session.scalar(select(func.count()).select_from(Milestone)) == 0
    added, edited, removed = events("milestone")
    assert added.after == {"name": "Beta", "due_date": "2026-05-01",
                           "description": "First customers"}
    assert edited.before == {"name": "Beta", "due_date": "2026-05-01"}
    assert edited.after == {"name": "Public beta", "due_date": "2026-05-15", "version": 2}
    assert removed.action == "delete" and removed.before["name"] == "Public beta"


def test_milestone_names_are_unique_and_dates_real(session):
    program = make_program()
    setup.add_milestone(session, ACTOR, program, setup.MilestoneValues("Beta", date(2026, 5, 1)))
    with pytest.raises(setup.SetupError, match="already") as duplicate:
        setup.add_milestone(session, ACTOR, program, setup.MilestoneValues("BETA", TODAY))
    assert duplicate.value.field == "name"
    with pytest.raises(setup.SetupError) as no_date:
        setup.add_milestone(session, ACTOR, program, setup.MilestoneValues("GA", None))
    assert no_date.value.field == "due_date"


def test_a_stale_milestone_is_neither_saved_nor_removed(session):
    program = make_program()
    beta = setup.add_milestone(session, ACTOR, program, setup.MilestoneValues("Beta", TODAY))
    session.commit()
    setup.update_milestone(session, ACTOR, beta, setup.MilestoneValues("Beta 2", TODAY),
                           version=1)
    session.commit()
    with pytest.raises(setup.Stale):
        setup.update_milestone(session, ACTOR, beta, setup.MilestoneValues("Mine", TODAY),
                               version=1)
    session.rollback()
    with pytest.raises(setup.Stale):
        setup.delete_milestone(session, ACTOR, beta, version=1)
    session.rollback()
    assert session.get(Milestone, beta.id).name == "Beta 2"


# --- archived workstreams ---------------------------------------------------------------------

@pytest.fixture
def streams(session):
    program = make_program()
    kept = make_workstream(program, name="Tooling", keywords="ticketing", position=1)
    gone = make_workstream(program, name="Staffing", keywords="hiring", position=2)
    service.set_dependencies(session, ACTOR, kept, [gone.id])
    make_item("Hire SREs", workstream_id=gone.id, status="open", due_date=TODAY)
    session.commit()
    return program, kept, gone


def test_an_archived_workstream_leaves_the_figures_and_the_suggestions(session, streams):
    program, kept, gone = streams
    service.archive_workstream(session, ACTOR, gone)
    session.commit()
    assert [f.name for f in workstream_figures(session, program.id, TODAY,
                                                      rule=HealthRule.of(program))] == ["Tooling"]
    suggester = WorkstreamSuggester.load(session)
    assert suggester.suggest("Start hiring SREs").workstream is None
    assert suggester.suggest("Move the ticketing queue").workstream.name == "Tooling"
    # Its items stay, and so does the history; it blocks nothing any more.
    assert session.scalar(select(func.count()).select_from(ActionItem)
                          .where(ActionItem.workstream_id == gone.id)) == 1
    assert kept.depends_on == [] and gone.archived
    [event] = [e for e in events("workstream") if e.action == "archive"]
    assert event.before == {"archived": False, "depends_on": [], "blocks": [kept.id]}


def test_unarchive_brings_it_back(session, streams):
    program, _, gone = streams
    service.archive_workstream(session, ACTOR, gone)
    version = gone.version
    with pytest.raises(service.WorkstreamError, match="archived already"):
        service.archive_workstream(session, ACTOR, gone)
    service.unarchive_workstream(session, ACTOR, gone)
    session.commit()
    assert not gone.archived and gone.version == version + 1
    figures = workstream_figures(session, program.id, TODAY, rule=HealthRule.of(program))
    assert {f.name for f in figures} == {"Tooling", "Staffing"}


def test_an_archived_name_is_not_taken_twice(session, streams):
    program, _, gone = streams
    service.archive_workstream(session, ACTOR, gone)
    with pytest.raises(service.WorkstreamError, match="unarchive it"):
        service.create_workstream(session, ACTOR, program, name="staffing")


def test_past_days_count_a_workstream_until_it_was_archived(session, streams):
    program, _, gone = streams
    service.archive_workstream(session, ACTOR, gone)
    gone.archived_at = datetime(2026, 2, 10, 9, 0)
    session.commit()
    history = History.load(session, program.id)
    names = lambda day: {f.name for f in history.figures_on(day)}  # noqa: E731
    assert names(date(2026, 2, 9)) == {"Tooling", "Staffing"}
    assert names(date(2026, 2, 10)) == {"Tooling"}


# --- hyperscalers -----------------------------------------------------------------------------

def ranks(session) -> list[tuple[str, int]]:
    return [tuple(row) for row in session.execute(
        select(Hyperscaler.name, Hyperscaler.rank).order_by(Hyperscaler.rank))]


def test_hyperscalers_are_added_last_renamed_and_reordered(session):
    for name in ("AWS", "Azure", "GCP"):
        hyperscalers.add_hyperscaler(session, ACTOR, name)
    session.commit()
    assert ranks(session) == [("AWS", 1), ("Azure", 2), ("GCP", 3)]
    gcp = session.scalar(select(Hyperscaler).where(Hyperscaler.name == "GCP"))
    hyperscalers.rename_hyperscaler(session, ACTOR, gcp.id, "Google Cloud", "GCP")
    order = [id_ for id_, in session.execute(select(Hyperscaler.id).order_by(Hyperscaler.rank))]
    change_rank(session, ACTOR, gcp.id, "up", order)
    session.commit()
    assert ranks(session) == [("AWS", 1), ("Google Cloud", 2), ("Azure", 3)]
    assert [e.action for e in events("hyperscaler")] == ["create"] * 3 + ["rename", "rank"]


def test_hyperscaler_names_are_checked(session):
    hyperscalers.add_hyperscaler(session, ACTOR, "AWS")
    for bad, words in (("aws", "already"), ("A\u200bWS", "already"), ("\u200b", "a name"),
                       ("", "a name"), ("x" * 51, "50 characters")):
        with pytest.raises(SequencingError, match=words):
            hyperscalers.add_hyperscaler(session, ACTOR, bad)


def test_a_rename_over_someone_elses_is_refused(session):
    aws = hyperscalers.add_hyperscaler(session, ACTOR, "AWS")
    hyperscalers.rename_hyperscaler(session, ACTOR, aws.id, "Amazon", "AWS")
    with pytest.raises(StaleBoard, match="renamed 'AWS' to 'Amazon'"):
        hyperscalers.rename_hyperscaler(session, ACTOR, aws.id, "Amazon Web Services", "AWS")


def test_only_a_hyperscaler_without_pocs_is_retired(session):
    aws, azure, gcp = (hyperscalers.add_hyperscaler(session, ACTOR, n)
                       for n in ("AWS", "Azure", "GCP"))
    customer = Customer(name="Zoom", hyperscalers=[azure, gcp])
    session.add(customer)
    session.flush()
    session.add(Poc(customer_id=customer.id, hyperscaler_id=gcp.id, position=1))
    session.commit()
    with pytest.raises(SequencingError, match="GCP has 1 POC: move it"):
        hyperscalers.retire_hyperscaler(session, ACTOR, gcp.id)
    session.rollback()
    assert hyperscalers.retire_hyperscaler(session, ACTOR, azure.id) == "Azure"
    session.commit()
    assert ranks(session) == [("AWS", 1), ("GCP", 2)]
    assert [h.name for h in session.get(Customer, customer.id).hyperscalers] == ["GCP"]
    retired = events("hyperscaler")[-1]
    assert retired.action == "retire" and retired.before == {"name": "Azure", "rank": 2,
                                                             "customers": ["Zoom"]}


# --- the checklist ------------------------------------------------------------------------------

def done(checklist) -> dict[str, bool]:
    return {step.key: step.done for step in checklist.steps}


def test_a_new_program_has_everything_to_do(session):
    program = make_program(target_date=TODAY + timedelta(days=90))
    checklist = setup_checklist(session, program, TODAY)
    assert done(checklist) == {"dates": True, "milestones": False, "workstreams": False,
                               "hyperscalers": False, "import": False, "emails": False,
                               "invited": False}
    assert not checklist.done and checklist.done_count == 1


def test_the_checklist_follows_the_data(session, query_counter):
    from portal.notes.models import Meeting

    program = make_program(target_date=TODAY + timedelta(days=90))
    setup.add_milestone(session, ACTOR, program, setup.MilestoneValues("Beta", TODAY))
    lead = make_person("Lena Lead")
    ws = make_workstream(program, name="Tooling", gating=True)
    make_workstream(program, name="Side", gating=False)
    hyperscalers.add_hyperscaler(session, ACTOR, "AWS")
    session.add(Meeting(title="Kick-off", raw_text="-", sha256="0" * 64))
    owner = make_person("Olga Owner", email=None)
    team = make_person("Platform Team", kind="team")
    make_item("One", owner_id=owner.id, status="open", workstream_id=ws.id)
    make_item("Two", owner_id=team.id, status="in_progress")
    make_item("Closed", owner_id=make_person("Done Dora", email=None).id, status="done")
    session.commit()
    session.refresh(program)  # loaded, as on the dashboard
    with query_counter() as statements:
        first = setup_checklist(session, program, TODAY)
    assert len(statements) == 1
    assert done(first) == {"dates": True, "milestones": True, "workstreams": False,
                           "hyperscalers": True, "import": True, "emails": False,
                           "invited": False}
    assert "without a lead" in first.steps[2].detail
    assert "1 owner of open items has no email" in first.steps[5].detail
    # The team needs an email, not a login. So does the person: a login is optional, as
    # owners act on their reminders without one, and does not keep the list open.
    ws.lead_id = lead.id
    owner.email = "olga@example.com"
    session.commit()
    emailed = setup_checklist(session, program, TODAY)
    assert emailed.done and emailed.done_count == len(emailed.required) == 6
    assert done(emailed)["invited"] is False
    assert "1 owner of open items cannot sign in yet" in emailed.steps[6].detail
    user = make_user("owner")
    user.person_id = owner.id
    session.commit()
    assert done(setup_checklist(session, program, TODAY))["invited"]
    assert not setup_checklist(session, program, program.target_date).done  # the date came


def test_an_archived_gating_workstream_is_not_counted(session):
    program = make_program(target_date=TODAY + timedelta(days=9))
    ws = make_workstream(program, name="Tooling")
    service.archive_workstream(session, ACTOR, ws)
    session.commit()
    assert not done(setup_checklist(session, program, TODAY))["workstreams"]
