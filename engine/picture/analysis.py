"""The picture under a segment, read once: mood, motion, hit points and hidden cuts.

analyze_segment is the one entry point the composer uses. A clip that cannot be read costs a
warning, never an exception: the segment is then scored from what remains, down to its edit
structure alone (cut rate) when no picture could be read at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from cuebridge.engine.picture import cache
from cuebridge.engine.picture.cuts import (
    MIN_SHOT_FRAMES,
    clean_motion,
    cut_indices,
    detect_cuts,
    motion_peaks,
)
from cuebridge.engine.picture.decode import MediaError, is_image_sequence
from cuebridge.engine.picture.descriptors import (
    EXTRACTOR_VERSION,
    MAX_WIDTH,
    ClipFeatures,
    colour_temperature_k,
    extract_clip,
    warmth,
)
from cuebridge.engine.picture.mood import DescriptorMood, MoodModel, PictureSummary
from cuebridge.engine.segment import MediaSpan, Segment

# Above this much source picture, sampling="auto" decodes keyframes only.
LONG_SEGMENT_S = 600.0
MOTION_BASE_S = 1 / 24  # motion energy is the mean luma change over this long


@dataclass
class SegmentPicture:
    """What the picture under a segment says. Times are seconds from the segment start."""

    segment_id: str
    valence: float  # [-1, 1]
    arousal: float  # [-1, 1]
    mood_word: str
    mood_model: str
    # (time_s, energy) per analysed frame: mean absolute luma change per 1/24 s, cuts removed
    motion: list[tuple[float, float]]
    motion_peaks_s: list[float]
    cuts_s: list[float]  # shot cuts detected inside clips (not the timeline's edit points)
    brightness: float  # mean luma [0, 1], weighted by time on screen
    brightness_std: float  # spread over time: a high value means changing light
    saturation: float  # mean HSV saturation [0, 1]
    colour_temperature_k: float
    warmth: float  # [-1, 1], + warm, - cool
    frames_decoded: int  # 0 on a full cache hit
    frames_analysed: int
    has_picture: bool  # False: scored from the edit structure alone
    sampling: str = "all"
    warnings: list[str] = field(default_factory=list)
    duration_s: float = 0.0

    def motion_curve(self, hop_s: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
        """Motion on a regular grid: (bin start times, the strongest energy in each bin).

        Bins without a frame (offline or unreadable clips) hold 0.
        """
        bins = max(1, int(np.ceil(self.duration_s / hop_s)))
        times = np.arange(bins) * hop_s
        energy = np.zeros(bins, np.float32)
        for t, e in self.motion:
            i = min(bins - 1, max(0, int(t / hop_s)))
            energy[i] = max(energy[i], e)
        return times, energy

    def metadata(self) -> dict[str, str]:
        """For Cue.metadata: what the music was told about the picture."""
        return {
            "picture.valence": f"{self.valence:.3f}",
            "picture.arousal": f"{self.arousal:.3f}",
            "picture.mood": self.mood_word,
            "picture.mood_model": self.mood_model,
            "picture.cuts_s": ",".join(f"{t:.3f}" for t in self.cuts_s),
            "picture.source": "picture" if self.has_picture else "edit-structure",
        }


@dataclass
class _ClipOnSegment:
    times_s: np.ndarray  # segment time of each frame
    weights: np.ndarray  # seconds each frame is on screen within the segment
    features: ClipFeatures
    cuts_s: list[float]  # segment time
    motion: np.ndarray  # per frame, cuts taken out, per 1/24 s


def _visible_source_range(span: MediaSpan, segment: Segment) -> tuple[float, float, float, float]:
    """(source in, source duration, record start s, seconds of source per record second)."""
    rec_start = float(segment.rate.seconds(span.record_offset_frames))
    rec_dur = float(segment.rate.seconds(span.record_duration_frames))
    speed = span.source_duration_s / rec_dur if rec_dur > 0 else 1.0
    lo = max(rec_start, 0.0)
    hi = min(rec_start + rec_dur, segment.duration_s)
    src_in = span.source_start_s + (lo - rec_start) * speed
    return src_in, max(0.0, (hi - lo) * speed), rec_start, speed


def _read_clip(
    span: MediaSpan,
    segment: Segment,
    cache_dir: Path | None,
    keyframes_only: bool,
    max_width: int,
) -> tuple[_ClipOnSegment | None, list[str], int]:
    src_in, src_dur, rec_start, speed = _visible_source_range(span, segment)
    if src_dur <= 0:
        return None, [], 0
    rate = segment.rate.fps if is_image_sequence(span.path) else Fraction(24)
    settings = {
        "version": EXTRACTOR_VERSION,
        "max_width": max_width,
        "keyframes_only": keyframes_only,
        "sequence_rate": str(rate),
    }
    features = None
    key = None
    if cache_dir is not None:
        try:
            key = cache.cache_key(span.path, src_in, src_dur, settings)
            features = cache.load(cache_dir, key)
        except OSError:
            key = None  # unreadable media: extract_clip below says so clearly
    if features is None:
        features = extract_clip(
            span.path,
            src_in,
            src_dur,
            keyframes_only=keyframes_only,
            max_width=max_width,
            sequence_rate=rate,
        )
        if key is not None and "error" not in features.meta:
            cache.store(cache_dir, key, features)
    where = _clip_label(span)
    src_out = src_in + src_dur
    warnings = []
    if len(features) == 0:
        end = features.media_end_s
        ends = f" (the media ends at {end:.3f} s)" if end is not None else ""
        raise MediaError(
            f"{where}: source range {src_in:.3f}-{src_out:.3f} s has no picture{ends}; "
            "check the clip's in and out points or relink it."
        )
    if "error" in features.meta:
        warnings.append(features.meta["error"] + " The picture before that point is used.")
    elif features.media_end_s is not None and features.media_end_s < src_out - 1e-3:
        warnings.append(
            f"{where}: the media ends at {features.media_end_s:.3f} s but the clip runs to "
            f"{src_out:.3f} s; the rest is scored from the edit structure."
        )
    seg_start = max(rec_start, 0.0)
    seg_end = min(
        rec_start + float(segment.rate.seconds(span.record_duration_frames)), segment.duration_s
    )
    seg_times = seg_start + (features.times_s - src_in) / speed
    seg_times = np.clip(seg_times, seg_start, None)  # a frame already on screen at the in point
    ends = np.append(seg_times[1:], seg_end)
    if features.media_end_s is not None:
        ends[-1] = min(seg_end, seg_start + (features.media_end_s - src_in) / speed)
    weights = np.clip(ends - seg_times, 0.0, None)
    inner = _source_cuts(features, keyframes_only)
    cuts = [seg_start + (t - src_in) / speed for t in inner]
    motion = clean_motion(features.motion, cut_indices(features.times_s, inner))
    if not keyframes_only and len(motion) > 1:
        # Change per 1/24 s, so 60 fps footage moves as much as 24 fps footage of the same shot.
        dt = np.diff(features.times_s, prepend=features.times_s[0] - 1 / 24)
        motion = motion * (MOTION_BASE_S / np.clip(dt, 1 / 240, None)).astype(np.float32)
    clip = _ClipOnSegment(seg_times, weights, features, cuts, motion)
    return clip, warnings, features.frames_decoded


def _clip_label(span: MediaSpan) -> str:
    return f"clip {span.name!r} ({span.path})" if span.name else span.path


def _weighted_mean(values: np.ndarray, weights: np.ndarray) -> float:
    total = float(weights.sum())
    if total <= 0:
        return float(values.mean()) if len(values) else 0.0
    return float((values * weights).sum() / total)


def analyze_segment(
    segment: Segment,
    cache_dir: Path | None = None,
    *,
    sampling: str = "all",
    mood_model: MoodModel | None = None,
    max_width: int = MAX_WIDTH,
) -> SegmentPicture:
    """Read the picture under `segment`; raises nothing for a bad clip (see warnings).

    Each MediaSpan's source range is in seconds from its media's first frame; path "" is an
    offline clip (skipped silently); an image sequence is a pattern ("shot.####.exr" or
    "shot.%04d.exr", first file = source 0 s) read at the segment's rate. A clip whose record
    duration differs from its source duration is a speed change and is mapped linearly.

    sampling: "all" decodes every frame of each clip's visible range; "keyframes" decodes
    keyframes only (many times faster on long-GOP media; motion and cuts become coarse);
    "auto" uses keyframes when the segment holds more than LONG_SEGMENT_S of source picture.
    cache_dir: when given, per-clip features are cached there and reused while the media,
    the range and the extractor are unchanged.
    """
    if sampling not in ("all", "keyframes", "auto"):
        raise ValueError(f"sampling must be 'all', 'keyframes' or 'auto', not {sampling!r}")
    online = [span for span in segment.media if span.path]  # "" = offline: skip silently
    if sampling == "auto":
        total = sum(_visible_source_range(s, segment)[1] for s in online)
        sampling = "keyframes" if total > LONG_SEGMENT_S else "all"
    keyframes_only = sampling == "keyframes"

    clips: list[_ClipOnSegment] = []
    warnings: list[str] = []
    decoded = 0
    for span in online:
        try:
            clip, clip_warnings, n = _read_clip(span, segment, cache_dir, keyframes_only, max_width)
        except MediaError as exc:
            named = f"clip {span.name!r}: " if span.name else ""
            warnings.append(f"segment {segment.id}: {named}{exc}")
            continue
        except Exception as exc:  # noqa: BLE001 - one bad clip must not lose the segment
            warnings.append(
                f"segment {segment.id}: {_clip_label(span)}: could not be analysed "
                f"({type(exc).__name__}: {exc}); it is skipped."
            )
            continue
        decoded += n
        warnings.extend(f"segment {segment.id}: {w}" for w in clip_warnings)
        if clip is not None:
            clips.append(clip)
    return _summarise(segment, clips, warnings, decoded, sampling, mood_model or DescriptorMood())


def _summarise(segment, clips, warnings, decoded, sampling, mood_model) -> SegmentPicture:
    clips = sorted(clips, key=lambda c: float(c.times_s[0]))
    duration_s = max(segment.duration_s, 1e-6)
    cuts = sorted(t for c in clips for t in c.cuts_s)
    cuts_per_minute = (len(segment.cut_frames) + len(cuts)) * 60.0 / duration_s

    def picture(mood, **measured) -> SegmentPicture:
        # What every result shares: the segment, the mood and how it was read.
        return SegmentPicture(
            segment_id=segment.id,
            valence=mood.valence,
            arousal=mood.arousal,
            mood_word=mood.word,
            mood_model=mood_model.name,
            frames_decoded=decoded,
            sampling=sampling,
            warnings=warnings,
            duration_s=segment.duration_s,
            **measured,
        )

    if not clips:
        mood = mood_model.predict(PictureSummary(duration_s, cuts_per_minute, has_picture=False))
        return picture(
            mood, motion=[], motion_peaks_s=[], cuts_s=[], brightness=0.0, brightness_std=0.0,
            saturation=0.0, colour_temperature_k=6500.0, warmth=0.0, frames_analysed=0,
            has_picture=False,
        )  # fmt: skip
    times = np.concatenate([c.times_s for c in clips])
    weights = np.concatenate([c.weights for c in clips])
    motion = np.concatenate([c.motion for c in clips])
    brightness = np.concatenate([c.features.brightness for c in clips])
    saturation = np.concatenate([c.features.saturation for c in clips])
    rgb = np.concatenate([c.features.rgb for c in clips])

    mean_b = _weighted_mean(brightness, weights)
    std_b = float(np.sqrt(_weighted_mean((brightness - mean_b) ** 2, weights)))
    mean_rgb = np.array([_weighted_mean(rgb[:, i], weights) for i in range(3)])
    cct = colour_temperature_k(mean_rgb)
    summary = PictureSummary(
        duration_s=duration_s,
        cuts_per_minute=cuts_per_minute,
        has_picture=True,
        brightness=mean_b,
        saturation=_weighted_mean(saturation, weights),
        warmth=warmth(cct),
        motion=_weighted_mean(motion, weights),
    )
    mood = mood_model.predict(summary)
    order = np.argsort(times, kind="stable")
    times, motion = times[order], motion[order]
    return picture(
        mood,
        motion=[(float(t), float(e)) for t, e in zip(times, motion, strict=True)],
        motion_peaks_s=motion_peaks(times, motion),
        cuts_s=cuts,
        brightness=mean_b,
        brightness_std=std_b,
        saturation=summary.saturation,
        colour_temperature_k=cct,
        warmth=summary.warmth,
        frames_analysed=int(len(times)),
        has_picture=True,
    )


def _source_cuts(features: ClipFeatures, keyframes_only: bool) -> list[float]:
    # Keyframes are a GOP apart: every one may start a shot, and a cut is only placed to the
    # keyframe after it.
    min_shot = 1 if keyframes_only else MIN_SHOT_FRAMES
    return detect_cuts(features.times_s, features.cut_score, min_shot_frames=min_shot)
