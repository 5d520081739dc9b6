"""From a timeline to the segments to score: which ranges, their cuts, hit points and picture.

All positions are integer frames at the timeline's rate, counted from the start of the tracks
(OTIO's convention: 0 at the first frame, whatever the start timecode). The engine receives each
segment with times relative to its own first frame.

Marker convention (what editors type):
- a timeline marker WITH a duration is a cue: its name is the prompt (its comment when the name is
  empty); `mood: tense` / `seed: 7` lines in the comment, or metadata["cuebridge"]["mood"/"seed"],
  set the mood and the seed;
- a marker WITHOUT a duration, or of one frame (Resolve's plain markers last one frame), on the
  timeline or on a clip, is a hit point: the cue over it accents that frame;
- a marker named "Score: ..." is a plugin's record of a placed cue: neither.
The rule itself is the contract's `marker_kind` (proto/cuebridge/contract.py).
"""

from __future__ import annotations

import re
import zlib
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction

import opentimelineio as otio

from cuebridge.bridge.errors import BridgeError
from cuebridge.bridge.media import MediaLinker
from cuebridge.contract import marker_kind
from cuebridge.contract.segment import MediaSpan, Rate, Segment  # the contract's one segment type
from cuebridge.moods import UnknownMood, check_mood
from cuebridge.v1.bridge_pb2 import MARKER_KIND_CUE, MARKER_KIND_HIT_POINT

__all__ = ["MediaSpan", "Segment"]


class SegmentMode(str, Enum):
    MARKERS = "markers"
    RANGE = "range"
    WHOLE = "whole"
    SCENES = "scenes"


@dataclass(frozen=True)
class Selection:
    mode: SegmentMode = SegmentMode.MARKERS
    range: str = ""  # "01:00:10:00-01:00:40:00", record timecodes
    min_scene_s: float = 20.0
    max_scene_s: float = 120.0
    range_name: str = ""  # RANGE: the cue's name; empty: "Range"


@dataclass(frozen=True)
class CueDefaults:
    prompt: str = ""
    mood: str = ""
    seed: int = 0


@dataclass(frozen=True)
class TimelineSegment:
    """A segment plus where it sits on the timeline."""

    segment: Segment
    record_start: int  # frames from the start of the tracks
    origin: str  # what made it, for messages: "marker 'Chase' at 01:00:10:00"
    media_offline: int = 0

    @property
    def record_end(self) -> int:
        return self.record_start + self.segment.duration_frames


@dataclass(frozen=True)
class TimelineFacts:
    """What segment selection needs to know about a timeline, computed once."""

    rate: Fraction
    start_frame: int  # global start time in frames (86400 for 01:00:00:00 at 24)
    duration: int
    edit_points: tuple[int, ...]
    content: tuple[tuple[int, int], ...]  # ranges where some clip plays, gaps excluded
    hit_points: tuple[int, ...]

    def timecode(self, frame: int) -> str:
        return otio.opentime.to_timecode(
            otio.opentime.RationalTime(self.start_frame + frame, float(self.rate)), float(self.rate)
        )


def frames(t: otio.opentime.RationalTime, rate: Fraction) -> int:
    """A time as whole frames at `rate`, rounded to the nearest frame."""
    return round(Fraction(t.value) * rate / Fraction(t.rate))


def study(timeline: otio.schema.Timeline, rate: Fraction) -> TimelineFacts:
    start = frames(timeline.global_start_time, rate) if timeline.global_start_time else 0
    duration = frames(timeline.tracks.duration(), rate)
    picture = [t for t in timeline.video_tracks() if t.enabled] or [
        t for t in timeline.tracks if isinstance(t, otio.schema.Track) and t.enabled
    ]
    edits: set[int] = set()
    spans: list[tuple[int, int]] = []
    hits: set[int] = set()
    for track in picture:
        for child, rng in track.range_of_all_children().items():
            if isinstance(child, otio.schema.Transition):
                continue
            a = frames(rng.start_time, rate)
            b = a + frames(rng.duration, rate)
            edits.update((a, b))
            if not isinstance(child, otio.schema.Gap):
                spans.append((a, b))
                hits.update(_zero_markers(child, rate, offset=a, trim=child.trimmed_range()))
    hits.update(_zero_markers(timeline.tracks, rate))
    edit_points = tuple(sorted(e for e in edits if 0 < e < duration))
    return TimelineFacts(rate, start, duration, edit_points, _union(spans), tuple(sorted(hits)))


