"""The benchmark's data: a large, deterministic, realistic program (`seed_scale`), and
`flask --app bench.scale dev seed-scale`, the development command that fills a database
with it for `make bench`.

Everything comes from one `random.Random(seed)` and from `today`, so two runs with the
same seed on the same day produce the same rows. Rows go in with bulk inserts
(`session.execute(insert(Model).returning(Model.id, sort_by_parameter_order=True), rows)`),
which keeps 20,000 action items to a few seconds on SQLite and PostgreSQL alike.

The command lives here, beside the benchmark, not in the portal's package: the `flask` of
a deployment (`app.py`) has no `dev` group, and an installed portal carries no benchmark
code. `--app bench.scale` makes Flask build the app through this module's `create_app`,
the portal's own with the `dev` group added.
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from time import perf_counter

import click
from flask.cli import AppGroup
from sqlalchemy import func, insert, inspect, select
from sqlalchemy.orm import Session

from portal import create_app as create_portal_app
from portal.actions import tally
from portal.actions.models import ActionItem
from portal.audit.log import Actor
from portal.audit.models import AuditEvent
from portal.auth import users
from portal.auth.models import User
from portal.demo import DEMO_LOGINS, DEMO_PASSWORD
from portal.extensions import db
from portal.notes.models import Meeting, meeting_participant
from portal.people.models import Person
from portal.people.names import name_key
from portal.pocs.models import Customer, Hyperscaler, Poc, customer_hyperscaler, poc_action_item
from portal.program.models import (
    Criterion,
    Decision,
    Milestone,
    Program,
    StatusUpdate,
    Workstream,
    workstream_dependency,
)
from portal.summary.models import Snapshot
from portal.vocab import OPEN_STATUSES

OVERDUE_SHARE = 0.20
SNAPSHOT_WEEKS = 12
BATCH = 1000

FIRST_NAMES = [
    "Ada", "Ben", "Chloé", "Dmitri", "Elif", "Farah", "Gustav", "Hana", "Ivan", "Jasmin",
    "Kofi", "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quentin", "Rosa", "Sven", "Tariq",
    "Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zoë", "Aiko", "Bruno", "Carmen", "Dario",
]
LAST_NAMES = [
    "Andersen", "Baptiste", "Castillo", "Dubois", "Eriksen", "Fischer", "García", "Hoffmann",
    "Ivanova", "Jensen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Petrov",
    "Quinn", "Rossi", "Schmidt", "Tanaka", "Ueda", "Varga", "Weber", "Xu", "Yamada", "Zimmermann",
]
TEAMS = ["Legal", "Product Marketing", "Finance", "Security", "Procurement", "Support",
         "Field Engineering", "Partner Office", "Pricing", "Documentation"]
# Zones where 18:00 UTC is past 08:00 local and still the same day (the bench's reminder
# run relies on that); None means the program's zone.
TIMEZONES = ["Europe/London", "Europe/Berlin", "America/New_York", "America/Chicago",
             "America/Los_Angeles", "Asia/Kolkata", "UTC", None]

AREAS = [
    ("Hiring", "hiring recruiting SRE support engineers"),
    ("Integrations", "Salesforce Tackle Polaris entitlements metering billing"),
    ("Telemetry", "telemetry Tableau analytics forecasting metrics"),
    ("Compliance", "legal SOC2 FedRAMP compliance custodian"),
    ("Enablement", "SKO enablement documentation training"),
    ("Marketplace listing", "listing marketplace offer pricing"),
    ("Support tooling", "Zendesk runbooks escalation on-call"),
    ("Billing", "invoices billing metering usage"),
    ("Security review", "pentest threat model security review"),
    ("Capacity", "capacity quota regions clusters"),
]
VERBS = ["Draft", "Review", "Finalise", "Schedule", "Confirm", "Update", "Escalate", "Document",
         "Prepare", "Validate", "Share", "Negotiate", "Test", "Publish", "Sign off"]
OBJECTS = ["SOC2 evidence", "FedRAMP package", "Salesforce mapping", "Tackle listing",
           "Polaris entitlement flow", "telemetry dashboard", "on-call rota", "runbook",
           "pricing sheet", "private offer terms", "SKO deck", "support SLA", "billing export",
           "metering pipeline", "hiring plan", "interview loop", "customer health score",
           "data custodian memo", "quota request", "escalation matrix"]
CONTEXTS = ["for GCP", "for Azure", "for AWS", "with Legal", "with Finance", "before SKO",
            "for the private offers", "for the readiness review", "with the SRE team",
            "for the exec briefing"]
TAGS = ["sre", "support", "legal", "gcp", "azure", "aws", "billing", "telemetry", "sko",
        "hiring", "security", "blocked", "customer", "pricing"]
CUSTOMER_WORDS = ["Northwind", "Contoso", "Fabrikam", "Globex", "Initech", "Umbrella",
                  "Stark", "Wayne", "Tyrell", "Cyberdyne", "Soylent", "Hooli", "Vandelay",
                  "Acme", "Oscorp", "Wonka", "Aperture", "Monarch", "Dunder", "Pied Piper"]
CUSTOMER_KINDS = ["Trading", "Media", "Health", "Labs", "Bank", "Energy", "Retail", "Cloud",
                  "Research", "Logistics"]
SEGMENTS = ["Financial services", "Media", "Public sector", "Technology", "Healthcare",
            "Retail", "Energy"]
POC_STAGES_WEIGHTED = [("candidate", 30), ("confirmed", 15), ("scheduled", 15), ("running", 15),
                       ("won", 10), ("lost", 5), ("on_hold", 10)]
PRIORITIES_WEIGHTED = [("highest", 3), ("high", 12), ("medium", 20), ("normal", 45), ("low", 15),
                       ("lowest", 5)]
SCALE_ACTOR = Actor(via="cli", name="seed-scale")


class ScaleError(ValueError):
    """seed-scale cannot run: the message says why."""


@dataclass
class ScaleResult:
    """How many rows of each kind seed-scale inserted."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, number: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + number


