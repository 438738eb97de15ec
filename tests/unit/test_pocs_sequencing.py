"""Reordering, ranks, the sequencing checks and the pipeline, without a request.
These take `session`, so they run on SQLite and on PostgreSQL."""
from __future__ import annotations

import random
import threading
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from portal.audit.log import Actor
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.pocs import sequencing
from portal.pocs.models import Hyperscaler, Poc
from portal.pocs.sequencing import SequencingError, StaleBoard, reorder, sequencing_checks
from tests.factories import make_person
from tests.unit.test_pocs_helpers import (
    assert_gapless,
    columns,
    make_customer,
    make_poc,
    make_scalers,
    orders,
)

ACTOR = Actor(user_id=None, name="tester", via="test")
TODAY = date(2026, 1, 15)


@pytest.fixture
def three(session):
    """GCP [A, B, C], Azure [D, E], AWS []."""
    gcp, azure, aws = make_scalers("GCP", "Azure", "AWS")
    pocs = {name: make_poc(gcp, make_customer(name)) for name in "ABC"}
    pocs.update({name: make_poc(azure, make_customer(name)) for name in "DE"})
    session.commit()
    return gcp, azure, aws, pocs


def test_move_within_a_column(session, three):
    gcp, _azure, _aws, pocs = three
    reorder(session, ACTOR, pocs["C"].id, gcp.id, 1, orders())
    session.commit()
    assert columns()["GCP"] == [("C", 1), ("A", 2), ("B", 3)]
    reorder(session, ACTOR, pocs["C"].id, gcp.id, 3, orders())
    session.commit()
    assert columns()["GCP"] == [("A", 1), ("B", 2), ("C", 3)]
    assert_gapless()


def test_move_across_columns_moves_the_poc_to_that_hyperscaler(session, three):
    gcp, azure, aws, pocs = three
    version = pocs["B"].version
    reorder(session, ACTOR, pocs["B"].id, azure.id, 2, orders())
    session.commit()
    assert columns() == {"GCP": [("A", 1), ("C", 2)], "Azure": [("D", 1), ("B", 2), ("E", 3)]}
    poc = session.get(Poc, pocs["B"].id)
    assert poc.hyperscaler_id == azure.id and poc.version == version + 1
    reorder(session, ACTOR, pocs["A"].id, aws.id, 1, orders())  # into an empty column
    session.commit()
    assert columns()["AWS"] == [("A", 1)] and columns()["GCP"] == [("C", 1)]
    assert_gapless()


def test_a_move_is_audited(session, three):
    gcp, azure, _aws, pocs = three
    reorder(session, ACTOR, pocs["A"].id, azure.id, 1, orders())
    session.commit()
    event = session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "poc",
                                                   AuditEvent.action == "reorder"))
    assert event.entity_id == pocs["A"].id
    assert event.before == {"hyperscaler": "GCP", "position": 1}
    assert event.after == {"hyperscaler": "Azure", "position": 1}


def test_a_move_to_the_same_place_changes_nothing(session, three):
    gcp, _azure, _aws, pocs = three
    reorder(session, ACTOR, pocs["B"].id, gcp.id, 2, orders())
    session.commit()
    assert columns()["GCP"] == [("A", 1), ("B", 2), ("C", 3)]
    assert session.scalar(select(db.func.count()).select_from(AuditEvent)) == 0


@pytest.mark.parametrize("position", [0, -1, 4, 99])
def test_position_out_of_range_is_refused(session, three, position):
    gcp, _azure, _aws, pocs = three
    with pytest.raises(SequencingError, match="between 1 and 3") as caught:
        reorder(session, ACTOR, pocs["A"].id, gcp.id, position, orders())
    assert caught.value.field == "position"
    session.rollback()
    assert columns()["GCP"] == [("A", 1), ("B", 2), ("C", 3)]


def test_across_columns_the_end_plus_one_is_allowed(session, three):
    _gcp, azure, _aws, pocs = three
    with pytest.raises(SequencingError, match="between 1 and 3 on Azure"):
        reorder(session, ACTOR, pocs["A"].id, azure.id, 4, orders())
    session.rollback()
    reorder(session, ACTOR, pocs["A"].id, azure.id, 3, orders())
    session.commit()
    assert columns()["Azure"][-1] == ("A", 3)


