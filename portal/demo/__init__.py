"""The demo program, built from the sample meeting note through the importer itself.

``seed_demo`` creates the logins, the program with its milestones and workstreams, and
then imports the shipped note (``SAMPLE_NOTE``, byte for byte the sample) as the lead
demo login, whose Person is Jason Vallery, so ``@Myself`` resolves to him. What the
note does not say in task lines (workstream leads, exit criteria, the hyperscaler
order, the customers) is read from the imported meeting and its key information.

With an offset every date of the demo moves by it, so the whole program keeps its shape
around "today": the note is imported byte for byte (so importing the shipped note again
finds its meeting and changes nothing), then the meeting, its decisions and its items
move. `living` then plays the weeks since the meeting (portal/demo/living.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.actions.service import title_key
from portal.audit.log import Actor
from portal.auth import users
from portal.auth.passwords import DEMO_PASSWORD
from portal.demo.living import TODAY_AFTER_MEETING, bring_to_life
from portal.notes.apply import ImportResult, apply, build_plan
from portal.notes.models import Meeting
from portal.notes.parse import parse_note
from portal.people.models import Person
from portal.people.names import name_key
from portal.pocs.models import Customer, Hyperscaler, Poc
from portal.program.models import Criterion, Milestone, Program, Workstream

SAMPLE_NOTE = Path(__file__).with_name("2025-10-30-cloud-support-operating-model.md")
MEETING_DATE = date(2025, 10, 30)
READINESS_DATE = date(2026, 2, 1)
# The documented password of the demo logins (README), never of a real one.

# (email, name, role, person name)
DEMO_LOGINS = [
    ("admin@example.com", "Portal Admin", "admin", None),
    ("lead@example.com", "Jason Vallery", "lead", "Jason Vallery"),
    ("owner@example.com", "Rob Banga", "owner", "Rob Banga"),
    ("exec@example.com", "Lior Genzel", "executive", "Lior Genzel"),
]

# (name, lead as written in the note, keywords, description). The keywords are those
# the importer suggests workstreams by; each can be edited on the workstream page.
DEMO_WORKSTREAMS = [
    ("Hiring", "Rob Banga", "hiring hire recruiting recruit SREs",
     "Hire the initial SREs and support engineers with hyperscaler experience."),
    ("Integrations", "Christina",
     "Salesforce Tackle Polaris entitlement entitlements metering billing",
     "Salesforce, Tackle and Polaris integrations: registration, entitlements, metering, "
     "billing."),
    ("Telemetry and analytics", "Yancey", "telemetry Tableau analytics forecasting",
     "Telemetry from Polaris to Tableau: churn, feature use, customer health, forecasting."),
    ("Compliance", "Legal", "legal SOC2 FedRAMP compliance custodian",
     "Data custodian obligations for SaaS and the path to SOC2 and FedRAMP."),
    ("Enablement", "Product Marketing", "SKO enablement documentation",
     "Sales-kickoff enablement and documentation for end-customer and sell-to motions."),
]

# Exit criteria per workstream, drawn from the note: ("item", start of an action item's
# title) or ("key", start of a Key Information line), with a weight.
DEMO_CRITERIA = {
    "Hiring": [
        ("item", "Begin recruiting initial SREs", 2),
        ("item", "Evaluate Carl as the initial leader", 1),
        ("item", "Draft a clear cloud support/Customer Success/SRE operating plan", 2),
    ],
    "Integrations": [
        ("key", "Tackle integration with Salesforce is a gating dependency", 3),
        ("item", "Schedule a Salesforce/Tackle integration deep-dive", 1),
        ("item", "Detail metering, entitlement, and billing integration flows", 2),
        ("key", "Metering is planned as hourly utilization", 2),
        ("item", "Define overage policy mechanics for private offers", 1),
    ],
    "Telemetry and analytics": [
        ("item", "Define telemetry and metrics to push from Polaris to Tableau", 2),
        ("key", "Analytics in Tableau are needed", 2),
        ("item", "Scope reporting and analytics needed for consumption forecasting", 1),
        ("item", "Assess and confirm additional Salesforce and Tableau licenses", 1),
    ],
    "Compliance": [
        ("key", "Legal/compliance needs include defining data custodian obligations", 3),
        ("item", "Initiate a legal/compliance workstream", 1),
        ("item", "Propose a role-based access and data segmentation model", 1),
    ],
    "Enablement": [
        ("item", "Prepare an enablement and documentation plan", 2),
        ("item", "Plan SKO sessions for cloud go-to-market", 1),
    ],
}

# (name, days after the meeting, description): the rollout of the note's Key
# Information: private offers ~2 months after the meeting, public offers 6-8 months
# after those, full SaaS in FY28; operational readiness on the program's date.
DEMO_MILESTONES = [
    ("Private offers", 61, "Private marketplace offers begin, about two months after the meeting."),
    ("Operational readiness", (READINESS_DATE - MEETING_DATE).days,
     "Cloud support model operational: Customer Success, Support, 24/7 SRE on-call."),
    ("Public offers", 61 + 212, "Public marketplace offers, six to eight months after private."),
    ("Full SaaS (FY28)", (date(2027, 7, 1) - MEETING_DATE).days, "Full SaaS offering."),
]

HYPERSCALERS = [("GCP", 1), ("Azure", 2), ("AWS", 3)]

# (name, segment, hyperscalers it runs a POC candidate on, notes), as the note lists them.
DEMO_CUSTOMERS = [
    ("Microsoft", "Hyperscaler partner", ["Azure"], "Including MAI."),
    ("UKMET", "Public sector", ["Azure"], "Via Microsoft, on Azure."),
    ("NBCU", "Media", [], ""),
    ("Sigma", "Financial services", [], ""),
    ("Jump Trading", "Financial services", [], ""),
    ("Citadel", "Financial services", [], ""),
    ("Zoom", "Technology", ["AWS"], "Exploring AWS."),
]

# A planned window for the demo POCs, in days after the meeting: (stage, start, length,
# owner). Microsoft opens Azure right after the private offers; UKMET follows it.
DEMO_POC_PLANS = {
    "Microsoft": ("confirmed", 68, 42, "Yancey"),
    "UKMET": ("candidate", 115, 42, "Yancey"),
    "Zoom": ("candidate", 160, 30, None),
}

_ISO_DATE = re.compile(r"(?<![0-9])([0-9]{4})-([0-9]{2})-([0-9]{2})(?![0-9])")


@dataclass
class DemoResult:
    """What ``seed_demo`` built."""

    program: Program
    import_result: ImportResult


def demo_email(name: str) -> str:
    return ".".join(name.lower().split()) + "@example.com"


def rebase_offset(today: date) -> int:
    """Days to add to every date so that the meeting took place `TODAY_AFTER_MEETING` days
    before `today`: the program is in its fifth week of thirteen."""
    return (today - timedelta(days=TODAY_AFTER_MEETING) - MEETING_DATE).days


def existing_demo_logins(session: Session) -> list[tuple[str, str]]:
    """The demo logins that still exist, as (email, role)."""
    return [(email, role) for email, _name, role, _person in DEMO_LOGINS
            if users.find_by_email(session, email) is not None]


def is_empty(session: Session) -> bool:
    return session.scalar(select(Program.id).limit(1)) is None


def rebase_text(text: str, offset_days: int) -> str:
    """Every real ISO date in `text` moved by `offset_days`; anything else left alone."""
    if not offset_days:
        return text

    def shift(match: re.Match[str]) -> str:
        try:
            day = date(*(int(part) for part in match.groups()))
        except ValueError:
            return match.group(0)
        return (day + timedelta(days=offset_days)).isoformat()

    return _ISO_DATE.sub(shift, text)


def _move(meeting, offset_days: int) -> None:
    """Moves an imported meeting, its decisions and its items by `offset_days` (dates in
    their text too); the note's raw text stays as imported."""
    shift = timedelta(days=offset_days)
    meeting.date += shift
    meeting.summary = rebase_text(meeting.summary or "", offset_days)
    meeting.key_information = [rebase_text(line, offset_days)
                               for line in meeting.key_information or []]
    for decision in meeting.decisions:
        decision.text = rebase_text(decision.text, offset_days)
        if decision.decided_on:
            decision.decided_on += shift
    for item in meeting.action_items:
        # (not created_date: the note gives none, so it is the day of the import)
        for name in ("due_date", "scheduled_date", "start_date", "done_date", "cancelled_date"):
            if getattr(item, name):
                setattr(item, name, getattr(item, name) + shift)


