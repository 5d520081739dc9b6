"""Shot cuts inside a clip, measured against PySceneDetect's ContentDetector on the same clips."""

from __future__ import annotations

import numpy as np
import pytest
from scenedetect import AdaptiveDetector, ContentDetector, detect

from cuebridge.engine.picture.analysis import analyze_segment
from cuebridge.engine.picture.cuts import detect_cuts
from cuebridge.engine.picture.descriptors import extract_clip
from cuebridge.engine.segment import MediaSpan, Rate, Segment
from tests.picture.media import CUT_FRAMES, SHOT_COLOURS, pan, shots, write_video

RATE = 24


def _segment(path, frames, *, source_offset=0, record_offset=0, rate=RATE, cuts=()):
    span = MediaSpan(str(path), source_offset / rate, frames / rate, record_offset, frames)
    return Segment("s1", Rate(rate), record_offset + frames, cut_frames=tuple(cuts), media=(span,))


def test_cuts_in_a_flattened_movie_are_found_within_one_frame(shots_movie):
    picture = analyze_segment(_segment(shots_movie, 96))
    found = [t * RATE for t in picture.cuts_s]
    assert len(found) == len(CUT_FRAMES)
    for got, want in zip(found, CUT_FRAMES, strict=True):
        assert abs(got - want) <= 1


def test_no_cut_in_a_continuous_pan(pan_movie):
    assert analyze_segment(_segment(pan_movie, 96)).cuts_s == []


def test_cuts_are_relative_to_the_segment_start(shots_movie):
    # The clip plays source frames 10..85 from record frame 12 of the segment.
    picture = analyze_segment(_segment(shots_movie, 75, source_offset=10, record_offset=12))
    expected = [c - 10 + 12 for c in CUT_FRAMES]
    assert [round(t * RATE) for t in picture.cuts_s] == expected


@pytest.mark.parametrize(
    "name, cut_frames, colours",
    [
        ("three-cuts.mp4", CUT_FRAMES, SHOT_COLOURS),
        ("close-colours.mp4", [30, 62], [(120, 110, 100), (100, 125, 135), (140, 100, 90)]),
        ("short-shots.mp4", [16, 33, 50, 80], SHOT_COLOURS),
    ],
)
def test_agrees_with_pyscenedetect_content_detector(media_dir, name, cut_frames, colours):
    path = write_video(media_dir / name, frames=96, paint=shots(colours, cut_frames))
    reference = [start.frame_num for start, _ in detect(str(path), ContentDetector())[1:]]
    features = extract_clip(str(path), 0.0, 96 / RATE)
    ours = [round(t * RATE) for t in detect_cuts(features.times_s, features.cut_score)]
    assert len(ours) == len(reference)
    assert all(abs(a - b) <= 1 for a, b in zip(ours, reference, strict=True))


@pytest.mark.parametrize("speed_px", [3.0, 7.0, 12.0])
def test_pans_give_no_cuts_like_adaptive_detector(media_dir, speed_px):
    # ContentDetector alone reads fast pans as cuts; AdaptiveDetector and ours do not.
    path = write_video(media_dir / f"pan-{speed_px}.mp4", frames=96, paint=pan(speed_px))
    features = extract_clip(str(path), 0.0, 4.0)
    assert detect_cuts(features.times_s, features.cut_score) == []
    assert [start.frame_num for start, _ in detect(str(path), AdaptiveDetector())[1:]] == []
    # The content score alone does pass the threshold somewhere on the faster pans.
    assert (features.cut_score.max() >= 27.0) == (speed_px >= 7.0)


@pytest.mark.parametrize("seed", [1, 2])
def test_agrees_with_pyscenedetect_on_a_random_edit(media_dir, seed):
    # A flattened reference movie of 240 frames with 9 random cuts between random colours.
    rng = np.random.default_rng(seed)
    gaps = rng.integers(16, 30, size=9)
    cut_frames = [int(c) for c in np.cumsum(gaps)]
    colours = [tuple(int(v) for v in rng.integers(30, 230, size=3)) for _ in range(10)]
    path = write_video(media_dir / f"edit-{seed}.mp4", frames=240, paint=shots(colours, cut_frames))
    reference = [start.frame_num for start, _ in detect(str(path), ContentDetector())[1:]]
    features = extract_clip(str(path), 0.0, 10.0)
    ours = [round(t * RATE) for t in detect_cuts(features.times_s, features.cut_score)]
    matched = [c for c in ours if any(abs(c - r) <= 1 for r in reference)]
    # Same cuts as the reference detector, and each within one frame of where it was made.
    assert len(ours) == len(reference) == len(matched)
    assert all(any(abs(c - t) <= 1 for t in cut_frames) for c in ours)
    assert len(ours) >= 6  # random colours: a few neighbours are too alike for either detector
