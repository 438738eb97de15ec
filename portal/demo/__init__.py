"""The demo program: the launch program of the sample meeting note, with one login per role."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.audit.log import Actor
from portal.auth import users
from portal.people.models import Person
from portal.people.names import name_key
from portal.pocs.models import Customer, Hyperscaler, Poc
from portal.program.models import Milestone, Program, Workstream

SAMPLE_NOTE = Path(__file__).with_name("2025-10-30-cloud-support-operating-model.md")
MEETING_DATE = date(2025, 10, 30)
DEMO_PASSWORD = "readiness-demo-2026"

# (email, name, role, person name)
DEMO_LOGINS = [
    ("admin@example.com", "Portal Admin", "admin", None),
    ("lead@example.com", "Jason Vallery", "lead", "Jason Vallery"),
    ("owner@example.com", "Rob Banga", "owner", "Rob Banga"),
    ("exec@example.com", "Lior Genzel", "executive", "Lior Genzel"),
]

# (name, kind); people get example.com addresses so reminders show up in the outbox.
DEMO_PEOPLE = [
    ("Jason Vallery", "person"), ("Lior Genzel", "person"), ("Yancey", "person"),
    ("Rob Banga", "person"), ("Daniel", "person"), ("Timo Pervane", "person"),
    ("Christina", "person"), ("Joe", "person"), ("Benoit", "person"),
    ("Legal", "team"), ("Product Marketing", "team"),
]

# (name, lead, keywords, description)
DEMO_WORKSTREAMS = [
    ("Hiring", "Rob Banga", "hiring recruiting recruit SREs SRE support engineers",
     "Hire the initial SREs and support engineers with hyperscaler experience."),
    ("Integrations", "Christina",
     "Salesforce Tackle Polaris entitlement entitlements metering billing",
     "Salesforce, Tackle and Polaris integrations: registration, entitlements, metering, "
     "billing."),
    ("Telemetry and analytics", "Yancey", "telemetry Tableau analytics forecasting metrics",
     "Telemetry from Polaris to Tableau: churn, feature use, customer health, forecasting."),
    ("Compliance", "Legal", "legal SOC2 FedRAMP compliance custodian",
     "Data custodian obligations for SaaS and the path to SOC2 and FedRAMP."),
    ("Enablement", "Product Marketing", "SKO enablement documentation",
     "Sales-kickoff enablement and documentation for end-customer and sell-to motions."),
]

# (name, offset from the meeting in days, description)
DEMO_MILESTONES = [
    ("Private offers", 61, "Private marketplace offers begin, about two months after the meeting."),
    ("Operational readiness", (date(2026, 2, 1) - MEETING_DATE).days,
     "Cloud support model operational: Customer Success, Support, 24/7 SRE on-call."),
    ("Public offers", 61 + 212, "Public marketplace offers, six to eight months after private."),
    ("Full SaaS (FY28)", (date(2027, 7, 1) - MEETING_DATE).days, "Full SaaS offering."),
]

HYPERSCALERS = [("GCP", 1), ("Azure", 2), ("AWS", 3)]

# (name, segment, hyperscalers considered, notes)
DEMO_CUSTOMERS = [
    ("Microsoft", "Hyperscaler partner", ["Azure"], "Including MAI."),
    ("UKMET", "Public sector", ["Azure"], "Via Microsoft."),
    ("NBCU", "Media", [], ""),
    ("Sigma", "Financial services", [], ""),
    ("Jump Trading", "Financial services", [], ""),
    ("Citadel", "Financial services", [], ""),
    ("Zoom", "Technology", ["AWS"], "Exploring AWS."),
]


def demo_email(name: str) -> str:
    return ".".join(name.lower().split()) + "@example.com"


def rebase_offset(today: date) -> int:
    """Days to add to every date so that the meeting took place 10 days before `today`."""
    return (today - timedelta(days=10) - MEETING_DATE).days


def existing_demo_logins(session: Session) -> list[tuple[str, str]]:
    """The demo logins that still exist, as (email, role)."""
    return [(email, role) for email, _name, role, _person in DEMO_LOGINS
            if users.find_by_email(session, email) is not None]


def is_empty(session: Session) -> bool:
    return session.scalar(select(Program.id).limit(1)) is None


def seed_demo(session: Session, *, offset_days: int = 0) -> None:
    """Creates the demo program in `session` (the caller commits)."""
    shift = timedelta(days=offset_days)
    people: dict[str, Person] = {}
    for name, kind in DEMO_PEOPLE:
        person = Person(name=name, name_key=name_key(name), kind=kind, email=demo_email(name))
        session.add(person)
        people[name] = person

    program = Program(
        name="Cloud marketplace launch",
        target_date=date(2026, 2, 1) + shift,
        description="Sell the storage product through the GCP, Azure and AWS marketplaces, "
        "with the cloud support operating model ready by the readiness date.",
    )
    session.add(program)
    for name, offset, description in DEMO_MILESTONES:
        program.milestones.append(
            Milestone(name=name, due_date=MEETING_DATE + timedelta(days=offset) + shift,
                      description=description)
        )
    for position, (name, lead, keywords, description) in enumerate(DEMO_WORKSTREAMS, 1):
        program.workstreams.append(
            Workstream(name=name, lead=people[lead], keywords=keywords, description=description,
                       gating=True, position=position, rag="amber" if position <= 2 else "green",
                       target_date=program.target_date)
        )

    scalers = {name: Hyperscaler(name=name, rank=rank) for name, rank in HYPERSCALERS}
    session.add_all(scalers.values())
    positions = {name: 0 for name in scalers}
    for name, segment, considered, notes in DEMO_CUSTOMERS:
        customer = Customer(name=name, segment=segment, notes=notes,
                            hyperscalers=[scalers[s] for s in considered])
        session.add(customer)
        for scaler in considered:
            positions[scaler] += 1
            session.add(Poc(customer=customer, hyperscaler=scalers[scaler],
                            position=positions[scaler], stage="candidate"))
    session.flush()

    for email, name, role, person_name in DEMO_LOGINS:
        if users.find_by_email(session, email) is None:
            person = people.get(person_name) if person_name else None
            users.create_user(session, Actor(via="cli", name="seed-demo"), email=email, name=name,
                              role=role, password=DEMO_PASSWORD,
                              person_id=person.id if person else None)
