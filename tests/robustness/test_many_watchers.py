"""300 watchers on one score: control calls and health still answer at once (each stream holds
a server thread; beyond the bound a watcher is told to poll), and the score finishes."""

from __future__ import annotations

import threading
import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cuebridge.app.host import start_server
from cuebridge.v1 import bridge_pb2 as bpb
from cuebridge.v1 import bridge_pb2_grpc as bpb_grpc
from cuebridge.v1 import engine_pb2 as pb
from tests.integration.helpers import markers_timeline
from tests.robustness.instant_model import instant_registry


def test_300_watchers_leave_control_calls_answering(tmp_path):
    timeline = markers_timeline(tmp_path / "t.otio", 120, every_s=1, length_s=0.25)
    server = start_server(
        "127.0.0.1", 0, state_dir=tmp_path / "state", registry=instant_registry(0.05)
    )
    refused, finished, other = [], [], []
    try:
        with grpc.insecure_channel(server.address) as channel:
            bridge = bpb_grpc.BridgeStub(channel)
            health = health_pb2_grpc.HealthStub(channel)
            score = bridge.StartScore(
                bpb.ScoreRequest(
                    timeline_path=str(timeline),
                    output_path=str(tmp_path / "out.otio"),
                    generation=pb.GenerationOptions(model="instant"),
                ),
                timeout=30,
            )

            def watch() -> None:
                try:
                    events = list(bridge.WatchScore(bpb.ScoreRef(score_id=score.id), timeout=120))
                    finished.append(events[-1].score.state)
                except grpc.RpcError as exc:
                    (refused if exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED else other).append(
                        exc.code()
                    )

            watchers = [threading.Thread(target=watch) for _ in range(300)]
            for w in watchers:
                w.start()
            time.sleep(1.0)  # every watcher has asked by now; the score is still running
            slowest = 0.0
            for _ in range(10):
                t0 = time.perf_counter()
                state = bridge.GetScore(bpb.ScoreRef(score_id=score.id), timeout=5).state
                health.Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
                bridge.GetEngineInfo(pb.EngineInfoRequest(), timeout=5)
                slowest = max(slowest, time.perf_counter() - t0)
            assert state == pb.JOB_STATE_RUNNING  # measured while the watchers were open
            for w in watchers:
                w.join(timeout=120)
    finally:
        server.stop(0)
    assert slowest < 1.0, f"control calls took up to {slowest:.2f} s beside 300 watchers"
    assert not other, other
    assert len(refused) == 300 - 48 and len(finished) == 48
    assert set(finished) == {pb.JOB_STATE_SUCCEEDED}  # the admitted watchers saw the end