def test_unknown_hyperscaler_and_poc_are_refused(session, three):
    _gcp, _azure, _aws, pocs = three
    with pytest.raises(SequencingError, match="no such hyperscaler"):
        reorder(session, ACTOR, pocs["A"].id, 9999, 1, orders())
    with pytest.raises(SequencingError, match="no longer exists"):
        reorder(session, ACTOR, 9999, pocs["A"].hyperscaler_id, 1, orders())


def test_stale_client_gets_stale_board_and_nothing_is_written(session, three):
    gcp, azure, _aws, pocs = three
    seen_by_both = orders()
    reorder(session, ACTOR, pocs["C"].id, gcp.id, 1, seen_by_both)  # first lead
    session.commit()
    with pytest.raises(StaleBoard, match="Someone else changed the order"):
        reorder(session, ACTOR, pocs["A"].id, gcp.id, 3, seen_by_both)  # second lead
    session.rollback()
    assert columns()["GCP"] == [("C", 1), ("A", 2), ("B", 3)]
    # A stale view of the *target* column is refused too.
    stale = orders()
    reorder(session, ACTOR, pocs["D"].id, azure.id, 2, orders())
    session.commit()
    with pytest.raises(StaleBoard):
        reorder(session, ACTOR, pocs["A"].id, azure.id, 1, stale)
    session.rollback()
    assert_gapless()


def test_moves_in_unrelated_columns_do_not_conflict(session, three):
    gcp, azure, _aws, pocs = three
    seen = orders()
    reorder(session, ACTOR, pocs["C"].id, gcp.id, 1, seen)
    session.commit()
    reorder(session, ACTOR, pocs["E"].id, azure.id, 1, seen)  # Azure did not change
    session.commit()
    assert columns()["Azure"] == [("E", 1), ("D", 2)]


def test_board_token_is_one_short_digest_per_column():
    small = sequencing.format_token({1: [4, 2], 2: [], 3: [7]})
    large = sequencing.format_token({1: list(range(1, 400)), 2: list(range(400, 800)), 3: []})
    assert len(small) == len(large) == 3 * (2 + sequencing.DIGEST_LENGTH) + 2
    digests = sequencing.parse_token(small)
    assert list(digests) == [1, 2, 3]
    assert digests[1] == sequencing.column_digest(1, [4, 2]) != sequencing.column_digest(1, [2, 4])
    # The same POCs in another column, or an empty column of another hyperscaler, differ.
    assert sequencing.column_digest(2, [4, 2]) != digests[1]
    assert digests[2] != sequencing.parse_token(sequencing.format_token({3: []}))[3]
    assert sequencing.parse_token("") == {}


@pytest.mark.parametrize("garbage", ["x", "1=4,2;2=", "1:", "a:0123456789abcdef",
                                     "1:0123456789ABCDEF", "1:0123456789abcde", "1-2",
                                     "1:" + "0" * 2000])
def test_unreadable_board_token(garbage):
    with pytest.raises(SequencingError):
        sequencing.parse_token(garbage)


def test_board_token_matches_the_board_and_the_narrow_query(session, three):
    assert sequencing.current_token(session) == sequencing.board(session).token
    gcp, azure, _aws, pocs = three
    before = sequencing.board(session).token
    reorder(session, ACTOR, pocs["E"].id, azure.id, 1, None)
    session.commit()
    after = sequencing.parse_token(sequencing.current_token(session))
    assert after != sequencing.parse_token(before)
    assert after[gcp.id] == sequencing.parse_token(before)[gcp.id]  # untouched column


def _concurrent_moves(app, expected: bool, workers: int = 4, moves: int = 12):
    """Several threads, each with its own session, reorder at random at the same time."""
    failures: list[BaseException] = []
    stale = [0]
    barrier = threading.Barrier(workers)

    def worker(seed: int):
        rng = random.Random(seed)
        try:
            with app.app_context():
                session = db.session
                barrier.wait()
                for _ in range(moves):
                    scalers = session.scalars(select(Hyperscaler)).all()
                    pocs = session.scalars(select(Poc)).all()
                    poc = rng.choice(pocs)
                    target = rng.choice(scalers)
                    size = sum(1 for p in pocs if p.hyperscaler_id == target.id)
                    size += 0 if poc.hyperscaler_id == target.id else 1
                    seen = orders(session) if expected else None
                    session.rollback()
                    try:
                        reorder(session, ACTOR, poc.id, target.id, rng.randint(1, size), seen)
                        session.commit()
                    except (StaleBoard, SequencingError):
                        # SequencingError: the size read before the lock was out of date.
                        session.rollback()
                        stale[0] += 1
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    return stale[0]


