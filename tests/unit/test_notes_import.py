"""The importer: resolving names, planning, applying, re-importing (no request involved)."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from portal.actions.models import ActionItem
from portal.audit.log import Actor
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.notes.apply import apply, build_plan, report_lines
from portal.notes.models import Meeting
from portal.notes.parse import NoteError, parse_note
from portal.notes.resolve import (
    EXACT,
    MYSELF_KIND,
    NEAR,
    NEW,
    UNRESOLVED,
    Resolver,
    WorkstreamRef,
    WorkstreamSuggester,
    collapse_repeats,
    edit_distance,
    looks_like_team,
    one_slip_apart,
)
from portal.people.models import Person, PersonAlias
from portal.program.models import Decision, Workstream
from tests.factories import make_person, make_program, make_user, make_workstream

SAMPLE = (Path(__file__).parents[2] / "portal" / "demo"
          / "2025-10-30-cloud-support-operating-model.md")
DAMAGE = ("ğŸ", "ðŸ", "â«", "â€", "Ã", "Â", "\ufffd")
SIGNIFIERS = "📅📆🗓⏳⌛🛫➕✅❌🔺⏫🔼🔽⏬🔁"

WORKSTREAMS = [
    ("Hiring", "hiring recruiting SREs"),
    ("Integrations", "Salesforce Tackle Polaris entitlement metering billing"),
    ("Telemetry and analytics", "telemetry Tableau analytics forecasting"),
    ("Compliance", "legal SOC2 FedRAMP compliance custodian"),
    ("Enablement", "SKO enablement documentation"),
]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def counts() -> dict[str, int]:
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


@pytest.fixture
def lead(app):
    """A lead whose person is Jason Vallery, and the program's workstreams."""
    user = make_user("lead")
    user.person.name, user.person.name_key = "Jason Vallery", "jason vallery"
    program = make_program()
    for position, (name, keywords) in enumerate(WORKSTREAMS, 1):
        make_workstream(program, name=name, keywords=keywords, position=position)
    db.session.commit()
    return user


def run_import(data, user=None, *, overrides=None, source_name="note.md"):
    note = parse_note(data)
    plan = build_plan(db.session, note, myself_id=user.person_id if user else None,
                      source_name=source_name)
    actor = Actor.for_user(user, via="import") if user else Actor(via="cli")
    result = apply(db.session, plan, actor, overrides)
    db.session.commit()
    return result


def items() -> list[ActionItem]:
    return db.session.scalars(select(ActionItem).order_by(ActionItem.source_line)).all()


# --- The sample note, exactly as shipped ------------------------------------------


@pytest.fixture
def imported(lead):
    return run_import(SAMPLE.read_bytes(), lead, source_name=SAMPLE.name)


def test_sample_items_dates_priorities_statuses(imported):
    stored = items()
    assert len(stored) == 17
    dues = [item.due_date for item in stored]
    assert dues.count(date(2025, 11, 8)) == 15
    assert dues.count(date(2025, 10, 31)) == 2
    assert [i.priority for i in stored].count("high") == 16
    [low] = [i for i in stored if i.priority == "low"]
    assert low.title.startswith("Consolidate notes")
    assert {i.status for i in stored} == {"proposed"}
    assert {i.tags for i in stored} == {"task proposed"}


def test_sample_owners_as_written(imported):
    owners = {item.source_line: item.owner.name for item in items()}
    assert owners[32] == owners[33] == owners[39] == "Rob Banga"
    assert owners[34] == owners[40] == owners[46] == "Jason Vallery"  # @Myself
    assert owners[38] == "Timo Pervane"  # written "Timo Pervane Pervane"
    assert owners[41] == "Product Marketing" and owners[43] == "Legal"
    assert {owners[35], owners[36], owners[37], owners[42], owners[48]} == {
        "Christina", "Yancey", "Joe", "Daniel", "Benoit"}
    timos = db.session.scalars(select(Person).where(Person.name.like("Timo%"))).all()
    assert [p.name for p in timos] == ["Timo Pervane"]
    assert [a.alias for a in timos[0].aliases] == ["Timo Pervane Pervane"]
    teams = db.session.scalars(select(Person.name).where(Person.kind == "team")).all()
    assert sorted(teams) == ["Legal", "Product Marketing"]
    new = db.session.scalars(select(Person).where(Person.email.is_(None))).all()
    assert all(person.needs_email for person in new) and len(new) >= 8


