"""Several leads edit ONE action item and reorder ONE POC board at the same moment, through
the real HTTP stack (werkzeug serving the app in threads, stdlib clients with their own
session cookies), on SQLite and on PostgreSQL.

The threads move in rounds: all read, then (past a barrier) all write at once. So in a
round on the item exactly one write can win and every other must answer 409; the count of
winners is known in advance and no lost update can hide in the noise. Afterwards the item's
version, its audit trail and its final values are reconciled with what the server accepted,
and the board's audit trail is replayed move by move to the board in the database."""
from __future__ import annotations

import random
import re
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.actions.models import ActionItem
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.pocs import sequencing
from portal.pocs.models import Hyperscaler, Poc
from tests.factories import PASSWORD, make_item, make_person, make_user
from tests.loadclient import Client, run_threads, serve, server_errors
from tests.unit.test_pocs_helpers import make_customer, make_poc, make_scalers

# Threads, each with its own connection.
pytestmark = pytest.mark.committed

HX = {"HX-Request": "true"}
THREADS = 4
ROUNDS = 8
TIME_LIMIT = 90  # seconds for all threads together; far above what the rounds need
ALL_STATUSES = "status=proposed&status=open&status=in_progress&status=done&status=cancelled"
ROW = re.compile(r'<tr id="item-(\d+)"[^>]*data-status="(\w+)" data-priority="(\w+)" '
                 r'data-version="(\d+)"')


def _leads(app, count: int) -> list[str]:
    with app.app_context():
        emails = [make_user("lead").email for _ in range(count)]
        db.session.remove()
    return emails


def _barrier_wait(barrier: threading.Barrier) -> bool:
    """False once a thread has failed (the barrier is broken): the others just go on."""
    try:
        barrier.wait(timeout=30)
        return True
    except threading.BrokenBarrierError:
        return False


def _play_rounds(app, emails: list[str], play_round) -> list[dict]:
    """One thread per lead, each with its own HTTP client, plays ROUNDS rounds:
    `play_round(thread, round_, client, meet)` returns the round's outcome, calling `meet()`
    once everyone should have read; after each round all meet again. Fails on any thread's
    error or any server error."""
    outcomes: list[dict] = []
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)

    def meet() -> bool:
        return _barrier_wait(barrier)

    def worker(stop, thread: int, client: Client):
        try:
            for round_ in range(ROUNDS):
                if stop.is_set():
                    return
                outcome = play_round(thread, round_, client, meet)
                with lock:
                    outcomes.append(outcome)
                meet()  # everyone has written: the next round reads afresh
        except BaseException:
            barrier.abort()  # the others stop waiting for this thread
            raise

    with serve(app) as base:
        clients = [Client(base).login(email, PASSWORD) for email in emails]
        errors = run_threads(worker, [(n, c) for n, c in enumerate(clients)], TIME_LIMIT)
    assert errors == []
    assert server_errors(clients) == []
    assert len(outcomes) == THREADS * ROUNDS
    return outcomes


# --- one action item ---------------------------------------------------------------------

def _read_row(client: Client, item_id: int) -> tuple[str, str, int]:
    """The item's row as the filtered list shows it: status, priority, version."""
    response = client.get(f"/actions?q=Contended+item&{ALL_STATUSES}", headers=HX)
    assert response.status == 200, response.status
    rows = {int(m[0]): (m[1], m[2], int(m[3])) for m in ROW.findall(response.text)}
    assert item_id in rows, "the item is missing from the list"
    return rows[item_id]


def _change(thread: int, round_: int, status: str, priority: str) -> tuple[str, str, dict]:
    """A change that differs from what the thread read: a unique due date, another status
    or another priority, through the inline row or the item page's status form."""
    kind = (thread + round_) % 4
    if kind == 0:
        due = date(2026, 1, 1) + timedelta(days=thread * ROUNDS + round_)
        return "row", "due_date", {"due_date": due.isoformat()}
    if kind == 1:
        options = [s for s in ("open", "in_progress", "done") if s != status]
        return "row", "status", {"status": options[thread % len(options)]}
    if kind == 2:
        options = [p for p in ("highest", "high", "low") if p != priority]
        return "row", "priority", {"priority": options[thread % len(options)]}
    options = [s for s in ("proposed", "in_progress", "done") if s != status]
    return "form", "status", {"status": options[thread % len(options)]}


