"""The forecast of the ready date (portal/summary/forecast.py) on hand-made histories, and
its calibration on synthetic programs whose real pace is known."""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from portal.summary.forecast import (
    HISTORY,
    THIN,
    DayCounts,
    forecast,
    futures,
    is_working_day,
    last_of,
    working_days_after,
)

TODAY = date(2026, 12, 1)  # a Tuesday


def history(done: list[int], added: list[int] | None = None, end: date = TODAY):
    """Working days ending the day before `end`, oldest first."""
    added = added or [0] * len(done)
    days, day = [], end
    while len(days) < len(done):
        day -= timedelta(days=1)
        if is_working_day(day):
            days.append(day)
    days.reverse()
    return [DayCounts(d, n, a) for d, n, a in zip(days, done, added, strict=True)]


def test_a_constant_pace_with_no_arrivals_gives_the_exact_date():
    result = forecast(history([2] * 30), remaining=20, today=TODAY, ready_by=date(2027, 1, 1),
                      seed=1)
    expected = working_days_after(TODAY, 10)
    assert result.basis == HISTORY and result.finishes
    assert (result.p50, result.p85, result.p95) == (expected, expected, expected)
    assert expected == date(2026, 12, 15)
    assert result.probability_ready == 1.0
    assert result.done_per_week == 10.0 and result.added_per_week == 0.0
    late = forecast(history([2] * 30), remaining=20, today=TODAY, ready_by=date(2026, 12, 14),
                    seed=1)
    assert late.probability_ready == 0.0


def test_arrivals_faster_than_completions_do_not_finish():
    result = forecast(history([1, 2, 1, 2] * 8, [2, 3, 2, 2] * 8), remaining=12, today=TODAY,
                      ready_by=date(2027, 3, 1), seed=3)
    assert result.basis == HISTORY and not result.finishes
    assert result.p85 is None and result.probability_ready == 0.0


def test_thin_history_gives_no_number():
    few_done = forecast(history([0, 1, 0, 0] * 5), remaining=5, today=TODAY,
                        ready_by=None, seed=1)
    short = forecast(history([5] * 8), remaining=5, today=TODAY, ready_by=None, seed=1)
    none = forecast([], remaining=5, today=TODAY, ready_by=None, seed=1)
    for result in (few_done, short, none):
        assert result.basis == THIN and result.p50 is None and result.probability_ready is None
    assert short.window_days < 14


def test_the_same_seed_gives_the_same_forecast_and_nothing_left_is_done_today():
    past = history([0, 1, 3, 2, 0, 4, 1] * 6, [1, 0, 1, 0, 0, 2, 0] * 6)
    first = forecast(past, 40, TODAY, date(2027, 2, 1), seed=42)
    assert first == forecast(past, 40, TODAY, date(2027, 2, 1), seed=42)
    assert first.p50 <= first.p85 <= first.p95
    assert 0 < first.probability_ready < 1
    done = forecast(past, 0, TODAY, date(2027, 2, 1), seed=42)
    assert done.p95 == TODAY and done.probability_ready == 1.0


def test_the_program_is_ready_when_its_last_workstream_is():
    """Pooled, a fast and a slow workstream look done in a week; the slow one alone needs
    four. The program's forecast follows the slow one, never sooner or likelier."""
    ready_by = date(2026, 12, 22)
    fast = [5, 4, 6, 5, 5] * 6
    slow = [1, 1, 0, 2, 1] * 6
    parts = [futures(history(fast), 20, TODAY, ready_by, seed=7),
             futures(history(slow), 20, TODAY, ready_by, seed=7)]
    pooled = futures(history([a + b for a, b in zip(fast, slow, strict=True)]), 40, TODAY,
                     ready_by, seed=7)
    assert pooled[0].p85 < ready_by and pooled[0].probability_ready > 0.9  # optimistic
    program = last_of(pooled, parts, TODAY, ready_by)
    assert program.basis == HISTORY and program.remaining == 40
    for part, _ in parts:
        assert program.p50 >= part.p50 and program.p85 >= part.p85
        assert program.probability_ready <= part.probability_ready
    assert program.p85 > ready_by and program.probability_ready < 0.2
    assert program.p85 >= working_days_after(TODAY, 16)  # 20 items at about one a day


def test_a_workstream_that_does_not_finish_holds_the_program_up():
    ready_by = date(2027, 3, 1)
    ahead = futures(history([3] * 30), 10, TODAY, ready_by, seed=1)
    behind = futures(history([1, 2] * 15, [2, 2] * 15), 10, TODAY, ready_by, seed=1)
    thin = futures(history([0] * 30), 10, TODAY, ready_by, seed=1)
    assert not behind[0].finishes and thin[0].basis == THIN
    pooled = futures(history([4, 5] * 15, [2, 2] * 15), 30, TODAY, ready_by, seed=1)
    held = last_of(pooled, [ahead, behind, thin], TODAY, ready_by)
    assert not held.finishes and held.p85 is None and held.probability_ready == 0.0
    # a workstream with too little history of its own counts through the pooled pace
    assert last_of(pooled, [ahead, thin], TODAY, ready_by).p85 == max(
        pooled[0].p85, ahead[0].p85)


def test_calibration_on_synthetic_programs():
    """Daily completions and arrivals drawn from known distributions: the 85 % date is on
    or after the real finish in at least 80 % of programs, the 50 % date in 40-60 %."""
    rng = np.random.default_rng(2026)
    covered85 = covered50 = 0
    programs = 200
    for n in range(programs):
        done_rate = rng.uniform(1.0, 6.0)
        added_rate = done_rate * rng.uniform(0.0, 0.6)
        remaining = int(rng.integers(20, 200))
        past = history(list(rng.poisson(done_rate, 40)), list(rng.poisson(added_rate, 40)))
        result = forecast(past, remaining, TODAY, None, seed=n)
        if not result.has_dates:
            continue
        left, day = remaining, 0  # the real future, drawn from the true distributions
        while left > 0:
            day += 1
            left -= int(rng.poisson(done_rate)) - int(rng.poisson(added_rate))
        real = working_days_after(TODAY, day)
        covered85 += real <= result.p85
        covered50 += real <= result.p50
    assert covered85 >= 0.80 * programs, covered85
    assert 0.40 * programs <= covered50 <= 0.60 * programs, covered50


@pytest.mark.parametrize("start,count,expected", [
    (date(2026, 12, 4), 1, date(2026, 12, 7)),  # Friday + 1 working day = Monday
    (date(2026, 12, 5), 0, date(2026, 12, 5)),
    (date(2026, 12, 1), 5, date(2026, 12, 8)),
])
def test_working_days(start, count, expected):
    assert working_days_after(start, count) == expected
