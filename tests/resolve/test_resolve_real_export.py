"""The whole path on a file a real Resolve wrote (tests/data/interop/resolve): the fake's Export
hands over that OTIO byte for byte, the real bridge reads it (bare media paths, "Resolve_OTIO"
metadata, a dissolve, generators, 16 audio tracks), scores the in/out range, plans, and the script
places the cue and reads it back."""

from __future__ import annotations

import json
import wave
from fractions import Fraction
from pathlib import Path

from tests.resolve import fake_resolve as fake

EXPORT = Path(__file__).parents[1] / "data" / "interop" / "resolve" / "E117_resolve_ftw_export.otio"
START = 86400  # the export's global_start_time: 01:00:00:00 at 24


def _wav(path: Path, seconds: float) -> str:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(48000)
        w.writeframes(b"\x00\x08\x00\x08" * int(48000 * seconds))
    return str(path)


def _resolve_as_exported(tmp_path: Path, marks: dict) -> fake.Resolve:
    """A fake timeline laid out as the export is: 240 frames of picture, the clip's sound on the
    stereo "Audio 1" (frames 0-96), 15 empty mono tracks."""
    shot = fake.Shot("cut_src.mp4", str(EXPORT), 24, 240)  # never opened: the export is given
    timeline = fake.Timeline(
        "E109_AAF", Fraction(24), START, [shot], marks=marks, host_export=EXPORT
    )
    sound = fake.MediaPoolItem(_wav(tmp_path / "cut_src.wav", 10.0), Fraction(24))
    timeline.audio[0].items.append(fake.TimelineItem(sound, START, START + 96, {}))
    timeline.audio += [fake.Track(f"Audio {n}", "mono") for n in range(2, 17)]
    return fake.Resolve(fake.Project("Resolve export", timeline), (20, 2, 0, 5), fake.STUDIO)


def test_a_real_resolve_otio_export_scores_plans_and_places(plugin, settings, tmp_path):
    exported = json.loads(EXPORT.read_text(encoding="utf-8"))
    assert exported["metadata"]["Resolve_OTIO"]  # a Resolve export, not one the fake wrote
    marks = {"video": {"in": 100, "out": 219}}  # out included, as Resolve shows it
    resolve = _resolve_as_exported(tmp_path, marks)
    timeline = resolve.project_manager.project.current

    report = plugin.score_timeline(resolve, {}, settings=settings)

    assert report.ok, report.text()
    assert report.facts["export_format"] == "otio"
    [(path, _kind)] = timeline.exports
    assert Path(path).read_bytes() == EXPORT.read_bytes()  # the bridge read Resolve's own bytes
    # Audio 1 has a gap under the cue, but it is no Score lane: a new "Score" track takes it.
    [placed] = report.placed
    assert (placed["trackIndex"], placed["trackName"]) == (17, "Score")
    assert (placed["recordFrame"], placed["durationFrames"]) == (START + 100, 120)
    [item] = timeline.audio[16].items  # read back from the host's track
    assert (item.start, item.end) == (START + 100, START + 220)
    assert [(i.start, i.end) for i in timeline.audio[0].items] == [(START, START + 96)]
    assert all(not t.items for t in timeline.audio[1:16])
    marker = timeline.markers[placed["markerFrame"]]
    assert json.loads(marker["customData"])["cuebridge"]["lane"] == "Score"