@pytest.mark.parametrize("expected", [True, False], ids=["with-expected-order", "lock-only"])
@pytest.mark.committed  # threads, each with its own connection
def test_concurrent_reorders_keep_every_column_gapless(app, session, three, expected):
    before = sorted(p.id for p in session.scalars(select(Poc)))
    _concurrent_moves(app, expected)
    db.session.remove()
    assert_gapless()
    assert sorted(p.id for p in db.session.scalars(select(Poc))) == before
    moved = db.session.scalar(select(db.func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "reorder"))
    assert moved > 0


# --- ranks -----------------------------------------------------------------------------

def test_change_rank_swaps_with_the_neighbour(session, three):
    gcp, azure, aws, _pocs = three
    sequencing.change_rank(session, ACTOR, azure.id, "up", [gcp.id, azure.id, aws.id])
    session.commit()
    ranks = dict(session.execute(select(Hyperscaler.name, Hyperscaler.rank)).all())
    assert ranks == {"Azure": 1, "GCP": 2, "AWS": 3}
    assert [c.hyperscaler.name for c in sequencing.board(session).columns] == ["Azure", "GCP",
                                                                                "AWS"]
    with pytest.raises(SequencingError, match="already first"):
        sequencing.change_rank(session, ACTOR, azure.id, "up", [azure.id, gcp.id, aws.id])
    with pytest.raises(StaleBoard):
        sequencing.change_rank(session, ACTOR, aws.id, "up", [gcp.id, azure.id, aws.id])


# --- sequencing checks -----------------------------------------------------------------

def kinds(warnings):
    return [w.kind for w in warnings]


def test_no_warnings_for_a_sound_sequence(session):
    gcp, azure, _aws = make_scalers("GCP", "Azure", "AWS")
    owner = make_person("Owner")
    make_poc(gcp, stage="scheduled", planned_start=TODAY, planned_end=TODAY + timedelta(30),
             owner=owner)
    make_poc(azure, stage="running", planned_start=TODAY - timedelta(5),
             planned_end=TODAY + timedelta(5))
    make_poc(azure, stage="candidate", planned_start=TODAY + timedelta(10))
    session.commit()
    # The running Azure POC started before GCP's first: that is the one warning.
    warnings = sequencing_checks(session, TODAY)
    assert kinds(warnings) == ["rank_order"]


def test_check_lower_rank_starting_before_higher_rank(session):
    gcp, azure, aws = make_scalers("GCP", "Azure", "AWS")
    first_gcp = make_poc(gcp, make_customer("Sigma"), planned_start=date(2026, 3, 1))
    early = make_poc(aws, make_customer("Zoom"), planned_start=date(2026, 2, 1))
    make_poc(azure, make_customer("Microsoft"), planned_start=date(2026, 3, 15))
    session.commit()
    warnings = sequencing_checks(session, TODAY)
    # Zoom on AWS jumps ahead of GCP and Azure; Microsoft on Azure starts after GCP: fine.
    assert kinds(warnings) == ["rank_order"]
    zoom = warnings[0]
    assert zoom.hyperscaler == "AWS" and zoom.hyperscaler_id == aws.id
    assert zoom.poc_ids[0] == early.id and first_gcp.id in zoom.poc_ids
    assert "Zoom on AWS (priority 3) is planned to start 01 Feb 2026" in zoom.message
    assert "GCP (priority 1) starts 01 Mar 2026 with Sigma" in zoom.message
    assert "Azure (priority 2) starts 15 Mar 2026 with Microsoft" in zoom.message


def test_check_rank_order_when_higher_rank_has_nothing_planned(session):
    gcp, azure, _aws = make_scalers("GCP", "Azure", "AWS")
    make_poc(gcp)  # no dates
    poc = make_poc(azure, planned_start=date(2026, 2, 1))
    make_poc(azure, stage="lost", planned_start=date(2026, 1, 1))  # lost POCs do not count
    session.commit()
    warnings = sequencing_checks(session, TODAY)
    assert kinds(warnings) == ["rank_order"]
    assert warnings[0].poc_ids == (poc.id,)
    assert "GCP (priority 1) has no POC with a start date yet" in warnings[0].message


