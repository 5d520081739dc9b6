"""The demo film and its timeline, decoded and read back for real; the synthetic feature."""

from __future__ import annotations

import json
from fractions import Fraction
from itertools import pairwise
from pathlib import Path
from urllib.parse import unquote, urlparse

import av
import numpy as np
import opentimelineio as otio
import pytest

from cuebridge.app.demo_film import (
    SHOTS,
    DemoFilm,
    as_rate,
    frames_at,
    make_demo_film,
    make_feature_timeline,
)

# (rate, width, height): the default size once, small pictures for the other rates to stay fast.
DEMO_CASES = [((24, 1), 640, 360), (25, 192, 108), ((30000, 1001), 192, 108)]


@pytest.fixture(scope="module", params=DEMO_CASES, ids=["24", "25", "29.97"])
def case(request) -> tuple:
    return request.param


@pytest.fixture(scope="module")
def demo(case, tmp_path_factory) -> DemoFilm:
    rate, width, height = case
    return make_demo_film(tmp_path_factory.mktemp("demo"), rate=rate, width=width, height=height)


@pytest.fixture(scope="module")
def decoded(demo) -> dict:
    """Every frame of the film, shrunk to 80x45 RGB, with its presentation time."""
    with av.open(str(demo.film_path)) as container:
        stream = container.streams.video[0]
        info = {
            "codec": stream.codec_context.name,
            "rate": stream.average_rate,
            "size": (stream.codec_context.width, stream.codec_context.height),
            "pix_fmt": stream.codec_context.pix_fmt,
        }
        times, pictures = [], []
        for frame in container.decode(stream):
            times.append(frame.pts * frame.time_base)
            pictures.append(frame.reformat(width=80, height=45, format="rgb24").to_ndarray())
    info["times"] = times
    info["pictures"] = np.stack(pictures).astype(np.float32)
    return info


def read_timeline(demo: DemoFilm) -> otio.schema.Timeline:
    return otio.adapters.read_from_file(str(demo.timeline_path))


# --- the film ------------------------------------------------------------------------------------


def test_film_is_h264_with_every_frame_at_the_rate(demo, decoded):
    fps = demo.rate
    expected_frames = frames_at(sum(shot.seconds for shot in SHOTS), fps)
    assert demo.total_frames == expected_frames
    assert 40 * fps <= expected_frames <= 60 * fps
    assert decoded["codec"] == "h264"
    assert decoded["pix_fmt"] == "yuv420p"
    assert decoded["rate"] == fps
    assert len(decoded["times"]) == expected_frames
    # Frame n is shown at exactly n / fps: no drift, no dropped or doubled frames.
    assert decoded["times"] == [Fraction(n) / fps for n in range(expected_frames)]


def test_film_has_the_size_and_rate_asked_for(case, demo, decoded):
    rate, width, height = case
    assert decoded["size"] == (width, height)
    assert demo.rate == as_rate(rate)


def test_cuts_show_as_jumps_in_mean_colour_and_nowhere_else(demo, decoded):
    means = decoded["pictures"].mean(axis=(1, 2))  # (frames, 3)
    jumps = np.abs(np.diff(means, axis=0)).max(axis=1)  # jumps[i]: frame i -> frame i + 1
    cut_after = [start - 1 for start in demo.shot_frames[1:]]
    inside = np.delete(jumps, cut_after)
    smallest_cut, largest_inside = jumps[cut_after].min(), inside.max()
    assert smallest_cut > 10 * largest_inside, (smallest_cut, largest_inside)
    # A plain threshold between the two finds the shot starts and only them.
    threshold = (smallest_cut + largest_inside) / 2
    assert [int(i) + 1 for i in np.flatnonzero(jumps > threshold)] == demo.shot_frames[1:]


def test_calm_shots_are_darker_and_stiller_than_the_chase(demo, decoded):
    pictures = decoded["pictures"]
    bounds = [*demo.shot_frames, demo.total_frames]

    def shot(index: int) -> np.ndarray:
        return pictures[bounds[index] : bounds[index + 1]]

    def motion(index: int) -> float:
        return float(np.abs(np.diff(shot(index), axis=0)).mean())

    def brightness(indices: list[int]) -> float:
        return float(np.mean([shot(i).mean() for i in indices]))

    calm = [i for i, s in enumerate(SHOTS) if s.speed < 0.2]
    fast = [i for i, s in enumerate(SHOTS) if s.speed > 1.0]
    assert calm and fast
    assert min(motion(i) for i in fast) > 5 * max(motion(i) for i in calm)
    assert brightness(fast) > 1.3 * brightness(calm)
    darkest = min(range(len(SHOTS)), key=lambda i: shot(i).mean())
    assert SHOTS[darkest].name == "dark corridor"


# --- the timeline --------------------------------------------------------------------------------


