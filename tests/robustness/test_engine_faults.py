"""Faults inside the engine: a failing store, a damaged store, a full disk. The worker survives,
health says when no job can run, and a damaged store never stops the server from starting."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cuebridge.app.host import start_server
from cuebridge.v1 import engine_pb2 as pb
from cuebridge.v1 import engine_pb2_grpc as pb_grpc

ROOT = Path(__file__).resolve().parents[2]
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def _segment(n: int) -> pb.Segment:
    return pb.Segment(id=f"s{n}", rate=pb.Rate(num=24, den=1), duration_frames=24, seed=n)


def _health(channel) -> int:
    stub = health_pb2_grpc.HealthStub(channel)
    return stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=5).status


def _wait_for(channel, status: int, within_s: float = 10.0) -> int:
    deadline = time.monotonic() + within_s
    while (now := _health(channel)) != status and time.monotonic() < deadline:
        time.sleep(0.1)
    return now


def test_a_store_failure_ends_the_job_keeps_the_worker_and_turns_health_off(tmp_path):
    server = start_server("127.0.0.1", 0, state_dir=tmp_path / "state")
    store = server.jobs.store
    broken = sqlite3.OperationalError("disk I/O error")

    def fail(*args, **kwargs):
        raise broken

    try:
        with grpc.insecure_channel(server.address) as channel:
            engine = pb_grpc.CueEngineStub(channel)
            assert _health(channel) == SERVING
            saved = {n: getattr(store, n) for n in ("set_job_state", "set_segment", "probe")}
            for name in saved:
                setattr(store, name, fail)
            job = engine.SubmitJob(
                pb.SubmitJobRequest(segments=[_segment(1)], output_dir=str(tmp_path / "a")),
                timeout=30,
            )
            events = list(engine.WatchJob(pb.JobRef(job_id=job.id), timeout=60))
            assert events[-1].job.state == pb.JOB_STATE_FAILED  # ended, not RUNNING forever
            ended = engine.GetJob(pb.JobRef(job_id=job.id))  # events carry no segments
            assert "disk I/O error" in ended.segments[0].error  # the cause, told
            assert _wait_for(channel, NOT_SERVING) == NOT_SERVING
            for name, method in saved.items():
                setattr(store, name, method)
            assert _wait_for(channel, SERVING) == SERVING
            again = engine.SubmitJob(
                pb.SubmitJobRequest(segments=[_segment(2)], output_dir=str(tmp_path / "b")),
                timeout=30,
            )
            final = list(engine.WatchJob(pb.JobRef(job_id=again.id), timeout=60))[-1]
            assert final.job.state == pb.JOB_STATE_SUCCEEDED  # the worker is still there
    finally:
        server.stop(0)


def _damage_garbage(db: Path) -> None:
    db.write_bytes(b"this is not a database, it is a shopping list\n" * 100)


def _damage_truncated(db: Path) -> None:
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE filler (x TEXT)")
    con.executemany("INSERT INTO filler VALUES (?)", [("x" * 500,)] * 400)
    con.commit()
    con.close()
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 3] + b"\xff" * 4096 + data[len(data) // 3 + 4096 :])


@pytest.mark.parametrize("damage", [_damage_garbage, _damage_truncated])
def test_a_damaged_store_is_moved_aside_and_the_server_keeps_serving(tmp_path, damage):
    state = tmp_path / "state"
    state.mkdir()
    db = state / "engine.sqlite3"
    damage(db)
    damaged = db.read_bytes()
    server = start_server("127.0.0.1", 0, state_dir=state, resume=True)
    try:
        aside = server.jobs.store.moved_aside
        assert aside is not None and aside.read_bytes() == damaged  # kept for a post-mortem
        with grpc.insecure_channel(server.address) as channel:
            engine = pb_grpc.CueEngineStub(channel)
            job = engine.SubmitJob(
                pb.SubmitJobRequest(segments=[_segment(1)], output_dir=str(tmp_path / "a")),
                timeout=30,
            )
            final = list(engine.WatchJob(pb.JobRef(job_id=job.id), timeout=60))[-1]
            assert final.job.state == pb.JOB_STATE_SUCCEEDED
            # The warm-up (composer workers loading the font) may still run: it must end SERVING.
            assert _wait_for(channel, SERVING, within_s=120) == SERVING
    finally:
        server.stop(0)


FULL_DISK_CHILD = textwrap.dedent(
    """
    import resource, signal, sys
    from pathlib import Path
    import grpc
    from cuebridge.app.host import start_server
    from cuebridge.v1 import engine_pb2 as pb, engine_pb2_grpc as pb_grpc

    state = Path(sys.argv[1])
    server = start_server("127.0.0.1", 0, state_dir=state)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a killed process
    resource.setrlimit(resource.RLIMIT_FSIZE, (2_000_000, 2_000_000))
    with grpc.insecure_channel(server.address) as channel:
        engine = pb_grpc.CueEngineStub(channel)
        segs = [pb.Segment(id=f"s{i}", rate=pb.Rate(num=24, den=1), duration_frames=24,
                           prompt="x" * 20000) for i in range(200)]  # 4 MB of rows
        try:
            engine.SubmitJob(pb.SubmitJobRequest(segments=segs, output_dir=str(state / "o")),
                             timeout=30)
            print("ACCEPTED")
        except grpc.RpcError as exc:
            print(exc.code().name, exc.details())
    server.stop(0)
    """
)


def test_a_full_store_answers_resource_exhausted_with_what_to_do(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", FULL_DISK_CHILD, str(tmp_path / "state")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    answer = done.stdout.strip().splitlines()[-1]
    assert answer.startswith("RESOURCE_EXHAUSTED"), answer
    assert "engine.sqlite3" in answer and "free space" in answer


def test_one_unreadable_clip_costs_a_warning_on_its_cue_only(tmp_path):
    unreadable = tmp_path / "clip.mov"
    unreadable.mkdir()  # stat works, reading fails (EISDIR): what a lost mount or EIO looks like
    bad = _segment(1)
    bad.media.append(
        pb.MediaSpan(
            path=str(unreadable),
            source_duration_s=1.0,
            record_duration_frames=24,
            name="clip.mov",
        )
    )
    server = start_server("127.0.0.1", 0, state_dir=tmp_path / "state")
    try:
        with grpc.insecure_channel(server.address) as channel:
            engine = pb_grpc.CueEngineStub(channel)
            job = engine.SubmitJob(
                pb.SubmitJobRequest(segments=[bad, _segment(2)], output_dir=str(tmp_path / "a")),
                timeout=30,
            )
            list(engine.WatchJob(pb.JobRef(job_id=job.id), timeout=60))  # to its end
            final = engine.GetJob(pb.JobRef(job_id=job.id))  # events carry no segments
            assert final.state == pb.JOB_STATE_SUCCEEDED
            first, second = final.segments
            assert first.state == second.state == pb.SEGMENT_STATE_DONE
            assert any(str(unreadable) in w for w in first.warnings), first.warnings
            assert not second.warnings
    finally:
        server.stop(0)
