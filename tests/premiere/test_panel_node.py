"""The panel's JavaScript under node: unit tests, and the real bridge end to end.

The end-to-end run starts the real bridge (gRPC + its HTTP/JSON gateway, with a token) and runs
tests/premiere/e2e_score.js, where the panel's own modules drive a fake `premierepro` host: the
demo timeline is "exported", scored by the bridge, and the cues placed. This side then checks
the placements on its own: exact ticks from the markers' frames, real WAV files of the right
length.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import wave
from fractions import Fraction
from pathlib import Path

import pytest

from cuebridge.app.host import start_server
from cuebridge.bridge.scoring import convert

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TICKS_PER_SECOND = 254016000000
TOKEN = "premiere-panel-test-token-0123456789abcdef"


def node() -> str:
    path = shutil.which("node")
    # CI must have node 20+ for the panel's tests: a missing node is a broken set-up, not a skip.
    assert path, "node is not on PATH: install Node.js 20+ to test the Premiere panel"
    version = subprocess.run([path, "--version"], capture_output=True, text=True, check=True)
    assert int(version.stdout.strip().lstrip("v").split(".")[0]) >= 20, version.stdout
    return path


def run_node(args: list[str], env: dict | None = None, timeout: float = 240) -> str:
    done = subprocess.run(
        [node(), "--test", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    assert "# fail 0" in output and "# pass 0" not in output, output[-3000:]
    return output


def gateway_url(running) -> str:
    return running.http.url


@pytest.fixture(scope="module")
def bridge(tmp_path_factory):
    running = start_server(
        "127.0.0.1",
        0,
        output_root=tmp_path_factory.mktemp("engine-out"),
        token=TOKEN,
        http_port=0,
    )
    yield running
    running.stop(0)


def test_panel_unit_tests_pass_under_node():
    output = run_node([str(HERE)])
    # time, sequence and place tests all ran (node reports each file's subtests).
    for name in (
        "the exact rate fraction",
        "no markers and no In/Out",
        "deleted before import",
        "a lane to create",
    ):
        assert name in output, f"{name!r} did not run"


def _sequence(film) -> dict:
    """The demo as Premiere would describe it: ticks per frame, zero point, markers in ticks."""
    tpf = Fraction(TICKS_PER_SECOND) / film.rate
    assert tpf.denominator == 1
    tpf = tpf.numerator
    return {
        "name": "demo",
        "timebase": str(tpf),
        "zeroTicks": str(86400 * tpf),  # 01:00:00:00 at 24
        "endTicks": str(film.total_frames * tpf),
        "markers": [
            {"name": name, "startTicks": str(start * tpf), "durationTicks": str(length * tpf)}
            for name, start, length in film.markers
        ],
    }


def _wav_frames(path: str) -> tuple[int, int]:
    with wave.open(path) as w:
        return w.getframerate(), w.getnframes()


def test_panel_scores_the_demo_through_the_real_bridge(bridge, demo24, tmp_path):
    spec = tmp_path / "sequence.json"
    spec.write_text(json.dumps(_sequence(demo24)))
    xml = convert(demo24.timeline_path, tmp_path / "demo.xml")
    result = tmp_path / "result.json"
    run_node(
        [str(HERE / "e2e_score.js")],
        env={
            "CUEBRIDGE_URL": gateway_url(bridge),
            "CUEBRIDGE_TOKEN": TOKEN,
            "CUEBRIDGE_DEMO_TIMELINE": str(demo24.timeline_path),
            "CUEBRIDGE_DEMO_XML": str(xml),
            "CUEBRIDGE_DEMO_SEQUENCE": str(spec),
            "CUEBRIDGE_WORK": str(tmp_path / "work"),
            "CUEBRIDGE_RESULT": str(result),
        },
    )
    placed = json.loads(result.read_text())
    assert placed["models"], "no models listed"
    for kind in ("otio", "xml"):
        placements = placed[kind]["placements"]
        # Exact ticks, computed here from the demo's own frames and its rate.
        assert [int(p["ticks"]) for p in placements] == [
            start * TICKS_PER_SECOND / demo24.rate for _, start, _ in demo24.markers
        ]
        assert len({p["audioTrack"] for p in placements}) == 1
        for p, (_, _, length) in zip(placements, demo24.markers, strict=True):
            rate, frames = _wav_frames(p["path"])
            exact = Fraction(length) / demo24.rate * rate
            assert abs(frames - exact) <= rate / demo24.rate, f"{p['path']}: {frames} samples"
    assert placed["moods"] > 11  # the feeling words besides the ten styles
    assert "refused the panel's token" in placed["wrongToken"]
    assert "cuebridge serve" in placed["notRunning"]
    assert placed["cancelled"] in ("JOB_STATE_CANCELLED", "JOB_STATE_SUCCEEDED")
    # Another take (e2e_score.js): two real WAVs of the cue's length, made with different seeds.
    take = placed["take"]
    seconds = Fraction(int(take["durationTicks"]), TICKS_PER_SECOND)
    assert len({t["seed"] for t in take["takes"]}) == 2
    for t in take["takes"]:
        rate, frames = _wav_frames(t["path"])
        assert abs(Fraction(frames, rate) - seconds) < Fraction(1, 24), t
