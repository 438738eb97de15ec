"""The forecast's cost at 20,000 action items (issue 21's target: under 50 ms of CPU).

Fills a fresh database with `seed_scale` (20,000 items, 50 workstreams, the history it
backdates), then times, as the summary pays for them on a page-cache miss:

- the history query (`summary.pace.pace`: one statement, every gating workstream);
- the simulations (`summary.forecast.forecast` for the program and each gating
  workstream, 10,000 futures each);
- both together (`summary.outlook._compute`, what one new data version costs once).

`seed_scale`'s scope grows faster than it is done, so its forecasts say "will not finish
at this pace" without simulating; the worst case, in which every forecast simulates, is
timed too: the same histories with each day's done and added swapped.

CPU time is the process's (`time.process_time`), wall time beside it; median of RUNS
after one warm-up. SQLite always; PostgreSQL too when BENCH_DATABASE_URL names a
database it may empty. Writes bench/results/<date>-forecast.md.

    .venv/bin/python bench/forecast.py
"""
from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ITEMS = int(os.environ.get("BENCH_ITEMS", "20000"))
RUNS = 5
TARGET_MS = 50


def timed(fn, runs: int = RUNS) -> tuple[float, float, object]:
    """Median CPU and wall milliseconds of `fn()` after one warm-up, and its last result."""
    result = fn()
    cpu, wall = [], []
    for _ in range(runs):
        c0, w0 = time.process_time(), time.perf_counter()
        result = fn()
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
    return statistics.median(cpu), statistics.median(wall), result


def measure(url: str) -> dict:
    from bench.inprocess import fresh_app
    from bench.scale import seed_scale
    from portal.extensions import db
    from portal.program.models import Program
    from portal.summary import outlook as outlook_module
    from portal.summary.forecast import DayCounts, forecast
    from portal.summary.outlook import seed_for
    from portal.summary.pace import PROGRAM, pace

    app = fresh_app(url)
    today = date.today()
    with app.app_context():
        seed_scale(db.session, action_items=ITEMS, today=today)
        db.session.commit()
        program = db.session.query(Program).one()
        weeks = app.config["PORTAL_FORECAST_WEEKS"]
        seed = seed_for(program.id, today)
        query_cpu, query_wall, paces = timed(lambda: pace(db.session, program.id, today, weeks))

        def simulations():
            return [forecast(history, remaining, today, program.target_date, seed)
                    for history, remaining in paces.values()]

        sim_cpu, sim_wall, forecasts = timed(simulations)
        swapped = {key: ([DayCounts(d.day, d.added, d.done) for d in history], remaining)
                   for key, (history, remaining) in paces.items()}

        def worst_case():
            return [forecast(history, remaining, today, program.target_date, seed)
                    for history, remaining in swapped.values()]

        worst_cpu, worst_wall, worst = timed(worst_case)
        program_history, program_remaining = swapped[PROGRAM]
        one_cpu, one_wall, _ = timed(lambda: forecast(program_history, program_remaining, today,
                                                      program.target_date, seed))
        all_cpu, all_wall, _ = timed(
            lambda: outlook_module._compute(db.session, program, today, weeks))
        history, remaining = paces.get(PROGRAM, ([], 0))
        db.engine.dispose()
    return {"workstreams": len(paces) - 1, "remaining": remaining, "days": len(history),
            "with_dates": sum(f.has_dates for f in forecasts),
            "worst_with_dates": sum(f.has_dates for f in worst),
            "worst": (worst_cpu, worst_wall), "one": (one_cpu, one_wall),
            "query": (query_cpu, query_wall), "simulations": (sim_cpu, sim_wall),
            "total": (all_cpu, all_wall)}


def main() -> None:
    urls = {"sqlite": f"sqlite:///{tempfile.mkdtemp()}/bench.db"}
    if os.environ.get("BENCH_DATABASE_URL"):
        urls["postgresql"] = os.environ["BENCH_DATABASE_URL"]
    lines = [f"# The forecast at {ITEMS:,} action items ({date.today().isoformat()})", "",
             f"`seed_scale` with {ITEMS:,} items and 50 workstreams; the summary's forecast "
             f"for the program and each gating workstream ({RUNS} runs after a warm-up, "
             f"median). Python {platform.python_version()}, {platform.machine()}, "
             f"{os.cpu_count()} cores (shared).", "",
             "| database | gating workstreams | open gating items | history days | "
             "forecasts with dates | history query CPU / wall | simulations CPU / wall | "
             "whole forecast CPU / wall | worst case: forecasts with dates | "
             "worst case: simulations CPU / wall | worst case: the program's alone CPU / wall |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, url in urls.items():
        r = measure(url)
        cells = " | ".join(f"{cpu:.0f} ms / {wall:.0f} ms"
                           for cpu, wall in (r["query"], r["simulations"], r["total"]))
        worst_cpu, worst_wall = r["worst"]
        lines.append(f"| {name} | {r['workstreams']} | {r['remaining']:,} | {r['days']} | "
                     f"{r['with_dates']} of {r['workstreams'] + 1} | {cells} | "
                     f"{r['worst_with_dates']} of {r['workstreams'] + 1} | "
                     f"{worst_cpu:.0f} ms / {worst_wall:.0f} ms | "
                     f"{r['one'][0]:.0f} ms / {r['one'][1]:.0f} ms |")
        print(lines[-1], flush=True)
    lines += ["", f"Target (issue 21): under {TARGET_MS} ms of CPU. The forecast is computed "
              "once per program, day, window and data version (`summary/outlook.py`), so a "
              "page pays this only when the data changed; the SQL statement count of the "
              "summary does not depend on the number of items "
              "(tests/web/test_summary_forecast.py counts them)."]
    out = ROOT / "bench" / "results" / f"{date.today().isoformat()}-forecast.md"
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
