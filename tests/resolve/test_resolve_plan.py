"""The script applies the bridge's placement plan (issue 20): drop-frame timelines on every
frame, Score lanes only (never the dialogue track, even with a gap under the cue), what landed
read back."""

from __future__ import annotations

import json
import wave
from fractions import Fraction

import pytest

from tests.resolve import fake_resolve as fake
from tests.resolve.conftest import cue_marker, make_resolve


def parts(resolve):
    project = resolve.project_manager.project
    return project, project.current, project.pool


def ours(timeline):
    return [
        (t.name, i.start, i.end, i.name)
        for t in timeline.audio
        for i in t.items
        if "/cues/" in i.media.path.replace("\\", "/")
    ]


@pytest.mark.parametrize(
    ("rate", "start", "start_tc"),
    [
        # 00:00:59;20 and 00:00:59;50: each cue crosses the minute where ;00 and ;01 (;00-;03 at
        # 59.94) are dropped, so a count that ignored drop-frame would be off by 2 (4) frames.
        (Fraction(30000, 1001), 1790, "00:00:59;20"),
        (Fraction(60000, 1001), 3590, "00:00:59;50"),
    ],
)
def test_drop_frame_timelines_score_and_place_on_every_frame(
    plugin, pictures, settings, rate, start, start_tc
):
    markers = {5: cue_marker("dawn", 40), 70: cue_marker("escape", 50)}
    resolve = make_resolve(pictures[rate], rate, start, markers, drop_frame=True)
    _, timeline, _ = parts(resolve)
    assert timeline.GetSetting("timelineFrameRate").endswith(" DF")
    assert fake.frames_to_timecode(start, rate, True) == start_tc

    report = plugin.score_timeline(resolve, {}, settings=settings)

    assert report.ok, report.text()
    assert sorted(ours(timeline)) == [
        ("Score", start + 5, start + 45, "dawn"),
        ("Score", start + 70, start + 120, "escape"),
    ]
    assert not [w for w in report.warnings if "frame(s)" in w]


@pytest.mark.parametrize(
    ("rate", "start", "dropped"),
    [(Fraction(30000, 1001), 1790, 2), (Fraction(60000, 1001), 3590, 4)],
)
def test_a_drop_frame_in_out_range_is_placed_on_its_frames(
    plugin, pictures, settings, rate, start, dropped
):
    # In at the start's 10th frame, across the minute whose first `dropped` labels are skipped.
    marks = {"video": {"in": 10, "out": 69}}  # out included, as Resolve shows it
    resolve = make_resolve(pictures[rate], rate, start, marks=marks, drop_frame=True)
    _, timeline, _ = parts(resolve)
    assert timeline.GetSetting("timelineFrameRate").endswith(" DF")
    label = fake.frames_to_timecode(start + 10, rate, True)
    assert label.endswith(f"00;{dropped:02d}"), label  # the first label after the drop

    report = plugin.score_timeline(resolve, {}, settings=settings)

    assert report.ok, report.text()
    [(track, s, e, _name)] = ours(timeline)
    assert (track, s, e) == ("Score", start + 10, start + 70)
    assert not [w for w in report.warnings if "frame(s)" in w]


def _dialogue_wav(path, seconds: float) -> str:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(48000)
        w.writeframes(b"\x00\x10" * int(48000 * seconds))
    return str(path)


def test_dialogue_on_a1_with_a_gap_under_the_cue_never_gets_the_cue(
    plugin, pictures, settings, tmp_path
):
    rate, start = Fraction(24), 86400
    resolve = make_resolve(pictures[rate], rate, start, {30: cue_marker("montage", 60)})
    _, timeline, _ = parts(resolve)
    timeline.audio[0].name = "Dialogue"
    line = fake.MediaPoolItem(_dialogue_wav(tmp_path / "line.wav", 2.0), rate)
    timeline.audio[0].items += [
        fake.TimelineItem(line, start, start + 20, {}),  # before the cue
        fake.TimelineItem(line, start + 100, start + 140, {}),  # after it: a gap under the cue
    ]

    report = plugin.score_timeline(resolve, {}, settings=settings)

    assert report.ok, report.text()
    assert ours(timeline) == [("Score", start + 30, start + 90, "montage")]
    dialogue = timeline.audio[0]
    assert dialogue.name == "Dialogue" and [(i.start, i.end) for i in dialogue.items] == [
        (start, start + 20),
        (start + 100, start + 140),
    ]
    [placed] = report.placed
    assert placed["trackIndex"] == 2 and placed["trackName"] == "Score"
    # What the plan asked for is what the track holds, read back.
    assert (placed["recordFrame"], placed["durationFrames"]) == (start + 30, 60)
    marker = timeline.markers[placed["markerFrame"]]
    data = json.loads(marker["customData"])["cuebridge"]
    assert marker["name"] == "Score: montage" and data["lane"] == "Score"
