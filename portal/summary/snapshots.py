"""Daily snapshots of the readiness figures: the trend charts and the as-of view read them.

`take_snapshot` writes one row per scope per day ("program" and "workstream:<id>") and
overwrites that day's rows when run again, so it is idempotent per day. For today it
uses the live aggregate queries; for a past day, the figures rebuilt from the audit log.
`backfill` fills the days that have no snapshot yet from the audit log, which gives a
fresh install with imported history a real trend.
"""
from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from functools import cache

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session

from portal.actions import tally
from portal.actions.models import ActionItem
from portal.program.queries import current_program
from portal.program.readiness import (
    HealthRule,
    WorkstreamFigures,
    program_readiness,
    workstream_figures,
)
from portal.summary.history import History, item_totals
from portal.summary.models import Snapshot
from portal.vocab import OPEN_STATUSES

BACKFILL_MAX_DAYS = 366


def live_item_totals(session: Session, today: date) -> dict[str, int]:
    """Open, overdue and done items of the program now, in one statement: open and done
    from the tally the triggers keep, overdue a count over one range of the index on
    status and due date."""
    open_, overdue, done = session.execute(_live_totals_statement(), {"today": today}).one()
    return {"open": open_, "overdue": overdue, "done": done}


@cache
def _live_totals_statement():
    overdue = (select(func.count()).select_from(ActionItem)
               .where(ActionItem.status.in_(OPEN_STATUSES),
                      ActionItem.due_date < bindparam("today")).scalar_subquery())
    return select(tally.count_in(OPEN_STATUSES), overdue, tally.count_in(("done",)))


def figures_to_json(figures: list[WorkstreamFigures]) -> list[dict]:
    return [asdict(f) for f in figures]


def figures_from_json(rows: list[dict] | None
                      ) -> tuple[list[WorkstreamFigures], HealthRule] | None:
    """A snapshot's figures and the health rule they were taken under; None for a snapshot
    without them or taken before the health rule (no late counts: rebuild the day instead)."""
    if rows is None or any("items_late" not in row or "rule" not in row for row in rows):
        return None
    fields = WorkstreamFigures.__dataclass_fields__
    figures = [WorkstreamFigures(**{k: v for k, v in row.items() if k in fields and k != "rule"},
                                 rule=HealthRule.from_json(row["rule"]))
               for row in rows]
    rule = figures[0].rule if figures else None
    return figures, rule


def _rows_for(day: date, figures: list[WorkstreamFigures], totals: dict[str, int]) -> list[dict]:
    overall = program_readiness(figures)
    rows = [{
        "taken_on": day, "scope": "program", "workstream_id": None,
        "readiness": overall.score, "rag": overall.rag,
        "open_items": totals["open"], "overdue_items": totals["overdue"],
        "done_items": totals["done"],
        "figures": {"reason": overall.reason, "workstreams": figures_to_json(figures)},
    }]
    for f in figures:
        rows.append({
            "taken_on": day, "scope": f"workstream:{f.workstream_id}",
            "workstream_id": f.workstream_id, "readiness": f.readiness, "rag": f.effective_rag,
            "open_items": f.items_open, "overdue_items": f.items_overdue,
            "done_items": f.items_done, "figures": asdict(f),
        })
    return rows


def _write(session: Session, day: date, rows: list[dict]) -> None:
    """Replaces the day's rows: delete and insert in the caller's transaction."""
    session.execute(delete(Snapshot).where(Snapshot.taken_on == day))
    session.add_all(Snapshot(**row) for row in rows)
    session.flush()


def take_snapshot(session: Session, day: date, today: date | None = None) -> int:
    """Snapshot the program's figures for `day` (live when `day` is today); returns rows.

    Running it again on the same day replaces that day's rows. The caller commits.
    """
    program = current_program(session)
    if program is None:
        return 0
    today = today or day
    if day >= today:
        figures = workstream_figures(session, program.id, day, rule=HealthRule.of(program))
        totals = live_item_totals(session, day)
    else:
        history = History.load(session, program.id)
        items = history.items_on(day)
        figures = history.figures_on(day, items)
        totals = item_totals(items, day)
    rows = _rows_for(day, figures, totals)
    _write(session, day, rows)
    return len(rows)


def backfill(session: Session, today: date, *, start: date | None = None,
             end: date | None = None, overwrite: bool = False) -> list[date]:
    """Rebuild the snapshots of past days from the audit log; returns the days written.

    Days from `start` (default: the first day the data knows, at most a year back) to
    `end` (default: yesterday). Days that already have a snapshot are kept unless
    `overwrite`. The caller commits.
    """
    program = current_program(session)
    if program is None:
        return []
    history = History.load(session, program.id)
    end = min(end or today - timedelta(days=1), today - timedelta(days=1))
    start = start or history.first_day or end
    start = max(start, end - timedelta(days=BACKFILL_MAX_DAYS - 1))
    taken = set(session.scalars(
        select(Snapshot.taken_on).where(Snapshot.scope == "program",
                                        Snapshot.taken_on.between(start, end))
    ))
    written = []
    day = start
    while day <= end:
        if overwrite or day not in taken:
            items = history.items_on(day)
            _write(session, day, _rows_for(day, history.figures_on(day, items),
                                           item_totals(items, day)))
            written.append(day)
        day += timedelta(days=1)
    return written


# Built once: the summary reads it on every view.
_PROGRAM_SERIES = (select(Snapshot)
                   .where(Snapshot.scope == "program",
                          Snapshot.taken_on.between(bindparam("start"), bindparam("end")))
                   .order_by(Snapshot.taken_on))


def program_series(session: Session, start: date, end: date) -> list[Snapshot]:
    """The program's daily snapshots between two days, oldest first (one query)."""
    return list(session.scalars(_PROGRAM_SERIES, {"start": start, "end": end}))



def program_snapshot(session: Session, day: date) -> Snapshot | None:
    return session.scalar(
        select(Snapshot).where(Snapshot.scope == "program", Snapshot.taken_on == day)
    )