def _check_empty(session: Session) -> None:
    """Refuse anything but an empty, migrated database."""
    tables = set(inspect(session.connection()).get_table_names())
    if not {"program", "action_item", "person", "user_account"} <= tables:
        raise ScaleError("The database has no schema yet; run `flask db upgrade` first.")
    for model in (Program, ActionItem, Person, User, Customer, Hyperscaler):
        if session.scalar(select(func.count()).select_from(model)):
            raise ScaleError(
                f"The database is not empty ({model.__tablename__} has rows); "
                "seed-scale only fills an empty database."
            )


def _bulk(session: Session, model, rows: list[dict]) -> list[int]:
    """Insert `rows` in bulk and return their new ids, in the order of `rows`."""
    statement = insert(model).returning(model.id, sort_by_parameter_order=True)
    ids: list[int] = []
    # One batch per call: SQLAlchemy's splicing of many RETURNING batches grows quadratically.
    for start in range(0, len(rows), BATCH):
        ids.extend(session.scalars(statement, rows[start:start + BATCH]))
    return ids


def _weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _zipf_weights(n: int, exponent: float = 1.1) -> list[float]:
    """Rank-based weights: the first of n gets the most, like owners in a real program."""
    return [1.0 / (rank ** exponent) for rank in range(1, n + 1)]


def _moment(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(rng.randrange(7, 19), rng.randrange(60)))


def seed_scale(
    session: Session,
    *,
    action_items: int = 20000,
    people: int = 500,
    workstreams: int = 50,
    customers: int = 300,
    seed: int = 1,
    today: date | None = None,
) -> ScaleResult:
    """Fill an empty database with a program of the given size (the caller commits)."""
    if min(action_items, people, workstreams, customers) < 0 or people < 10 or workstreams < 1:
        raise ScaleError("Sizes must be positive, with at least 10 people and one workstream.")
    _check_empty(session)
    # Deterministic sample data, not secrets: the standard generator is right here.
    rng = random.Random(seed)  # noqa: S311  # nosec B311
    today = today or date.today()
    result = ScaleResult()

    person_ids, person_rows = _people(session, rng, people, result)
    _logins(session, person_rows, person_ids, result)
    program_id = _program(session, today, result)
    ws_ids, ws_leads = _workstreams(session, rng, program_id, workstreams, person_ids, today,
                                    result)
    meeting_ids, meeting_dates = _meetings(session, rng, action_items, person_ids, today, result)
    items = _action_items(session, rng, action_items, person_ids, ws_ids, meeting_ids,
                          meeting_dates, today, result)
    _pocs(session, rng, customers, person_ids, [i for i, _ in items], today, result)
    _audit(session, rng, items, ws_ids, person_ids, today, result)
    _status_updates(session, rng, ws_ids, today, result)
    _snapshots(session, rng, ws_ids, items, today, result)
    tally.compact(session)  # one row per workstream and status, as a settled database has
    return result


