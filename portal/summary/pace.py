"""The team's pace as the forecast reads it: per working day of a window, the items of the
gating workstreams added and closed, and how many were open at the end; for the program
and for each gating workstream. Four statements, whatever the number of items.

An item is added on its created date (from its note, else the day it reached the portal)
and closed on its done or cancelled date: a cancelled item leaves the work as surely as a
done one. "As of" a past day reads only what had happened by then.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import Date, case, func, or_, select
from sqlalchemy.orm import Session

from portal.actions.models import ActionItem
from portal.program.models import Workstream
from portal.summary.forecast import DayCounts, is_working_day

DEFAULT_WINDOW_WEEKS = 8
PROGRAM = None  # the key of the program's total in the result


def _added_day():
    return func.coalesce(ActionItem.created_date, func.date(ActionItem.created_at, type_=Date))


def _closed_day():
    return case((ActionItem.status == "done", ActionItem.done_date),
                (ActionItem.status == "cancelled", ActionItem.cancelled_date), else_=None)


def _working_day(when: date, last: date) -> date:
    """The working day a day's work counts on: weekends count on the Monday after (or on
    the Friday before, at the window's end), so no work done on a Saturday is lost."""
    counted = when
    while not is_working_day(counted):
        counted += timedelta(days=1)
    if counted > last:
        counted = when
        while not is_working_day(counted):
            counted -= timedelta(days=1)
    return counted


def pace(session: Session, program_id: int, day: date,
         window_weeks: int = DEFAULT_WINDOW_WEEKS
         ) -> dict[int | None, tuple[list[DayCounts], int]]:
    """(history of working days up to `day`, open items at `day`) for the program's
    gating work (key None) and for each gating workstream (key: its id). The window is
    `window_weeks` long, or shorter while the items are younger. Workstreams archived by
    `day` are left out."""
    gating = select(Workstream.id).where(
        Workstream.program_id == program_id, Workstream.gating.is_(True),
        or_(Workstream.archived_at.is_(None), func.date(Workstream.archived_at, type_=Date) > day))
    in_scope = ActionItem.workstream_id.in_(gating.scalar_subquery())
    added, closed = _added_day(), _closed_day()
    # A young program's window starts the day after its first items arrived: those are
    # the backlog it started with, not the pace at which work arrives.
    first = session.scalar(select(func.min(added)).where(in_scope))
    start = day - timedelta(weeks=window_weeks) + timedelta(days=1)
    if first is not None and first >= start:
        start = min(first + timedelta(days=1), day)
    counts: dict[str, dict] = {"added": defaultdict(int), "closed": defaultdict(int)}
    for kind, column in (("added", added), ("closed", closed)):
        rows = session.execute(
            select(ActionItem.workstream_id, column, func.count())
            .where(in_scope, column >= start, column <= day)
            .group_by(ActionItem.workstream_id, column)).all()
        for workstream_id, when, count in rows:
            counted = _working_day(when, day)
            counts[kind][(workstream_id, counted)] += count
            counts[kind][(PROGRAM, counted)] += count
    open_rows = session.execute(
        select(ActionItem.workstream_id, func.count())
        .where(in_scope, added <= day, or_(closed.is_(None), closed > day))
        .group_by(ActionItem.workstream_id)).all()
    remaining = {PROGRAM: sum(count for _, count in open_rows)}
    remaining.update(dict(open_rows))
    keys = {PROGRAM} | {ws for ws, _ in counts["added"]} | {ws for ws, _ in counts["closed"]} \
        | set(remaining)
    days = [start + timedelta(days=n) for n in range((day - start).days + 1)]
    result = {}
    for key in keys:
        history = [DayCounts(d, counts["closed"].get((key, d), 0), counts["added"].get((key, d), 0))
                   for d in days if is_working_day(d)]
        result[key] = (history, remaining.get(key, 0))
    return result

