"""A short load run in the suite (the full 50 x 20 run is bench/load_server.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "load_server.py"


def test_concurrent_clients_are_all_answered_with_only_intended_backpressure():
    spec = importlib.util.spec_from_file_location("load_server", BENCH)
    load = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(load)
    report = load.run(clients=12, requests=4, seconds_per_cue=0.25, watchers=60, watched_cues=20)
    assert report["requests"] == report["expected"] == 48
    assert report["failures"] == 0
    assert report["watchers"]["failed"] == 0
    assert sum(report["watchers"].values()) == 60
