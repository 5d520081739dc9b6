"""The CueEngine over real gRPC: per-segment failures, cancel, health and reflection."""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from cuebridge.app.host import BRIDGE_SERVICE, ENGINE_SERVICE
from cuebridge.v1 import engine_pb2 as pb
from cuebridge.v1 import engine_pb2_grpc as pb_grpc


@pytest.fixture
def channel(loopback_server):
    with grpc.insecure_channel(loopback_server.address) as ch:
        yield ch


def _segment(i: int, seconds: int, cuts=()) -> pb.Segment:
    return pb.Segment(
        id=f"s{i}",
        rate=pb.Rate(num=24, den=1),
        duration_frames=24 * seconds,
        cut_frames=list(cuts),
        prompt="gentle piano",
        seed=i,
    )


def test_one_bad_segment_does_not_lose_the_others(channel, tmp_path):
    engine = pb_grpc.CueEngineStub(channel)
    segments = [_segment(1, 3, cuts=[36]), _segment(2, 0), _segment(3, 2)]
    job = engine.SubmitJob(pb.SubmitJobRequest(segments=segments, output_dir=str(tmp_path)))
    list(engine.WatchJob(pb.JobRef(job_id=job.id), timeout=120))  # to its end
    final = engine.GetJob(pb.JobRef(job_id=job.id))  # events carry no segments
    assert final.state == pb.JOB_STATE_PARTIAL
    states = {s.segment_id: s for s in final.segments}
    assert states["s1"].state == states["s3"].state == pb.SEGMENT_STATE_DONE
    assert states["s2"].state == pb.SEGMENT_STATE_FAILED and "0 frames" in states["s2"].error
    assert (tmp_path / "s1.wav").exists() and (tmp_path / "s3.wav").exists()
    assert engine.GetJob(pb.JobRef(job_id=job.id)).failed == 1


def test_cancel_takes_effect_between_segments(channel, tmp_path):
    engine = pb_grpc.CueEngineStub(channel)
    segments = [_segment(i, 6) for i in range(12)]
    job = engine.SubmitJob(pb.SubmitJobRequest(segments=segments, output_dir=str(tmp_path)))
    for event in engine.WatchJob(pb.JobRef(job_id=job.id), timeout=120):
        if event.segment.state == pb.SEGMENT_STATE_DONE:
            engine.CancelJob(pb.JobRef(job_id=job.id))
            break
    list(engine.WatchJob(pb.JobRef(job_id=job.id), timeout=120))  # to its end
    final = engine.GetJob(pb.JobRef(job_id=job.id))  # events carry no segments
    assert final.state == pb.JOB_STATE_CANCELLED
    assert 1 <= final.done < len(segments)
    assert all(
        s.state in (pb.SEGMENT_STATE_DONE, pb.SEGMENT_STATE_CANCELLED) for s in final.segments
    )
    assert len(list(tmp_path.glob("*.wav"))) == final.done


def test_bad_jobs_are_refused_with_a_reason(channel):
    engine = pb_grpc.CueEngineStub(channel)
    cases = [
        (pb.SubmitJobRequest(), "no segments"),
        (pb.SubmitJobRequest(segments=[_segment(1, 1), _segment(1, 1)]), "unique"),
        (
            pb.SubmitJobRequest(
                segments=[_segment(1, 1)], options=pb.GenerationOptions(model="nope")
            ),
            "unknown model",
        ),
    ]
    for request, words in cases:
        with pytest.raises(grpc.RpcError) as info:
            engine.SubmitJob(request)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert words in info.value.details()
    with pytest.raises(grpc.RpcError) as info:
        engine.GetJob(pb.JobRef(job_id="missing"))
    assert info.value.code() == grpc.StatusCode.NOT_FOUND


def test_health_and_reflection_name_both_services(channel):
    health = health_pb2_grpc.HealthStub(channel)
    for name in ("", ENGINE_SERVICE, BRIDGE_SERVICE):
        reply = health.Check(health_pb2.HealthCheckRequest(service=name))
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
    reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    [reply] = list(reflection.ServerReflectionInfo(iter([request])))
    names = {s.name for s in reply.list_services_response.service}
    assert {ENGINE_SERVICE, BRIDGE_SERVICE} <= names