def test_sample_titles_are_clean(imported):
    for item in items():
        assert "@" not in item.title and "#" not in item.title
        assert not any(sign in item.title for sign in SIGNIFIERS)
        assert item.title == item.title.strip() and "  " not in item.title
    assert items()[0].title.startswith("Draft a clear cloud support/Customer Success/SRE")
    assert items()[0].title.endswith("bring back to this group for review.")


def test_sample_meeting_decisions_participants(imported):
    [meeting] = db.session.scalars(select(Meeting)).all()
    assert meeting.title == "Cloud support operating model alignment"
    assert meeting.date == date(2025, 10, 30)
    assert len(meeting.decisions) == 4
    assert all(d.decided_on == date(2025, 10, 30) for d in meeting.decisions)
    assert meeting.decisions[1].text.endswith("6–8 months later, with full SaaS targeted in FY28.")
    assert len(meeting.participants) == 7
    assert {p.name for p in meeting.participants} == {
        "Jason Vallery", "Lior Genzel", "Yancey", "Rob Banga", "Daniel", "Timo Pervane",
        "Christina"}
    assert "GCP’s challenge" in meeting.summary
    assert len(meeting.key_information) == 8
    assert meeting.sha256 == parse_note(SAMPLE.read_bytes()).sha256
    assert meeting.raw_text.startswith("---\ntype: people")
    assert all(item.meeting_id == meeting.id for item in items())
    assert count(Decision) == 4


def test_sample_workstreams_suggested(imported):
    by_line = {i.source_line: (i.workstream.name if i.workstream else None) for i in items()}
    assert by_line[33] == "Hiring"
    assert by_line[35] == "Integrations"
    assert by_line[36] == "Telemetry and analytics"
    assert by_line[41] == "Enablement"
    assert by_line[43] == "Compliance"
    assert by_line[42] is None  # "Consolidate notes": no keyword


def test_no_damaged_character_is_stored_anywhere(imported):
    """Every text and JSON column of every table, after importing the damaged sample."""
    checked = 0
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns
                   if isinstance(c.type, sa.String | sa.Text | sa.JSON)]
        if not columns:
            continue
        for row in db.session.execute(select(*columns)).all():
            for column, value in zip(columns, row, strict=True):
                if value is None:
                    continue
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                checked += 1
                assert not any(mark in text for mark in DAMAGE), (table.name, column.name, text)
    assert checked > 100


def test_sample_import_is_audited(imported):
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.via == "import")).all()
    kinds = [(e.entity_type, e.action) for e in events]
    assert kinds.count(("action_item", "create")) == 17
    assert kinds.count(("meeting", "import")) == 1
    assert kinds.count(("decision", "create")) == 4
    assert ("person", "alias") in kinds
    created = [e for e in events if e.entity_type == "action_item"][0]
    assert created.after["due_date"] == "2025-11-08"
    assert db.session.get(Person, created.after["owner_id"]).name == "Rob Banga"


def test_sample_report(lead):
    plan = build_plan(db.session, parse_note(SAMPLE.read_bytes()), myself_id=lead.person_id,
                      source_name=SAMPLE.name)
    text = "\n".join(report_lines(plan))
    assert "created: 17 action items" in text
    assert "updated: 0 action items" in text
    assert "repaired: 37 damaged character sequences" in text
    assert "warnings: none" in text
    assert "@Timo Pervane Pervane (line 38): Matched to Timo Pervane" in text
    assert "spelling remembered: 'Timo Pervane Pervane' is Timo Pervane" in text


# --- Re-importing -----------------------------------------------------------------


def test_reimport_of_the_same_note_changes_nothing(imported, lead):
    before = counts()
    plan = build_plan(db.session, parse_note(SAMPLE.read_bytes()), myself_id=lead.person_id)
    assert not plan.has_changes
    assert len(plan.unchanged) == 17 and not plan.created and not plan.updated
    result = run_import(SAMPLE.read_bytes(), lead)
    assert result.created_ids == [] and result.updated_ids == [] and result.unchanged == 17
    assert counts() == before  # no new rows, no audit events


def test_reimport_keeps_edits_made_in_the_portal(imported, lead):
    """A field the note did not change keeps the portal's value (three-way merge)."""
    item = items()[0]
    item.status, item.due_date = "in_progress", date(2025, 12, 1)
    db.session.commit()
    before = counts()
    run_import(SAMPLE.read_bytes(), lead)
    assert counts() == before
    assert items()[0].status == "in_progress" and items()[0].due_date == date(2025, 12, 1)