def test_check_ranks_follow_the_current_priority(session):
    gcp, azure, _aws = make_scalers("GCP", "Azure", "AWS")
    make_poc(gcp, planned_start=date(2026, 3, 1))
    make_poc(azure, planned_start=date(2026, 2, 1))
    session.commit()
    assert kinds(sequencing_checks(session, TODAY)) == ["rank_order"]
    sequencing.change_rank(session, ACTOR, azure.id, "up", None)
    session.commit()
    assert kinds(sequencing_checks(session, TODAY)) == []


def test_check_two_running_pocs_for_one_customer(session):
    gcp, azure, _aws = make_scalers("GCP", "Azure", "AWS")
    citadel = make_customer("Citadel")
    one = make_poc(gcp, citadel, stage="running")
    two = make_poc(azure, citadel, stage="running")
    make_poc(azure, make_customer("NBCU"), stage="running")
    make_poc(gcp, make_customer("Sigma"), stage="running")
    session.commit()
    warnings = sequencing_checks(session, TODAY)
    assert kinds(warnings) == ["parallel_running"]
    assert set(warnings[0].poc_ids) == {one.id, two.id}
    assert "Citadel has 2 POCs running at once (GCP and Azure)" in warnings[0].message


@pytest.mark.parametrize("fields,missing", [
    ({}, "start date, end date or owner"),
    ({"planned_start": TODAY}, "end date or owner"),
    ({"planned_start": TODAY, "planned_end": TODAY}, "owner"),
])
def test_check_scheduled_without_dates_or_owner(session, fields, missing):
    (gcp,) = make_scalers("GCP")
    poc = make_poc(gcp, make_customer("NBCU"), stage="scheduled", **fields)
    make_poc(gcp, stage="candidate")  # candidates may lack everything
    session.commit()
    warnings = sequencing_checks(session, TODAY)
    assert kinds(warnings) == ["scheduled_incomplete"]
    assert warnings[0].poc_ids == (poc.id,)
    assert warnings[0].message.endswith(f"is scheduled but has no {missing}.")
    poc.owner = make_person("Owner")
    poc.planned_start, poc.planned_end = TODAY, TODAY + timedelta(7)
    session.commit()
    assert sequencing_checks(session, TODAY) == []


def test_check_running_past_its_end(session):
    (gcp,) = make_scalers("GCP")
    late = make_poc(gcp, make_customer("Jump Trading"), stage="running",
                    planned_start=TODAY - timedelta(30), planned_end=TODAY - timedelta(3))
    make_poc(gcp, stage="running", planned_start=TODAY - timedelta(3), planned_end=TODAY)
    make_poc(gcp, stage="won", planned_start=TODAY - timedelta(30),
             planned_end=TODAY - timedelta(3))
    session.commit()
    warnings = sequencing_checks(session, TODAY)
    assert kinds(warnings) == ["overrun"]
    assert warnings[0].poc_ids == (late.id,)
    assert "still running 3 days after its planned end" in warnings[0].message
    assert sequencing_checks(session, TODAY - timedelta(3)) == []


def test_check_first_priority_without_any_poc(session):
    gcp, azure, aws = make_scalers("GCP", "Azure", "AWS")
    first = make_poc(azure, make_customer("Microsoft"))
    make_poc(azure, make_customer("UKMET"))
    zoom = make_poc(aws, make_customer("Zoom"))
    session.commit()
    warnings = sequencing_checks(session, TODAY)
    assert kinds(warnings) == ["priority_gap"]
    gap = warnings[0]
    assert gap.hyperscaler == "GCP" and gap.hyperscaler_id == gcp.id
    assert gap.poc_ids == (first.id, zoom.id)
    assert gap.message == ("GCP (priority 1) has no POC, while Azure (priority 2) has 2 POCs "
                           "and AWS (priority 3) has 1 POC: add GCP's first POC or lower its "
                           "priority.")
    # Without the board the checks read the hyperscalers themselves; with it, its columns.
    assert sequencing_checks(session, TODAY, sequencing.board(session)) == warnings


