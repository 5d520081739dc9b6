"""Segment selection on real timelines: markers, ranges, the whole, automatic scenes."""

from __future__ import annotations

from fractions import Fraction

import opentimelineio as otio
import pytest

from cuebridge.app.demo_film import make_feature_timeline
from cuebridge.bridge.errors import BridgeError
from cuebridge.bridge.media import MediaLinker
from cuebridge.bridge.segments import CueDefaults, SegmentMode, Selection, select, study
from cuebridge.bridge.timeline_io import read_timeline, timeline_rate


def _select(timeline, selection=None, path=None, rate=None):
    selection = selection or Selection()
    facts = study(timeline, rate or timeline_rate(timeline))
    linker = MediaLinker(path) if path else None
    return facts, select(timeline, facts, selection, CueDefaults(seed=3), linker)


@pytest.mark.parametrize("rate", [Fraction(24), Fraction(25), Fraction(30000, 1001)])
def test_markers_become_segments_with_their_cuts(demo_films, rate):
    film = demo_films[rate]
    timeline = read_timeline(film.timeline_path)
    facts, segs = _select(timeline, path=film.timeline_path)
    assert facts.rate == rate
    assert facts.start_frame == 3600 * round(rate)  # 01:00:00:00 counts whole frames a second
    assert [(s.record_start, s.segment.duration_frames) for s in segs] == [
        (start, length) for _, start, length in film.markers
    ]
    for seg, (prompt, start, length) in zip(segs, film.markers, strict=True):
        assert seg.segment.prompt == prompt
        inside = [f - start for f in film.shot_frames if start < f < start + length]
        assert list(seg.segment.cut_frames) == inside and inside
        # The picture is online and covers the segment without holes.
        assert seg.media_offline == 0
        covered = sum(m.record_duration_frames for m in seg.segment.media)
        assert covered == length
        first = seg.segment.media[0]
        assert first.source_start_s == pytest.approx(float(Fraction(start) / rate))


def test_marker_mood_and_seed_come_from_metadata(demo24):
    timeline = read_timeline(demo24.timeline_path)
    _, segs = _select(timeline)
    moods = [m.metadata["cuebridge"]["mood"] for m in timeline.tracks.markers]
    assert [s.segment.mood for s in segs] == moods
    assert len({s.segment.seed for s in segs}) == len(segs)


def test_comment_fields_and_zero_length_markers_as_hit_points():
    timeline = _cut_timeline([48, 48, 48], rate=24)
    rng = otio.opentime.TimeRange(_t(24, 24), _t(96, 24))
    cue = otio.schema.Marker(name="", marked_range=rng)
    cue.comment = "lonely walk home\nmood: sad\nseed: 42"
    timeline.tracks.markers.append(cue)
    timeline.tracks.markers.append(
        otio.schema.Marker(
            name="door slam", marked_range=otio.opentime.TimeRange(_t(60, 24), _t(0, 24))
        )
    )
    _, [seg] = _select(timeline)
    assert (seg.segment.prompt, seg.segment.mood, seg.segment.seed) == (
        "lonely walk home",
        "sad",
        42,
    )
    assert seg.segment.cut_frames == (24, 72)
    assert seg.segment.hit_frames == (36,)


def test_marker_outside_the_timeline_is_refused_with_its_timecode():
    timeline = _cut_timeline([48], rate=24)
    rng = otio.opentime.TimeRange(_t(24, 24), _t(48, 24))
    timeline.tracks.markers.append(otio.schema.Marker(name="too long", marked_range=rng))
    with pytest.raises(BridgeError, match=r"marker 'too long' at 00:00:01:00 reaches outside"):
        _select(timeline)


def test_no_duration_markers_says_what_to_do():
    with pytest.raises(BridgeError, match="--segments scenes"):
        _select(_cut_timeline([48], rate=24))


def test_range_and_whole(demo24):
    timeline = read_timeline(demo24.timeline_path)
    _, [seg] = _select(timeline, Selection(SegmentMode.RANGE, "01:00:05:00-01:00:20:12"))
    assert (seg.record_start, seg.segment.duration_frames) == (120, 15 * 24 + 12)
    _, [whole] = _select(timeline, Selection(SegmentMode.WHOLE))
    assert whole.segment.duration_frames == demo24.total_frames
    assert list(whole.segment.cut_frames) == demo24.shot_frames[1:]


@pytest.mark.parametrize(
    "text,problem",
    [
        ("01:00:05:00-01:00:05:00", "out point must come after"),
        ("00:59:00:00-01:00:05:00", "outside the timeline"),
        ("01:00:05:00", "IN-OUT"),
        ("01:00:0x:00-01:00:09:00", "IN-OUT|timecode"),
    ],
)
def test_bad_ranges_are_refused(demo24, text, problem):
    timeline = read_timeline(demo24.timeline_path)
    with pytest.raises(BridgeError, match=problem):
        _select(timeline, Selection(SegmentMode.RANGE, text))