def edited_sample() -> bytes:
    data = SAMPLE.read_bytes()
    line35 = "@Christina ğŸ“… 2025-10-31".encode()
    assert line35 in data
    data = data.replace(line35, "@Christina ğŸ“… 2025-11-04".encode())
    data = data.replace(b"- [?] Plan SKO sessions", b"- [x] Plan SKO sessions")
    return data.replace(
        b"\n## Decisions",
        "- [ ] Book the SKO room @Benoit 📅 2025-11-20 🔼 #task\n\n## Decisions".encode(),
    )


def test_edited_reimport_updates_and_adds(imported, lead):
    audit_before = count(AuditEvent)
    plan = build_plan(db.session, parse_note(edited_sample()), myself_id=lead.person_id)
    assert [i.line for i in plan.created] == [49]
    assert sorted(i.line for i in plan.updated) == [35, 48]
    assert len(plan.unchanged) == 15
    assert plan.meeting.action == "update"
    result = run_import(edited_sample(), lead)
    assert len(result.created_ids) == 1 and len(result.updated_ids) == 2
    assert count(ActionItem) == 18
    by_line = {i.source_line: i for i in items()}
    assert by_line[35].due_date == date(2025, 11, 4)
    assert by_line[48].status == "done"
    assert by_line[49].title == "Book the SKO room" and by_line[49].priority == "medium"
    assert by_line[49].owner.name == "Benoit" and by_line[49].workstream.name == "Enablement"
    updates = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "action_item",
                                 AuditEvent.action == "update")).all()
    changes = {e.entity_id: (e.before, {k: v for k, v in e.after.items() if k != "version"})
               for e in updates}
    assert changes[by_line[35].id] == ({"due_date": "2025-10-31"}, {"due_date": "2025-11-04"})
    # done through the actions area's rule: the status carries its date
    before_48, after_48 = changes[by_line[48].id]
    assert before_48 == {"status": "proposed", "done_date": None}
    assert after_48["status"] == "done"
    assert after_48["done_date"] == by_line[48].done_date.isoformat()
    meeting_updates = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "meeting",
                                 AuditEvent.action == "update")).all()
    assert len(meeting_updates) == 1
    # item creates/updates, the meeting update; nothing else
    assert count(AuditEvent) == audit_before + 1 + 2 + 1
    # and the edited note, imported again, changes nothing more
    before = counts()
    run_import(edited_sample(), lead)
    assert counts() == before


def test_reimport_with_a_changed_owner_mention(imported, lead):
    data = SAMPLE.read_bytes().replace(b"circulate action items from this session. @Daniel",
                                       b"circulate action items from this session. @Myself")
    plan = build_plan(db.session, parse_note(data), myself_id=lead.person_id)
    [update] = plan.updated
    assert update.changes == {"owner": ("Daniel", "Jason Vallery")}
    run_import(data, lead)
    assert {i.source_line: i.owner.name for i in items()}[42] == "Jason Vallery"


def test_reimport_choosing_nobody_clears_the_owner(imported, lead):
    plan = build_plan(db.session, parse_note(SAMPLE.read_bytes()), myself_id=lead.person_id)
    daniel = plan.owner_for("Daniel")
    apply(db.session, plan, Actor.for_user(lead, via="import"), {"owners": {daniel.key: "none"}})
    db.session.commit()
    owners = {i.source_line: i.owner for i in items()}
    assert daniel.lines and all(owners[line] is None for line in daniel.lines)


def test_reimport_of_a_line_without_its_owner_clears_it(imported, lead):
    data = SAMPLE.read_bytes().replace(b"circulate action items from this session. @Daniel",
                                       b"circulate action items from this session.")
    plan = build_plan(db.session, parse_note(data), myself_id=lead.person_id)
    [update] = plan.updated
    assert update.line == 42 and update.changes == {"owner": ("Daniel", None)}
    run_import(data, lead)
    assert {i.source_line: i.owner for i in items()}[42] is None


def test_removed_decision_is_deleted_and_new_one_added(imported, lead):
    data = SAMPLE.read_bytes().replace(
        b"- Target operational readiness for the cloud support model by 2026-02-01.",
        b"- Target operational readiness by 2026-03-01.")
    result = run_import(data, lead)
    assert result.decisions_created == 1 and result.decisions_removed == 1
    [meeting] = db.session.scalars(select(Meeting)).all()
    assert meeting.decisions[-1].text == "Target operational readiness by 2026-03-01."
    assert count(Decision) == 4


# --- Overrides (the preview's choices) ---------------------------------------------


