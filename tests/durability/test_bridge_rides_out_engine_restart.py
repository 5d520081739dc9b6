"""The bridge waits out an engine restart: its score finishes once the engine is back.

A bridge in this process points at a `cuebridge serve` child (--engine), which is killed (SIGKILL)
mid-score and started again on the same port: the engine resumes the durable job, the bridge's
watch reconnects, and the score ends with every cue placed.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import grpc
import opentimelineio as otio

from cuebridge.app.demo_film import make_feature_timeline
from cuebridge.app.host import start_server
from cuebridge.v1 import bridge_pb2 as bpb
from cuebridge.v1 import bridge_pb2_grpc as bpb_grpc
from cuebridge.v1 import engine_pb2 as pb

CUES = 10


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _engine(root: Path, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "CUEBRIDGE_CONFIG_DIR": str(root / "config"),
        "CUEBRIDGE_DATA_DIR": str(root / "data"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "cuebridge.app", "serve", "--port", str(port), "--no-http"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert "serving on" in proc.stderr.readline()
    return proc


def test_a_score_survives_its_engine_being_killed_and_restarted(tmp_path, monkeypatch):
    port = _free_port()
    engine = _engine(tmp_path, port)
    monkeypatch.setenv("CUEBRIDGE_ENGINE_TOKEN", (tmp_path / "config" / "token").read_text())
    timeline = tmp_path / "feature.otio"
    otio.adapters.write_to_file(make_feature_timeline(minutes=12, cues=CUES, seed=4), str(timeline))
    bridge = start_server(
        "127.0.0.1", 0, engine_target=f"127.0.0.1:{port}", state_dir=tmp_path / "bridge-state"
    )
    try:
        with grpc.insecure_channel(bridge.address) as channel:
            stub = bpb_grpc.BridgeStub(channel)
            job = stub.StartScore(
                bpb.ScoreRequest(
                    timeline_path=str(timeline), output_path=str(tmp_path / "scored.otio")
                )
            )
            messages, restarted = [], False
            for event in stub.WatchScore(bpb.ScoreRef(score_id=job.id), timeout=240):
                messages.append(event.score.message)
                if event.score.done >= 2 and not restarted:
                    restarted = True
                    engine.send_signal(signal.SIGKILL)
                    engine.wait(timeout=30)
                    time.sleep(1.5)  # the bridge meets a dead engine at least once
                    engine = _engine(tmp_path, port)
            final = stub.GetScore(bpb.ScoreRef(score_id=job.id))  # events carry deltas
    finally:
        bridge.stop(0)
        if engine.poll() is None:
            engine.send_signal(signal.SIGTERM)
            engine.wait(timeout=60)
    assert final.state == pb.JOB_STATE_SUCCEEDED, final.message
    assert len(final.result.placements) == CUES
    assert any("retrying" in m for m in messages)