def _person(session: Session, name: str) -> Person:
    """The person called `name`, created with a demo address when missing."""
    person = session.scalar(select(Person).where(Person.name_key == name_key(name)).limit(1))
    if person is None:
        person = Person(name=name, name_key=name_key(name), kind="person")
        session.add(person)
    if person.email is None:
        _give_demo_email(session, person, name)
    return person


def _give_demo_email(session: Session, person: Person, name: str) -> None:
    """Gives the person the demo address of `name`, unless another person has it."""
    email = demo_email(name)
    if session.scalar(select(Person.id).where(Person.email == email)) is None:
        person.email = email


def _starts(texts: list[str], start: str) -> str:
    """The one text that starts with `start` (the demo breaks loudly if the note changed)."""
    found = [text for text in texts if title_key(text).startswith(title_key(start))]
    if len(found) != 1:
        raise RuntimeError(f"The sample note has no single line starting {start!r}.")
    return found[0]


def _seed_logins(session: Session, seeder: Actor):
    """The demo logins (those missing are created); returns the lead's, whose person is
    Jason Vallery."""
    login_people = {name: _person(session, name) for *_, name in DEMO_LOGINS if name}
    session.flush()
    lead_user = None
    for email, name, role, person_name in DEMO_LOGINS:
        user = users.find_by_email(session, email)
        if user is None:
            person = login_people.get(person_name) if person_name else None
            user = users.create_user(session, seeder, email=email, name=name, role=role,
                                     password=DEMO_PASSWORD,
                                     person_id=person.id if person else None)
        if role == "lead":
            lead_user = user
    if lead_user.person_id is None:
        lead_user.person_id = login_people["Jason Vallery"].id
    return lead_user