def test_concurrent_edits_of_one_item(app_factory):
    app = app_factory()
    emails = _leads(app, THREADS)
    with app.app_context():
        owner = make_person("Contended Owner")
        item = make_item("Contended item", status="open", priority="normal", owner_id=owner.id,
                         due_date=date(2025, 12, 1))
        db.session.commit()
        item_id = item.id
        db.session.remove()

    def edit_round(thread: int, round_: int, client: Client, meet) -> dict:
        status, priority, version = _read_row(client, item_id)
        route, field, values = _change(thread, round_, status, priority)
        meet()  # everyone has read the same version: now all write
        if route == "row":
            response = client.post(f"/actions/{item_id}/row", headers=HX, data={
                **values, "version": version, "return_to": "/actions"})
        else:
            response = client.post(f"/actions/{item_id}/status", headers=HX,
                                   data={**values, "version": version})
        return {"thread": thread, "round": round_, "route": route, "field": field,
                "value": values[field], "read": version, "status": response.status,
                "version": response.version() if route == "row" else None,
                "html": response.text}

    outcomes = _play_rounds(app, emails, edit_round)
    accepted = [o for o in outcomes if o["status"] in (200, 204)]
    refused = [o for o in outcomes if o["status"] == 409]
    assert {o["status"] for o in outcomes} <= {200, 204, 409}, \
        sorted({o["status"] for o in outcomes})
    # The row answers 200 with the saved row, the status form 204 with HX-Redirect.
    assert all((o["status"] == 200) == (o["route"] == "row") for o in accepted)
    # In every round all read the same version: exactly one write wins, the rest get 409.
    per_round = {r: [o for o in accepted if o["round"] == r] for r in range(ROUNDS)}
    assert {r: len(won) for r, won in per_round.items()} == dict.fromkeys(range(ROUNDS), 1)
    assert len(refused) == ROUNDS * (THREADS - 1)
    # The refusal says so: in the row, or in the status form's conflict panel.
    assert all(("changed meanwhile" if o["route"] == "row" else "yours was not saved")
               in o["html"] for o in refused)
    # An accepted row edit answers with the version it created: 1 + its place in the order.
    for o in accepted:
        assert o["read"] == 1 + o["round"]
        if o["route"] == "row":
            assert o["version"] == o["read"] + 1 and "row-saved" in o["html"]

    with app.app_context():
        final = db.session.get(ActionItem, item_id)
        assert final.version == 1 + len(accepted) == 1 + ROUNDS
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == "action_item",
                                     AuditEvent.entity_id == item_id,
                                     AuditEvent.action == "update")
            .order_by(AuditEvent.id)).all()
        # One audit event per accepted edit, none for a refused one, in version order.
        assert [e.after["version"] for e in events] == list(range(2, 2 + ROUNDS))
        winners = sorted(accepted, key=lambda o: o["round"])
        for event, won in zip(events, winners, strict=True):
            assert event.after[won["field"]] == won["value"], (event.after, won)
        # Replaying the accepted edits from the start gives the item as it is now.
        state = {"status": "open", "priority": "normal", "due_date": "2025-12-01"}
        for won in winners:
            state[won["field"]] = won["value"]
        assert {"status": final.status, "priority": final.priority,
                "due_date": final.due_date.isoformat()} == state
        assert (final.done_date is not None) == (final.status == "done")
        db.session.remove()


# --- one POC board -----------------------------------------------------------------------

BOARD = re.compile(r'data-board-order="([^"]*)"')
LIST_OR_CARD = re.compile(r'<ol class="poc-list" data-hyperscaler-id="(\d+)"|'
                          r'<li class="poc-card[^"]*" id="poc-(\d+)"')


def _read_board(client: Client) -> tuple[str, dict[int, list[int]]]:
    """The board token and the order the page shows: {hyperscaler id: POC ids}."""
    response = client.get("/pocs", headers=HX)
    assert response.status == 200, response.status
    match = BOARD.search(response.text)
    assert match, "the board carries no order token"
    orders: dict[int, list[int]] = {}
    column = None
    for list_id, poc_id in LIST_OR_CARD.findall(response.text):
        if list_id:
            column = orders.setdefault(int(list_id), [])
        else:
            column.append(int(poc_id))
    return match.group(1), orders


