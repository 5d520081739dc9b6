"""Demo material: a short film with its OTIO timeline, and a synthetic feature for benchmarks.

`make_demo_film` is what `cuebridge demo` shows a newcomer: eight shots of drawn picture (calm and
dark at first, then bright and fast), encoded as real H.264 with PyAV, and a timeline whose three
markers with durations are the ranges to score. `make_feature_timeline` builds a feature-length
edit with offline media, for timing the whole scoring path without any picture.

Every time is an integer frame count at a rational rate, turned into OTIO RationalTime at the end,
so 30000/1001 timelines land on exact frames.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import opentimelineio as otio

RateLike = Fraction | int | tuple[int, int]

FILM_NAME = "demo_film.mp4"
TIMELINE_NAME = "demo.otio"
START_TIMECODE = "01:00:00:00"

# H.264 encoders to try, best first; libx264 is in the PyAV wheels.
H264_ENCODERS = ("libx264", "libopenh264")


@dataclass(frozen=True)
class Shot:
    """One shot of the demo film: how long it lasts and how it looks."""

    name: str
    seconds: int
    top: tuple[int, int, int]  # background colour at the top of the frame (RGB)
    bottom: tuple[int, int, int]  # ... and at the bottom
    shape: tuple[int, int, int]  # colour of the moving squares
    shapes: int  # how many squares move across the frame
    speed: float  # frame widths per second: calm shots crawl, chase shots race


# Neighbouring shots differ strongly in mean colour, so every cut is plain to a picture analyser.
SHOTS = (
    Shot("dawn kitchen", 7, (70, 40, 20), (150, 95, 50), (230, 200, 140), 1, 0.04),
    Shot("coffee at the window", 6, (140, 130, 100), (215, 185, 135), (250, 240, 210), 1, 0.06),
    Shot("dark corridor", 8, (5, 10, 25), (25, 35, 60), (90, 110, 150), 1, 0.08),
    Shot("the door", 5, (40, 50, 25), (80, 95, 60), (170, 160, 90), 2, 0.15),
    Shot("reveal", 6, (210, 235, 245), (130, 180, 210), (255, 120, 40), 2, 0.3),
    Shot("street chase", 6, (220, 60, 30), (120, 20, 20), (255, 230, 60), 5, 1.2),
    Shot("rooftops", 7, (150, 60, 200), (240, 150, 220), (40, 255, 200), 6, 1.6),
    Shot("escape", 5, (230, 220, 60), (90, 160, 40), (20, 40, 160), 5, 1.4),
)

# The cues to score: (prompt, mood, first shot, last shot), both shots included.
CUES = (
    ("calm morning, warm strings", "calm", 0, 1),
    ("tense build to the reveal", "tense", 2, 4),
    ("chase, driving percussion", "action", 5, 7),
)

# 3x5 block digits for the shot number burnt into each shot.
DIGITS = {
    "0": ("111", "101", "101", "101", "111"),
    "1": ("010", "110", "010", "010", "111"),
    "2": ("111", "001", "111", "100", "111"),
    "3": ("111", "001", "111", "001", "111"),
    "4": ("101", "101", "111", "001", "001"),
    "5": ("111", "100", "111", "001", "111"),
    "6": ("111", "100", "111", "101", "111"),
    "7": ("111", "001", "001", "001", "001"),
    "8": ("111", "101", "111", "101", "111"),
    "9": ("111", "101", "111", "001", "111"),
}


@dataclass(frozen=True)
class DemoFilm:
    """What `make_demo_film` wrote, with the numbers a test or a newcomer needs."""

    film_path: Path
    timeline_path: Path
    rate: Fraction
    shot_frames: list[int]  # first frame of each shot, from 0
    markers: list[tuple[str, int, int]]  # (prompt, start frame, duration in frames)
    total_frames: int


def default_demo_folder() -> Path:
    """Where `cuebridge demo` writes when given no folder: the user's cuebridge data folder, never
    the current folder (a checkout, a project folder: neither should gain a demo)."""
    from cuebridge.app.settings import data_dir

    return data_dir() / "demo"


def as_rate(rate: RateLike) -> Fraction:
    """A frame rate as a Fraction, from 24, (30000, 1001), Fraction(25) or engine.segment.Rate."""
    if isinstance(rate, tuple):
        fps = Fraction(*rate)
    elif hasattr(rate, "num") and hasattr(rate, "den"):
        fps = Fraction(rate.num, rate.den)
    else:
        fps = Fraction(rate)
    if fps <= 0:
        raise ValueError(f"frame rate must be positive, got {rate!r}")
    return fps


def frames_at(seconds: int | Fraction, fps: Fraction) -> int:
    """Whole frames nearest to `seconds`, exact for rational rates."""
    return round(Fraction(seconds) * fps)


def _time(frames: int, fps: Fraction) -> otio.opentime.RationalTime:
    return otio.opentime.RationalTime(frames, float(fps))


def _range(start: int, duration: int, fps: Fraction) -> otio.opentime.TimeRange:
    return otio.opentime.TimeRange(_time(start, fps), _time(duration, fps))


# --- the demo film ------------------------------------------------------------------------------


def make_demo_film(
    folder: Path,
    *,
    rate: RateLike = (24, 1),
    width: int = 640,
    height: int = 360,
    seed: int = 0,
) -> DemoFilm:
    """Write `demo_film.mp4` (H.264) and `demo.otio` into `folder` and describe them.

    The timeline points at the film with an absolute file:// URL (Path.as_uri()), so it opens
    from anywhere as long as the film stays where it was written.
    """
    if width % 2 or height % 2 or width < 64 or height < 36:
        raise ValueError(f"demo film size must be even and at least 64x36, got {width}x{height}")
    fps = as_rate(rate)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)

    # Shot boundaries from whole seconds, so no rounding error piles up along the film.
    bounds = [0]
    seconds = 0
    for shot in SHOTS:
        seconds += shot.seconds
        bounds.append(frames_at(seconds, fps))
    shot_frames, total = bounds[:-1], bounds[-1]

    film_path = folder / FILM_NAME
    _encode_film(film_path, fps, width, height, bounds, seed)

    markers = [
        (prompt, bounds[first], bounds[last + 1] - bounds[first])
        for prompt, _mood, first, last in CUES
    ]
    timeline = _demo_timeline(film_path.resolve().as_uri(), fps, bounds, markers, seed)
    timeline_path = folder / TIMELINE_NAME
    otio.adapters.write_to_file(timeline, str(timeline_path))
    return DemoFilm(film_path, timeline_path, fps, shot_frames, markers, total)


def _pick_encoder() -> str:
    for name in H264_ENCODERS:
        if name in av.codecs_available:
            return name
    raise RuntimeError(
        "this PyAV build has no H.264 encoder (looked for "
        f"{', '.join(H264_ENCODERS)}); install the PyPI wheel of `av`, which bundles libx264"
    )


def _encode_film(
    path: Path, fps: Fraction, width: int, height: int, bounds: list[int], seed: int
) -> None:
    encoder = _pick_encoder()
    rng = np.random.default_rng(seed)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(encoder, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        # A keyframe every second keeps seeking cheap for whoever analyses the picture.
        stream.codec_context.gop_size = max(1, round(fps))
        if encoder == "libx264":
            stream.options = {"preset": "ultrafast", "crf": "23"}
        time_base = 1 / fps
        for index, shot in enumerate(SHOTS):
            background = _background(shot, index + 1, width, height)
            size = max(4, height // 8)
            # Where each square starts and how high it runs: fixed per seed, so films repeat.
            phase = rng.uniform(0, 1, shot.shapes)
            lanes = rng.uniform(0.15, 0.85, shot.shapes)
            for frame_no in range(bounds[index], bounds[index + 1]):
                seconds = float(Fraction(frame_no - bounds[index]) / fps)
                image = background.copy()
                for p, lane in zip(phase, lanes, strict=True):
                    # A triangle wave bounces the square between the edges without jumps.
                    travel = (p + shot.speed * seconds) % 2.0
                    x = int((travel if travel <= 1 else 2 - travel) * (width - size))
                    y = int(lane * (height - size))
                    image[y : y + size, x : x + size] = shot.shape
                frame = av.VideoFrame.from_ndarray(image, format="rgb24")
                frame.pts, frame.time_base = frame_no, time_base
                container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def _background(shot: Shot, number: int, width: int, height: int) -> np.ndarray:
    """A vertical gradient with the shot number in big block digits, top left."""
    t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    column = (1 - t) * np.array(shot.top, np.float32) + t * np.array(shot.bottom, np.float32)
    image = np.repeat(column[:, None, :], width, axis=1).round().astype(np.uint8)
    block = max(2, height // 30)
    ink = (255, 255, 255) if sum(shot.top) < 380 else (0, 0, 0)
    x0 = y0 = block * 2
    for digit in str(number):
        for row, bits in enumerate(DIGITS[digit]):
            for col, bit in enumerate(bits):
                if bit == "1":
                    y, x = y0 + row * block, x0 + col * block
                    image[y : y + block, x : x + block] = ink
        x0 += 4 * block
    return image


def _demo_timeline(
    film_url: str,
    fps: Fraction,
    bounds: list[int],
    markers: list[tuple[str, int, int]],
    seed: int,
) -> otio.schema.Timeline:
    total = bounds[-1]
    timeline = otio.schema.Timeline(name="cuebridge demo")
    timeline.global_start_time = otio.opentime.RationalTime.from_timecode(
        START_TIMECODE, float(fps)
    )
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    for index, shot in enumerate(SHOTS):
        start, end = bounds[index], bounds[index + 1]
        track.append(
            otio.schema.Clip(
                name=f"SH{index + 1:02d} {shot.name}",
                # Each clip gets its own reference: OTIO objects have one parent.
                media_reference=otio.schema.ExternalReference(
                    target_url=film_url, available_range=_range(0, total, fps)
                ),
                source_range=_range(start, end - start, fps),
            )
        )
    timeline.tracks.append(track)
    for number, ((prompt, start, duration), cue) in enumerate(zip(markers, CUES, strict=True)):
        timeline.tracks.markers.append(
            otio.schema.Marker(
                name=prompt,
                marked_range=_range(start, duration, fps),
                color=otio.schema.MarkerColor.GREEN,
                metadata={"cuebridge": {"mood": cue[1], "seed": seed + number}},
            )
        )
    return timeline


# --- the synthetic feature ----------------------------------------------------------------------

FEATURE_PROMPTS = (
    ("calm morning, warm strings", "calm"),
    ("tense build to the reveal", "tense"),
    ("chase, driving percussion", "action"),
    ("quiet grief, solo piano", "sad"),
    ("first kiss, soft romantic waltz", "romantic"),
    ("eerie night, low drones", "dark"),
    ("triumphant return, full orchestra", "triumphant"),
    ("playful montage, pizzicato", "playful"),
)


def make_feature_timeline(
    *,
    minutes: int | Fraction = 90,
    cues: int = 60,
    rate: RateLike = (24, 1),
    seed: int = 0,
) -> otio.schema.Timeline:
    """A feature-length edit with offline media and `cues` markers to score, for benchmarks.

    The picture track is cut into 2-8 s shots from made-up camera files, a dialogue track runs
    under it with gaps, and the markers (20-120 s, never overlapping) sit one in each of `cues`
    equal stretches of the film. The length is `minutes` rounded to the nearest frame.
    """
    fps = as_rate(rate)
    rng = random.Random(seed)
    total = frames_at(Fraction(minutes) * 60, fps)
    min_shot, max_shot = frames_at(2, fps), frames_at(8, fps)
    min_cue, max_cue = frames_at(20, fps), frames_at(120, fps)
    if cues < 0 or (cues and total // cues < min_cue):
        raise ValueError(
            f"{cues} cues of at least 20 s do not fit in {minutes} minutes; ask for fewer cues"
        )
    if total < min_shot:
        raise ValueError(f"a feature of {minutes} minutes is shorter than one 2 s shot")

    timeline = otio.schema.Timeline(name=f"synthetic feature {minutes} min, seed {seed}")
    timeline.global_start_time = otio.opentime.RationalTime.from_timecode(
        START_TIMECODE, float(fps)
    )
    picture = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    for number, length in enumerate(_shot_lengths(total, min_shot, max_shot, rng), start=1):
        camera_length = length + rng.randint(0, frames_at(20, fps))
        picture.append(
            otio.schema.Clip(
                name=f"SC{(number - 1) // 12 + 1:03d} SH{number:04d}",
                media_reference=_offline(
                    f"A{number // 40 + 1:03d}C{number:04d}.mov", camera_length, fps
                ),
                source_range=_range(rng.randint(0, camera_length - length), length, fps),
            )
        )
    timeline.tracks.append(picture)
    timeline.tracks.append(_dialogue_track(total, fps, rng))

    for slot in range(cues):
        slot_start, slot_end = slot * total // cues, (slot + 1) * total // cues
        duration = rng.randint(min_cue, min(max_cue, slot_end - slot_start))
        start = rng.randint(slot_start, slot_end - duration)
        prompt, mood = rng.choice(FEATURE_PROMPTS)
        timeline.tracks.markers.append(
            otio.schema.Marker(
                name=prompt,
                marked_range=_range(start, duration, fps),
                color=otio.schema.MarkerColor.GREEN,
                metadata={"cuebridge": {"mood": mood, "seed": seed + slot}},
            )
        )
    return timeline


def _shot_lengths(total: int, shortest: int, longest: int, rng: random.Random) -> list[int]:
    """Shot lengths in [shortest, longest] frames that add up to exactly `total`."""
    lengths = []
    left = total
    while left > longest:
        # Never leave a tail shorter than one shot.
        length = rng.randint(shortest, min(longest, left - shortest))
        lengths.append(length)
        left -= length
    lengths.append(left)
    return lengths


def _offline(name: str, frames: int, fps: Fraction) -> otio.schema.ExternalReference:
    # A path that exists on no machine: the media is offline, as in an EDL-only hand-off.
    return otio.schema.ExternalReference(
        target_url=f"file:///offline/cuebridge-feature/{name}",
        available_range=_range(0, frames, fps),
    )


def _dialogue_track(total: int, fps: Fraction, rng: random.Random) -> otio.schema.Track:
    """Dialogue lines of 2-15 s separated by 1-20 s of room tone, filling the film exactly."""
    track = otio.schema.Track(name="A1 dialogue", kind=otio.schema.TrackKind.Audio)
    at = 0
    line = 0
    while at < total:
        gap = min(rng.randint(frames_at(1, fps), frames_at(20, fps)), total - at)
        track.append(otio.schema.Gap(source_range=_range(0, gap, fps)))
        at += gap
        length = min(rng.randint(frames_at(2, fps), frames_at(15, fps)), total - at)
        if length == 0:
            break
        line += 1
        # Audio ranges in the timeline rate: FCP 7 XML writers choke on sample-rate ranges.
        track.append(
            otio.schema.Clip(
                name=f"DX{line:04d}",
                media_reference=_offline(f"dialogue/DX{line:04d}.wav", length, fps),
                source_range=_range(0, length, fps),
            )
        )
        at += length
    return track