def test_owner_and_workstream_overrides(lead):
    rob = make_person("Rob Banga")
    compliance = db.session.scalar(select(Workstream.id).where(Workstream.name == "Compliance"))
    db.session.commit()
    note = parse_note(SAMPLE.read_bytes())
    plan = build_plan(db.session, note, myself_id=lead.person_id)
    joe = plan.owner_for("Joe")
    timo = plan.owner_for("Timo Pervane Pervane")
    assert joe.match.kind == NEW and timo.match.kind == NEAR
    overrides = {"owners": {joe.key: f"id:{rob.id}", timo.key: f"new:{timo.key}"},
                 "workstreams": {33: None, 42: compliance}}
    apply(db.session, plan, Actor.for_user(lead, via="import"), overrides)
    db.session.commit()
    by_line = {i.source_line: i for i in items()}
    assert by_line[37].owner_id == rob.id
    assert by_line[38].owner.name == "Timo Pervane Pervane"  # a new person, as chosen
    assert by_line[33].workstream is None
    assert by_line[42].workstream.name == "Compliance"
    assert db.session.scalar(select(Person.id).where(Person.name == "Joe")) is None
    # the spelling matched by hand is remembered for the next note
    [alias] = db.session.scalars(select(PersonAlias)).all()
    assert (alias.alias, alias.alias_key, alias.person_id) == ("Joe", "joe", rob.id)
    again = build_plan(db.session, parse_note("# Next\n- [ ] Call back @Joe\n"),
                       myself_id=lead.person_id)
    assert again.owner_for("Joe").match.kind == EXACT
    assert again.owner_for("Joe").match.person.id == rob.id and not again.new_people


def test_override_to_a_missing_person_is_refused(lead):
    plan = build_plan(db.session, parse_note(SAMPLE.read_bytes()), myself_id=lead.person_id)
    with pytest.raises(NoteError, match="no longer exists"):
        apply(db.session, plan, Actor(), {"owners": {plan.owners[0].key: "id:999999"}})


# --- The fingerprint (stale previews) ----------------------------------------------


def test_fingerprint_is_stable_and_follows_the_database(lead):
    note = parse_note(SAMPLE.read_bytes())
    first = build_plan(db.session, note, myself_id=lead.person_id).fingerprint
    assert build_plan(db.session, note, myself_id=lead.person_id).fingerprint == first
    assert count(ActionItem) == 0  # planning writes nothing
    make_person("Joe")
    db.session.commit()
    assert build_plan(db.session, note, myself_id=lead.person_id).fingerprint != first


# --- Bad input and warnings -------------------------------------------------------


def test_note_without_tasks_is_refused(lead):
    note = parse_note("---\ntitle: Empty\n---\n## Summary\nNothing to do.\n")
    with pytest.raises(NoteError, match="no task lines") as refused:
        build_plan(db.session, note)
    assert "Also noted" not in str(refused.value)
    # A note whose only task line was skipped as too long says why there is none.
    long_line = parse_note("- [ ] " + "x" * 12_000 + "\n")
    with pytest.raises(NoteError, match="no task lines.*line 1: The task line is longer"):
        build_plan(db.session, long_line)
    assert count(Meeting) == 0


def test_impossible_date_is_a_warning_and_the_item_has_no_date(lead):
    result = run_import("---\ntitle: T\ndate: 2025-11-01\n---\n"
                        "- [ ] Book a room @Rob Banga 📅 2025-13-45 #task\n", lead)
    [item] = items()
    assert item.due_date is None and item.title == "Book a room"
    [warning] = result.plan.notices
    assert warning.line == 5 and "2025-13-45" in warning.message


def test_duplicate_and_empty_tasks_are_skipped_with_warnings(lead):
    result = run_import(
        "# T\n- [ ] Same task @Rob Banga\n- [ ] same task.\n- [ ] @Joe 📅 2025-11-01\n", lead)
    assert [i.title for i in items()] == ["Same task"]
    lines = {n.line: n.message for n in result.plan.notices}
    assert "line 2" in lines[3] and "skipped" in lines[4]


def test_meeting_title_falls_back_to_the_file_name(lead):
    run_import("- [ ] Something @Joe\n", lead, source_name="2025-11-02 weekly.md")
    meeting = db.session.scalars(select(Meeting)).one()
    assert (meeting.title, meeting.date) == ("weekly", date(2025, 11, 2))


def test_myself_without_a_person_is_left_without_owner(lead):
    result = run_import("# T\n- [ ] Something @Myself\n", None)
    assert items()[0].owner is None
    assert any("@Myself" in n.message for n in result.plan.notices)


