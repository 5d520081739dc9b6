"""A cue made by the musicgen-video model through the real server over gRPC (tiny model)."""

from __future__ import annotations

import grpc

from cuebridge.app.host import start_server
from cuebridge.engine.registry import BUILTIN_MODELS, ModelEntry, ModelRegistry
from cuebridge.v1 import engine_pb2 as pb
from cuebridge.v1 import engine_pb2_grpc as pb_grpc
from tests.integration.helpers import wav_facts
from tests.musicgen.tiny import tiny_cue_model


def test_a_tiny_musicgen_video_cue_over_grpc(tmp_path):
    tiny = ModelEntry(
        "musicgen-video",
        "tiny random MusicGen + adapter",
        lambda settings: tiny_cue_model(seed=3),
    )
    registry = ModelRegistry((tiny, *[e for e in BUILTIN_MODELS if e.name != tiny.name]))
    server = start_server("127.0.0.1", 0, state_dir=tmp_path / "state", registry=registry)
    try:
        with grpc.insecure_channel(server.address) as channel:
            engine = pb_grpc.CueEngineStub(channel)
            info = engine.GetEngineInfo(pb.EngineInfoRequest())
            assert info.default_model == "musicgen-video"  # ready, so preferred to the composer
            segments = [
                pb.Segment(
                    id=f"s{i}",
                    rate=pb.Rate(num=25, den=1),
                    duration_frames=n,
                    cut_frames=[n // 2],
                    prompt="tense strings",
                    seed=i,
                )
                for i, n in enumerate((30, 45))
            ]
            job = engine.SubmitJob(
                pb.SubmitJobRequest(segments=segments, output_dir=str(tmp_path / "cues"))
            )
            list(engine.WatchJob(pb.JobRef(job_id=job.id), timeout=300))  # to its end
            final = engine.GetJob(pb.JobRef(job_id=job.id))  # events carry no segments
    finally:
        server.stop(0)
    assert final.state == pb.JOB_STATE_SUCCEEDED, [s.error for s in final.segments]
    assert final.model == "musicgen-video"
    for result, n in zip(final.segments, (30, 45), strict=True):
        rate, width, samples, _ = wav_facts(result.cue.audio_path)
        assert (rate, width, samples) == (48_000, 3, n * 48_000 // 25)
        assert result.cue.model == "musicgen-video"


def test_cancel_stops_a_long_cue_mid_decode(tmp_path):
    """The job queue hands the model a should_stop hook: a 10-minute cue stops at once."""
    from cuebridge.engine.jobs import JobQueue
    from cuebridge.engine.segment import GenerationOptions, Rate, Segment
    from cuebridge.engine.states import JobState, SegmentState
    from cuebridge.engine.store import JobStore

    tiny = ModelEntry("musicgen-video", "tiny", lambda settings: tiny_cue_model(seed=1))
    queue = JobQueue(ModelRegistry((tiny,)), tmp_path / "out", JobStore(tmp_path / "s.sqlite3"))
    long_cue = Segment(id="long", rate=Rate(25), duration_frames=25 * 600, seed=1)
    job = queue.submit([long_cue], GenerationOptions(model="musicgen-video"), tmp_path / "out")
    for _, index in queue.watch(job.id):
        if index == 0 and job.runs[0].state == SegmentState.RUNNING:
            queue.cancel(job.id)
    queue.close()
    assert job.state == JobState.CANCELLED
    assert job.runs[0].state == SegmentState.CANCELLED and job.runs[0].cue is None
    assert not list((tmp_path / "out").glob("*.wav"))
