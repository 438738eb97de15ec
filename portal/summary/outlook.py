"""The forecast of a program as the pages, the JSON and the digest show it: the program's
gating work and each gating workstream, and the workstreams that push the 85 % date past
the readiness date. The program is ready when its last gating workstream is, so its
forecast is never sooner than one of theirs.

Computed once per program, day and data version (and kept in the process), so a page, its
JSON and the digest of one day read the same numbers, and none pays the simulation twice.
The seed is the program and the day: the forecast does not flicker between requests.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from sqlalchemy.orm import Session

from portal.pagecache import current_version
from portal.program.models import Program
from portal.summary.forecast import Forecast, futures, last_of
from portal.summary.pace import PROGRAM, pace

KEPT = 64


@dataclass(frozen=True)
class WorkstreamOutlook:
    workstream_id: int
    name: str
    forecast: Forecast

    def late_for(self, ready_by: date) -> bool:
        """Its 85 % date falls after the readiness date (or it does not finish)."""
        result = self.forecast
        if not result.finishes:
            return True
        return result.p85 is not None and result.p85 > ready_by


@dataclass(frozen=True)
class Outlook:
    """The program's forecast and its gating workstreams', as of `day`."""

    day: date
    ready_by: date
    program: Forecast
    workstreams: list[WorkstreamOutlook] = field(default_factory=list)

    def of(self, workstream_id: int) -> Forecast | None:
        return next((w.forecast for w in self.workstreams if w.workstream_id == workstream_id),
                    None)

    @property
    def holding_up(self) -> list[WorkstreamOutlook]:
        """The gating workstreams whose 85 % date falls after the readiness date, latest
        first: the ones the date hangs on."""
        late = [w for w in self.workstreams if w.late_for(self.ready_by)]
        return sorted(late, key=lambda w: (w.forecast.p85 is not None,
                                           w.forecast.p85 or date.max), reverse=True)

    def as_json(self) -> dict:
        return self.program.as_json() | {"workstreams": [
            {"id": w.workstream_id, "name": w.name, **w.forecast.as_json(),
             "late": w.late_for(self.ready_by)} for w in self.workstreams]}


def seed_for(program_id: int, day: date) -> int:
    """The same futures all day for one program; other ones tomorrow."""
    return program_id * 1_000_003 + day.toordinal()


_lock = threading.Lock()


def _kept() -> OrderedDict[tuple, Outlook]:
    """The outlooks this application keeps (per app: tests and instances never share)."""
    return current_app.extensions.setdefault("outlooks", OrderedDict())


def outlook(session: Session, program: Program, day: date, window_weeks: int) -> Outlook:
    """The forecast as of `day` from the `window_weeks` before it, computed once per program,
    day, window and data version."""
    key = (program.id, day, window_weeks, current_version(session))
    kept = _kept()
    with _lock:
        if key in kept:
            kept.move_to_end(key)
            return kept[key]
    result = _compute(session, program, day, window_weeks)
    with _lock:
        kept[key] = result
        while len(kept) > KEPT:
            kept.popitem(last=False)
    return result


def _compute(session: Session, program: Program, day: date, window_weeks: int) -> Outlook:
    """Each gating workstream's futures, and the program's: the latest of its own (all the
    gating work at the team's pace) and its workstreams' (`forecast.last_of`)."""
    paces = pace(session, program.id, day, window_weeks)
    seed = seed_for(program.id, day)
    ready_by = program.target_date
    names = {w.id: w.name for w in program.workstreams}
    simulated = {ws_id: futures(history, remaining, day, ready_by, seed)
                 for ws_id, (history, remaining) in paces.items()
                 if ws_id is not PROGRAM and ws_id in names}
    order = {w.id: w.position for w in program.workstreams}
    workstreams = sorted((WorkstreamOutlook(ws_id, names[ws_id], result)
                          for ws_id, (result, _) in simulated.items()),
                         key=lambda w: order.get(w.workstream_id, 0))
    history, remaining = paces.get(PROGRAM, ([], 0))
    whole = last_of(futures(history, remaining, day, ready_by, seed),
                    list(simulated.values()), day, ready_by)
    return Outlook(day=day, ready_by=ready_by, program=whole, workstreams=workstreams)