def test_overlong_title_is_shortened(lead):
    run_import("# T\n- [ ] " + "word " * 150 + "@Joe\n", lead)
    assert len(items()[0].title) == 500


def test_too_many_tasks_are_refused(lead):
    note = parse_note("# Big\n" + "".join(f"- [ ] Task {n}\n" for n in range(2001)))
    with pytest.raises(NoteError, match="at most 2,000"):
        build_plan(db.session, note)


def test_long_names_and_titles_fit_their_columns(lead):
    """Values are cut to the column sizes (PostgreSQL refuses longer ones)."""
    owner = "Großmann " * 30
    title = "Straße " * 90
    run_import(f"---\ntitle: {'Meeting ' * 50}\nparticipants: [{owner}]\n---\n"
               f"- [ ] {title} @{owner}🔁 every {'day ' * 80}#{'t' * 300} #{'u' * 300}\n", lead)
    [item] = items()
    assert len(item.title) == 500 and len(item.title_key) <= 500
    assert len(item.owner.name) <= 120 and len(item.owner.name_key) <= 120
    assert len(item.recurrence) <= 200 and len(item.tags) <= 500
    assert len(db.session.scalar(select(Meeting.title))) <= 300
    before = counts()
    run_import(f"---\ntitle: {'Meeting ' * 50}\nparticipants: [{owner}]\n---\n"
               f"- [ ] {title} @{owner}🔁 every {'day ' * 80}#{'t' * 300} #{'u' * 300}\n", lead)
    assert counts() == before


def test_every_signifier_note_imports(lead):
    from tests.unit.test_notes_parse import EVERY_SIGNIFIER

    data = EVERY_SIGNIFIER.replace("\n", "\r\n").encode("utf-8")
    result = run_import(data, lead)
    stored = {i.title: i for i in items()}
    assert len(stored) == len(result.plan.items) >= 12
    assert stored["Open task"].scheduled_date == date(2025, 11, 5)
    assert stored["Open task"].start_date == date(2025, 11, 4)
    assert stored["Open task"].created_date == date(2025, 11, 1)
    assert stored["Open task"].priority == "highest"
    assert stored["Done task"].status == "done"
    assert stored["Done task"].done_date == date(2025, 11, 2)
    assert stored["Done task"].owner.name == "Jason Vallery"
    assert stored["Cancelled one"].cancelled_date == date(2025, 11, 2)
    assert stored["Proposed with recurrence"].recurrence == "every week on Monday"
    assert stored["Proposed with recurrence"].owner.name == "Zoë Ñúñez"
    assert stored["Unknown status task"].status == "open"
    assert stored["Quoted cp1254 damage"].owner.name == "Timo Pervane Pervane"
    assert stored["Indented cp1252 damage"].owner.kind == "team"
    assert {i.status for i in stored.values()} == {"open", "done", "in_progress", "cancelled",
                                                   "proposed"}
    [meeting] = db.session.scalars(select(Meeting)).all()
    assert meeting.raw_text.startswith("---\ntitle: Every signifier")
    assert "\r" not in meeting.raw_text
    assert not any(mark in meeting.raw_text for mark in ("ğŸ", "ðŸ", "â«"))


def test_clean_note_is_stored_untouched(lead):
    data = (Path(__file__).parents[1] / "fixtures" / "notes" / "clean-utf8.md").read_bytes()
    run_import(data, lead)
    [meeting] = db.session.scalars(select(Meeting)).all()
    assert meeting.raw_text == data.decode("utf-8")
    assert items()[0].owner.name == "Zoë Ñúñez"


# --- Resolving names --------------------------------------------------------------


def test_resolver_matches_case_accents_and_aliases(app):
    zoe = make_person("Zoë Ñúñez")
    rob = make_person("Rob Banga")
    db.session.add(PersonAlias(person_id=rob.id, alias="Robert Banga", alias_key="robert banga"))
    db.session.flush()
    resolver = Resolver.load(db.session, myself_id=zoe.id)
    assert resolver.resolve("ZOE NUNEZ").person.id == zoe.id
    assert resolver.resolve("zoë ñúñez").kind == EXACT
    match = resolver.resolve("Robert Banga")
    assert match.kind == EXACT and match.person.id == rob.id and "alias" in match.explanation
    assert resolver.resolve("Myself").kind == MYSELF_KIND
    assert resolver.resolve("Myself").person.id == zoe.id
    assert Resolver.load(db.session).resolve("Myself").kind == UNRESOLVED