def test_check_priority_gap_counts_only_pocs_in_play(session):
    gcp, azure, aws = make_scalers("GCP", "Azure", "AWS")
    make_poc(gcp, stage="lost")
    make_poc(azure, stage="on_hold")
    make_poc(aws, make_customer("Zoom"), stage="candidate")
    session.commit()
    messages = [w.message for w in sequencing_checks(session, TODAY)]
    assert messages == [
        "GCP (priority 1) has no POC in play (1 lost or on hold), while AWS (priority 3) has "
        "1 POC: add GCP's first POC or lower its priority.",
        "Azure (priority 2) has no POC in play (1 lost or on hold), while AWS (priority 3) "
        "has 1 POC: add Azure's first POC or lower its priority.",
    ]


def test_no_priority_gap_when_only_the_last_ones_are_empty(session):
    gcp, _azure, _aws = make_scalers("GCP", "Azure", "AWS")
    make_poc(gcp)
    session.commit()
    assert sequencing_checks(session, TODAY) == []
    # A program with hyperscalers and no POC yet: nothing to warn about either.
    session.delete(session.scalar(select(Poc)))
    session.commit()
    assert sequencing_checks(session, TODAY) == []


def test_check_rank_order_names_each_hyperscalers_first_poc_once(session):
    gcp, azure, _aws = make_scalers("GCP", "Azure", "AWS")
    make_poc(gcp, make_customer("Sigma"), planned_start=date(2026, 3, 1))
    first = make_poc(azure, make_customer("NBCU"), planned_start=date(2026, 2, 10))
    make_poc(azure, make_customer("Citadel"), planned_start=date(2026, 2, 20))
    session.commit()
    warnings = sequencing_checks(session, TODAY)
    # One warning per hyperscaler, not one per POC that jumps ahead.
    assert kinds(warnings) == ["rank_order"]
    assert warnings[0].poc_ids[0] == first.id
    assert warnings[0].message == ("NBCU on Azure (priority 2) is planned to start 10 Feb 2026, "
                                   "before GCP (priority 1) starts 01 Mar 2026 with Sigma.")


def test_check_rank_order_is_judged_again_after_a_priority_change(session):
    gcp, azure, _aws = make_scalers("GCP", "Azure", "AWS")
    make_poc(gcp, make_customer("Sigma"), planned_start=date(2026, 2, 1))
    make_poc(azure, make_customer("NBCU"), planned_start=date(2026, 3, 1))
    session.commit()
    assert sequencing_checks(session, TODAY) == []
    sequencing.change_rank(session, ACTOR, azure.id, "up", None)
    session.commit()
    warnings = sequencing_checks(session, TODAY)
    assert kinds(warnings) == ["rank_order"]
    assert warnings[0].message == ("Sigma on GCP (priority 2) is planned to start 01 Feb 2026, "
                                   "before Azure (priority 1) starts 01 Mar 2026 with NBCU.")


def test_check_rank_order_is_judged_again_after_a_move_across_columns(session):
    gcp, azure, _aws = make_scalers("GCP", "Azure", "AWS")
    early = make_poc(gcp, make_customer("Early"), planned_start=date(2026, 2, 1))
    make_poc(gcp, make_customer("Sigma"), planned_start=date(2026, 3, 1))
    make_poc(azure, make_customer("Zoom"), planned_start=date(2026, 4, 1))
    session.commit()
    assert sequencing_checks(session, TODAY) == []
    reorder(session, ACTOR, early.id, azure.id, 1, orders())
    session.commit()
    warnings = sequencing_checks(session, TODAY)
    assert kinds(warnings) == ["rank_order"]
    assert warnings[0].message == ("Early on Azure (priority 2) is planned to start 01 Feb "
                                   "2026, before GCP (priority 1) starts 01 Mar 2026 with Sigma.")


def test_check_sequence_order_within_a_column_after_a_reorder(session):
    gcp, _azure, _aws = make_scalers("GCP", "Azure", "AWS")
    sigma = make_poc(gcp, make_customer("Sigma"), planned_start=date(2026, 2, 1))
    make_poc(gcp, make_customer("NBCU"), planned_start=date(2026, 3, 1))
    citadel = make_poc(gcp, make_customer("Citadel"), planned_start=date(2026, 4, 1))
    session.commit()
    assert sequencing_checks(session, TODAY) == []
    reorder(session, ACTOR, citadel.id, gcp.id, 1, orders())  # the board's drag or arrows
    session.commit()
    warnings = sequencing_checks(session, TODAY)
    assert kinds(warnings) == ["sequence_order"]
    assert warnings[0].hyperscaler == "GCP"
    assert set(warnings[0].poc_ids) == {sigma.id, citadel.id} | {
        p.id for p in session.scalars(select(Poc)) if p.customer.name == "NBCU"}
    assert warnings[0].message == (
        "GCP's POCs run top to bottom, but Sigma (#2) starts 01 Feb 2026, before Citadel "
        "(#1, 01 Apr 2026); NBCU (#3) starts 01 Mar 2026, before Citadel (#1, 01 Apr 2026): "
        "move the cards or change the dates.")
    reorder(session, ACTOR, citadel.id, gcp.id, 3, orders())
    session.commit()
    assert sequencing_checks(session, TODAY) == []


