"""gunicorn.conf.py's worker hook: the start-up heap is frozen out of the collector."""
from __future__ import annotations

import gc
import runpy
from pathlib import Path

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def test_a_new_worker_freezes_what_the_app_loaded(monkeypatch, tmp_path):
    # Set, so reading the settings makes no metrics directory of its own.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    settings = runpy.run_path(str(CONF))
    assert gc.get_freeze_count() == 0
    try:
        settings["post_worker_init"](worker=None)
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
