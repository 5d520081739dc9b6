"""A real `cuebridge serve` process killed mid-batch (SIGKILL) or stopped (SIGTERM), then restarted.

Every cue ends up present once, no finished cue is made again (the store counts each start of a
segment), and no half-written file is left.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import grpc
import pytest

from cuebridge.bridge.security import authorized_channel
from cuebridge.v1 import engine_pb2 as pb
from cuebridge.v1 import engine_pb2_grpc as pb_grpc

SEGMENTS = 14
SECONDS = 20  # each cue takes a few tenths of a second: room to kill between cues


class Serve:
    """`cuebridge serve` in a child process with its own config and state folders."""

    def __init__(self, root: Path):
        self.root = root
        self.env = {
            **os.environ,
            "CUEBRIDGE_CONFIG_DIR": str(root / "config"),
            "CUEBRIDGE_DATA_DIR": str(root / "data"),
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cuebridge.app", "serve", "--port", "0", "--no-http"],
            env=self.env,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stderr.readline()
        match = re.search(r"serving on (\S+)", line)
        assert match, f"serve did not start: {line!r}"
        self.address = match.group(1)
        self.token = (root / "config" / "token").read_text().strip()

    def engine(self) -> tuple[grpc.Channel, pb_grpc.CueEngineStub]:
        channel = authorized_channel(self.address, self.token)
        return channel, pb_grpc.CueEngineStub(channel)

    def stop(self, sig: int) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=60)


def _job(out: Path) -> pb.SubmitJobRequest:
    segments = [
        pb.Segment(
            id=f"cue-{i:02d}",
            rate=pb.Rate(num=24, den=1),
            duration_frames=24 * SECONDS,
            cut_frames=[24 * 7],
            seed=i,
        )
        for i in range(SEGMENTS)
    ]
    return pb.SubmitJobRequest(segments=segments, output_dir=str(out))


def _wait_done(engine, job_id: str, at_least: int) -> int:
    for event in engine.WatchJob(pb.JobRef(job_id=job_id), timeout=120):
        if event.job.done >= at_least:
            return event.job.done
    raise AssertionError("the job ended before enough cues were done")


def _attempts(root: Path, job_id: str) -> list[int]:
    with sqlite3.connect(root / "data" / "engine.sqlite3") as db:
        return [
            a
            for (a,) in db.execute(
                "SELECT attempts FROM segments WHERE job_id=? ORDER BY idx", (job_id,)
            )
        ]


def _finish_after_restart(root: Path, job_id: str) -> pb.Job:
    server = Serve(root)
    try:
        channel, engine = server.engine()
        with channel:
            final = list(engine.WatchJob(pb.JobRef(job_id=job_id), timeout=180))[-1].job
    finally:
        server.stop(signal.SIGTERM)
    return final


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "term"])
def test_a_stopped_engine_resumes_its_batch_without_making_a_cue_twice(tmp_path, sig):
    out = tmp_path / "cues"
    server = Serve(tmp_path)
    channel, engine = server.engine()
    with channel:
        job = engine.SubmitJob(_job(out))
        done_before = _wait_done(engine, job.id, at_least=3)
        if sig == signal.SIGTERM:
            # The watcher is told the engine is stopping, not left hanging.
            watch = engine.WatchJob(pb.JobRef(job_id=job.id), timeout=60)
            next(watch)
            code = server.stop(sig)
            with pytest.raises(grpc.RpcError) as info:
                list(watch)
            assert info.value.code() == grpc.StatusCode.UNAVAILABLE
            assert code == 0
        else:
            server.stop(sig)
    stamps = {p.name: p.stat().st_mtime_ns for p in out.glob("*.wav")}
    finished = [i for i, a in enumerate(_attempts(tmp_path, job.id)) if a]
    assert len(stamps) >= done_before and len(finished) < SEGMENTS

    final = _finish_after_restart(tmp_path, job.id)
    assert final.state == pb.JOB_STATE_SUCCEEDED and final.done == SEGMENTS
    # Each cue present once, under its own name, nothing half-written.
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(f"cue-{i:02d}.{ext}" for i in range(SEGMENTS) for ext in ("mid", "wav"))
    # Finished cues were not made again: same files, and each segment started at most twice
    # (only the one in progress at the kill runs again).
    for name, stamp in stamps.items():
        assert (out / name).stat().st_mtime_ns == stamp, f"{name} was made again"
    attempts = _attempts(tmp_path, job.id)
    assert sum(a > 1 for a in attempts) <= 1 and all(a >= 1 for a in attempts)
    assert sum(attempts) <= SEGMENTS + 1