def test_check_sequence_order_running_while_one_above_has_not_started(session):
    (gcp,) = make_scalers("GCP")
    make_poc(gcp, make_customer("Sigma"), stage="confirmed")
    make_poc(gcp, make_customer("NBCU"), stage="running")
    make_poc(gcp, make_customer("Old"), stage="won", planned_start=date(2025, 1, 1))
    session.commit()
    warnings = sequencing_checks(session, TODAY)
    assert kinds(warnings) == ["sequence_order"]
    assert warnings[0].message == (
        "GCP's POCs run top to bottom, but NBCU (#2) is running while Sigma (#1, confirmed) "
        "has not started: move the cards or change the dates.")


def test_check_sequence_order_names_three_and_counts_the_rest(session):
    (gcp,) = make_scalers("GCP")
    make_poc(gcp, make_customer("Last"), planned_start=date(2026, 12, 1))
    for n in range(5):
        make_poc(gcp, make_customer(f"Early {n}"), planned_start=date(2026, 2, 1 + n))
    session.commit()
    (warning,) = sequencing_checks(session, TODAY)
    assert warning.message.count("before Last (#1") == 3
    assert warning.message.endswith("; and 2 more: move the cards or change the dates.")
    assert len(warning.poc_ids) == 6


def test_check_start_date_passed_but_not_started(session):
    (gcp,) = make_scalers("GCP")
    owner = make_person("Owner")
    make_poc(gcp, stage="running", planned_start=TODAY - timedelta(6))
    late = make_poc(gcp, make_customer("UKMET"), stage="scheduled", owner=owner,
                    planned_start=TODAY - timedelta(4), planned_end=TODAY + timedelta(20))
    make_poc(gcp, stage="confirmed", planned_start=TODAY)
    session.commit()
    warnings = sequencing_checks(session, TODAY)
    assert kinds(warnings) == ["late_start"]
    assert warnings[0].poc_ids == (late.id,)
    assert warnings[0].message == ("UKMET on GCP was planned to start 11 Jan 2026 (4 days ago) "
                                   "but is still scheduled: start it or move its dates.")
    assert sequencing_checks(session, TODAY - timedelta(4)) == []


def test_check_start_dates_passed_are_one_warning_per_hyperscaler(session):
    gcp, azure = make_scalers("GCP", "Azure")
    for n in range(5):
        make_poc(gcp, make_customer(f"Late {n}"), planned_start=TODAY - timedelta(9 - n))
    make_poc(azure, stage="on_hold", planned_start=TODAY - timedelta(30))  # parked: fine
    session.commit()
    (warning,) = sequencing_checks(session, TODAY)
    assert warning.kind == "late_start" and len(warning.poc_ids) == 5
    assert warning.message == (
        "5 POCs on GCP have passed their planned start without starting: Late 0 (candidate, "
        "06 Jan 2026), Late 1 (candidate, 07 Jan 2026), Late 2 (candidate, 08 Jan 2026), and "
        "2 more: start them or move their dates.")


def test_every_kind_has_a_label():
    assert set(sequencing.CHECK_LABELS) == set(sequencing.CHECK_KINDS)


def test_checks_reuse_the_board_without_queries(session, query_counter):
    gcp, azure, _aws = make_scalers("GCP", "Azure", "AWS")
    for n in range(5):
        make_poc(azure if n % 2 else gcp, stage="running", planned_start=TODAY,
                 planned_end=TODAY - timedelta(0))
    session.commit()
    session.expire_all()
    board = sequencing.board(session)
    with query_counter() as statements:
        sequencing_checks(session, TODAY, board)
    assert statements == []


# --- board and pipeline ----------------------------------------------------------------

