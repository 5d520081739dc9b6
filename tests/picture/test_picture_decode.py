"""Range decoding on real files in the codecs and containers editors use."""

from __future__ import annotations

import threading
from fractions import Fraction

import pytest

from cuebridge.engine.picture.decode import (
    DecodeStats,
    MediaError,
    frames_at,
    iter_frames,
    small_frames,
    small_rgb,
)
from tests.picture.media import read_counter, write_video

RATE = 24

# name -> write_video arguments. H.264 has a long GOP with B-frames so that a range starting
# mid-GOP must decode from the keyframe before it and drop what precedes the in point.
CODECS = {
    "h264-long-gop.mp4": dict(codec="libx264", gop=48, options={"preset": "veryfast"}),
    "h264.ts": dict(codec="libx264", gop=48),  # MPEG-TS: timestamps in 1/90000
    "hevc.mkv": dict(codec="libx265", gop=48, options={"x265-params": "log-level=none"}),
    "prores.mov": dict(codec="prores_ks", pix_fmt="yuv422p10le"),
    "dnxhr.mov": dict(
        codec="dnxhd", pix_fmt="yuv422p", size=(256, 144), options={"profile": "dnxhr_lb"}
    ),
    "vp9.webm": dict(codec="libvpx-vp9", gop=48, options={"deadline": "realtime"}),
    "mjpeg-odd-size.avi": dict(codec="mjpeg", pix_fmt="yuvj420p", size=(163, 97)),
}


def _counters(path, start_s, duration_s, stats=None) -> list[int]:
    return [
        read_counter(frame.to_ndarray(format="rgb24"))
        for _, frame in iter_frames(str(path), start_s, duration_s, stats=stats)
    ]


@pytest.mark.parametrize("name", sorted(CODECS))
def test_mid_gop_range_returns_exactly_its_frames(media_dir, name):
    path = write_video(media_dir / name, frames=96, **CODECS[name])
    stats = DecodeStats()
    # Frames 37..60: the in point sits 13 frames after the keyframe at 24 (or 0).
    got = _counters(path, Fraction(37, RATE), Fraction(24, RATE), stats)
    assert got == list(range(37, 61))
    assert stats.frames_yielded == 24
    # It stopped at the out point instead of decoding to the end of the file.
    assert stats.frames_decoded < 96 and not stats.reached_end


def test_small_frames_keep_the_picture(media_dir):
    path = write_video(media_dir / "small.mp4", frames=4, size=(1280, 720))
    _, frame = next(iter_frames(str(path), 0.0, 1.0))
    rgb = small_rgb(frame, max_width=160)
    assert rgb.shape == (90, 160, 3) and rgb.dtype.name == "float32"
    # The default paint is (90, 140, 200) under the counter row.
    assert rgb[40:, :, 2].mean() > rgb[40:, :, 0].mean() + 0.3


def test_ten_bit_and_odd_formats_go_through_the_scaler(media_dir):
    path = write_video(media_dir / "p10.mov", frames=2, codec="prores_ks", pix_fmt="yuv444p10le")
    _, frame = next(iter_frames(str(path), 0.0, 1.0))
    rgb = small_rgb(frame)
    assert rgb.shape == (96, 160, 3)
    assert 0.3 < rgb[40:, :, 2].mean() < 0.95


def test_variable_frame_rate_ranges_follow_timestamps(media_dir):
    # Frame i is shown from i*i/200 s: intervals grow from 5 ms to 0.6 s.
    times = [Fraction(i * i, 200) for i in range(60)]
    path = write_video(media_dir / "vfr.mkv", frames=60, times_s=times)
    got = _counters(path, 1.5, 1.0)
    on_screen = [i for i in range(60) if times[i] < 2.5 and (i + 1 == 60 or times[i + 1] > 1.5)]
    assert got == on_screen  # frame 17 (1.445 s) is still on screen at 1.5 s
    at = frames_at(str(path), [0.5, 1.0, 3.0])
    assert [read_counter(f.to_ndarray(format="rgb24")) for f in at] == [10, 14, 24]


def test_stream_start_time_is_taken_off(media_dir):
    # A stream whose first frame is stamped 10 s (like MPEG-TS or a clip cut from a longer one).
    times = [10 + Fraction(i, RATE) for i in range(48)]
    path = write_video(media_dir / "late-start.mkv", frames=48, times_s=times)
    assert _counters(path, Fraction(30, RATE), Fraction(6, RATE)) == list(range(30, 36))


def test_rotation_metadata_makes_frames_upright(media_dir):
    path = write_video(media_dir / "phone.mp4", frames=2, rotation=90)
    _, frame = next(iter_frames(str(path), 0.0, 1.0))
    assert frame.rotation == 90
    rgb = small_rgb(frame)
    assert rgb.shape == (160, 96, 3)  # displayed portrait
    # Counter row (top edge, frame 0: all bits black) rotates counterclockwise to the left edge.
    assert rgb[:, :8].mean() < rgb[:, 30:].mean() - 0.2


def test_frames_at_seeks_across_gaps_and_keeps_order(media_dir):
    path = write_video(media_dir / "long-gop.mp4", frames=240, gop=96)
    stats = DecodeStats()
    wanted = [0.0, 1.0, 5.0, 9.5, 9.97]
    frames = frames_at(str(path), wanted, stats=stats)
    got = [read_counter(f.to_ndarray(format="rgb24")) for f in frames]
    assert got == [0, 24, 120, 228, 239]
    assert stats.frames_decoded < 240  # the gap to 5 s was seeked over, not decoded through


def test_prefetching_reader_stops_when_the_caller_stops(media_dir):
    path = write_video(media_dir / "prefetch.mp4", frames=96)
    before = threading.active_count()
    stats = DecodeStats()
    frames = small_frames(str(path), 0.0, 4.0, stats=stats, prefetch=2)
    first = [next(frames) for _ in range(3)]
    frames.close()
    assert [float(t) for t, _ in first] == [0.0, 1 / RATE, 2 / RATE]
    assert first[0][1].shape == (3, 96, 160)
    assert threading.active_count() == before  # the worker thread is gone
    assert stats.frames_decoded < 96  # and it stopped decoding


def test_prefetching_reader_hands_errors_to_the_caller(tmp_path):
    bad = tmp_path / "bad.mkv"
    bad.write_bytes(b"\x1a\x45\xdf\xa3" + bytes(2000))
    with pytest.raises(MediaError, match="bad.mkv"):
        list(small_frames(str(bad), 0.0, 1.0))


def test_a_file_named_like_a_pattern_is_still_a_movie(media_dir):
    path = write_video(media_dir / "Shot #3.mp4", frames=12)
    assert _counters(path, Fraction(4, RATE), Fraction(3, RATE)) == [4, 5, 6]
