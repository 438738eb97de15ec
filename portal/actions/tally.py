"""Reading and compacting `item_tally`, the items counted by workstream and status that
triggers keep in step with every write (portal/actions/models.py)."""
from __future__ import annotations

import logging
from collections import Counter

from flask import Flask
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from portal.actions.models import ItemTally
from portal.extensions import db

log = logging.getLogger(__name__)


def by_workstream_status():
    """A select of (workstream_id, status, count) per key: the sums of the tally's rows."""
    return (select(ItemTally.workstream_id, ItemTally.status, func.sum(ItemTally.n))
            .group_by(ItemTally.workstream_id, ItemTally.status))


def count_in(statuses) -> object:
    """A scalar subquery: how many items have one of `statuses`, from the tally."""
    return (select(func.coalesce(func.sum(ItemTally.n), 0))
            .where(ItemTally.status.in_(statuses)).scalar_subquery())


def compact(session: Session) -> int:
    """Fold the tally's rows into one per workstream and status (their sum; none for a
    sum of 0), in the caller's transaction; returns the rows it read. The rows are taken
    with one DELETE … RETURNING, so rows other transactions add meanwhile are neither lost
    nor counted twice: they stay as they are until the next run."""
    rows = session.execute(delete(ItemTally).returning(
        ItemTally.workstream_id, ItemTally.status, ItemTally.n)).all()
    sums: Counter = Counter()
    for workstream_id, status, n in rows:
        sums[workstream_id, status] += n
    kept = [{"workstream_id": workstream_id, "status": status, "n": n}
            for (workstream_id, status), n in sums.items() if n]
    if kept:
        session.execute(insert(ItemTally), kept)
    return len(rows)



def compact_job(app: Flask) -> int:
    """The scheduled compaction (`JOBS`): the tally's rows folded, in a transaction of its
    own; returns the rows it read."""
    with app.app_context():
        try:
            read = compact(db.session)
            db.session.commit()
        finally:
            db.session.remove()
        log.info("item tally compacted: %d rows read", read)
        return read
