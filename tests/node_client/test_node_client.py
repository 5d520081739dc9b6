"""A Node.js gRPC client written from the .proto files alone scores the demo film on a real server.

It proves the contract is the proto, not the Python stubs: @grpc/proto-loader reads
proto/cuebridge/v1/*.proto, and the token travels as plain metadata, as any language would send it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from cuebridge.app.host import start_server
from cuebridge.bridge.security import load_or_create_token

HERE = Path(__file__).resolve().parent


def _node_modules() -> None:
    """Install the pinned client packages from package-lock.json once (npm ci)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    # A missing Node.js is a broken set-up, not a reason to skip: this is the proto's only
    # independent reader.
    assert node and npm, "node and npm must be installed (Node.js 18+) to run this test"
    if (HERE / "node_modules" / "@grpc" / "proto-loader").is_dir():
        return
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"npm ci failed in {HERE}:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    state = tmp_path_factory.mktemp("node-state")
    token = load_or_create_token(state / "conf" / "token")
    running = start_server("127.0.0.1", 0, state_dir=state, token=token)
    yield running, token
    running.stop(0)


def test_node_client_scores_the_demo_film(server, demo24, tmp_path):
    _node_modules()
    running, token = server
    out = tmp_path / "node.scored.otio"
    done = subprocess.run(
        [
            shutil.which("node"),
            str(HERE / "client.mjs"),
            running.address,
            token,
            str(demo24.timeline_path),
            str(out),
        ],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    reply = json.loads(done.stdout)

    info = reply["engineInfo"]
    assert info["defaultModel"] in [m["name"] for m in info["models"]]
    assert reply["refusedCode"] == "UNAUTHENTICATED"  # the same port, without the token

    final = reply["final"]
    assert final["state"] == "JOB_STATE_SUCCEEDED", final["message"]
    assert reply["events"] >= 1 and final["done"] == len(demo24.markers)
    placements = final["result"]["placements"]
    assert [(int(p["recordStartFrame"]), int(p["recordDurationFrames"])) for p in placements] == [
        (start, length) for _, start, length in demo24.markers
    ]
    assert all(Path(p["cue"]["audioPath"]).is_file() for p in placements)
    assert out.is_file() and final["result"]["outputPath"] == str(out)
