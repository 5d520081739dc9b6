"""analyze_segment on real media: mood, motion and hit points, caching, and bad input."""

from __future__ import annotations

import os
import shutil
from fractions import Fraction

import av
import numpy as np
import pytest

from cuebridge.engine.picture.analysis import SegmentPicture, analyze_segment
from cuebridge.engine.picture.decode import frames_at
from cuebridge.engine.picture.mood import DescriptorMood, Mood, PictureSummary, mood_word
from cuebridge.engine.segment import MediaSpan, Rate, Segment
from tests.picture.media import flat, moving_blocks, read_counter, write_image_sequence, write_video

RATE = 24


def _span(path, frames, *, source_offset=0, record_offset=0, name=""):
    return MediaSpan(str(path), source_offset / RATE, frames / RATE, record_offset, frames, name)


def _segment(*spans, frames=None, cuts=(), sid="s1"):
    frames = frames or max(s.record_offset_frames + s.record_duration_frames for s in spans)
    return Segment(sid, Rate(RATE), frames, cut_frames=tuple(cuts), media=tuple(spans))


def test_dark_slow_shot_is_lower_in_valence_and_arousal(dark_slow_movie, bright_fast_movie):
    dark = analyze_segment(_segment(_span(dark_slow_movie, 72)))
    bright = analyze_segment(_segment(_span(bright_fast_movie, 72)))
    assert dark.valence < bright.valence - 0.5
    assert dark.arousal < bright.arousal - 0.3
    for p in (dark, bright):
        assert -1 <= p.valence <= 1 and -1 <= p.arousal <= 1 and p.mood_word
        assert p.frames_decoded == 72 and p.frames_analysed == 72 and p.warnings == []
    assert dark.brightness < 0.2 < 0.4 < bright.brightness
    assert dark.mood_word in {"sombre", "quiet", "melancholic"}


def test_mood_mapping_is_monotonic_and_names_the_quadrants():
    model = DescriptorMood()
    base = dict(duration_s=10.0, cuts_per_minute=6.0, has_picture=True, saturation=0.3)
    darker = model.predict(PictureSummary(brightness=0.2, **base))
    lighter = model.predict(PictureSummary(brightness=0.7, **base))
    assert darker.valence < lighter.valence
    still = model.predict(PictureSummary(brightness=0.5, motion=0.0, **base))
    busy = model.predict(PictureSummary(brightness=0.5, motion=0.08, **base))
    assert still.arousal < busy.arousal
    assert mood_word(0.8, 0.8) == "joyful" and mood_word(-0.8, 0.8) == "tense"
    assert mood_word(-0.8, -0.8) == "sombre" and mood_word(0.05, -0.05) == "reflective"


def test_a_custom_mood_model_replaces_the_mapping(still_movie):
    class Fixed:
        name = "fixed"

        def predict(self, summary: PictureSummary) -> Mood:
            return Mood(0.5, -0.5, "serene" if summary.has_picture else "?")

    picture = analyze_segment(_segment(_span(still_movie, 48)), mood_model=Fixed())
    assert (picture.valence, picture.arousal, picture.mood_word) == (0.5, -0.5, "serene")
    assert picture.metadata()["picture.mood_model"] == "fixed"


def test_motion_peaks_land_on_bursts_of_motion(media_dir):
    # A square drifts slowly, and jumps fast during frames 30-34 and 70-74.
    path = write_video(
        media_dir / "bursts.mp4",
        frames=96,
        paint=moving_blocks(1.0, 90, bursts=[(30, 35), (70, 75)]),
        counter=False,
    )
    picture = analyze_segment(_segment(_span(path, 96)))
    assert len(picture.motion) == 96
    times = [t for t, _ in picture.motion]
    assert times == sorted(times) and abs(times[1] - times[0] - 1 / RATE) < 1e-6
    assert len(picture.motion_peaks_s) == 2
    grid, energy = picture.motion_curve(hop_s=0.5)
    assert len(grid) == 8 and grid[1] == 0.5
    assert energy[2] > 2 * energy[0] and energy[6] > 2 * energy[4]  # bursts at 1.33 s, 3 s
    for peak, burst in zip(picture.motion_peaks_s, (32 / RATE, 72 / RATE), strict=True):
        assert abs(peak - burst) < 0.2


