"""When will the open items be done? A Monte Carlo forecast from the team's own pace.

The history is the last weeks' working days, each with the number of items done and the
number of items added (scope keeps arriving; a forecast that ignores it is optimistic).
Each of `RUNS` simulated futures draws whole days from that history, with replacement
(the done and the added of one day together), and works down the remaining items, new
arrivals included, until none is left; each future first resamples the window itself,
since the window is only a sample of the team's pace. The dates by
which 50, 85 and 95 % of the futures are done, and the share done by the readiness
date, are the forecast. A program's gating work is done when its last gating workstream
is: each of its futures finishes on the latest day of its workstreams' futures of the same
index, and not before the whole work at the team's pace (`last_of`).

Honest when data is thin: with fewer than `MIN_DONE` items done in the window, or a
window shorter than `MIN_WINDOW_DAYS` calendar days, there is no number. When items
arrived at least as fast as they were done, the work does not finish at this pace, and
the forecast says so instead of giving a date; a percentile that falls among futures
that never finish (within ten years) has no date either.

Plain values in, plain values out: no request, no database. The seed comes from the
caller (the program and the day), so a page shows the same forecast all day.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np

RUNS = 10_000
MIN_DONE = 10
MIN_WINDOW_DAYS = 14
# A future still unfinished after this many working days (ten years) does not finish.
HORIZON_DAYS = 2_600
NEVER = HORIZON_DAYS + 1  # the finish day of a future that does not finish
BLOCK_DAYS = 64
PERCENTILES = (50, 85, 95)

HISTORY = "history"
THIN = "not enough history"


@dataclass(frozen=True)
class DayCounts:
    """One working day of the window: items done and items added that day."""

    day: date
    done: int
    added: int


@dataclass(frozen=True)
class Forecast:
    """The forecast of one set of open items (a program's gating work, or a workstream's)."""

    basis: str                    # HISTORY or THIN
    remaining: int
    window_days: int              # calendar days the history covers
    done_per_week: float
    added_per_week: float
    finishes: bool = True         # False: items arrive at least as fast as they are done
    p50: date | None = None
    p85: date | None = None
    p95: date | None = None
    probability_ready: float | None = None  # share of futures done by the readiness date

    @property
    def has_dates(self) -> bool:
        return self.p85 is not None

    def as_json(self) -> dict:
        def iso(value):
            return value.isoformat() if value else None

        return {
            "basis": self.basis, "remaining": self.remaining,
            "window_days": self.window_days,
            "done_per_week": round(self.done_per_week, 1),
            "added_per_week": round(self.added_per_week, 1),
            "finishes": self.finishes, "p50_date": iso(self.p50), "p85_date": iso(self.p85),
            "p95_date": iso(self.p95),
            "probability_ready": (round(self.probability_ready, 3)
                                  if self.probability_ready is not None else None),
        }


def is_working_day(day: date) -> bool:
    """The program's calendar: Monday to Friday."""
    return day.weekday() < 5


def working_days_after(start: date, count: int) -> date:
    """The `count`-th working day after `start` (0: `start` itself)."""
    day = start
    while count > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def _per_week(values: np.ndarray) -> float:
    return float(values.mean() * 5) if len(values) else 0.0


def forecast(history: list[DayCounts], remaining: int, today: date, ready_by: date | None,
             seed: int, runs: int = RUNS) -> Forecast:
    """The forecast for `remaining` open items from `history` (working days, oldest
    first), counted in working days after `today`."""
    return futures(history, remaining, today, ready_by, seed, runs)[0]


def futures(history: list[DayCounts], remaining: int, today: date, ready_by: date | None,
            seed: int, runs: int = RUNS) -> tuple[Forecast, np.ndarray | None]:
    """`forecast`, and the working day each simulated future finishes on (NEVER for one that
    does not within the horizon); None where nothing was simulated (thin history, nothing
    left, or a pace that does not finish)."""
    days = [h for h in history if is_working_day(h.day)]
    done = np.array([h.done for h in days], dtype=np.int64)
    added = np.array([h.added for h in days], dtype=np.int64)
    window = (history[-1].day - history[0].day).days + 1 if history else 0
    base = {"remaining": remaining, "window_days": window,
            "done_per_week": _per_week(done), "added_per_week": _per_week(added)}
    if window < MIN_WINDOW_DAYS or int(done.sum()) < MIN_DONE:
        return Forecast(basis=THIN, **base), None
    if remaining <= 0:
        return Forecast(basis=HISTORY, p50=today, p85=today, p95=today,
                        probability_ready=1.0 if ready_by is None or today <= ready_by
                        else 0.0, **base), None
    if int(added.sum()) >= int(done.sum()):
        return _never(Forecast(basis=HISTORY, **base), ready_by), None
    finish = _simulate(done - added, remaining, seed, runs)
    return Forecast(basis=HISTORY, **base, **_read(finish, today, ready_by)), finish


