"""Issue 22 item 4: a remote engine that never sends, or sends forever, while the bridge fetches
a cue's bytes. A small fake CueEngine built from the generated stubs, on a real loopback server:
the fetch ends within the idle timeout, writes no more than the size the engine declared, and
leaves nothing behind in the cue folder."""

from __future__ import annotations

import threading
import time
from concurrent import futures

import grpc
import pytest

from cuebridge.bridge import cue_transfer
from cuebridge.bridge.cue_transfer import fetch_cue
from cuebridge.v1 import engine_pb2 as pb
from cuebridge.v1 import engine_pb2_grpc as pb_grpc

DECLARED = 100_000
CHUNK = b"\0" * 65536


class _HostileEngine(pb_grpc.CueEngineServicer):
    def __init__(self, behaviour: str):
        self.behaviour = behaviour
        self.sent = 0

    def ReadCueFiles(self, request, context):
        yield pb.CueFileChunk(kind="audio", size=DECLARED, sha256="0" * 64)
        if self.behaviour == "silent":
            while context.is_active():  # never another byte
                time.sleep(0.05)
            return
        for _ in range(4000):  # 256 MiB if nobody stops it: "forever" for this test
            if not context.is_active():
                return
            self.sent += len(CHUNK)
            yield pb.CueFileChunk(data=CHUNK)


@pytest.fixture
def hostile():
    servers = []

    def start(behaviour: str):
        engine = _HostileEngine(behaviour)
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        pb_grpc.add_CueEngineServicer_to_server(engine, server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        servers.append(server)
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        return engine, pb_grpc.CueEngineStub(channel)

    yield start
    for server in servers:
        server.stop(0)


def _fetch_in_thread(stub, cue_dir, wait_s: float):
    outcome: list = []

    def run():
        try:
            outcome.append(fetch_cue(stub, "job", pb.Cue(segment_id="cue-001"), cue_dir))
        except Exception as exc:  # what the fetch raised is the result under test
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(wait_s)
    assert not thread.is_alive(), f"the fetch still hangs after {wait_s} s"
    return outcome[0]


def test_an_engine_that_goes_silent_ends_the_fetch_at_the_idle_timeout(
    hostile, tmp_path, monkeypatch
):
    monkeypatch.setattr(cue_transfer, "IDLE_S", 1.0, raising=False)
    _, stub = hostile("silent")
    began = time.monotonic()
    outcome = _fetch_in_thread(stub, tmp_path, wait_s=15)
    assert isinstance(outcome, cue_transfer.StalledTransfer), outcome
    assert "sent nothing for 1 s" in str(outcome)
    assert time.monotonic() - began < 10  # one attempt: a stall is not retried
    assert not list(tmp_path.iterdir())


def test_an_engine_that_sends_forever_is_cut_at_the_declared_size(hostile, tmp_path):
    engine, stub = hostile("endless")
    outcome = _fetch_in_thread(stub, tmp_path, wait_s=30)
    assert isinstance(outcome, cue_transfer.DamagedTransfer), outcome
    assert f"more than the {DECLARED} bytes declared" in str(outcome)
    # Stopped long before the 256 MiB: what the engine got out is, per attempt, what gRPC's
    # flow-control window took before the bridge hung up (its BDP probe grows it to ~4 MiB).
    assert engine.sent < cue_transfer.ATTEMPTS * 80 * len(CHUNK)
    assert not list(tmp_path.iterdir())  # no temp file, no cue
