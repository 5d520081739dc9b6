"""A remote engine that sends what the bridge did not ask for: a cue of another segment id, a
second audio file, a transfer that fails half way. Nothing of the editor's is overwritten, a
failed transfer leaves no files, and temp files a killed fetch left are cleaned on the next.

The engine is a small fake CueEngine server built from the stubs, on loopback."""

from __future__ import annotations

import hashlib
from concurrent import futures

import grpc
import pytest

from cuebridge.bridge.cue_transfer import fetch_cues
from cuebridge.v1 import engine_pb2 as pb
from cuebridge.v1 import engine_pb2_grpc as pb_grpc

KEEP = b"the user's own file\n"


def _file(kind: str, data: bytes, declared: bytes | None = None):
    declared = data if declared is None else declared
    digest = hashlib.sha256(declared).hexdigest()
    yield pb.CueFileChunk(kind=kind, size=len(declared), sha256=digest)
    yield pb.CueFileChunk(data=data)


class FakeEngine(pb_grpc.CueEngineServicer):
    def __init__(self, files):
        self.files = files  # segment id -> list of (kind, data, declared)

    def ReadCueFiles(self, request, context):
        for kind, data, declared in self.files[request.segment_id]:
            yield from _file(kind, data, declared)


@pytest.fixture
def engine():
    servers = []

    def start(files):
        server = grpc.server(futures.ThreadPoolExecutor(4))
        pb_grpc.add_CueEngineServicer_to_server(FakeEngine(files), server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        servers.append(server)
        return pb_grpc.CueEngineStub(grpc.insecure_channel(f"127.0.0.1:{port}"))

    yield start
    for server in servers:
        server.stop(0)


def _cue(sid: str) -> pb.Cue:
    return pb.Cue(segment_id=sid, audio_path=f"/remote/{sid}.wav")


def test_a_cue_for_a_segment_not_asked_for_writes_nothing(engine, tmp_path):
    (tmp_path / "keep.wav").write_bytes(KEEP)
    stub = engine({"keep": [("audio", b"RIFF not yours", None)]})
    got, failed = fetch_cues(stub, "j", {"keep": _cue("keep")}, tmp_path, {"cue-001"})
    assert got == {} and [f.segment_id for f in failed] == ["keep"]
    assert (tmp_path / "keep.wav").read_bytes() == KEEP
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.wav"]


def test_a_second_audio_file_fails_the_cue_and_replaces_nothing(engine, tmp_path):
    (tmp_path / "cue-001.wav").write_bytes(KEEP)
    stub = engine({"cue-001": [("audio", b"first", None), ("audio", b"second", None)]})
    got, failed = fetch_cues(stub, "j", {"cue-001": _cue("cue-001")}, tmp_path, {"cue-001"})
    assert got == {} and "second audio" in failed[0].error
    assert (tmp_path / "cue-001.wav").read_bytes() == KEEP
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cue-001.wav"]


def test_a_failed_transfer_leaves_none_of_its_files(engine, tmp_path):
    # The audio arrives whole, the MIDI damaged (twice: the fetch is tried again once).
    stub = engine({"cue-001": [("audio", b"RIFF whole", None), ("midi", b"MThx", b"MThd")]})
    got, failed = fetch_cues(stub, "j", {"cue-001": _cue("cue-001")}, tmp_path, {"cue-001"})
    assert got == {} and "damaged" in failed[0].error
    assert list(tmp_path.iterdir()) == []


def test_temp_files_of_a_killed_fetch_are_cleaned_by_the_next(engine, tmp_path):
    left = tmp_path / ".cue-001.wav.k9k9k9.tmp"
    left.write_bytes(b"half a cue, from a fetch killed with -9")
    stub = engine({"cue-001": [("audio", b"RIFF whole", None), ("midi", b"MThd", None)]})
    got, failed = fetch_cues(stub, "j", {"cue-001": _cue("cue-001")}, tmp_path, {"cue-001"})
    assert not failed and got["cue-001"].audio_path == str(tmp_path / "cue-001.wav")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cue-001.mid", "cue-001.wav"]