def test_resolver_near_duplicates_are_matched_not_created(app):
    timo = make_person("Timo Pervane")
    resolver = Resolver.load(db.session)
    for written in ("Timo Pervane Pervane", "Timo Timo Pervane", "Timo Pervanne", "timo pervne"):
        match = resolver.resolve(written)
        assert match.kind == NEAR and match.person.id == timo.id, written
    assert resolver.new_people == {}


@pytest.mark.parametrize("known,written", [
    ("Joe", "Jon"), ("Rob Banga", "Bob Banga"), ("Jon Smith", "Jan Smith"),
    ("Timo Pervane", "Tim Pervane"), ("Timo Pervane", "Timo Pervane Jr"),
    ("Timo Pervane", "Timo Fervane"), ("Christina Smith", "Christine Smyth"),
])
def test_resolver_different_names_are_not_near_duplicates(app, known, written):
    make_person(known)
    match = Resolver.load(db.session).resolve(written)
    assert match.kind == NEW and match.person.name == written and match.person.kind == "person"


def test_resolver_long_and_expanding_names_fit_the_columns(app):
    resolver = Resolver.load(db.session)
    long_name = "Straße " * 40
    match = resolver.resolve(long_name)
    assert len(match.person.name) <= 120 and len(match.person.key) <= 120
    assert resolver.resolve(long_name + "Extra").person is match.person


def test_resolver_new_people_are_shared_within_a_note(app):
    resolver = Resolver.load(db.session)
    first = resolver.resolve("Christina Smith")
    again = resolver.resolve("christina smith")
    near = resolver.resolve("Christina Smith Smith")
    assert first.kind == again.kind == NEW and first.person is again.person
    assert near.kind == NEAR and near.person is first.person


@pytest.mark.parametrize("name,team", [
    ("Legal", True), ("Product Marketing", True), ("Customer Success", True),
    ("Sales Ops", True), ("Security Team", True), ("Integrations", True),
    ("Rob Banga", False), ("Rich Shanshee", False), ("Zoë Ñúñez", False),
])
def test_team_names(name, team):
    assert looks_like_team(name, ["Integrations"]) is team


def test_collapse_and_distance():
    assert collapse_repeats("timo pervane pervane") == "timo pervane"
    assert collapse_repeats("a b a") == "a b a"
    assert edit_distance("kitten", "sitting", 5) == 3
    assert edit_distance("abc", "abcdefgh", 2) == 3
    assert one_slip_apart("timo pervanne", "timo pervane")
    assert not one_slip_apart("timo pervane", "timo pervane")
    assert not one_slip_apart("rob banga", "bob banga")


def test_workstream_suggestion_is_whole_word_and_case_insensitive():
    suggester = WorkstreamSuggester([
        WorkstreamRef(1, "Hiring", 1, ("hiring", "SREs")),
        WorkstreamRef(2, "Integrations", 2, ("Salesforce", "billing")),
        WorkstreamRef(3, "Telemetry", 3, ("Tableau", "telemetry")),
    ])
    assert suggester.suggest("Hire two sres").workstream.name == "Hiring"
    assert suggester.suggest("Rebilling is not billing-free").workstream.name == "Integrations"
    assert suggester.suggest("Prebilling and SREsX").workstream is None
    # the most distinct keywords win; a tie goes to the workstream listed first
    assert suggester.suggest("Salesforce and Tableau telemetry").workstream.name == "Telemetry"
    suggestion = suggester.suggest("salesforce and tableau")
    assert suggestion.workstream.name == "Integrations" and suggestion.keywords == ("Salesforce",)
    assert suggester.suggest("Nothing relevant").workstream is None


def test_keywords_typed_with_commas_suggest_their_workstream(app):
    """Keywords are words: typed "telemetry, Tableau" (as people list things), they are kept
    as two words and suggest their workstream; so are keywords stored with commas before."""
    from portal.workstreams import service as workstreams

    ws = workstreams.create_workstream(db.session, Actor(via="cli"), make_program(),
                                       name="Telemetry", keywords="telemetry,Tableau, usage")
    assert ws.keywords == "telemetry Tableau usage"
    make_workstream(name="Older", keywords="salesforce, tackle")  # written before the rule
    db.session.flush()
    suggester = WorkstreamSuggester.load(db.session)
    assert suggester.suggest("Wire telemetry exports").workstream.name == "Telemetry"
    assert suggester.suggest("Check Tackle listings").workstream.name == "Older"