def test_clips_are_placed_on_the_segment_and_offline_clips_skipped(shots_movie, still_movie):
    offline = MediaSpan("", 0.0, 1.0, 24, 24, "offline")
    segment = _segment(
        _span(still_movie, 24, source_offset=12),  # record frames 0..23
        offline,  # 24..47: no media, silently skipped
        _span(shots_movie, 48, source_offset=30, record_offset=48),  # cut at source 45 -> 63
        cuts=(24, 48),
    )
    picture = analyze_segment(segment)
    assert picture.warnings == []
    assert picture.frames_analysed == 24 + 48
    # Source cuts at 45 and 70 play at record frames 48 + 15 and 48 + 40.
    assert [round(t * RATE) for t in picture.cuts_s] == [63, 88]
    times = [round(t * RATE) for t, _ in picture.motion]
    assert times == list(range(24)) + list(range(48, 96))


def test_a_clip_starting_before_the_segment_is_trimmed_to_it(shots_movie):
    # The clip starts 10 frames before the segment: only source frames 10.. are on screen.
    span = MediaSpan(str(shots_movie), 0.0, 60 / RATE, -10, 60)
    picture = analyze_segment(Segment("s1", Rate(RATE), 40, media=(span,)))
    assert picture.frames_decoded > 0 and picture.frames_analysed == 40
    assert [round(t * RATE) for t, _ in picture.motion] == list(range(40))
    assert [round(t * RATE) for t in picture.cuts_s] == [10, 35]


@pytest.mark.parametrize("printf", [False, True])
def test_image_sequences_are_read_at_the_segment_rate(media_dir, printf):
    pattern = write_image_sequence(media_dir / "seq", 30, first=1001)
    if printf:
        pattern = pattern.replace("####", "%04d")
    picture = analyze_segment(_segment(_span(pattern, 12, source_offset=10)))
    assert picture.warnings == [] and picture.frames_analysed == 12
    assert picture.colour_temperature_k < 5000  # the frames are orange
    assert picture.warmth > 0
    # Frame numbers by content: source offset 10 is file 1011.
    frames = frames_at(pattern, [10 / RATE, 21 / RATE], sequence_rate=Fraction(RATE))
    assert [read_counter(f.to_ndarray(format="rgb24")) for f in frames] == [10, 21]


def test_a_cache_hit_decodes_no_frames(shots_movie, media_dir, tmp_path):
    clip = media_dir / "cached.mp4"
    shutil.copy(shots_movie, clip)
    segment = _segment(_span(clip, 60, source_offset=20))
    first = analyze_segment(segment, cache_dir=tmp_path)
    again = analyze_segment(segment, cache_dir=tmp_path)
    assert first.frames_decoded > 0 and again.frames_decoded == 0
    assert again.motion == first.motion and again.cuts_s == first.cuts_s
    assert (again.valence, again.arousal, again.mood_word) == (
        first.valence,
        first.arousal,
        first.mood_word,
    )
    # Another range of the same file is another entry.
    other = analyze_segment(_segment(_span(clip, 30, source_offset=5)), cache_dir=tmp_path)
    assert other.frames_decoded > 0
    # Touching the media invalidates the entry.
    stat = os.stat(clip)
    os.utime(clip, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert analyze_segment(segment, cache_dir=tmp_path).frames_decoded > 0
    # A damaged entry is a miss, not an error.
    for entry in tmp_path.glob("*.npz"):
        entry.write_bytes(b"not a cache entry")
    assert analyze_segment(segment, cache_dir=tmp_path).frames_decoded > 0


def test_keyframe_sampling_decodes_far_fewer_frames(media_dir):
    path = write_video(media_dir / "kf.mp4", frames=96, gop=12, paint=flat((60, 90, 160)))
    full = analyze_segment(_segment(_span(path, 96)))
    keys = analyze_segment(_segment(_span(path, 96)), sampling="keyframes")
    assert keys.sampling == "keyframes" and keys.frames_decoded == 8
    assert full.frames_decoded == 96
    assert abs(keys.brightness - full.brightness) < 0.02


# --- bad input --------------------------------------------------------------------------


def _truncated(src, dst, keep=0.3):
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * keep)])
    return dst


