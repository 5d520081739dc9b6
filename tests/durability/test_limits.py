"""Bounds and backpressure: over a bound the caller gets a clear status, never a crash."""

from __future__ import annotations

import threading

import grpc
import pytest

from cuebridge.app.host import start_server
from cuebridge.engine.jobs import EngineLimits
from cuebridge.v1 import bridge_pb2 as bpb
from cuebridge.v1 import bridge_pb2_grpc as bpb_grpc
from cuebridge.v1 import engine_pb2 as pb
from cuebridge.v1 import engine_pb2_grpc as pb_grpc
from tests.integration.helpers import run_score


def _seg(i: int, seconds: float) -> pb.Segment:
    return pb.Segment(
        id=f"s{i}", rate=pb.Rate(num=24, den=1), duration_frames=round(24 * seconds), seed=i
    )


@pytest.fixture
def engine(tmp_path):
    limits = EngineLimits(
        max_jobs=2, max_queued_segments=6, max_segments_per_job=5, max_segment_s=60
    )
    server = start_server("127.0.0.1", 0, state_dir=tmp_path, limits=limits)
    with grpc.insecure_channel(server.address) as channel:
        yield pb_grpc.CueEngineStub(channel)
    server.stop(0)


def _submit(engine, segments, tmp_path):
    return engine.SubmitJob(pb.SubmitJobRequest(segments=segments, output_dir=str(tmp_path)))


def test_over_a_bound_is_resource_exhausted_or_invalid_argument(engine, tmp_path):
    with pytest.raises(grpc.RpcError) as info:
        _submit(engine, [_seg(1, 61)], tmp_path)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "longest cue is 60 s" in info.value.details()
    with pytest.raises(grpc.RpcError) as info:
        _submit(engine, [_seg(i, 1) for i in range(6)], tmp_path)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "split" in info.value.details()

    jobs = [_submit(engine, [_seg(i, 4) for i in range(3)], tmp_path / str(n)) for n in range(2)]
    with pytest.raises(grpc.RpcError) as info:
        _submit(engine, [_seg(9, 1)], tmp_path / "third")
    assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "try again" in info.value.details()
    for job in jobs:  # the accepted jobs are unharmed
        final = list(engine.WatchJob(pb.JobRef(job_id=job.id), timeout=120))[-1].job
        assert final.state == pb.JOB_STATE_SUCCEEDED
    # Room again once they are done.
    assert _submit(engine, [_seg(9, 1)], tmp_path / "later").id


def test_deadline_is_honoured_and_a_departed_watcher_does_not_stop_the_job(engine, tmp_path):
    job = _submit(engine, [_seg(i, 40) for i in range(4)], tmp_path)
    with pytest.raises(grpc.RpcError) as info:
        list(engine.WatchJob(pb.JobRef(job_id=job.id), timeout=0.1))
    assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    call = engine.WatchJob(pb.JobRef(job_id=job.id))
    next(call)
    call.cancel()  # the client hangs up mid-stream
    done = threading.Event()
    for event in engine.WatchJob(pb.JobRef(job_id=job.id), timeout=120):
        if event.job.state == pb.JOB_STATE_SUCCEEDED:
            done.set()
    assert done.is_set() and engine.GetJob(pb.JobRef(job_id=job.id)).done == 4


def test_finished_jobs_beyond_the_kept_number_leave_memory(tmp_path):
    server = start_server(
        "127.0.0.1", 0, state_dir=tmp_path, limits=EngineLimits(finished_jobs_kept=2)
    )
    try:
        with grpc.insecure_channel(server.address) as channel:
            engine = pb_grpc.CueEngineStub(channel)
            ids = []
            for n in range(4):
                job = _submit(engine, [_seg(n, 1)], tmp_path / str(n))
                list(engine.WatchJob(pb.JobRef(job_id=job.id), timeout=60))
                ids.append(job.id)
            with pytest.raises(grpc.RpcError) as info:
                engine.GetJob(pb.JobRef(job_id=ids[0]))
            assert info.value.code() == grpc.StatusCode.NOT_FOUND
            assert engine.GetJob(pb.JobRef(job_id=ids[-1])).state == pb.JOB_STATE_SUCCEEDED
            assert len(server.jobs._jobs) <= 3  # two finished kept, plus the newest
    finally:
        server.stop(0)


def test_finished_scores_beyond_the_kept_number_leave_the_bridge(demo24, tmp_path):
    server = start_server("127.0.0.1", 0, state_dir=tmp_path / "state")
    server.bridge.finished_runs_kept = 2
    try:
        with grpc.insecure_channel(server.address) as channel:
            bridge = bpb_grpc.BridgeStub(channel)
            ids = []
            for n in range(4):
                request = bpb.ScoreRequest(
                    timeline_path=str(demo24.timeline_path),
                    output_path=str(tmp_path / f"out{n}.otio"),
                    cue_dir=str(tmp_path / f"cues{n}"),
                    selection=bpb.SegmentSelection(
                        mode=bpb.SEGMENT_MODE_RANGE, range="01:00:00:00-01:00:01:00"
                    ),
                )
                job, _ = run_score(bridge, request)
                assert job.state == pb.JOB_STATE_SUCCEEDED
                ids.append(job.id)
            with pytest.raises(grpc.RpcError) as info:
                bridge.GetScore(bpb.ScoreRef(score_id=ids[0]))
            assert info.value.code() == grpc.StatusCode.NOT_FOUND
            assert bridge.GetScore(bpb.ScoreRef(score_id=ids[-1])).state == pb.JOB_STATE_SUCCEEDED
            runs = server.bridge._runs
            assert len(runs) <= 3  # two finished kept, plus the newest
            assert all(run.prepared.timeline is None for run in runs.values())
    finally:
        server.stop(0)


def test_a_one_cue_request_is_not_held_behind_a_long_score(tmp_path):
    """Jobs take turns a batch at a time: an editor's single cue, sent after a studio's long
    batch, is made while that batch still has most of its cues to go."""
    from cuebridge.engine.jobs import JobQueue
    from cuebridge.engine.registry import ModelRegistry
    from cuebridge.engine.segment import GenerationOptions, Rate, Segment
    from cuebridge.engine.store import JobStore

    jobs = JobQueue(ModelRegistry(), tmp_path / "cues", JobStore(tmp_path / "engine.sqlite3"))
    model = jobs.registry.get(jobs.registry.default_name())
    cues = 3 * model.batch_size  # three turns of the long job
    long = jobs.submit(
        [Segment(id=f"l{i}", rate=Rate(24), duration_frames=48, seed=i) for i in range(cues)],
        GenerationOptions(),
        tmp_path / "long",
    )
    short = jobs.submit(
        [Segment(id="one", rate=Rate(24), duration_frames=48, seed=99)],
        GenerationOptions(),
        tmp_path / "short",
    )
    try:
        for _ in jobs.watch(short.id):
            pass
        assert short.done == 1
        assert long.done <= 2 * model.batch_size < cues  # the long job was not run to its end
        for _ in jobs.watch(long.id):
            pass
        assert long.done == cues and long.failed == 0
    finally:
        jobs.close()