def last_of(program: tuple[Forecast, np.ndarray | None],
            parts: list[tuple[Forecast, np.ndarray | None]], today: date,
            ready_by: date | None) -> Forecast:
    """The program's forecast from its own (`futures` of all its gating work at the team's
    pace) and its gating workstreams' (`parts`): the work is ready when the last
    workstream is, so each future finishes on the latest of its day in the program's
    simulation and in each workstream's. The program is then never forecast sooner, or
    likelier to be ready, than one of its workstreams. A workstream whose items arrive as
    fast as they are done holds it up for good; one with too little history of its own
    counts through the program's pace alone."""
    result, finish = program
    if finish is None:
        return result
    for part, part_finish in parts:
        if part.basis == HISTORY and not part.finishes:
            return _never(result, ready_by)
        if part_finish is not None:
            finish = np.maximum(finish, part_finish)
    return replace(result, **_read(finish, today, ready_by))


def _never(result: Forecast, ready_by: date | None) -> Forecast:
    return replace(result, finishes=False, p50=None, p85=None, p95=None,
                   probability_ready=0.0 if ready_by is not None else None)


def _read(finish: np.ndarray, today: date, ready_by: date | None) -> dict:
    """The dates by which 50, 85 and 95 % of the futures finish (None for a percentile
    among the futures that never do), and the share finished by `ready_by`."""
    ranked = np.sort(finish)
    dates = {}
    for p in PERCENTILES:
        rank = int(ranked[_rank(p, len(ranked))])
        dates[p] = working_days_after(today, rank) if rank < NEVER else None
    probability = None
    if ready_by is not None:
        budget = _working_days_between(today, ready_by)
        probability = float(np.mean((finish < NEVER) & (finish <= budget)))
    return {"p50": dates[50], "p85": dates[85], "p95": dates[95],
            "probability_ready": probability}


def _rank(percent: int, count: int) -> int:
    """The index of the `percent`-th percentile in a sorted list of `count` (nearest rank)."""
    return max(0, min(count - 1, int(np.ceil(percent / 100 * count)) - 1))


def _working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (negative when `end` is past)."""
    if end < start:
        return -1
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def _simulate(net: np.ndarray, remaining: int, seed: int, runs: int) -> np.ndarray:
    """For each future, the working day (1 = the next) on which the remaining work reaches
    zero, or NEVER within the horizon.

    Each future first resamples the window itself (a bootstrap of the history), then
    draws its days from that resample: the window is a sample of the team's pace too, and
    a forecast that trusted it exactly would be too sure of itself. Days are drawn in
    blocks for the futures still running, so a short forecast costs a short simulation."""
    rng = np.random.default_rng(seed)
    size = len(net)
    resampled = net.astype(np.int32)[rng.integers(0, size, size=(runs, size))]
    left = np.full(runs, remaining, dtype=np.int64)
    finish = np.full(runs, NEVER, dtype=np.int64)
    running = np.arange(runs)
    elapsed = 0
    while len(running) and elapsed < HORIZON_DAYS:
        picks = rng.integers(0, size, size=(len(running), BLOCK_DAYS), dtype=np.int32)
        progress = np.cumsum(np.take_along_axis(resampled[running], picks, axis=1), axis=1,
                             dtype=np.int64)
        reached = progress >= left[running, None]
        done_now = reached.any(axis=1)
        finish[running[done_now]] = elapsed + reached.argmax(axis=1)[done_now] + 1
        left[running] -= progress[:, -1]
        running = running[~done_now]
        elapsed += BLOCK_DAYS
    return finish
