"""The demo as a program in its fifth week of thirteen, for `flask seed-demo --rebase-to-today`.

The imported note is only the kick-off. This plays the weeks since, day by day, through
the same domain functions a lead uses, each change dated on the day it happened (its
audit event too): the note's items done, re-planned or left late, the items the weekly
syncs added and closed, the leads' status notes, exit criteria met. The trend is then
backfilled from that history, so the summary has weeks of points and the forecast a
pace to read; the demo's people take their digests from midnight, so the outbox fills
within a minute of `make run`.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.actions import service as actions
from portal.actions.models import ActionItem
from portal.audit.log import Actor, last_event_id
from portal.audit.models import AuditEvent
from portal.people.models import Person
from portal.program.models import Program
from portal.summary.snapshots import backfill
from portal.workstreams import service as workstream_service

# Days after the meeting on which the demo stands: week 5 (of 13 to the readiness date).
TODAY_AFTER_MEETING = 32
# How far back the trend reaches: the program was set up ten days before its kick-off.
TREND_DAYS = 42

# The note's items, by the start of their title: done (days after the meeting), or a
# status and a due date in days from today (negative: late).
NOTE_FATES = {
    "Consolidate notes and circulate": ("done", 1),
    "Schedule an offline working session with Rob": ("done", 6),
    "Attend the GCP meeting to defend TPU": ("done", 8),
    "Schedule a Salesforce/Tackle integration deep-dive": ("done", 9),
    "Confirm target customer list and POC sequencing": ("done", 13),
    "Initiate a legal/compliance workstream": ("done", 15),
    "Define telemetry and metrics to push": ("done", 20),
    "Propose a role-based access and data segmentation": ("done", 24),
    "Draft a clear cloud support/Customer Success/SRE": ("in_progress", 3),
    "Detail metering, entitlement, and billing": ("in_progress", 5),
    "Define overage policy mechanics": ("done", 27),
    "Begin recruiting initial SREs": ("in_progress", 10),
    "Prepare an enablement and documentation plan": ("open", 11),
    "Plan SKO sessions for cloud go-to-market": ("open", 12),
    "Assess and confirm additional Salesforce and Tableau": ("proposed", -1),
    "Evaluate Carl as the initial leader": ("open", -3),
    "Scope reporting and analytics needed": ("open", -6),
}

# The plan the leads drew up the day after the kick-off, and what the weekly syncs added
# since: (workstream, title, owner, created (days after the meeting), fate as above).
FOLLOW_UPS = [
    ("Hiring", "Post the SRE job descriptions on the careers site", "Rob Banga", 1,
     ("done", 5)),
    ("Hiring", "Brief the recruiting agency on hyperscaler experience", "Rob Banga", 1,
     ("done", 6)),
    ("Hiring", "Screen the first SRE candidates", "Rob Banga", 1, ("done", 12)),
    ("Hiring", "Agree the interview loop with the SRE leads", "Rob Banga", 1, ("done", 9)),
    ("Hiring", "Decide on Carl's role with the VP of Support", "Rob Banga", 1, ("done", 16)),
    ("Hiring", "Second-round interviews for two SRE candidates", "Rob Banga", 1,
     ("done", 22)),
    ("Hiring", "Reference checks for the two SRE finalists", "Rob Banga", 1, ("done", 24)),
    ("Hiring", "Make offers to two SREs", "Rob Banga", 1, ("done", 26)),
    ("Hiring", "Plan the onboarding of the two SREs in January", "Rob Banga", 24,
     ("done", 30)),
    ("Hiring", "Define the 24/7 on-call rotation for the first three months", "Rob Banga", 28,
     ("open", 6)),
    ("Integrations", "Get the Tackle sandbox credentials", "Christina", 1, ("done", 9)),
    ("Integrations", "Map Salesforce opportunity fields to Tackle listings", "Christina", 1,
     ("done", 13)),
    ("Integrations", "Decide where entitlements are mastered: Polaris or Salesforce",
     "Christina", 1, ("done", 11)),
    ("Integrations", "Register the GCP marketplace listing in Tackle", "Christina", 1,
     ("done", 15)),
    ("Integrations", "Register the Azure marketplace offer in Tackle", "Christina", 1,
     ("done", 19)),
    ("Integrations", "Build the marketplace registration webhook into Polaris", "Yancey", 1,
     ("done", 27)),
    ("Integrations", "Design the usage record format for hourly metering", "Yancey", 1,
     ("done", 20)),
    ("Integrations", "Test the registration flow end to end in the sandbox", "Christina", 1,
     ("done", 25)),
    ("Integrations", "Document the private offer approval steps for Deal Desk", "Christina",
     17, ("done", 23)),
    ("Integrations", "Create the Salesforce report of marketplace deals", "Christina", 21,
     ("done", 29)),
    ("Integrations", "Test the entitlement sync with a GCP private offer", "Christina", 21,
     ("in_progress", 4)),
    ("Integrations", "Hourly metering export to the GCP marketplace", "Yancey", 21,
     ("open", -2)),
    ("Integrations", "Billing account for the GCP marketplace API", "Christina", 27,
     ("open", 3)),
    ("Integrations", "Metering export to the Azure marketplace", "Yancey", 27, ("open", 16)),
    ("Integrations", "Agree the ERP invoice format with Finance", "Christina", 28,
     ("open", 14)),
    ("Telemetry and analytics", "Ship the Polaris usage events to the data warehouse",
     "Yancey", 1, ("done", 14)),
    ("Telemetry and analytics", "Define the churn metric with Customer Success", "Yancey", 1,
     ("done", 8)),
    ("Telemetry and analytics", "Tableau workbook access for Support", "Joe", 1, ("done", 18)),
    ("Telemetry and analytics", "Build the churn dashboard in Tableau", "Yancey", 14,
     ("done", 25)),
    ("Telemetry and analytics", "Feature-use dashboard for the cloud customers", "Joe", 21,
     ("open", 8)),
    ("Compliance", "Choose the SOC2 auditor", "Legal", 1, ("done", 19)),
    ("Compliance", "Draft the data processing addendum", "Legal", 1, ("done", 17)),
    ("Compliance", "Write the data custodian responsibilities for SaaS", "Legal", 14,
     ("in_progress", 7)),
    ("Compliance", "Gap assessment against FedRAMP Moderate", "Legal", 21, ("open", 20)),
    ("Enablement", "Outline the SKO cloud session", "Product Marketing", 1, ("done", 12)),
    ("Enablement", "Slides for the partner webinar", "Benoit", 1, ("done", 20)),
    ("Enablement", "Record the marketplace buying demo", "Benoit", 14, ("done", 22)),
    ("Enablement", "Battlecard for selling with the hyperscalers", "Product Marketing", 21,
     ("in_progress", 5)),
    ("Enablement", "Partner-facing FAQ for the private offers", "Benoit", 28, ("open", 13)),
]

# The leads' status notes: (days after the meeting, workstream, RAG, note).
STATUS_NOTES = [
    (7, "Hiring", "green", "Job descriptions are out; screening starts this week."),
    (7, "Integrations", "green", "Tackle sandbox requested; the deep-dive is booked."),
    (7, "Telemetry and analytics", "green", "Metrics list agreed with Yancey."),
    (7, "Compliance", "green", "Legal has started the workstream."),
    (7, "Enablement", "green", "SKO slot confirmed for the cloud session."),
    (21, "Integrations", "amber",
     "The Tackle sandbox came a week late; entitlement tests start next week."),
    (28, "Integrations", "red",
     "Hourly metering export is blocked: the GCP marketplace API needs a billing account "
     "we do not have yet. Escalated to the Google partner team."),
    (28, "Hiring", "amber",
     "Two offers accepted, both start in January: the on-call rotation depends on them."),
    (28, "Telemetry and analytics", "green",
     "The churn dashboard is live; the feature-use dashboard is next."),
    (28, "Compliance", "amber",
     "SOC2 auditor chosen; the FedRAMP gap assessment has not started."),
    (28, "Enablement", "green", "SKO session outlined and the buying demo recorded."),
]


class _Clock:
    """Dates what the domain functions record: every audit event since the last call is
    moved to the given moment, as if it had happened then. The first call dates all the
    seed recorded before it (the logins, the program, the import)."""

    def __init__(self, session: Session):
        self.session = session
        self.mark = 0

    def happened(self, when: datetime) -> None:
        self.session.flush()
        self.session.execute(update(AuditEvent).where(AuditEvent.id > self.mark)
                             .values(created_at=when))
        self.mark = last_event_id(self.session)


def _moment(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour))


def _fate_changes(fate: tuple[str, int], meeting: date, today: date) -> tuple[dict, date]:
    """The changes a fate makes, and the day they were made."""
    status, days = fate
    if status == "done":
        day = meeting + timedelta(days=days)
        return {"status": "done", "done_date": day}, day
    changes = {"status": status, "due_date": today + timedelta(days=days)}
    # Re-planned at the last weekly sync; the late ones a week before their new date.
    return changes, today + timedelta(days=days - 7) if days < 0 else today - timedelta(days=4)


def bring_to_life(session: Session, program: Program, lead: Actor, meeting: date,
                  today: date) -> None:
    """Plays the weeks from the meeting to `today` (the caller commits)."""
    clock = _Clock(session)
    program.created_at = _moment(today - timedelta(days=TREND_DAYS))
    imported = meeting + timedelta(days=1)
    items = list(session.scalars(select(ActionItem).where(ActionItem.meeting_id.is_not(None))))
    for item in items:
        item.created_at, item.created_date = _moment(imported, 9), imported
    clock.happened(_moment(imported, 9))  # the import itself

    people = {p.name: p for p in session.scalars(select(Person))}
    workstreams = {w.name: w for w in program.workstreams}
    events: list[tuple[datetime, object]] = []
    for item in items:
        fate = next((f for start, f in NOTE_FATES.items() if item.title.startswith(start)), None)
        if fate is not None:
            changes, day = _fate_changes(fate, meeting, today)
            events.append((_moment(day, 11), ("update", item, changes)))
    for ws_name, title, owner, created, fate in FOLLOW_UPS:
        day = meeting + timedelta(days=created)
        events.append((_moment(day, 10), ("create", ws_name, title, owner, day, fate)))
    for days, ws_name, rag, note in STATUS_NOTES:
        events.append((_moment(meeting + timedelta(days=days), 16), ("status", ws_name, rag,
                                                                       note)))
    later: list[tuple[datetime, object]] = []
    for when, event in sorted(events, key=lambda e: e[0]):
        kind = event[0]
        if kind == "update":
            _, item, changes = event
            actions.update_item(session, lead, item, changes, expected_version=None,
                                today=when.date())
        elif kind == "create":
            _, ws_name, title, owner, day, fate = event
            item = actions.create_item(session, lead, day, title=title,
                                       workstream_id=workstreams[ws_name].id,
                                       owner_id=people[owner].id if owner in people else None,
                                       priority="high", created_date=day,
                                       due_date=day + timedelta(days=10))
            item.created_at = when
            changes, change_day = _fate_changes(fate, meeting, today)
            later.append((_moment(change_day, 11), ("update", item, changes)))
        else:
            _, ws_name, rag, note = event
            status_note = workstream_service.set_rag(session, lead, workstreams[ws_name], rag,
                                                  note)
            status_note.created_at = when
        clock.happened(when)
    for when, (_, item, changes) in sorted(later, key=lambda e: e[0]):
        actions.update_item(session, lead, item, changes, expected_version=None,
                            today=when.date())
        clock.happened(when)

    _meet_criteria(session, program, lead, clock)
    for person in people.values():
        person.send_hour = 0  # the demo's digests are due as soon as the portal starts
    session.flush()
    backfill(session, today, start=today - timedelta(days=TREND_DAYS), overwrite=True)


def _meet_criteria(session: Session, program: Program, lead: Actor, clock: _Clock) -> None:
    """An exit criterion drawn from an item is met on the day that item was done."""
    done = {item.title: item.done_date for item in session.scalars(
        select(ActionItem).where(ActionItem.status == "done"))}
    for workstream in program.workstreams:
        for criterion in workstream.criteria:
            day = done.get(criterion.text)
            if day is None:
                continue
            workstream_service.set_criterion_done(session, lead, workstream, criterion.id, True)
            criterion.done_at = _moment(day, 17)
            clock.happened(_moment(day, 17))

