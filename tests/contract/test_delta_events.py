"""Events carry what changed, with a cursor, never the whole job: a watcher of a 2,000-cue job
receives events whose size does not grow with the cues (O(cues) bytes for the whole job, not
O(cues^2)), and resumes after the last cursor it saw. Full state comes from the Get calls.

A real engine and bridge on loopback gRPC; the model is a tiny one made here that writes a real
one-frame WAV per cue at once, so 2,000 cues take seconds."""

from __future__ import annotations

from pathlib import Path

import grpc
import opentimelineio as otio
import pytest

from cuebridge.app.host import start_server
from cuebridge.v1 import bridge_pb2 as bpb
from cuebridge.v1 import bridge_pb2_grpc, engine_pb2_grpc
from cuebridge.v1 import engine_pb2 as pb
from tests.robustness.instant_model import instant_registry

CUES = 2000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    state = tmp_path_factory.mktemp("delta-state")
    registry = instant_registry()
    running = start_server(
        "127.0.0.1", 0, state_dir=state, output_root=state / "cues", registry=registry
    )
    yield running
    running.stop(0)


def _segments(n: int) -> list[pb.Segment]:
    return [
        pb.Segment(id=f"cue-{i:04d}", rate=pb.Rate(num=24, den=1), duration_frames=1, seed=i)
        for i in range(n)
    ]


def _submit(engine, n: int, folder: Path) -> pb.Job:
    options = pb.GenerationOptions(model="instant")
    request = pb.SubmitJobRequest(
        segments=_segments(n), options=options, output_dir=str(folder), fresh=True
    )  # fresh: no cue reused from another test's job, so every event is alike
    return engine.SubmitJob(request, timeout=60)


def test_a_watcher_of_a_2000_cue_job_gets_events_that_do_not_grow(server, tmp_path):
    with grpc.insecure_channel(server.address) as channel:
        engine = engine_pb2_grpc.CueEngineStub(channel)
        small = _submit(engine, 20, tmp_path / "small")
        list(engine.WatchJob(pb.JobRef(job_id=small.id), timeout=120))  # to its end
        # Its every change, replayed after the first: the same kinds of event as the large job's.
        small_events = list(engine.WatchJob(pb.JobRef(job_id=small.id, after=1), timeout=120))
        job = _submit(engine, CUES, tmp_path / "large")  # paths as long as "small"
        events = list(engine.WatchJob(pb.JobRef(job_id=job.id), timeout=300))
        final = engine.GetJob(pb.JobRef(job_id=job.id), timeout=60)
    assert final.state == pb.JOB_STATE_SUCCEEDED and final.done == CUES
    sizes = [e.ByteSize() for e in events]
    # A whole-job snapshot per event would be about 100 bytes per cue per event: 200 kB each.
    # Only the numbers' varints grow (counters, cursor: a byte or two each), never with the cues.
    assert max(sizes) <= max(e.ByteSize() for e in small_events) + 8, max(sizes)
    assert max(sizes) < 400
    assert sum(sizes) < 400 * CUES  # O(cues) in all, not O(cues^2)
    assert final.ByteSize() > 50 * CUES  # the full state is there, from GetJob
    assert not any(e.job.segments for e in events)
    done = {e.segment.segment_id for e in events if e.segment.state == pb.SEGMENT_STATE_DONE}
    # Every change after the watch began reached it; the first event counted those before.
    assert not events[0].HasField("segment") and len(done) == CUES - events[0].job.done
    assert events[-1].job.state == pb.JOB_STATE_SUCCEEDED
    cursors = [e.cursor for e in events]
    assert cursors == sorted(cursors) and len(set(cursors[1:])) == len(cursors) - 1


def test_a_watcher_resumes_after_its_last_cursor(server, tmp_path):
    with grpc.insecure_channel(server.address) as channel:
        engine = engine_pb2_grpc.CueEngineStub(channel)
        job = _submit(engine, 30, tmp_path)
        first = list(engine.WatchJob(pb.JobRef(job_id=job.id), timeout=120))
        everything = list(engine.WatchJob(pb.JobRef(job_id=job.id, after=1), timeout=120))
        tail = list(engine.WatchJob(pb.JobRef(job_id=job.id, after=10), timeout=120))
    assert first[-1].job.state == pb.JOB_STATE_SUCCEEDED
    assert [e.cursor for e in tail] == [e.cursor for e in everything][9:]
    assert tail[0].cursor == 11 and tail[-1].cursor == everything[-1].cursor
    # The replayed changes name their segments, as they stand now: every one of the 30 is done.
    done = {e.segment.segment_id for e in everything if e.segment.state == pb.SEGMENT_STATE_DONE}
    assert sorted(done) == [f"cue-{i:04d}" for i in range(30)]


def test_a_score_watcher_of_2000_cues_gets_deltas_and_the_result_from_get_score(server, tmp_path):
    timeline = otio.schema.Timeline(name="long reel")
    track = otio.schema.Track(name="V1")
    rate = 24.0
    track.append(
        otio.schema.Clip(
            name="picture",
            source_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(CUES * 4, rate)
            ),
        )
    )
    timeline.tracks.append(track)
    for i in range(CUES):
        timeline.tracks.markers.append(
            otio.schema.Marker(
                name=f"cue {i}",
                marked_range=otio.opentime.TimeRange(
                    otio.opentime.RationalTime(i * 4, rate), otio.opentime.RationalTime(3, rate)
                ),
            )
        )
    src = tmp_path / "reel.otio"
    otio.adapters.write_to_file(timeline, str(src))
    with grpc.insecure_channel(server.address) as channel:
        bridge = bridge_pb2_grpc.BridgeStub(channel)
        request = bpb.ScoreRequest(
            timeline_path=str(src),
            output_path=str(tmp_path / "scored.otio"),
            generation=pb.GenerationOptions(model="instant"),
        )
        score = bridge.StartScore(request, timeout=120)
        events = list(bridge.WatchScore(bpb.ScoreRef(score_id=score.id), timeout=600))
        final = bridge.GetScore(bpb.ScoreRef(score_id=score.id), timeout=60)
    assert final.state == pb.JOB_STATE_SUCCEEDED, final.message
    assert len(final.result.placements) == CUES and len(final.cues) == CUES
    sizes = [e.ByteSize() for e in events]
    assert max(sizes) < 500 and sum(sizes) < 500 * len(events)
    assert not any(e.score.cues or e.score.HasField("result") for e in events)
    named = [e.cue for e in events if e.HasField("cue")]
    assert named and all(c.name.startswith("cue ") for c in named)