@pytest.mark.parametrize("rate", [Fraction(24), Fraction(30000, 1001)])
def test_scenes_cover_the_feature_in_musical_lengths_breaking_at_cuts(rate):
    timeline = make_feature_timeline(minutes=30, cues=10, rate=rate, seed=1)
    facts, segs = _select(timeline, Selection(SegmentMode.SCENES), rate=rate)
    assert segs[0].record_start == 0 and segs[-1].record_end == facts.duration
    for a, b in zip(segs, segs[1:], strict=False):
        assert a.record_end == b.record_start  # no gaps in this edit: contiguous cues
        assert b.record_start in facts.edit_points  # every break is a cut
    for s in segs:
        assert 20 * rate <= s.segment.duration_frames <= 120 * rate


def test_scenes_break_at_gaps():
    timeline = _cut_timeline([240, -120, 240], rate=24)
    _, segs = _select(timeline, Selection(SegmentMode.SCENES, min_scene_s=2, max_scene_s=60))
    assert [(s.record_start, s.segment.duration_frames) for s in segs] == [(0, 240), (360, 240)]


def test_empty_timeline_has_nothing_to_score():
    timeline = otio.schema.Timeline(name="empty")
    timeline.tracks.append(otio.schema.Track(kind=otio.schema.TrackKind.Video))
    with pytest.raises(BridgeError, match="nothing to score"):
        _select(timeline, Selection(SegmentMode.SCENES), rate=Fraction(24))


def test_over_limit_marker_count_is_refused_before_planning():
    timeline = _cut_timeline([4002], rate=24)
    for i in range(2001):
        rng = otio.opentime.TimeRange(_t(2 * i, 24), _t(2, 24))
        timeline.tracks.markers.append(otio.schema.Marker(name=f"cue {i}", marked_range=rng))
    with pytest.raises(BridgeError, match=r"2001 markers .* 2000 .*split the timeline"):
        _select(timeline)


def test_clip_index_finds_the_same_picture_as_every_clip_would():
    # Clips and gaps of uneven lengths; segments start inside clips, on cuts and in gaps.
    lengths = [(7 * i) % 23 + 1 if i % 5 else -((3 * i) % 11 + 1) for i in range(120)]
    timeline = _cut_timeline(lengths, rate=24)
    total = sum(abs(n) for n in lengths)
    starts = list(range(0, total - 40, 37))
    for i, start in enumerate(starts):
        rng = otio.opentime.TimeRange(_t(start, 24), _t(29 + i % 13, 24))
        timeline.tracks.markers.append(otio.schema.Marker(name=f"cue {i}", marked_range=rng))
    _, segs = _select(timeline)
    placed, at = [], 0  # where each clip plays, by hand
    for n in lengths:
        if n > 0:
            placed.append((at, at + n))
        at += abs(n)
    assert len(segs) == len(starts)
    for seg in segs:
        a, b = seg.record_start, seg.record_end
        want = [(max(x, a) - a, min(y, b) - max(x, a)) for x, y in placed if max(x, a) < min(y, b)]
        got = [(m.record_offset_frames, m.record_duration_frames) for m in seg.segment.media]
        assert got == want and want
        assert list(seg.segment.cut_frames) == sorted({p - a for p in _edges(lengths) if a < p < b})


@pytest.mark.parametrize("field", ["min_scene_s", "max_scene_s"])
@pytest.mark.parametrize("seconds", [float("nan"), 1e-9, float("inf"), -5.0])
def test_scene_lengths_out_of_range_are_refused_naming_the_range(field, seconds):
    timeline = _cut_timeline([240, 240, 240], rate=24)
    selection = Selection(SegmentMode.SCENES, **{field: seconds})
    with pytest.raises(BridgeError, match=r"scene length .* is outside 1-3600 s"):
        _select(timeline, selection)


def _edges(lengths: list[int]) -> list[int]:
    out, at = [], 0
    for n in lengths:
        out += [at, at + abs(n)]
        at += abs(n)
    return [p for p in out if 0 < p < at]


# -- helpers ------------------------------------------------------------------------------


def _t(v, r):
    return otio.opentime.RationalTime(v, r)


def _cut_timeline(lengths: list[int], rate: int) -> otio.schema.Timeline:
    """Clips of the given lengths on V1; a negative length is a gap."""
    track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    for i, n in enumerate(lengths):
        rng = otio.opentime.TimeRange(_t(0, rate), _t(abs(n), rate))
        track.append(
            otio.schema.Gap(source_range=rng)
            if n < 0
            else otio.schema.Clip(name=f"shot{i}", source_range=rng)
        )
    timeline = otio.schema.Timeline(name="cuts")
    timeline.tracks.append(track)
    return timeline


def test_a_marker_whose_prompt_is_in_its_comment_names_the_cue_from_the_prompt():
    timeline = _cut_timeline([48, 48, 48], rate=24)
    rng = otio.opentime.TimeRange(_t(24, 24), _t(96, 24))
    cue = otio.schema.Marker(name="", marked_range=rng)
    cue.comment = "mood: sad\nlonely walk home through the rain at night, slow\nseed: 4"
    timeline.tracks.markers.append(cue)
    _, [seg] = _select(timeline)
    assert seg.segment.name == "lonely walk home through the rain at night, slow"
    assert "Cue at" not in seg.segment.name
