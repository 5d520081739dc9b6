"""Visual descriptors of one clip over time: brightness, saturation, colour, motion, cut scores.

Everything is computed on small frames (about 160 px wide), one pass, one frame in memory.
The cut score is PySceneDetect's ContentDetector score (mean absolute change of hue,
saturation and value between consecutive frames, OpenCV's 8-bit HSV scale), so its default
threshold of 27 carries over; tests measure it against PySceneDetect on the same clips.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from fractions import Fraction

import numpy as np

from cuebridge.engine.picture.decode import (
    DEFAULT_SEQUENCE_RATE,
    DecodeStats,
    MediaError,
    small_frames,
)

EXTRACTOR_VERSION = "picture-descriptors/2"
MAX_WIDTH = 160

_LUMA = np.array([0.2126, 0.7152, 0.0722], np.float32)  # Rec. 709 weights


@dataclass
class ClipFeatures:
    """Per-frame descriptors of one clip's source range. Times are source seconds."""

    times_s: np.ndarray  # presentation time of each frame, seconds from the media's first frame
    brightness: np.ndarray  # mean luma in [0, 1]
    saturation: np.ndarray  # mean HSV saturation in [0, 1]
    rgb: np.ndarray  # [n, 3] mean colour in [0, 1] (gamma-encoded)
    motion: np.ndarray  # mean absolute luma change from the previous frame, [0, 1]; 0 first
    cut_score: np.ndarray  # ContentDetector score against the previous frame; 0 first
    frames_decoded: int = 0
    media_end_s: float | None = None  # set when the media ended inside the range
    meta: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.times_s)

    def to_arrays(self) -> dict[str, np.ndarray]:
        arrays = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _SCALARS}
        arrays["media_end_s"] = np.array(
            np.nan if self.media_end_s is None else self.media_end_s, np.float64
        )
        return arrays

    @classmethod
    def from_arrays(cls, arrays, frames_decoded: int = 0) -> ClipFeatures:
        end = float(arrays["media_end_s"])
        return cls(
            **{name: np.asarray(arrays[name]) for name in _ARRAYS},
            frames_decoded=frames_decoded,
            media_end_s=None if np.isnan(end) else end,
        )


_SCALARS = {"frames_decoded", "media_end_s", "meta"}
_ARRAYS = ("times_s", "brightness", "saturation", "rgb", "motion", "cut_score")


def hsv_opencv_scale(planes: np.ndarray) -> np.ndarray:
    """R, G, B planes in [0, 1] -> H, S, V planes with OpenCV's 8-bit ranges (180, 255, 255)."""
    r, g, b = planes
    maxc = np.maximum(np.maximum(r, g), b)
    delta = maxc - np.minimum(np.minimum(r, g), b)
    inv = np.divide(30.0, delta, out=np.zeros_like(delta), where=delta > 0)  # 60 deg / 2
    hue = (r - g) * inv
    hue += 120.0  # blue is the largest
    np.copyto(hue, (b - r) * inv + 60.0, where=maxc == g)
    np.copyto(hue, (g - b) * inv, where=maxc == r)
    np.add(hue, 180.0, out=hue, where=hue < 0)
    sat = np.divide(delta, maxc, out=np.zeros_like(delta), where=maxc > 0)
    sat *= 255.0
    return np.stack([hue, sat, maxc * 255.0])


class _Accumulator:
    def __init__(self) -> None:
        self.rows: list[tuple[float, float, float, np.ndarray, float, float]] = []
        self.prev_luma: np.ndarray | None = None
        self.prev_hsv: np.ndarray | None = None

    def add(self, t: Fraction, planes: np.ndarray) -> None:
        """Describe one frame given as R, G, B planes [3, h, w] in [0, 1]."""
        luma = np.tensordot(_LUMA, planes, axes=1)
        # The cut score is a mean over the picture: every other pixel estimates it as well, at
        # a quarter of the cost (HSV is the dearest step of the pass).
        hsv = hsv_opencv_scale(planes[:, ::2, ::2] if planes.shape[2] >= 64 else planes)
        if self.prev_luma is not None and self.prev_luma.shape == luma.shape:
            motion = float(np.abs(luma - self.prev_luma).mean())
            cut = float(np.abs(hsv - self.prev_hsv).mean())  # mean over H, S, V == their average
        else:
            motion, cut = 0.0, 0.0
        self.prev_luma, self.prev_hsv = luma, hsv
        colour = planes.reshape(3, -1).mean(axis=1)
        sat = float(hsv[1].mean() / 255.0)
        self.rows.append((float(t), float(luma.mean()), sat, colour, motion, cut))

    def result(self, stats: DecodeStats) -> ClipFeatures:
        n = len(self.rows)
        return ClipFeatures(
            times_s=np.array([r[0] for r in self.rows], np.float64),
            brightness=np.array([r[1] for r in self.rows], np.float32),
            saturation=np.array([r[2] for r in self.rows], np.float32),
            rgb=np.array([r[3] for r in self.rows], np.float32).reshape(n, 3),
            motion=np.array([r[4] for r in self.rows], np.float32),
            cut_score=np.array([r[5] for r in self.rows], np.float32),
            frames_decoded=stats.frames_decoded,
            media_end_s=stats.media_end_s if stats.reached_end else None,
        )


def extract_clip(
    path: str,
    start_s: float,
    duration_s: float,
    *,
    keyframes_only: bool = False,
    max_width: int = MAX_WIDTH,
    sequence_rate: Fraction = DEFAULT_SEQUENCE_RATE,
) -> ClipFeatures:
    """Decode one clip's source range and describe every frame of it (or every keyframe)."""
    stats = DecodeStats()
    acc = _Accumulator()
    frames = small_frames(
        path,
        start_s,
        duration_s,
        max_width=max_width,
        keyframes_only=keyframes_only,
        sequence_rate=sequence_rate,
        stats=stats,
    )
    try:
        for t, planes in frames:
            acc.add(t, planes)
    except MediaError as exc:
        if not acc.rows:
            raise
        # Damage part-way through: keep the picture read so far, say where it stopped.
        stats.reached_end = True
        stats.media_end_s = acc.rows[-1][0]
        features = acc.result(stats)
        features.meta["error"] = str(exc)
        return features
    return acc.result(stats)


def colour_temperature_k(rgb_mean: np.ndarray) -> float:
    """Correlated colour temperature of a mean sRGB colour (McCamy 1992), clamped 1500-15000 K.

    Grey or black frames have no meaningful temperature: they come out near D65 (6500 K).
    """
    c = np.clip(np.asarray(rgb_mean, np.float64), 0.0, 1.0)
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    m = np.array(
        [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]], np.float64
    )
    x_, y_, z_ = m @ lin
    total = x_ + y_ + z_
    if total <= 1e-6:
        return 6500.0
    x, y = x_ / total, y_ / total
    n = (x - 0.3320) / (0.1858 - y) if abs(0.1858 - y) > 1e-9 else 0.0
    cct = 449.0 * n**3 + 3525.0 * n**2 + 6823.3 * n + 5520.33
    return float(np.clip(cct, 1500.0, 15000.0))


def warmth(cct_k: float) -> float:
    """Colour temperature as warmth in [-1, 1]: +1 candle-warm (2000 K), -1 blue shade (12000 K).

    Measured on a reciprocal (mired) scale, as perceived colour differences are.
    """
    mired = 1e6 / cct_k
    neutral = 1e6 / 6500.0
    if mired >= neutral:
        return float(min(1.0, (mired - neutral) / (1e6 / 2000.0 - neutral)))
    return float(max(-1.0, (mired - neutral) / (neutral - 1e6 / 12000.0)))