def _pick_move(rng: random.Random, orders: dict[int, list[int]]) -> tuple[int, int, int]:
    """A POC and a place it is not at now: (poc id, hyperscaler id, 1-based position)."""
    source = rng.choice([hid for hid, ids in orders.items() if ids])
    poc_id = rng.choice(orders[source])
    while True:
        target = rng.choice(list(orders))
        size = len(orders[target]) if target == source else len(orders[target]) + 1
        position = rng.randint(1, size)
        if target != source or orders[source].index(poc_id) + 1 != position:
            return poc_id, target, position


def test_concurrent_reorders_of_one_board(app_factory):
    app = app_factory()
    emails = _leads(app, THREADS)
    with app.app_context():
        gcp, azure, aws = make_scalers("GCP", "Azure", "AWS")
        for scaler, count in ((gcp, 3), (azure, 3), (aws, 2)):
            for _ in range(count):
                make_poc(scaler, make_customer())
        db.session.commit()
        initial = {c.hyperscaler.id: c.order for c in sequencing.board(db.session).columns}
        names = {s.id: s.name for s in (gcp, azure, aws)}
        db.session.remove()

    rngs = [random.Random(thread) for thread in range(THREADS)]

    def move_round(thread: int, round_: int, client: Client, meet) -> dict:
        token, seen = _read_board(client)
        poc_id, target, position = _pick_move(rngs[thread], seen)
        meet()  # all saw the same board: now all move at once
        response = client.post(f"/pocs/{poc_id}/move", headers=HX, data={
            "to": f"{target}:{position}", "expected": token})
        after = BOARD.search(response.text)
        return {"round": round_, "poc": poc_id, "target": target, "position": position,
                "status": response.status, "board": after.group(1) if after else None}

    outcomes = _play_rounds(app, emails, move_round)
    assert {o["status"] for o in outcomes} <= {200, 409}, sorted({o["status"] for o in outcomes})
    accepted = [o for o in outcomes if o["status"] == 200]
    # Each round: the first move to take the lock finds the board as read and wins; four
    # moves over three columns always share a column, so at least one loses.
    for round_ in range(ROUNDS):
        statuses = [o["status"] for o in outcomes if o["round"] == round_]
        assert 200 in statuses and 409 in statuses, (round_, statuses)
    # A refused move answers with the board as it is now, for the client to retry from.
    assert all(o["board"] for o in outcomes)

    with app.app_context():
        rows = db.session.execute(select(Poc.id, Poc.hyperscaler_id, Poc.position)).all()
        columns: dict[int, list[tuple[int, int]]] = {hid: [] for hid in initial}
        for poc_id, hid, position in rows:
            columns[hid].append((position, poc_id))
        # No broken ordering: every column is numbered 1..n, no POC lost or doubled.
        for hid, placed in columns.items():
            assert sorted(p for p, _ in placed) == list(range(1, len(placed) + 1)), names[hid]
        assert sorted(row.id for row in rows) == sorted(i for ids in initial.values() for i in ids)
        final = {hid: [poc for _, poc in sorted(placed)] for hid, placed in columns.items()}

        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == "poc",
                                     AuditEvent.action == "reorder")
            .order_by(AuditEvent.id)).all()
        assert len(events) == len(accepted)
        # Replaying the audited moves in commit order from the first board gives the board
        # in the database: no accepted move was lost or applied over a stale order.
        ids = {name: hid for hid, name in names.items()}
        board = {hid: list(pocs) for hid, pocs in initial.items()}
        for event in events:
            source, target = ids[event.before["hyperscaler"]], ids[event.after["hyperscaler"]]
            assert board[source].index(event.entity_id) + 1 == event.before["position"]
            board[source].remove(event.entity_id)
            board[target].insert(event.after["position"] - 1, event.entity_id)
        assert board == final
        moves = sorted((e.entity_id, ids[e.after["hyperscaler"]], e.after["position"])
                       for e in events)
        assert moves == sorted((o["poc"], o["target"], o["position"]) for o in accepted)
        assert db.session.scalar(select(Hyperscaler.id).where(Hyperscaler.rank > 3)) is None
        db.session.remove()
