"""The whole path on files a real Resolve wrote (tests/data/interop/resolve): the fake's Export
hands over that file byte for byte, the real bridge reads it (OTIO: bare media paths,
"Resolve_OTIO" metadata, a dissolve, generators; FCP 7 XML: an audio cross fade), scores the
in/out range, plans, and the script places the cue and reads it back."""

from __future__ import annotations

import json
import wave
from fractions import Fraction
from pathlib import Path

import pytest

from tests.resolve import fake_resolve as fake

FOLDER = Path(__file__).parents[1] / "data" / "interop" / "resolve"
START = 86400  # both exports start at 01:00:00:00 at 24


def _wav(path: Path, seconds: float) -> str:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(48000)
        w.writeframes(b"\x00\x08\x00\x08" * int(48000 * seconds))
    return str(path)


def _resolve_as_exported(tmp_path: Path, adapter: str, export: Path, sound: list, version):
    """A fake timeline laid out as the export is: picture on V1, `sound` (track, first, last
    frame) on the first audio tracks, 16 audio tracks in all, as Resolve wrote them."""
    shot = fake.Shot("cut_src.mp4", str(export), 0, 192)  # never opened: the export is given
    marks = {"video": {"in": 100, "out": 171}}  # out included, as Resolve shows it
    exports = {adapter: export} if adapter == "otio_json" else {"otio_json": None, adapter: export}
    timeline = fake.Timeline(
        "E109_AAF", Fraction(24), START, [shot], marks=marks, host_exports=exports
    )
    timeline.audio += [fake.Track(f"Audio {n}", "mono") for n in range(2, 17)]
    media = fake.MediaPoolItem(_wav(tmp_path / "cut_src.wav", 10.0), Fraction(24))
    for track, a, b in sound:
        timeline.audio[track].items.append(fake.TimelineItem(media, START + a, START + b, {}))
    project = fake.Project("Resolve export", timeline)
    return fake.Resolve(project, version, fake.STUDIO), timeline


@pytest.mark.parametrize(
    ("name", "adapter", "fmt", "sound", "version"),
    [
        # Audio 1 holds the clip's sound (0-96): a gap under the cue, but no Score lane.
        ("E117_resolve_ftw_export.otio", "otio_json", "otio", [(0, 0, 96)], (20, 2, 0, 5)),
        # The OTIO export fails: FCP 7 XML, as Resolve writes it, whose A1 and A2 run to 168.
        # (The file itself holds no markers, so the range comes from the in/out marks.)
        (
            "E114_resolve_audio_xfade_export.xml",
            "fcp_xml",
            "fcp7xml",
            [(0, 0, 168), (1, 0, 168)],
            (20, 2, 0, 5),
        ),
    ],
)
def test_a_real_resolve_export_scores_plans_and_places(
    plugin, settings, tmp_path, name, adapter, fmt, sound, version
):
    export = FOLDER / name
    text = export.read_text(encoding="utf-8")
    assert "Resolve_OTIO" in text or "(Resolve)" in text  # a Resolve export, not the fake's
    resolve, timeline = _resolve_as_exported(tmp_path, adapter, export, sound, version)

    report = plugin.score_timeline(resolve, {}, settings=settings)

    assert report.ok, report.text()
    assert report.facts["export_format"] == fmt
    [(path, _kind)] = timeline.exports
    assert Path(path).read_bytes() == export.read_bytes()  # the bridge read Resolve's own bytes
    # The first tracks hold sound or are no Score lane: a new "Score" track takes the cue.
    [placed] = report.placed
    assert (placed["trackIndex"], placed["trackName"]) == (17, "Score")
    assert (placed["recordFrame"], placed["durationFrames"]) == (START + 100, 72)
    [item] = timeline.audio[16].items  # read back from the host's track
    assert (item.start, item.end) == (START + 100, START + 172)
    for track, a, b in sound:  # what was there stays
        assert [(i.start, i.end) for i in timeline.audio[track].items] == [(START + a, START + b)]
    assert sum(len(t.items) for t in timeline.audio[:16]) == len(sound)
    marker = timeline.markers[placed["markerFrame"]]
    assert json.loads(marker["customData"])["cuebridge"]["lane"] == "Score"