def _seed_program(session: Session, shift: timedelta) -> tuple[Program, dict[str, Workstream]]:
    """The program with its milestones and workstreams, dates moved by `shift`."""
    program = Program(
        name="Cloud marketplace launch",
        target_date=READINESS_DATE + shift,
        description="Sell the storage product through the GCP, Azure and AWS marketplaces, "
        "with the cloud support operating model ready by the readiness date.",
    )
    session.add(program)
    for name, days, description in DEMO_MILESTONES:
        program.milestones.append(
            Milestone(name=name, due_date=MEETING_DATE + timedelta(days=days) + shift,
                      description=description)
        )
    private_offers = MEETING_DATE + timedelta(days=DEMO_MILESTONES[0][1]) + shift
    workstreams: dict[str, Workstream] = {}
    for position, (name, _lead, keywords, description) in enumerate(DEMO_WORKSTREAMS, 1):
        workstreams[name] = Workstream(
            name=name, keywords=keywords, description=description, gating=True,
            position=position, rag="amber" if position <= 2 else "green",
            # Tackle is gating for the private offers; the rest for the readiness date.
            target_date=private_offers if name == "Integrations" else program.target_date,
        )
        program.workstreams.append(workstreams[name])
    return program, workstreams


def _address_new_people(session: Session, created: set[str]) -> None:
    """The people the note introduced get demo addresses, so reminders reach the outbox."""
    for person in session.scalars(select(Person).where(Person.email.is_(None))):
        if person.name in created:
            _give_demo_email(session, person, person.name)


def _seed_criteria(session: Session, workstreams: dict[str, Workstream], titles: list[str],
                   key_information: list[str]) -> None:
    """Each workstream's lead and exit criteria, the criteria's texts from the note."""
    for name, lead, *_ in DEMO_WORKSTREAMS:
        workstream = workstreams[name]
        workstream.lead = _person(session, lead)
        for position, (source, start, weight) in enumerate(DEMO_CRITERIA[name], 1):
            text = _starts(titles if source == "item" else key_information, start)
            workstream.criteria.append(Criterion(text=text[:500], weight=weight,
                                                 position=position))


def _seed_pocs(session: Session, scalers: dict[str, Hyperscaler], shift: timedelta) -> None:
    """The customers and their proof-of-concepts, one per hyperscaler considered, in order."""
    positions = {name: 0 for name in scalers}
    for name, segment, considered, notes in DEMO_CUSTOMERS:
        customer = Customer(name=name, segment=segment, notes=notes,
                            hyperscalers=[scalers[s] for s in considered])
        session.add(customer)
        for scaler in considered:
            positions[scaler] += 1
            stage, start, length, owner = DEMO_POC_PLANS[name]
            planned_start = MEETING_DATE + shift + timedelta(days=start)
            session.add(Poc(customer=customer, hyperscaler=scalers[scaler],
                            position=positions[scaler], stage=stage,
                            planned_start=planned_start,
                            planned_end=planned_start + timedelta(days=length),
                            owner=_person(session, owner) if owner else None))


def seed_demo(session: Session, *, offset_days: int = 0, living: bool = False,
              today: date | None = None) -> DemoResult:
    """Creates the demo program in `session` by importing the sample note (the caller commits).

    Every date moves by `offset_days`: the meeting's, the items', the decisions', the
    program's, the milestones' and the workstreams' target dates. With `living`, the
    weeks from the meeting to `today` are played (portal/demo/living.py).
    """
    shift = timedelta(days=offset_days)
    # The logins first: the note is imported as the lead.
    lead_user = _seed_logins(session, Actor(via="cli", name="seed-demo"))
    program, workstreams = _seed_program(session, shift)
    scalers = {name: Hyperscaler(name=name, rank=rank) for name, rank in HYPERSCALERS}
    session.add_all(scalers.values())
    session.flush()

    # The note, through the importer, exactly as a lead would import it.
    note = parse_note(SAMPLE_NOTE.read_bytes())
    plan = build_plan(session, note, myself_id=lead_user.person_id, source_name=SAMPLE_NOTE.name)
    result = apply(session, plan, Actor.for_user(lead_user, via="cli"))
    meeting = session.get(Meeting, result.meeting_id)
    if offset_days:
        _move(meeting, offset_days)

    _address_new_people(session, set(result.people_created))
    _seed_criteria(session, workstreams, [item.title for item in plan.items],
                   list(note.key_information))
    _seed_pocs(session, scalers, shift)
    session.flush()
    if living:
        bring_to_life(session, program, Actor.for_user(lead_user), meeting.date,
                      today or date.today())
    return DemoResult(program=program, import_result=result)
