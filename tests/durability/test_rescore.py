"""Re-scoring an edited timeline makes only what changed; --fresh makes everything again."""

from __future__ import annotations

from pathlib import Path

import grpc
import opentimelineio as otio

from cuebridge.app.host import start_server
from cuebridge.v1 import bridge_pb2 as bpb
from cuebridge.v1 import bridge_pb2_grpc as bpb_grpc
from cuebridge.v1 import engine_pb2 as pb
from tests.integration.helpers import run_score


def _attempts(server, job_segments) -> int:
    return sum(1 for r in job_segments if not r.reused)


def _move_cut(src, dst, clip_index: int, frames: int) -> None:
    """Trim one shot and lengthen the next by `frames`: the cut between them moves."""
    timeline = otio.adapters.read_from_file(str(src))
    clips = list(timeline.video_tracks()[0].find_clips())
    a, b = clips[clip_index], clips[clip_index + 1]
    ra, rb = a.source_range, b.source_range
    a.source_range = otio.opentime.TimeRange(ra.start_time, ra.duration - _t(frames, ra))
    b.source_range = otio.opentime.TimeRange(
        rb.start_time - _t(frames, rb), rb.duration + _t(frames, rb)
    )
    otio.adapters.write_to_file(timeline, str(dst))


def _t(frames, rng):
    return otio.opentime.RationalTime(frames, rng.duration.rate)


def test_moving_one_cut_regenerates_only_its_cue(demo24, stub, tmp_path):
    out = tmp_path / "scored.otio"
    request = bpb.ScoreRequest(timeline_path=str(demo24.timeline_path), output_path=str(out))
    first, _ = run_score(stub, request)
    assert first.state == pb.JOB_STATE_SUCCEEDED, first.message
    assert not any(p.reused for p in first.result.placements)
    wav = {p.segment_id: open(p.cue.audio_path, "rb").read() for p in first.result.placements}

    # The cut between shots 4 and 5 (inside the second marker) moves 12 frames earlier.
    recut = tmp_path / "recut.otio"
    _move_cut(demo24.timeline_path, recut, 3, 12)
    again = bpb.ScoreRequest(timeline_path=str(recut), output_path=str(out), force=True)
    second, _ = run_score(stub, again)
    assert second.state == pb.JOB_STATE_SUCCEEDED, second.message
    assert [p.reused for p in second.result.placements] == [True, False, True]
    assert "2 unchanged, reused" in second.message
    for p in second.result.placements:
        same = open(p.cue.audio_path, "rb").read() == wav[p.segment_id]
        assert same == p.reused

    # --fresh makes every cue again.
    third, _ = run_score(
        stub,
        bpb.ScoreRequest(timeline_path=str(recut), output_path=str(out), force=True, fresh=True),
    )
    assert not any(p.reused for p in third.result.placements)


def test_a_damaged_cached_cue_is_caught_by_its_checksum_and_made_again(demo24, stub, tmp_path):
    out = tmp_path / "a.otio"
    first, _ = run_score(
        stub, bpb.ScoreRequest(timeline_path=str(demo24.timeline_path), output_path=str(out))
    )
    damaged = first.result.placements[1].cue.audio_path
    with open(damaged, "r+b") as fh:  # flip bytes in the middle of the audio
        fh.seek(100_000)
        fh.write(b"\xff" * 64)
    second, _ = run_score(
        stub,
        bpb.ScoreRequest(
            timeline_path=str(demo24.timeline_path), output_path=str(tmp_path / "b.otio")
        ),
    )
    assert [p.reused for p in second.result.placements] == [True, False, True]
    assert second.state == pb.JOB_STATE_SUCCEEDED


def test_old_finished_jobs_and_vanished_cues_are_forgotten(demo24, tmp_path):
    import sqlite3

    from cuebridge.engine.states import FINAL_JOB_STATES
    from cuebridge.engine.store import JobStore

    state = tmp_path / "state"
    running = start_server("127.0.0.1", 0, state_dir=state)
    try:
        with grpc.insecure_channel(running.address) as channel:
            job, _ = run_score(
                bpb_grpc.BridgeStub(channel),
                bpb.ScoreRequest(
                    timeline_path=str(demo24.timeline_path), output_path=str(tmp_path / "a.otio")
                ),
            )
    finally:
        running.stop(0)
    cues = [p.cue.audio_path for p in job.result.placements]
    db = state / "engine.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE jobs SET updated = updated - 40 * 86400")
    Path(cues[0]).unlink()  # the editor deleted one cue file
    store = JobStore(db)
    assert store.prune(30, FINAL_JOB_STATES) == (1, 1)
    assert store.prune(30, FINAL_JOB_STATES) == (0, 0)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM segments").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM cues").fetchone()[0] == len(cues) - 1
    assert all(Path(c).exists() for c in cues[1:])  # cue files are never deleted
    store.close()