def _zero_markers(item, rate: Fraction, offset: int = 0, trim=None) -> list[int]:
    out = []
    for m in item.markers:
        if marker_kind(m.name, frames(m.marked_range.duration, rate)) != MARKER_KIND_HIT_POINT:
            continue
        f = frames(m.marked_range.start_time, rate)
        if trim is not None:  # clip markers count in the clip's source time
            f -= frames(trim.start_time, rate)
        out.append(offset + f)
    return out


def _union(spans: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[list[int]] = []
    for a, b in sorted(s for s in spans if s[1] > s[0]):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return tuple((a, b) for a, b in merged)


# -- selection ------------------------------------------------------------------------------


def select(
    timeline: otio.schema.Timeline,
    facts: TimelineFacts,
    selection: Selection,
    defaults: CueDefaults,
    linker: MediaLinker | None = None,
    source: str = "timeline",
) -> list[TimelineSegment]:
    """The segments to score, in timeline order, each with cuts, hit points and media."""
    if facts.duration <= 0:
        raise BridgeError(f"{source}: the timeline is empty (no clips): there is nothing to score")
    _known_mood(defaults.mood, "")
    ranges = _RANGE_PICKERS[selection.mode](timeline, facts, selection, source)
    _check_count(len(ranges), source, "segments")
    clips = _ClipIndex(timeline, facts.rate)  # once: planning stays linear in markers + clips
    out = []
    for index, (start, length, name, origin, extra) in enumerate(ranges):
        if length <= 0:
            raise BridgeError(f"{source}: {origin} has zero length; give it a duration")
        prompt = extra.get("prompt") or defaults.prompt
        mood = _known_mood(extra.get("mood", ""), f"{source}: {origin}") or defaults.mood
        seed = (
            int(extra["seed"]) if "seed" in extra else _derived_seed(defaults.seed, start, length)
        )
        media, offline = _media_spans(clips, facts, start, length, linker)
        segment = Segment(
            id=f"cue-{index + 1:03d}",
            rate=Rate(facts.rate),
            duration_frames=length,
            cut_frames=tuple(p - start for p in _within(facts.edit_points, start + 1, length - 1)),
            hit_frames=tuple(h - start for h in _within(facts.hit_points, start, length)),
            media=tuple(media),
            prompt=prompt,
            mood=mood,
            seed=seed,
            name=name,
        )
        out.append(TimelineSegment(segment, start, origin, offline))
    return out


# The engine refuses a job of more cues than this (engine/jobs.py EngineLimits
# .max_segments_per_job); the bridge refuses it before planning a single segment.
MAX_SEGMENTS = 2000


def _check_count(count: int, source: str, what: str) -> None:
    if count > MAX_SEGMENTS:
        raise BridgeError(
            f"{source}: {count} {what} to score, more than the {MAX_SEGMENTS} one score takes; "
            "split the timeline (--range) or merge markers"
        )


def _within(points: tuple[int, ...], lo: int, length: int) -> tuple[int, ...]:
    """The sorted points p with lo <= p < lo + length."""
    return points[bisect_left(points, lo) : bisect_left(points, lo + length)]


def _known_mood(mood: str, where: str) -> str:
    """The mood as given, when the shared vocabulary knows it; refused before any music is
    made otherwise, with the nearest mood and the list (cuebridge/moods.py)."""
    try:
        check_mood(mood, where)
    except UnknownMood as exc:
        raise BridgeError(str(exc)) from None
    return mood.strip()


def _derived_seed(base: int, start: int, length: int) -> int:
    # From where the cue sits, not its number: adding a cue elsewhere leaves this one's music
    # (and so its cached cue) as it was.
    return zlib.crc32(f"{base}:{start}:{length}".encode()) & 0x7FFFFFFF


def _markers(timeline, facts: TimelineFacts, selection: Selection, source: str):
    markers = list(timeline.tracks.markers)
    _check_count(len(markers), source, "markers")  # before reading any of them
    picked = []
    for marker in markers:
        rng = marker.marked_range
        length = frames(rng.duration, facts.rate)
        if marker_kind(marker.name, length) != MARKER_KIND_CUE:
            continue  # a hit point, or a plugin's record of a placed cue
        start = frames(rng.start_time, facts.rate)
        origin = f"marker {marker.name!r} at {facts.timecode(start)}"
        if start < 0 or start + length > facts.duration:
            raise BridgeError(
                f"{source}: {origin} reaches outside the timeline "
                f"({facts.timecode(0)}-{facts.timecode(facts.duration)}); "
                "move or shorten the marker"
            )
        comment = getattr(marker, "comment", "") or _resolve_note(marker)
        extra = _marker_fields(marker, comment)
        extra.setdefault("prompt", marker.name or _first_free_line(comment))
        # An unnamed marker's cue, clip and cue-sheet line take the prompt's words, if any.
        name = marker.name or extra["prompt"] or f"Cue at {facts.timecode(start)}"
        picked.append((start, length, name, origin, extra))
    if not picked:
        raise BridgeError(
            f"{source}: no markers with a duration to score; add a duration marker over each "
            "scene, or use --segments scenes, --segments whole or --range"
        )
    return sorted(picked, key=lambda p: p[0])


_TIMECODE = re.compile(r"^\d{1,2}:\d{2}:\d{2}[:;.]\d{2,3}$")
_FIELD = re.compile(r"^\s*(mood|seed)\s*[:=]\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)


def _marker_fields(marker, comment: str) -> dict[str, str]:
    fields = {k.lower(): v for k, v in _FIELD.findall(comment)}
    meta = marker.metadata.get("cuebridge", {})
    if hasattr(meta, "items"):
        fields.update({k: str(v) for k, v in meta.items() if k in ("mood", "seed", "prompt")})
    if "seed" in fields and not fields["seed"].lstrip("-").isdigit():
        raise BridgeError(f"marker {marker.name!r}: seed {fields['seed']!r} is not a whole number")
    return fields


def _resolve_note(marker) -> str:
    # Resolve's OTIO export keeps a marker's note in its own metadata.
    meta = marker.metadata.get("Resolve_OTIO", {})
    return str(meta.get("Note", "")) if hasattr(meta, "get") else ""


def _first_free_line(comment: str) -> str:
    for line in comment.splitlines():
        if line.strip() and not _FIELD.match(line):
            return line.strip()
    return ""


def _range(timeline, facts: TimelineFacts, selection: Selection, source: str):
    text = selection.range.strip()
    parts = re.split(r"\s*-\s*(?=\d)", text, maxsplit=1) if text else []
    if len(parts) != 2:
        raise BridgeError(
            f"--range {text!r}: write it as IN-OUT timecodes, e.g. 01:00:10:00-01:00:40:00"
        )
    rate = float(facts.rate)
    bad = [p for p in parts if not _TIMECODE.match(p)]
    try:
        if bad:
            raise ValueError(f"{bad[0]!r} is not a timecode")
        a, b = (frames(otio.opentime.from_timecode(p, rate), facts.rate) for p in parts)
    except ValueError as exc:
        raise BridgeError(
            f"--range {text!r}: {exc}; timecodes are HH:MM:SS:FF at {rate:g} fps"
        ) from exc
    start, end = a - facts.start_frame, b - facts.start_frame
    origin = f"range {text}"
    if end <= start:
        raise BridgeError(f"--range {text!r}: the out point must come after the in point")
    if start < 0 or end > facts.duration:
        raise BridgeError(
            f"--range {text!r} reaches outside the timeline "
            f"({facts.timecode(0)}-{facts.timecode(facts.duration)})"
        )
    return [(start, end - start, selection.range_name or "Range", origin, {})]


def _whole(timeline, facts: TimelineFacts, selection: Selection, source: str):
    return [(0, facts.duration, timeline.name or "Whole timeline", "the whole timeline", {})]


def _scenes(timeline, facts: TimelineFacts, selection: Selection, source: str):
    """Cues of musical length: break at gaps, then at the edit point nearest an even split."""
    lo_s = _scene_length(selection.min_scene_s, "minimum", source)
    hi_s = _scene_length(selection.max_scene_s, "maximum", source)
    lo = max(1, round(lo_s * facts.rate))
    hi = max(lo, round(hi_s * facts.rate))
    picked = []
    for a, b in facts.content:
        for start, end in _split(a, b, lo, hi, facts.edit_points):
            n = len(picked) + 1
            picked.append(
                (start, end - start, f"Scene {n}", f"scene {n} at {facts.timecode(start)}", {})
            )
    return picked


# A scene cue shorter than a second is no cue (1e-9 made 144 one-frame cues without a word).
SCENE_S = (1.0, 3600.0)


def _scene_length(seconds: float, which: str, source: str) -> Fraction:
    lo, hi = SCENE_S
    if not (lo <= seconds <= hi):  # also false for NaN
        raise BridgeError(
            f"{source}: the {which} scene length {seconds!r} s is outside {lo:g}-{hi:g} s; "
            "give a length in seconds in that range (minSceneS / maxSceneS, --min-scene)"
        )
    return Fraction(seconds).limit_denominator(1000)


def _split(a: int, b: int, lo: int, hi: int, edits: tuple[int, ...]) -> list[tuple[int, int]]:
    out = []
    while b - a > hi:
        pieces = -(-(b - a) // hi)  # ceil: the fewest cues no longer than `hi`
        target = a + (b - a) // pieces
        window = [e for e in edits if a + lo <= e <= min(a + hi, b - lo)]
        cut = min(window, key=lambda e: abs(e - target)) if window else target
        out.append((a, cut))
        a = cut
    out.append((a, b))
    return out


_RANGE_PICKERS = {
    SegmentMode.MARKERS: _markers,
    SegmentMode.RANGE: _range,
    SegmentMode.WHOLE: _whole,
    SegmentMode.SCENES: _scenes,
}


# -- picture under a segment ----------------------------------------------------------------


class _ClipIndex:
    """The clips of each enabled video track, in record order, found by bisection: a segment
    looks at the clips under it only, not at every clip of the timeline."""

    def __init__(self, timeline, rate: Fraction):
        self.tracks: list[tuple[list[int], list[tuple[int, int, otio.schema.Clip]]]] = []
        for track in [t for t in timeline.video_tracks() if t.enabled]:
            clips = []
            for child, rng in track.range_of_all_children().items():
                if isinstance(child, otio.schema.Clip):
                    a = frames(rng.start_time, rate)
                    clips.append((a, a + frames(rng.duration, rate), child))
            clips.sort(key=lambda c: (c[1], c[0]))
            self.tracks.append(([c[1] for c in clips], clips))

    def under(self, track: int, start: int, end: int):
        """The (start, end, clip) of `track` that overlap [start, end)."""
        ends, clips = self.tracks[track]
        # clips of one track follow each other: ends and starts rise together
        for a, b, clip in clips[bisect_right(ends, start) :]:
            if a >= end:
                break
            yield a, b, clip


def _media_spans(
    clips: _ClipIndex, facts: TimelineFacts, start: int, length: int, linker: MediaLinker | None
) -> tuple[list[MediaSpan], int]:
    """Clips of the lowest video track with picture in the range (V1 carries the main picture)."""
    end = start + length
    for track in range(len(clips.tracks)):
        spans, offline = [], 0
        for a, b, child in clips.under(track, start, end):
            lo, hi = max(a, start), min(b, end)
            if lo >= hi:
                continue
            link = linker.link(child) if linker else None
            path = str(link.path) if link and link.online else ""
            offline += not path
            spans.append(
                MediaSpan(
                    path=path,
                    source_start_s=float(_source_seconds(child, facts.rate, lo - a)),
                    source_duration_s=float(Fraction(hi - lo) / facts.rate),
                    record_offset_frames=lo - start,
                    record_duration_frames=hi - lo,
                    name=child.name,
                )
            )
        if spans:
            return sorted(spans, key=lambda s: s.record_offset_frames), offline
    return [], 0


def _source_seconds(clip: otio.schema.Clip, rate: Fraction, into_clip: int) -> Fraction:
    """Seconds into the media file where the picture at `into_clip` frames of the clip is."""
    used = clip.trimmed_range()
    t = Fraction(used.start_time.value) / Fraction(used.start_time.rate)
    ref = clip.media_reference
    available = ref.available_range if ref else None
    if available is not None:  # files with a start timecode still start at 0 on disk
        t -= Fraction(available.start_time.value) / Fraction(available.start_time.rate)
    elif isinstance(ref, otio.schema.ImageSequenceReference) and ref.rate:
        t -= Fraction(ref.start_frame) / Fraction(ref.rate)  # the first image is 0 s
    return t + Fraction(into_clip) / rate