def test_board_columns_in_rank_order_with_a_fixed_number_of_queries(session, query_counter):
    gcp, azure, aws = make_scalers("GCP", "Azure", "AWS")
    aws.rank, gcp.rank = 1, 3
    owner = make_person("Owner")
    for n in range(30):
        make_poc((gcp, azure, aws)[n % 3], owner=owner)
    session.commit()
    session.expire_all()
    with query_counter() as statements:
        board = sequencing.board(session)
        for column in board.columns:
            for poc in column.pocs:
                (poc.customer.name, poc.owner.name, poc.hyperscaler.name)
    assert len(statements) == 3
    assert [c.hyperscaler.name for c in board.columns] == ["AWS", "Azure", "GCP"]
    assert all([p.position for p in c.pocs] == list(range(1, 11)) for c in board.columns)


def test_pipeline_counts_and_next_pocs(session):
    gcp, azure, aws = make_scalers("GCP", "Azure", "AWS")
    make_poc(gcp, make_customer("Won one"), stage="won")
    make_poc(gcp, make_customer("Runner"), stage="running")
    make_poc(gcp, make_customer("Next"), stage="scheduled", planned_start=TODAY)
    for name in ("Then", "Later", "Much later"):
        make_poc(gcp, make_customer(name), stage="candidate")
    make_poc(aws, make_customer("Zoom"), stage="on_hold")
    session.commit()
    rows = sequencing.pipeline(sequencing.board(session, action_counts=False))
    assert [r.hyperscaler for r in rows] == ["GCP", "Azure", "AWS"]
    first = rows[0]
    assert first.total == 6 and first.counts["candidate"] == 3 and first.counts["won"] == 1
    assert set(first.counts) == {"candidate", "confirmed", "scheduled", "running", "won",
                                 "lost", "on_hold"}
    assert [p.customer for p in first.next_pocs] == ["Next", "Then", "Later"]
    assert first.next_pocs[0].planned_start == TODAY
    assert rows[1].total == 0 and rows[1].next_pocs == ()
    assert rows[2].counts["on_hold"] == 1 and rows[2].next_pocs == ()
    # A past day's stages, given per POC, count instead of today's.
    runner = next(p for p in sequencing.board(session).pocs if p.customer.name == "Runner")
    past = sequencing.pipeline(sequencing.board(session), stages={runner.id: "candidate"})
    assert past[0].counts["running"] == 0 and past[0].counts["candidate"] == 4
    assert [p.customer for p in past[0].next_pocs] == ["Runner", "Next", "Then"]


def test_one_card_knows_where_it_can_move(session, three):
    gcp, azure, aws, pocs = three
    card = sequencing.card(session, pocs["E"].id)
    assert card.poc.customer.name == "E" and card.poc.position == 2
    assert [(s.name, size) for s, size in card.targets] == [("GCP", 3), ("Azure", 2), ("AWS", 0)]
    assert card.size == 2 and card.action_count == 0
    assert sequencing.card(session, 9999) is None


def _disorder_by_pairs(column):
    """The column-order rule as it reads, every pair compared: what `_column_disorder`
    must agree with (it decides the same in two linear passes)."""
    parts, total, involved = [], 0, set()
    for index, later in enumerate(column):
        start = later.planned_start
        earlier = [i for i in range(index)
                   if start and column[i].planned_start and start < column[i].planned_start]
        waiting = ([i for i in range(index)
                    if column[i].stage in sequencing._NOT_STARTED and i not in earlier]
                   if later.stage == "running" else [])
        if earlier or waiting:
            total += bool(earlier) + bool(waiting)
            involved.update({index, *earlier, *waiting})
            parts += sequencing._order_parts(later, [column[i] for i in earlier],
                                             [column[i] for i in waiting])
    return parts[:sequencing._MAX_PARTS], total, [column[i].id for i in sorted(involved)]


@given(st.lists(st.tuples(st.sampled_from(sequencing._PLANNED_STAGES[:-1]),
                          st.one_of(st.none(), st.integers(0, 6))), max_size=12))
@settings(max_examples=300, deadline=None)
def test_column_disorder_agrees_with_comparing_every_pair(rows):
    column = [SimpleNamespace(id=100 + n, position=n + 1, stage=stage,
                              customer=SimpleNamespace(name=f"C{n}"),
                              planned_start=None if day is None else TODAY + timedelta(days=day))
              for n, (stage, day) in enumerate(rows)]
    assert sequencing._column_disorder(column) == _disorder_by_pairs(column)
