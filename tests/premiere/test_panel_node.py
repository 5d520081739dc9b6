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


PREMIERE_XML = ROOT / "tests" / "data" / "interop" / "premiere" / "premiere_example.xml"


def _premiere_sequence(xml: Path) -> dict:
    """The sequence in Premiere's own XML as the host describes it: rate, length, markers and
    the audio clips of each track, in frames, read with OpenTimelineIO's FCP 7 adapter."""
    import opentimelineio as otio

    timeline = otio.adapters.read_from_file(str(xml))
    rate = Fraction(timeline.duration().rate).limit_denominator(1001)
    tpf = Fraction(TICKS_PER_SECOND) / rate
    assert tpf.denominator == 1

    def frames(t) -> int:
        return round(t.rescaled_to(float(rate)).value)

    tracks = []
    for track in timeline.audio_tracks():
        clips = [child for child in track if not isinstance(child, otio.schema.Gap)]
        spans = [child.range_in_parent() for child in clips]
        tracks.append([[frames(r.start_time), frames(r.end_time_exclusive())] for r in spans])
    return {
        "name": timeline.name,
        "timebase": str(tpf.numerator),
        "durationFrames": frames(timeline.duration()),
        "markers": [
            {"name": m.name, "frame": frames(m.marked_range.start_time)}
            for m in timeline.tracks.markers
        ],
        "audioClips": tracks,
    }


def _wav_frames(path: str) -> tuple[int, int]:
    with wave.open(path) as w:
        return w.getframerate(), w.getnframes()


def test_panel_scores_the_demo_through_the_real_bridge(bridge, demo24, tmp_path):
    spec = tmp_path / "sequence.json"
    spec.write_text(json.dumps(_sequence(demo24)))
    premiere = tmp_path / "premiere_sequence.json"
    premiere.write_text(json.dumps(_premiere_sequence(PREMIERE_XML)))
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
            "CUEBRIDGE_PREMIERE_XML": str(PREMIERE_XML),
            "CUEBRIDGE_PREMIERE_SEQUENCE": str(premiere),
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
    # Premiere's own XML: one cue over In/Out (frames 100-400 at 30 fps), 10 s of real WAV.
    xml = placed["premiereXml"]
    assert int(xml["placement"]["ticks"]) == 100 * TICKS_PER_SECOND // 30
    assert (xml["timecode"], xml["duration"]) == ("00:00:03:10", "0:10.00")  # the bridge's labels
    rate, frames = _wav_frames(xml["placement"]["path"])
    assert abs(Fraction(frames, rate) - 10) <= Fraction(1, 30), frames
    assert placed["moods"] > 11  # the feeling words besides the ten styles
    assert placed["sortedKinds"][-2:] == ["MARKER_KIND_HIT_POINT"] * 2  # 1 frame and 0 frames
    assert placed["dropFrameRange"] == "01:01:00;02-01:02:00;04"
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


def test_the_fakes_xml_export_reads_like_premieres_own(tmp_path):
    """The fake's FCP 7 XML and Premiere's own file read the same way through OpenTimelineIO:
    a marker without a duration (Premiere's <out>-1</out>) is a zero-length marker, a marker
    with one keeps its length, and the sequence keeps its name and rate."""
    import opentimelineio as otio

    script = (
        "const { fcpXml } = require('./tests/premiere/fake_premierepro.js');"
        "const tpf = 8467200000n;"  # 30 fps
        "process.stdout.write(fcpXml({ name: 'sc01', timebase: String(tpf), zeroTicks: 0n,"
        " endTicks: 636n * tpf, markers: ["
        " { name: 'dsf', startTicks: 492n * tpf, durationTicks: 0n },"
        " { name: 'chase', startTicks: 100n * tpf, durationTicks: 24n * tpf } ] }));"
    )
    done = subprocess.run(
        [node(), "-e", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "<out>-1</out>" in done.stdout  # as Premiere writes a marker without a duration
    fake_xml = tmp_path / "fake.xml"
    fake_xml.write_text(done.stdout)

    def read(path):
        timeline = otio.adapters.read_from_file(str(path))
        marks = {
            m.name: (m.marked_range.start_time.value, m.marked_range.duration.value)
            for m in timeline.tracks.markers
        }
        rates = {m.marked_range.start_time.rate for m in timeline.tracks.markers}
        return timeline.name, rates, marks

    name, rate, marks = read(fake_xml)
    assert (name, rate) == ("sc01", {30})
    assert marks == {"dsf": (492, 0), "chase": (100, 24)}
    premiere_name, premiere_rate, premiere_marks = read(PREMIERE_XML)
    assert (premiere_name, premiere_rate) == ("sc01_sh010_layerA", {30})
    assert premiere_marks["dsf"] == marks["dsf"]
