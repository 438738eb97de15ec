"""The item tally (items by workstream and status, kept by triggers) against counting the
items one by one, after every kind of write and compaction, on both databases; its
migration fills it for an existing database (issue 18)."""
from __future__ import annotations

import random
from datetime import date

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, func, insert, select, update

from portal.actions import service, tally
from portal.actions.models import ActionItem, ItemTally
from portal.audit.log import Actor
from portal.extensions import db
from portal.program.models import Workstream
from portal.vocab import ACTION_STATUSES
from tests.factories import make_item, make_program, make_workstream
from tests.unit.test_migrations import _empty, insert_raw_item

TODAY = date(2026, 3, 1)
ACTOR = Actor(via="cli")


def tallied(session) -> dict:
    return {(ws, status): n for ws, status, n in session.execute(tally.by_workstream_status())
            if n}


def counted(session) -> dict:
    return dict(((ws, status), n) for ws, status, n in session.execute(
        select(ActionItem.workstream_id, ActionItem.status, func.count())
        .group_by(ActionItem.workstream_id, ActionItem.status)))


def test_tally_follows_every_kind_of_write_and_compaction(session):
    rng = random.Random(18)
    program = make_program()
    streams = [make_workstream(program) for _ in range(3)]
    choices = [*(s.id for s in streams), None]
    items = [make_item(workstream_id=rng.choice(choices), status=rng.choice(ACTION_STATUSES))
             for _ in range(60)]
    session.commit()
    assert tallied(session) == counted(session) and counted(session)

    for step in range(12):
        # Edits through the service: status and workstream, one item at a time.
        for item in rng.sample(items, 5):
            change = ({"status": rng.choice(ACTION_STATUSES)} if rng.random() < 0.5
                      else {"workstream_id": rng.choice(choices)})
            service.update_item(session, ACTOR, item, change, expected_version=None,
                                today=TODAY)
        # A bulk status change, statements past the ORM, one that changes nothing counted.
        service.bulk_update(session, ACTOR, [i.id for i in rng.sample(items, 4)], "status",
                            rng.choice(ACTION_STATUSES), today=TODAY)
        session.execute(update(ActionItem).where(ActionItem.id % 7 == step % 7)
                        .values(workstream_id=rng.choice(choices))
                        .execution_options(synchronize_session=False))
        session.execute(update(ActionItem).values(status=ActionItem.status, title="Same")
                        .execution_options(synchronize_session=False))
        # New items, one by one and in bulk.
        items.append(make_item(workstream_id=rng.choice(choices), status="open"))
        session.execute(insert(ActionItem), [
            {"title": f"Bulk {step} {n}", "title_key": f"bulk {step} {n}",
             "workstream_id": rng.choice(choices), "status": rng.choice(ACTION_STATUSES),
             "priority": "normal", "tags": "", "notes": "", "version": 1} for n in range(5)])
        session.commit()
        session.expire_all()
        assert tallied(session) == counted(session), step
        if step % 3 == 1:
            tally.compact(session)
            session.commit()
            assert tallied(session) == counted(session), step
            rows = session.execute(select(ItemTally.workstream_id, ItemTally.status)).all()
            assert len(rows) == len(set(rows)) == len(counted(session))  # one row per key

    # Deletes: one through the service, many in one statement.
    service.delete_item(session, ACTOR, items.pop(), expected_version=None)
    session.execute(delete(ActionItem).where(ActionItem.title.like("Bulk 1%"))
                    .execution_options(synchronize_session=False))
    session.commit()
    assert tallied(session) == counted(session)

    # A workstream deleted under its items: the foreign key sets theirs to NULL.
    gone = streams[0].id
    session.execute(delete(Workstream).where(Workstream.id == gone)
                    .execution_options(synchronize_session=False))
    session.commit()
    session.expire_all()
    assert not any(ws == gone for ws, _ in counted(session))
    assert tallied(session) == counted(session)


def test_a_rolled_back_change_leaves_the_tally_as_it_was(session):
    program = make_program()
    ws = make_workstream(program)
    item = make_item(workstream_id=ws.id, status="open")
    session.commit()
    before = tallied(session)
    nested = session.begin_nested()
    service.update_item(session, ACTOR, item, {"status": "done"}, expected_version=None,
                        today=TODAY)
    make_item(workstream_id=ws.id, status="open")
    session.flush()
    assert tallied(session) == counted(session) != before
    nested.rollback()
    assert tallied(session) == counted(session) == before


@pytest.mark.postgres_only
@pytest.mark.committed
def test_compaction_beside_an_open_writer_loses_and_doubles_nothing(app):
    """A writer's rows not yet committed when another transaction compacts stay as they
    are, and count once the writer commits (PostgreSQL: concurrent transactions)."""
    program = make_program()
    ws = make_workstream(program)
    for _ in range(3):
        make_item(workstream_id=ws.id, status="open")
    db.session.commit()
    with db.engine.connect() as writer:
        insert_raw_item(writer, "Late", "done", workstream_id=ws.id)  # open, not committed
        assert tally.compact(db.session) == 3
        db.session.commit()
        writer.commit()
    db.session.expire_all()
    assert tallied(db.session) == counted(db.session) == {(ws.id, "open"): 3, (ws.id, "done"): 1}
    assert tally.compact(db.session) == 2  # the folded row and the writer's, nothing else
    db.session.commit()


def test_the_scheduled_job_compacts(app):
    program = make_program()
    ws = make_workstream(program)
    for status in ("open", "open", "done"):
        make_item(workstream_id=ws.id, status=status)
    db.session.commit()
    assert tally.compact_job(app) == 3
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(ItemTally)) == 2
    assert tallied(db.session) == {(ws.id, "open"): 2, (ws.id, "done"): 1}


@pytest.mark.committed
def test_migration_fills_the_tally_and_its_triggers_keep_it(app):
    _empty(app)
    upgrade(revision="0010")
    with db.engine.begin() as conn:
        for title, status in (("a", "open"), ("b", "open"), ("c", "done")):
            insert_raw_item(conn, title, status)
    upgrade()
    with db.engine.begin() as conn:
        insert_raw_item(conn, "d", "done")
        assert dict(((s, n) for _, s, n in conn.execute(tally.by_workstream_status()))) == {
            "open": 2, "done": 2}
    downgrade(revision="0010")
    with db.engine.begin() as conn:
        insert_raw_item(conn, "e", "done")  # no trigger left behind
    _empty(app)
    db.create_all()  # leave the schema as the other tests expect it
