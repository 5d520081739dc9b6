"""Requests a careless client or an attacker sends: each gets a clean, named refusal.

Deep JSON bodies, relative paths (they would resolve against the server's working folder),
NaN/infinite/zero-rate times in a timeline, outputs that cannot be written, and bursts of
connections against the listen backlog.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import grpc
import pytest

from cuebridge.v1 import bridge_pb2 as bpb
from cuebridge.v1 import bridge_pb2_grpc as bpb_grpc
from tests.conftest import INTEROP

SIMPLE = INTEROP / "otio" / "simple_cut.otio"
WHOLE = {"mode": "SEGMENT_MODE_WHOLE"}


@pytest.fixture(scope="module")
def stub(secured):
    from cuebridge.bridge.security import authorized_channel

    with authorized_channel(secured.running.address, secured.token) as channel:
        yield bpb_grpc.BridgeStub(channel)


def test_a_deeply_nested_json_body_gets_a_400(secured):
    body = '{"timelinePath": ' + "[" * 100_000 + "]" * 100_000 + "}"
    reply = secured.http("/cuebridge.v1.Bridge/InspectTimeline", body, timeout=30)
    assert reply.status == 400, reply
    assert "nest" in reply.json()["message"]


@pytest.mark.parametrize(
    "method,field",
    [
        ("InspectTimeline", "timelinePath"),
        ("StartScore", "timelinePath"),
        ("StartScore", "outputPath"),
        ("StartScore", "cueDir"),
        ("Convert", "inputPath"),
        ("Convert", "outputPath"),
    ],
)
def test_relative_paths_over_the_api_are_refused(secured, tmp_path, method, field):
    src = tmp_path / "cut.otio"
    shutil.copy(SIMPLE, src)
    body = {
        "InspectTimeline": {"timelinePath": str(src), "selection": WHOLE},
        "StartScore": {
            "timelinePath": str(src),
            "outputPath": str(tmp_path / "scored.otio"),
            "cueDir": str(tmp_path / "cues"),
            "selection": WHOLE,
        },
        "Convert": {"inputPath": str(src), "outputPath": str(tmp_path / "cut.xml")},
    }[method]
    body[field] = "relative/cut.otio" if "Path" in field else "relative-cues"
    reply = secured.http(f"/cuebridge.v1.Bridge/{method}", body)
    assert reply.status == 400, reply
    message = reply.json()["message"]
    assert "absolute" in message and body[field] in message
    assert not Path("relative").exists() and not Path("relative-cues").exists()


def _broken_time(tmp_path: Path, where: str, key: str, value) -> Path:
    doc = json.loads(SIMPLE.read_text())
    clip = doc["tracks"]["children"][0]["children"][0]
    clip["source_range"][where][key] = value
    path = tmp_path / f"broken-{where}-{key}-{value}.otio"
    path.write_text(json.dumps(doc))  # json writes NaN and Infinity as OTIO does
    return path


@pytest.mark.parametrize(
    "where,key,value",
    [
        ("duration", "value", float("nan")),
        ("duration", "value", float("inf")),
        ("start_time", "value", float("-inf")),
        ("duration", "rate", 0.0),
        ("start_time", "rate", 0.0),
        ("start_time", "rate", float("nan")),
    ],
)
def test_nan_infinite_or_zero_rate_times_are_invalid_argument(stub, tmp_path, where, key, value):
    path = _broken_time(tmp_path, where, key, value)
    selection = bpb.SegmentSelection(mode=bpb.SEGMENT_MODE_WHOLE)
    with pytest.raises(grpc.RpcError) as info:
        stub.InspectTimeline(bpb.InspectRequest(timeline_path=str(path), selection=selection))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT, info.value
    assert str(path) in info.value.details() and "Clip-001" in info.value.details()
    with pytest.raises(grpc.RpcError) as info:
        stub.StartScore(
            bpb.ScoreRequest(
                timeline_path=str(path),
                output_path=str(tmp_path / "out.otio"),
                selection=selection,
            )
        )
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT, info.value


def test_an_output_under_proc_is_refused_before_any_cue(stub, tmp_path):
    src = tmp_path / "cut.otio"
    shutil.copy(SIMPLE, src)
    cues = tmp_path / "cues"
    selection = bpb.SegmentSelection(mode=bpb.SEGMENT_MODE_WHOLE)
    with pytest.raises(grpc.RpcError) as info:
        stub.StartScore(
            bpb.ScoreRequest(
                timeline_path=str(src),
                output_path="/proc/self/scored.otio",
                cue_dir=str(cues),
                selection=selection,
            )
        )
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "/proc/self" in info.value.details() and "writ" in info.value.details()
    assert not cues.exists()
    with pytest.raises(grpc.RpcError) as info:
        stub.StartScore(
            bpb.ScoreRequest(
                timeline_path=str(src),
                output_path=str(tmp_path / "scored.otio"),
                cue_dir="/proc/self/cues",
                selection=selection,
            )
        )
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "/proc/self/cues" in info.value.details()


def _listen_backlog(port: int) -> int:
    """The accept queue of a listening socket, as the kernel reports it (ss's Send-Q)."""
    out = subprocess.run(
        ["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True, check=True
    ).stdout
    return max(int(line.split()[2]) for line in out.splitlines() if line.strip())


def _ensure_ss() -> None:
    """iproute2's ss reads listen backlogs; a bare CI image gets it with apt-get (run as root)."""
    if shutil.which("ss") is None:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "iproute2"], check=True)
    assert shutil.which("ss")


def test_listen_backlogs_take_a_burst(secured):
    _ensure_ss()
    assert _listen_backlog(secured.running.port) >= 128
    assert _listen_backlog(secured.running.http.port) >= 128
