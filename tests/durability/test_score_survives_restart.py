"""A score survives its server: `cuebridge serve` killed mid-score and started again finishes
the score under the same id and writes its timeline; re-running the same command after an
interruption simply finishes (reusing the cues made), while another score aimed at the same cue
folder is still refused."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import opentimelineio as otio

from cuebridge.v1 import bridge_pb2 as bpb
from cuebridge.v1 import bridge_pb2_grpc as bpb_grpc
from cuebridge.v1 import engine_pb2 as pb
from tests.durability.test_kill_and_resume import Serve
from tests.integration.helpers import markers_timeline

ROOT = Path(__file__).resolve().parents[2]
CUES = 16


def _timeline(path: Path, name: str = "reel") -> Path:
    """CUES duration markers of 4 s, one every 5 s."""
    return markers_timeline(path, CUES, every_s=5, length_s=4, name=name)


def test_a_score_survives_a_killed_server_and_finishes_under_its_id(tmp_path):
    timeline = _timeline(tmp_path / "reel.otio")
    out = tmp_path / "reel.scored.otio"
    server = Serve(tmp_path)
    from cuebridge.bridge.security import authorized_channel

    with authorized_channel(server.address, server.token) as channel:
        bridge = bpb_grpc.BridgeStub(channel)
        score = bridge.StartScore(
            bpb.ScoreRequest(timeline_path=str(timeline), output_path=str(out)), timeout=60
        )
        for event in bridge.WatchScore(bpb.ScoreRef(score_id=score.id), timeout=120):
            if event.score.done >= 2:
                break
    server.stop(signal.SIGKILL)
    assert not out.exists()

    again = Serve(tmp_path)
    try:
        with authorized_channel(again.address, again.token) as channel:
            bridge = bpb_grpc.BridgeStub(channel)
            list(bridge.WatchScore(bpb.ScoreRef(score_id=score.id), timeout=180))  # to its end
            final = bridge.GetScore(bpb.ScoreRef(score_id=score.id))  # events carry deltas
            assert final.state == pb.JOB_STATE_SUCCEEDED, final.message
            assert len(final.result.placements) == CUES and out.exists()
    finally:
        again.stop(signal.SIGTERM)
    # A finished score is still answered by the next server, from its store.
    third = Serve(tmp_path)
    try:
        with authorized_channel(third.address, third.token) as channel:
            kept = bpb_grpc.BridgeStub(channel).GetScore(bpb.ScoreRef(score_id=score.id))
            assert kept.state == pb.JOB_STATE_SUCCEEDED and len(kept.result.placements) == CUES
    finally:
        third.stop(signal.SIGTERM)
    scored = otio.adapters.read_from_file(str(out))
    assert len([c for c in scored.tracks[-1].find_clips()]) == CUES


def _cli(*args, cwd: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cuebridge.app", *map(str, args)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_the_same_command_after_an_interruption_finishes_without_force(tmp_path):
    import os

    env = {**os.environ, "CUEBRIDGE_DATA_DIR": str(tmp_path / "data")}
    timeline = _timeline(tmp_path / "reel.otio")
    out, cues = tmp_path / "reel.scored.otio", tmp_path / "reel.scored_cues"
    first = _cli("score", timeline, "-o", out, cwd=tmp_path, env=env)
    deadline = time.monotonic() + 120
    while len(list(cues.glob("*.wav"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    made = {p.name: p.stat().st_mtime_ns for p in cues.glob("*.wav")}
    assert 2 <= len(made) < CUES and not out.exists()

    again = _cli("score", timeline, "-o", out, cwd=tmp_path, env=env)
    stdout, stderr = again.communicate(timeout=300)
    assert again.returncode == 0, stderr
    assert out.exists() and len(list(cues.glob("*.wav"))) == CUES
    assert "reused" in stderr + stdout  # the cues made before the interruption were kept
    # Another score aimed at the same cue folder is still refused, and changes nothing.
    other = _timeline(tmp_path / "other.otio", name="other reel")
    refused = _cli(
        "score", other, "-o", tmp_path / "other.scored.otio", "--cue-dir", cues, cwd=tmp_path,
        env=env,
    )  # fmt: skip
    _, err = refused.communicate(timeout=120)
    assert refused.returncode == 2 and "already holds cues" in err
    assert not (tmp_path / "other.scored.otio").exists()