@pytest.fixture()
def audio_only(tmp_path):
    path = tmp_path / "tone.wav"
    with av.open(str(path), "w") as c:
        stream = c.add_stream("pcm_s16le", rate=8000, layout="mono")
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 800), np.int16), format="s16", layout="mono"
        )
        frame.sample_rate = 8000
        for packet in stream.encode(frame):
            c.mux(packet)
        for packet in stream.encode():
            c.mux(packet)
    return path


def test_bad_clips_are_warnings_and_the_rest_is_scored(
    shots_movie, still_movie, tmp_path, audio_only
):
    garbage = tmp_path / "garbage.mov"
    garbage.write_bytes(os.urandom(4096))
    missing = tmp_path / "missing.mp4"
    spans = [
        _span(garbage, 24, record_offset=0, name="A001"),
        _span(missing, 24, record_offset=24),
        _span(audio_only, 24, record_offset=48),
        _span(shots_movie, 24, source_offset=500, record_offset=72),  # past the end
        _span(still_movie, 24, record_offset=96),
    ]
    picture = analyze_segment(_segment(*spans))
    assert picture.has_picture and picture.frames_analysed == 24
    assert len(picture.warnings) == 4
    text = "\n".join(picture.warnings)
    assert "garbage.mov" in text and "A001" in text and "corrupt" in text
    assert "missing.mp4: file not found" in text
    assert "no video stream" in text
    assert "has no picture (the media ends at 4.000 s)" in text
    assert all(w.startswith("segment s1: ") for w in picture.warnings)


@pytest.mark.parametrize(
    "name, codec, readable",
    [("half.avi", "mjpeg", True), ("half.mkv", "libx264", True), ("half.mp4", "libx264", False)],
)
def test_truncated_file_scores_what_it_has(media_dir, tmp_path, name, codec, readable):
    pix_fmt = "yuvj420p" if codec == "mjpeg" else None
    source = write_video(media_dir / f"full-{name}", frames=96, codec=codec, pix_fmt=pix_fmt)
    half = _truncated(source, tmp_path / name, keep=0.5)
    picture = analyze_segment(_segment(_span(half, 96)))
    assert len(picture.warnings) == 1 and name in picture.warnings[0]
    if readable:  # AVI and Matroska keep their index up front: the first part still plays
        assert 0 < picture.frames_analysed < 96 and picture.has_picture
        assert "ends at" in picture.warnings[0] or "before that point" in picture.warnings[0]
    else:  # MP4 written by PyAV keeps its index (moov) at the end: nothing is readable
        assert picture.frames_analysed == 0 and "truncated or corrupt" in picture.warnings[0]


def test_no_readable_picture_falls_back_to_the_edit_structure(tmp_path):
    garbage = tmp_path / "bad.mp4"
    garbage.write_bytes(b"\x00" * 1000)
    calm = analyze_segment(_segment(_span(garbage, 240), cuts=()))
    busy = analyze_segment(_segment(_span(garbage, 240), cuts=tuple(range(12, 240, 12))))
    for p in (calm, busy):
        assert isinstance(p, SegmentPicture)
        assert not p.has_picture and p.frames_analysed == 0 and len(p.warnings) == 1
        assert p.metadata()["picture.source"] == "edit-structure"
    assert calm.arousal < busy.arousal
    assert calm.valence == busy.valence == 0.0


def test_offline_only_segment_has_no_warnings():
    picture = analyze_segment(_segment(MediaSpan("", 0.0, 2.0, 0, 48)))
    assert picture.warnings == [] and not picture.has_picture


def test_motion_energy_does_not_depend_on_the_frame_rate(media_dir):
    # The same movement, 120 px/s, shot at 24 and at 60 fps.
    slow = write_video(
        media_dir / "m24.mp4", frames=48, rate=24, paint=moving_blocks(5.0, 90), counter=False
    )
    fast = write_video(
        media_dir / "m60.mp4", frames=120, rate=60, paint=moving_blocks(2.0, 90), counter=False
    )
    at24 = analyze_segment(_segment(_span(slow, 48)))
    span60 = MediaSpan(str(fast), 0.0, 2.0, 0, 48)
    at60 = analyze_segment(Segment("s60", Rate(RATE), 48, media=(span60,)))
    assert at60.frames_analysed == 120
    e24 = np.mean([e for _, e in at24.motion])
    e60 = np.mean([e for _, e in at60.motion])
    assert e24 > 0.001 and abs(e60 - e24) < 0.3 * e24
