"""A serving engine warms its default model at start: health says NOT_SERVING meanwhile, and a
job that arrives first waits for the warm-up instead of doing it inside its first cue."""

from __future__ import annotations

import threading
import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cuebridge.app.host import start_server
from cuebridge.engine.models.composer.fonts import BUNDLED_SOUNDFONT
from cuebridge.engine.models.composer.model import ComposerModel
from cuebridge.engine.registry import ModelEntry, ModelRegistry
from cuebridge.engine.segment import GenerationOptions, Rate, Segment
from cuebridge.engine.states import JobState


class HeldWarmUp(ComposerModel):
    """The real composer, whose warm-up (the font decode) finishes when the test says."""

    def __init__(self):
        super().__init__(BUNDLED_SOUNDFONT)  # small: the warm-up's cost is not the point here
        self.release = threading.Event()
        self.events: list[str] = []

    def warm_up(self) -> None:
        self.release.wait(30)
        super().warm_up()
        self.events.append("warm")

    def generate(self, segment, options, out_dir, should_stop=None, **kw):
        self.events.append("cue")
        return super().generate(segment, options, out_dir, should_stop, **kw)


def _health(address: str) -> int:
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        return stub.Check(health_pb2.HealthCheckRequest(), timeout=5).status


def test_serve_warms_up_before_its_first_cue_and_says_so(tmp_path):
    model = HeldWarmUp()
    registry = ModelRegistry((ModelEntry("composer", "held", lambda settings: model),))
    running = start_server("127.0.0.1", 0, registry=registry, state_dir=tmp_path, resume=True)
    try:
        assert _health(running.address) == health_pb2.HealthCheckResponse.NOT_SERVING
        assert "warming up" in running.jobs.problem()
        cue = Segment(id="first", rate=Rate(24), duration_frames=24 * 3, seed=1)
        job = running.jobs.submit([cue], GenerationOptions(model="composer"), tmp_path / "out")
        time.sleep(0.5)
        assert job.state == JobState.QUEUED and model.events == []  # accepted, waiting
        model.release.set()
        list(running.jobs.watch(job.id))
        assert job.state == JobState.SUCCEEDED, [r.error for r in job.runs]
        assert model.events == ["warm", "cue"]
        deadline = time.monotonic() + 10
        while _health(running.address) != health_pb2.HealthCheckResponse.SERVING:
            assert time.monotonic() < deadline, "health never went back to SERVING"
            time.sleep(0.2)
    finally:
        model.release.set()
        running.stop(0)


def test_a_serving_engine_makes_its_cues_in_workers_that_hold_the_font(tmp_path):
    """Issue 23: the warm-up forks the workers from one process that parsed the font; the
    server never parses it itself (TinySoundFont holds the GIL for the whole load, which would
    stall every call), and its cues are made by the workers."""
    from cuebridge.engine.models.composer import soundfont

    model = ComposerModel(BUNDLED_SOUNDFONT)
    registry = ModelRegistry((ModelEntry("composer", "pooled", lambda settings: model),))
    parsed_here = soundfont._load_cached.cache_info().misses
    running = start_server("127.0.0.1", 0, registry=registry, state_dir=tmp_path, resume=True)
    try:
        cue = Segment(id="first", rate=Rate(24), duration_frames=24 * 3, seed=1)
        job = running.jobs.submit([cue], GenerationOptions(model="composer"), tmp_path / "out")
        list(running.jobs.watch(job.id))
        assert job.state == JobState.SUCCEEDED, [r.error for r in job.runs]
        assert model._pool is not None
        assert soundfont._load_cached.cache_info().misses == parsed_here
    finally:
        running.stop(0)


def test_a_command_line_engine_does_not_warm_up(tmp_path):
    """`cuebridge score` hosts its own short-lived engine: it serves at once, no warm-up."""
    running = start_server("127.0.0.1", 0, state_dir=tmp_path)
    try:
        assert _health(running.address) == health_pb2.HealthCheckResponse.SERVING
        assert not running.jobs.warming()
    finally:
        running.stop(0)