def test_timeline_clips_cover_the_film_exactly(demo):
    timeline = read_timeline(demo)
    fps = float(demo.rate)
    assert timeline.global_start_time == otio.opentime.RationalTime.from_timecode(
        "01:00:00:00", fps
    )
    # Non-drop-frame: 01:00:00:00 at 30000/1001 is frame 108000.
    start = otio.opentime.to_timecode(timeline.global_start_time, fps, drop_frame=False)
    assert start == "01:00:00:00"
    (track,) = timeline.video_tracks()
    clips = list(track.find_clips())
    assert len(clips) == len(SHOTS)
    source_starts = [clip.source_range.start_time.to_frames() for clip in clips]
    durations = [clip.source_range.duration.to_frames() for clip in clips]
    assert source_starts == demo.shot_frames
    assert sum(durations) == demo.total_frames
    assert timeline.duration().to_frames() == demo.total_frames
    # Record positions equal source positions: the edit plays the film straight through.
    assert [clip.range_in_parent().start_time.to_frames() for clip in clips] == source_starts
    for clip in clips:
        reference = clip.media_reference
        assert isinstance(reference, otio.schema.ExternalReference)
        assert reference.available_range.duration.to_frames() == demo.total_frames
        assert Path(unquote(urlparse(reference.target_url).path)) == demo.film_path.resolve()
        assert clip.source_range.duration.rate == pytest.approx(fps)


def test_markers_span_cuts_and_lie_inside_the_timeline(demo):
    timeline = read_timeline(demo)
    markers = list(timeline.tracks.markers)
    assert len(markers) == 3
    found = []
    for marker in markers:
        start = marker.marked_range.start_time.to_frames()
        duration = marker.marked_range.duration.to_frames()
        found.append((marker.name, start, duration))
        assert 0 <= start and start + duration <= demo.total_frames
        assert start in demo.shot_frames
        assert start + duration in [*demo.shot_frames, demo.total_frames]
        cuts_inside = [f for f in demo.shot_frames if start < f < start + duration]
        assert cuts_inside, f"{marker.name} has no cut inside"
        cue = marker.metadata["cuebridge"]
        assert cue["mood"] and isinstance(cue["seed"], int)
    assert found == demo.markers
    ends = [(s, s + d) for _, s, d in found]
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in pairwise(ends))
    assert len({m.metadata["cuebridge"]["seed"] for m in markers}) == 3


def test_bad_size_and_rate_are_refused(tmp_path):
    with pytest.raises(ValueError, match="even"):
        make_demo_film(tmp_path, width=641, height=360)
    with pytest.raises(ValueError, match="positive"):
        as_rate(0)
    assert not any(tmp_path.iterdir()), "a refused call must write nothing"


# --- the synthetic feature -----------------------------------------------------------------------


@pytest.mark.parametrize("rate", [(24, 1), (25, 1), (30000, 1001)], ids=["24", "25", "29.97"])
def test_feature_timeline_has_the_length_and_cues_asked_for(rate):
    fps = as_rate(rate)
    timeline = make_feature_timeline(minutes=90, cues=60, rate=rate, seed=3)
    total = round(90 * 60 * fps)
    assert timeline.duration().to_frames() == total
    video, audio = timeline.video_tracks(), timeline.audio_tracks()
    assert len(video) == 1 and len(audio) == 1
    assert audio[0].duration().to_frames() == total

    shots = [clip.source_range.duration.to_frames() for clip in video[0].find_clips()]
    assert sum(shots) == total
    assert all(frames_at(2, fps) <= n <= frames_at(8, fps) for n in shots)
    assert len(set(shots)) > 20, "shot lengths should vary"
    for clip in timeline.find_clips():
        path = Path(unquote(urlparse(clip.media_reference.target_url).path))
        assert not path.exists(), "the feature's media must be offline"

    ranges = [
        (m.marked_range.start_time.to_frames(), m.marked_range.duration.to_frames())
        for m in timeline.tracks.markers
    ]
    assert len(ranges) == 60
    assert all(frames_at(20, fps) <= d <= frames_at(120, fps) for _, d in ranges)
    assert all(0 <= s and s + d <= total for s, d in ranges)
    ordered = sorted(ranges)
    assert all(s1 + d1 <= s2 for (s1, d1), (s2, _) in pairwise(ordered))
    assert all(m.name and m.metadata["cuebridge"]["mood"] for m in timeline.tracks.markers)


def test_feature_timeline_is_the_same_for_a_seed_and_survives_otio_json():
    first = make_feature_timeline(minutes=20, cues=10, seed=7)
    again = make_feature_timeline(minutes=20, cues=10, seed=7)
    other = make_feature_timeline(minutes=20, cues=10, seed=8)
    text = otio.adapters.write_to_string(first, "otio_json")
    assert text == otio.adapters.write_to_string(again, "otio_json")
    assert text != otio.adapters.write_to_string(other, "otio_json")
    back = otio.adapters.read_from_string(text, "otio_json")
    assert back.duration() == first.duration()
    assert len(back.tracks.markers) == 10
    assert json.loads(text)["global_start_time"]["value"] == 86400


def test_feature_timeline_refuses_more_cues_than_fit():
    with pytest.raises(ValueError, match="fewer cues"):
        make_feature_timeline(minutes=10, cues=31)
    assert len(make_feature_timeline(minutes=10, cues=30).tracks.markers) == 30