def _people(session, rng, count, result):
    """People and a few teams; some without email (to be filled in), many time zones."""
    demo_names = [person for _e, _n, _r, person in DEMO_LOGINS if person]
    rows, seen = [], set()
    team_count = min(len(TEAMS), max(1, count // 50))
    for index in range(count):
        if index < len(demo_names):
            name, kind = demo_names[index], "person"
        elif index < len(demo_names) + team_count:
            name, kind = TEAMS[index - len(demo_names)], "team"
        else:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            kind = "person"
            if name_key(name) in seen:
                name = f"{name} {index}"
        seen.add(name_key(name))
        has_email = index < len(demo_names) or rng.random() > 0.08
        email = (f"{'.'.join(name_key(name).split())}.{index}@example.com"
                 .encode("ascii", "ignore").decode() if has_email else None)
        pause = rng.random() < 0.02
        rows.append({
            "name": name, "name_key": name_key(name), "kind": kind, "email": email,
            "timezone": rng.choice(TIMEZONES), "send_hour": rng.choice([7, 8, 8, 8, 9]),
            "weekdays_only": rng.random() < 0.1, "overdue_only": rng.random() < 0.05,
            "pause_from": date(2000, 1, 1) if pause else None,
            "pause_until": date(2000, 1, 14) if pause else None,
            "calendar_token": f"scale-{rng.getrandbits(96):024x}",
        })
    ids = _bulk(session, Person, rows)
    result.add("people", len(ids))
    return ids, rows


def _logins(session, person_rows, person_ids, result):
    """The demo logins, linked to the people of the same name (the first rows)."""
    by_name = {row["name"]: pid for row, pid in zip(person_rows, person_ids, strict=True)}
    for email, name, role, person_name in DEMO_LOGINS:
        users.create_user(session, SCALE_ACTOR, email=email, name=name, role=role,
                          password=DEMO_PASSWORD, person_id=by_name.get(person_name))
        result.add("users", 1)


def _program(session, today, result):
    [program_id] = _bulk(session, Program, [{
        "name": "Cloud marketplace launch (scale)",
        "target_date": today + timedelta(days=120),
        "description": "A program at scale, generated by flask seed-scale for the benchmark.",
    }])
    milestones = [("Private offers", -30), ("Operational readiness", 120), ("Public offers", 240),
                  ("Full SaaS (FY28)", 600)]
    _bulk(session, Milestone, [
        {"program_id": program_id, "name": name, "due_date": today + timedelta(days=offset),
         "description": f"{name} milestone."} for name, offset in milestones
    ])
    result.add("programs", 1)
    result.add("milestones", len(milestones))
    return program_id


def _workstreams(session, rng, program_id, count, person_ids, today, result):
    rows, leads = [], []
    for index in range(count):
        area, keywords = AREAS[index % len(AREAS)]
        name = area if index < len(AREAS) else f"{area} {index // len(AREAS) + 1}"
        lead = rng.choice(person_ids[: max(20, len(person_ids) // 5)])
        leads.append(lead)
        rows.append({
            "program_id": program_id, "name": name, "lead_id": lead,
            "description": f"{area}: everything the launch needs from this area.",
            "rag": rng.choices(["green", "amber", "red", "done"], [55, 25, 12, 8])[0],
            "target_date": today + timedelta(days=rng.randrange(30, 200)),
            "gating": index < len(AREAS) or rng.random() < 0.4,
            "keywords": keywords, "position": index + 1,
        })
    ids = _bulk(session, Workstream, rows)
    criteria = []
    for ws_id in ids:
        for position in range(1, rng.randrange(3, 9)):
            done = rng.random() < 0.45
            criteria.append({
                "workstream_id": ws_id, "text": f"Exit criterion {position}", "done": done,
                "weight": rng.choice([1, 1, 2, 3]), "position": position,
                "done_at": _moment(today - timedelta(days=rng.randrange(1, 200)), rng)
                if done else None,
            })
    _bulk(session, Criterion, criteria)
    deps = set()
    for index, ws_id in enumerate(ids[1:], 1):
        if rng.random() < 0.3:
            for other in rng.sample(ids[:index], min(index, rng.randrange(1, 3))):
                deps.add((ws_id, other))
    if deps:
        session.execute(insert(workstream_dependency),
                        [{"workstream_id": a, "depends_on_id": b} for a, b in sorted(deps)])
    result.add("workstreams", len(ids))
    result.add("criteria", len(criteria))
    result.add("dependencies", len(deps))
    return ids, leads


def _meetings(session, rng, item_count, person_ids, today, result):
    """About one meeting per 40 items, with participants and decisions."""
    count = max(1, item_count // 40)
    rows, dates = [], []
    for index in range(count):
        day = today - timedelta(days=rng.randrange(0, 365))
        dates.append(day)
        title = f"{rng.choice(AREAS)[0]} sync #{index + 1}"
        raw = f"---\ntitle: {title}\ndate: {day.isoformat()}\n---\n# {title}\n"
        rows.append({
            "title": title, "date": day, "summary": f"Weekly {title.lower()}.",
            "key_information": [], "raw_text": raw,
            "sha256": hashlib.sha256(raw.encode()).hexdigest(),
            "imported_at": _moment(day, rng),
        })
    ids = _bulk(session, Meeting, rows)
    participants, decisions = set(), []
    for meeting_id, day in zip(ids, dates, strict=True):
        for person in rng.sample(person_ids, min(len(person_ids), rng.randrange(3, 8))):
            participants.add((meeting_id, person))
        for position in range(rng.randrange(0, 3)):
            decisions.append({"meeting_id": meeting_id, "text": f"Decision {position + 1}",
                              "decided_on": day, "position": position})
    session.execute(insert(meeting_participant),
                    [{"meeting_id": m, "person_id": p} for m, p in sorted(participants)])
    _bulk(session, Decision, decisions)
    result.add("meetings", len(ids))
    result.add("decisions", len(decisions))
    return ids, dates


def _status_and_due(rng, overdue: bool, today):
    """An item's status and due date: open and past due when `overdue`; otherwise done,
    cancelled, or open with a future (or, now and then, no) due date."""
    if overdue:
        return rng.choice(OPEN_STATUSES), today - timedelta(days=rng.randrange(1, 183))
    roll = rng.random()
    if roll < 0.35:
        status = "done"
        due = today + timedelta(days=rng.randrange(-182, 30))
    elif roll < 0.40:
        status = "cancelled"
        due = today + timedelta(days=rng.randrange(-182, 183))
    else:
        status = rng.choices(OPEN_STATUSES, [15, 60, 25])[0]
        due = today + timedelta(days=rng.randrange(0, 183))
    if status in OPEN_STATUSES and rng.random() < 0.05:
        due = None
    return status, due


def _item_row(rng, index, today, status, due, meeting_ids, **chosen) -> dict:
    """One item's row: its dates follow from its status and due date, two in five come
    from a meeting; `chosen` holds the owner, workstream and priority drawn before."""
    created = (due or today) - timedelta(days=rng.randrange(5, 90))
    created = min(created, today)
    in_meeting = rng.random() < 0.4
    meeting_index = rng.randrange(len(meeting_ids)) if in_meeting else None
    title = (f"{rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(CONTEXTS)}"
             f" ({index + 1})")
    tags = " ".join(sorted(rng.sample(TAGS, rng.choice([0, 1, 1, 2, 3]))))
    done_date = (min(today, (due or today) - timedelta(days=rng.randrange(0, 10)))
                 if status == "done" else None)
    return {
        "title": title, "title_key": name_key(title), "owner_id": chosen["owner_id"],
        "workstream_id": chosen["workstream_id"], "status": status,
        "priority": chosen["priority"], "due_date": due,
        "scheduled_date": due - timedelta(days=2) if due and rng.random() < 0.2 else None,
        "start_date": created if status == "in_progress" else None,
        "created_date": created, "done_date": done_date,
        "cancelled_date": today - timedelta(days=rng.randrange(0, 60))
        if status == "cancelled" else None,
        "tags": tags, "notes": "" if rng.random() < 0.7 else "Waiting on a reply.",
        "meeting_id": meeting_ids[meeting_index] if in_meeting else None,
        "source_line": rng.randrange(10, 200) if in_meeting else None,
        "created_at": _moment(created, rng), "updated_at": _moment(done_date or created, rng),
    }


def _action_items(session, rng, count, person_ids, ws_ids, meeting_ids, meeting_dates, today,
                  result):
    """Items with skewed owners, due dates over a year around today and a fifth overdue."""
    owner_weights = _zipf_weights(len(person_ids))
    ws_weights = _zipf_weights(len(ws_ids), 0.6)
    overdue_target = round(count * OVERDUE_SHARE)
    rows, facts = [], []
    for index in range(count):
        owner = rng.choices(person_ids, owner_weights)[0] if rng.random() > 0.03 else None
        ws = rng.choices(ws_ids, ws_weights)[0] if rng.random() > 0.12 else None
        priority = _weighted(rng, PRIORITIES_WEIGHTED)
        # A fixed number of overdue items (the first fifth, shuffled by the id order
        # below); the rest are done, cancelled or open with a future due date.
        status, due = _status_and_due(rng, index < overdue_target, today)
        rows.append(_item_row(rng, index, today, status, due, meeting_ids, owner_id=owner,
                              workstream_id=ws, priority=priority))
    # Interleave overdue and other items so ids are not grouped by kind.
    rng.shuffle(rows)
    ids = _bulk(session, ActionItem, rows)
    for item_id, row in zip(ids, rows, strict=True):
        facts.append((item_id, row))
    result.add("action_items", len(ids))
    return facts


def _pocs(session, rng, count, person_ids, item_ids, today, result):
    """Hyperscalers, customers, and their POCs with gapless positions per hyperscaler."""
    scaler_ids = _bulk(session, Hyperscaler, [{"name": n, "rank": r}
                                              for n, r in (("GCP", 1), ("Azure", 2), ("AWS", 3))])
    names, rows = set(), []
    for index in range(count):
        name = f"{rng.choice(CUSTOMER_WORDS)} {rng.choice(CUSTOMER_KINDS)}"
        if name in names:
            name = f"{name} {index + 1}"
        names.add(name)
        rows.append({"name": name, "segment": rng.choice(SEGMENTS),
                     "account_owner_id": rng.choice(person_ids), "notes": ""})
    customer_ids = _bulk(session, Customer, rows)
    links, pocs, positions = [], [], dict.fromkeys(scaler_ids, 0)
    for customer_id in customer_ids:
        chosen = sorted(rng.sample(scaler_ids, rng.choice([1, 1, 2, 3])))
        for scaler in chosen:
            links.append({"customer_id": customer_id, "hyperscaler_id": scaler})
            if rng.random() < 0.8:
                positions[scaler] += 1
                start = today + timedelta(days=rng.randrange(-90, 180))
                pocs.append({
                    "customer_id": customer_id, "hyperscaler_id": scaler,
                    "position": positions[scaler],
                    "stage": _weighted(rng, POC_STAGES_WEIGHTED),
                    "planned_start": start,
                    "planned_end": start + timedelta(days=rng.randrange(14, 90)),
                    "owner_id": rng.choice(person_ids),
                    "offer_type": rng.choice(["private", "private", "public"]),
                    "success_criteria": "Throughput and failover as agreed.", "notes": "",
                })
    session.execute(insert(customer_hyperscaler), links)
    poc_ids = _bulk(session, Poc, pocs)
    poc_items = set()
    for poc_id in poc_ids:
        for item in rng.sample(item_ids, min(len(item_ids), rng.randrange(0, 4))):
            poc_items.add((poc_id, item))
    if poc_items:
        session.execute(insert(poc_action_item),
                        [{"poc_id": p, "action_item_id": i} for p, i in sorted(poc_items)])
    result.add("hyperscalers", len(scaler_ids))
    result.add("customers", len(customer_ids))
    result.add("pocs", len(poc_ids))


def _audit(session, rng, items, ws_ids, person_ids, today, result):
    """A creation event per item, status changes for many, edits for some: a year of history."""
    rows = []
    for item_id, row in items:
        actor = rng.choice(person_ids[:50])
        created = row["created_at"]
        rows.append({
            "created_at": created, "actor_person_id": actor, "via": "import"
            if row["meeting_id"] else "web", "entity_type": "action_item", "entity_id": item_id,
            "action": "create", "workstream_id": row["workstream_id"],
            "summary": f"Created {row['title'][:60]}", "before": None,
            "after": {"status": "open", "due_date": row["due_date"].isoformat()
                      if row["due_date"] else None},
        })
        if row["status"] != "open":
            rows.append({
                "created_at": row["updated_at"], "actor_person_id": row["owner_id"] or actor,
                "via": "web", "entity_type": "action_item", "entity_id": item_id,
                "action": "update", "workstream_id": row["workstream_id"],
                "summary": f"Status to {row['status']}", "before": {"status": "open"},
                "after": {"status": row["status"]},
            })
        if rng.random() < 0.3:
            rows.append({
                "created_at": created + timedelta(days=rng.randrange(1, 5)),
                "actor_person_id": actor, "via": "web", "entity_type": "action_item",
                "entity_id": item_id, "action": "update", "workstream_id": row["workstream_id"],
                "summary": "Priority changed", "before": {"priority": "normal"},
                "after": {"priority": row["priority"]},
            })
    rows.sort(key=lambda r: r["created_at"])
    session.execute(insert(AuditEvent), rows)
    result.add("audit_events", len(rows))


def _status_updates(session, rng, ws_ids, today, result):
    rows = []
    for ws_id in ws_ids:
        previous = "green"
        for week in range(rng.randrange(2, 10), 0, -1):
            rag = rng.choices(["green", "amber", "red"], [60, 30, 10])[0]
            rows.append({"workstream_id": ws_id, "previous_rag": previous, "rag": rag,
                         "note": f"Weekly review: {rag}.",
                         "created_at": _moment(today - timedelta(weeks=week), rng)})
            previous = rag
    _bulk(session, StatusUpdate, rows)
    result.add("status_updates", len(rows))


def _snapshots(session, rng, ws_ids, items, today, result):
    """12 weekly snapshots, for the program and each workstream, readiness rising."""
    per_ws: dict[int, list[int]] = {ws: [0, 0, 0] for ws in ws_ids}  # open, overdue, done
    for _item_id, row in items:
        if row["workstream_id"] is None:
            continue
        counts = per_ws[row["workstream_id"]]
        if row["status"] == "done":
            counts[2] += 1
        elif row["status"] in OPEN_STATUSES:
            counts[0] += 1
            if row["due_date"] and row["due_date"] < today:
                counts[1] += 1
    rows = []
    start = {ws: rng.uniform(0.1, 0.5) for ws in ws_ids}
    for week in range(SNAPSHOT_WEEKS, 0, -1):
        taken = today - timedelta(weeks=week)
        progress = (SNAPSHOT_WEEKS - week) / SNAPSHOT_WEEKS
        total = [0, 0, 0]
        readiness_sum = 0.0
        for ws in ws_ids:
            open_items, overdue, done = per_ws[ws]
            readiness = round(min(1.0, start[ws] + progress * 0.4), 3)
            readiness_sum += readiness
            scaled = (round(open_items * (1.2 - progress * 0.2)),
                      round(overdue * (0.8 + progress * 0.2)), round(done * (0.6 + progress * 0.4)))
            total = [a + b for a, b in zip(total, scaled, strict=True)]
            rag = "red" if scaled[1] > scaled[0] / 2 else "amber" if scaled[1] else "green"
            rows.append({"taken_on": taken, "scope": f"workstream:{ws}", "workstream_id": ws,
                         "readiness": readiness, "rag": rag, "open_items": scaled[0],
                         "overdue_items": scaled[1], "done_items": scaled[2],
                         "figures": {"readiness": readiness}})
        readiness = round(readiness_sum / len(ws_ids), 3)
        rows.append({"taken_on": taken, "scope": "program", "workstream_id": None,
                     "readiness": readiness, "rag": "amber", "open_items": total[0],
                     "overdue_items": total[1], "done_items": total[2],
                     "figures": {"readiness": readiness}})
    _bulk(session, Snapshot, rows)
    result.add("snapshots", len(rows))


dev_cli = AppGroup("dev", help="Development tools of the repository (not in a deployment).")


@dev_cli.command("seed-scale")
@click.option("--action-items", default=20000, show_default=True, type=click.IntRange(0))
@click.option("--people", default=500, show_default=True, type=click.IntRange(10))
@click.option("--workstreams", default=50, show_default=True, type=click.IntRange(1))
@click.option("--customers", default=300, show_default=True, type=click.IntRange(0))
@click.option("--seed", default=1, show_default=True, type=int)
def seed_scale_command(action_items: int, people: int, workstreams: int, customers: int,
                       seed: int) -> None:
    """Fill an empty database with a large, deterministic program (for the benchmark)."""
    started = perf_counter()
    try:
        result = seed_scale(db.session, action_items=action_items, people=people,
                            workstreams=workstreams, customers=customers, seed=seed)
    except ScaleError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    summary = ", ".join(f"{count} {name.replace('_', ' ')}"
                        for name, count in result.counts.items())
    click.echo(f"Seeded in {perf_counter() - started:.1f} s: {summary}.")


def create_app(overrides: dict | None = None):
    """The portal with the `dev` commands: what `flask --app bench.scale` runs."""
    app = create_portal_app(overrides)
    app.cli.add_command(dev_cli)
    return app
