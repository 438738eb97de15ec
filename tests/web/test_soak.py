"""A soak test: twelve simulated users (leads and owners, each with its own session) read
pages, comment and edit action items at the same time over loopback, against the app
served in threads, on SQLite and on PostgreSQL. A bounded number of requests and a hard
time limit keep it short.

Afterwards nothing may be missing: no 5xx was answered; every comment the server accepted
is stored exactly once, audited once and shown on its item's page; every edit it accepted
is in the audit trail at the version it answered with, and each item's version is its
starting version plus the edits accepted on it. Refused edits (409, someone saved first)
left no trace."""
from __future__ import annotations

import random
import re
import threading
from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.actions.models import ActionItem, Comment
from portal.audit.models import AuditEvent
from portal.extensions import db
from tests.factories import (
    PASSWORD,
    make_item,
    make_person,
    make_program,
    make_user,
    make_workstream,
)
from tests.loadclient import Client, run_threads, serve, server_errors
from tests.unit.test_pocs_helpers import make_customer, make_poc, make_scalers

# Threads, each with its own connection.
pytestmark = pytest.mark.committed

HX = {"HX-Request": "true"}
LEADS = 8
OWNERS = 4
ITEMS_PER_OWNER = 2
SHARED_ITEMS = 4
REQUESTS_PER_USER = 25  # 12 users: 300 requests per database, plus the logins
TIME_LIMIT = 60  # seconds: the threads stop early rather than run over
ROW_VERSION = re.compile(r'data-version="(\d+)"')
FORM_VERSION = re.compile(r'name="version" value="(\d+)"')
PAGES = ["/", "/actions", "/actions?status=open&sort=priority", "/actions?overdue=1",
         "/pocs", "/workstreams", "/summary", "/activity"]


def _seed(app) -> tuple[list[dict], dict[int, int]]:
    """Users with their items, and every item's starting version."""
    with app.app_context():
        program = make_program()
        streams = [make_workstream(program, name=f"Stream {n}") for n in range(2)]
        scalers = make_scalers("GCP", "Azure", "AWS")
        for n, scaler in enumerate(scalers):
            make_poc(scaler, make_customer(f"Customer {n}"))
        shared = [make_item(f"Shared item {n}", status="open", owner_id=make_person().id,
                            workstream_id=streams[n % 2].id,
                            due_date=date(2026, 1, 5) + timedelta(days=n))
                  for n in range(SHARED_ITEMS)]
        users = []
        for _ in range(OWNERS):
            user = make_user("owner")
            own = [make_item(f"Owned item {user.person_id}.{k}", status="open",
                             owner_id=user.person_id, workstream_id=streams[k % 2].id,
                             due_date=date(2026, 1, 20) + timedelta(days=k))
                   for k in range(ITEMS_PER_OWNER)]
            users.append({"email": user.email, "role": "owner", "items": [i.id for i in own]})
        db.session.commit()
        every = list(db.session.scalars(select(ActionItem.id)))
        for _ in range(LEADS):
            users.append({"email": make_user("lead").email, "role": "lead", "items": every})
        versions = dict(db.session.execute(select(ActionItem.id, ActionItem.version)).all())
        assert len(shared) == SHARED_ITEMS
        db.session.remove()
    return users, versions


def test_soak_many_users_reading_and_editing(app_factory):
    app = app_factory()
    users, start_versions = _seed(app)
    comments: list[dict] = []  # every comment sent, with the answer
    edits: list[dict] = []  # every row edit sent, with the answer
    reads: list[tuple[str, int]] = []
    lock = threading.Lock()

    def user_session(stop, number: int, user: dict, client: Client):
        rng = random.Random(number)
        for n in range(REQUESTS_PER_USER):
            if stop.is_set():
                return
            roll = rng.random()
            item_id = rng.choice(user["items"])
            if roll < 0.45:
                path = rng.choice(PAGES + [f"/actions/{item_id}"])
                response = client.get(path)
                with lock:
                    reads.append((path, response.status))
            elif roll < 0.7:
                body = f"soak comment {number}.{n}"
                response = client.post(f"/actions/{item_id}/comments", {"body": body})
                with lock:
                    comments.append({"item": item_id, "body": body, "status": response.status})
            else:
                # Read the item as it is, then change one cell of its row.
                page = client.get(f"/actions/{item_id}")
                match = FORM_VERSION.search(page.text)
                assert page.status == 200 and match, (page.status, item_id)
                if user["role"] == "lead":
                    due = date(2026, 3, 1) + timedelta(days=number * REQUESTS_PER_USER + n)
                    field, value = "due_date", due.isoformat()
                else:
                    field, value = "status", rng.choice(["in_progress", "done", "open"])
                response = client.post(f"/actions/{item_id}/row", headers=HX, data={
                    field: value, "version": match.group(1), "return_to": "/actions"})
                version = ROW_VERSION.search(response.text)
                with lock:
                    edits.append({"item": item_id, "field": field, "value": value,
                                  "status": response.status,
                                  "saved": "row-saved" in response.text,
                                  "version": int(version.group(1)) if version else None})

    with serve(app) as base:
        clients = [Client(base).login(user["email"], PASSWORD) for user in users]
        errors = run_threads(user_session, [(n, u, c) for n, (u, c)
                                            in enumerate(zip(users, clients, strict=True))],
                             TIME_LIMIT)
        assert errors == []
        assert server_errors(clients) == []

        # Reads answered; comments accepted (303 back to the item); edits saved or refused.
        assert {status for _, status in reads} == {200}, Counter(reads)
        assert {c["status"] for c in comments} <= {303}
        assert {e["status"] for e in edits} <= {200, 409}, Counter(e["status"] for e in edits)
        accepted = [e for e in edits if e["status"] == 200 and e["saved"]]
        assert comments and accepted, "the soak made no writes"

        # Every accepted comment shows on its item's page, read by a lead afterwards.
        lead = clients[-1]
        by_item = defaultdict(list)
        for c in comments:
            by_item[c["item"]].append(c["body"])
        for item_id, bodies in by_item.items():
            html = lead.get(f"/actions/{item_id}").text
            missing = [b for b in bodies if b not in html]
            assert missing == [], (item_id, missing)

    with app.app_context():
        stored = Counter(db.session.scalars(select(Comment.body)))
        assert stored == Counter(c["body"] for c in comments)  # each once, none extra
        audited = Counter(db.session.scalars(
            select(AuditEvent.after["comment"].as_string())
            .where(AuditEvent.action == "comment")))
        assert audited == stored

        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == "action_item",
                                     AuditEvent.action == "update")
            .order_by(AuditEvent.id)).all()
        assert len(events) == len(accepted)
        for item_id, version in db.session.execute(select(ActionItem.id, ActionItem.version)):
            mine = [e for e in accepted if e["item"] == item_id]
            trail = [e for e in events if e.entity_id == item_id]
            # No lost write: one version step per accepted edit, in order, none skipped.
            assert version == start_versions[item_id] + len(mine), item_id
            assert [e.after["version"] for e in trail] == list(
                range(start_versions[item_id] + 1, version + 1)), item_id
            for edit in mine:
                event = next(e for e in trail if e.after["version"] == edit["version"])
                assert event.after[edit["field"]] == edit["value"], (edit, event.after)
            # The item holds the value of its last accepted edit of each field.
            item = db.session.get(ActionItem, item_id)
            for field in ("due_date", "status"):
                last = max((e for e in mine if e["field"] == field),
                           key=lambda e: e["version"], default=None)
                if last is not None:
                    current = getattr(item, field)
                    assert getattr(current, "isoformat", lambda: current)() == last["value"]
        db.session.remove()
