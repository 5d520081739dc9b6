"""Memory per score is bounded: a score of many cues does not keep every progress event's
snapshot of the whole job alive (that grew with the square of the cue count)."""

from __future__ import annotations

import os
from pathlib import Path

import grpc

from cuebridge.app.host import start_server
from cuebridge.v1 import bridge_pb2 as bpb
from cuebridge.v1 import bridge_pb2_grpc as bpb_grpc
from cuebridge.v1 import engine_pb2 as pb
from tests.integration.helpers import markers_timeline, run_score
from tests.robustness.instant_model import instant_registry


def rss_mib() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _score(stub, timeline: Path, out: Path) -> bpb.ScoreJob:
    request = bpb.ScoreRequest(
        timeline_path=str(timeline),
        output_path=str(out),
        generation=pb.GenerationOptions(model="instant"),
    )
    job, _ = run_score(stub, request)
    assert job.state == pb.JOB_STATE_SUCCEEDED, job.message
    return job


def test_a_score_of_many_cues_keeps_memory_bounded(tmp_path):
    small = markers_timeline(tmp_path / "small.otio", 20, every_s=1, length_s=0.25)
    big = markers_timeline(tmp_path / "big.otio", 600, every_s=1, length_s=0.25)
    server = start_server("127.0.0.1", 0, state_dir=tmp_path / "state", registry=instant_registry())
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = bpb_grpc.BridgeStub(channel)
            _score(stub, small, tmp_path / "warm.otio")  # imports, caches, thread pools
            before = rss_mib()
            job = _score(stub, big, tmp_path / "big.scored.otio")
            grown = rss_mib() - before
    finally:
        server.stop(0)
    assert len(job.result.placements) == 600
    # Before the fix these 600 cues grew the server by 164 MiB (quadratic in the cue count).
    assert grown < 64, f"the server grew by {grown:.0f} MiB for one score of 600 cues"
