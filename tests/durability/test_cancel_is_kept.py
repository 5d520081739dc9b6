"""Issue 22 item 5: a job cancelled before it could end (the engine killed while the cue in
progress finishes) is never queued again when the engine resumes."""

from __future__ import annotations

import time

from cuebridge.engine.jobs import JobQueue
from cuebridge.engine.segment import GenerationOptions, Rate, Segment
from cuebridge.engine.states import JobState
from cuebridge.engine.store import JobStore
from tests.robustness.instant_model import instant_registry


def _segments(n: int) -> list[Segment]:
    return [Segment(id=f"s{i}", rate=Rate(24), duration_frames=24, seed=i) for i in range(n)]


def test_a_cancelled_job_is_not_resumed_after_the_engine_dies(tmp_path):
    db = tmp_path / "engine.sqlite3"
    first = JobQueue(instant_registry(seconds_per_cue=2.0), tmp_path / "cues", JobStore(db))
    job = first.submit(_segments(4), GenerationOptions(model="instant"), tmp_path / "out")
    deadline = time.monotonic() + 20
    while first.get(job.id).state != JobState.RUNNING and time.monotonic() < deadline:
        time.sleep(0.05)
    assert first.get(job.id).state == JobState.RUNNING
    first.cancel(job.id)
    # The engine dies now, while its cue in progress would still finish: a second engine on
    # the same store (as `serve --resume` after a kill -9) must not make the cues again.
    second = JobQueue(instant_registry(), tmp_path / "cues", JobStore(db))
    try:
        assert job.id not in second.resume()
    finally:
        second.close(0)
        first.close(0)
