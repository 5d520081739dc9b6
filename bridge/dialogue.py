"""The dialogue under each cue: which audio tracks to listen to, and where people speak there.

Listened to: every enabled audio track of the timeline except the Score tracks cuebridge wrote
(metadata["cuebridge"]["role"] == "score"), or only those the editor names (`--dialogue-tracks
A1,A2`: A1 is the first audio track; a track's own name works too). Each clip's range under the
cue is decoded on its own and the lines found in any of them are joined (a line on A1 and a
reply on A2 both count), so a cached clip is never decoded again.

A cue whose dialogue clips are offline gets no dialogue map at all (the music does not make room
for some lines and not others), and a warning says so, as for the picture.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio

from cuebridge.bridge.errors import BridgeError
from cuebridge.bridge.media import MediaLinker
from cuebridge.bridge.speech import AudioUnreadable, Stopped, default_cache_dir, speech_in
from cuebridge.v1 import engine_pb2 as pb

FrameRanges = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class DialogueChoice:
    enabled: bool = True
    tracks: tuple[str, ...] = ()  # "" = every audio track but the score
    cache_dir: Path | None = None  # None = the user's data folder


def listened_tracks(
    timeline: otio.schema.Timeline, names: Sequence[str], source: str = "timeline"
) -> list[otio.schema.Track]:
    """The audio tracks that may hold dialogue, in timeline order."""
    audio = list(timeline.audio_tracks())
    names = [n.strip() for name in names for n in name.split(",") if n.strip()]  # "A1,A2" too
    if not names:
        return [t for t in audio if t.enabled and not _is_score(t)]
    picked = []
    for name in names:
        wanted = name.strip()
        track = _by_label(audio, wanted)
        if track is None:
            have = ", ".join(f"A{i + 1} {t.name!r}" for i, t in enumerate(audio)) or "none"
            raise BridgeError(
                f"{source}: --dialogue-tracks names {wanted!r}, which is not an audio track "
                f"(the timeline has: {have}); name them as A1, A2 ... or by track name"
            )
        if track not in picked:
            picked.append(track)
    return picked


@dataclass(frozen=True)
class ClipRead:
    """One dialogue clip's range under one cue: the piece of a file to listen to."""

    path: Path
    into_s: float  # seconds into the file
    duration_s: float
    offset: Fraction  # where it starts in the cue, in seconds


def clips_under(
    tracks: list[otio.schema.Track],
    rate: Fraction,
    start: int,
    length: int,
    linker: MediaLinker | None,
) -> tuple[list[ClipRead], list[str]]:
    """The dialogue clips under [start, start + length) to read, and those offline."""
    end = start + length
    reads: list[ClipRead] = []
    missing: list[str] = []
    for track in tracks:
        for child, rng in track.range_of_all_children().items():
            if not isinstance(child, otio.schema.Clip):
                continue
            a = _frames(rng.start_time, rate)
            b = a + _frames(rng.duration, rate)
            lo, hi = max(a, start), min(b, end)
            if lo >= hi:
                continue
            link = linker.link(child) if linker else None
            if link is None or not link.online:
                missing.append(f"{child.name or '(unnamed clip)'} offline")
                continue
            into = float(_source_seconds(child, rate) + Fraction(lo - a) / rate)
            reads.append(
                ClipRead(
                    link.path, into, float(Fraction(hi - lo) / rate), Fraction(lo - start) / rate
                )
            )
    return reads, missing


def speech_map(
    heard: list[tuple[ClipRead, list[tuple[float, float]]]], rate: Fraction, length: int
) -> FrameRanges:
    """The lines heard in a cue's clips as merged frame ranges from the cue's start."""
    seconds = [
        (read.offset + _exact(s), read.offset + _exact(e))
        for read, spans in heard
        for s, e in spans
    ]
    ranges = sorted((max(0, round(s * rate)), min(length, round(e * rate))) for s, e in seconds)
    merged: list[list[int]] = []
    for a, b in ranges:
        if b <= a:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return tuple((a, b) for a, b in merged)


def dialogue_for_segments(
    timeline: otio.schema.Timeline,
    rate: Fraction,
    spans: Sequence[tuple[str, str, int, int]],
    linker: MediaLinker | None,
    choice: DialogueChoice,
    source: str = "timeline",
    progress: Callable[[int, int], None] = lambda done, total: None,
    should_stop: Callable[[], bool] = lambda: False,
) -> tuple[dict[str, FrameRanges], list[str]]:
    """Speech per segment id, for (id, label for messages, record start, length), and warnings.

    `progress(done, total)` is told after each clip read; `should_stop` is asked between pieces
    of audio, and a read asked to stop raises speech.Stopped.
    """
    if not choice.enabled:
        return {}, []
    tracks = listened_tracks(timeline, choice.tracks, source)
    cache = choice.cache_dir or default_cache_dir()
    shared = _LockedLinker(linker) if linker else None
    planned = [clips_under(tracks, rate, start, length, shared) for _, _, start, length in spans]
    todo = [
        (n, read) for n, (reads, missing) in enumerate(planned) if not missing for read in reads
    ]
    done = [0]
    lock = threading.Lock()
    progress(0, len(todo))

    def read(job: tuple[int, ClipRead]):
        if should_stop():
            raise Stopped()
        n, clip = job
        try:
            heard = speech_in(clip.path, clip.into_s, clip.duration_s, cache, should_stop)
        except Stopped:
            raise
        except (AudioUnreadable, OSError) as exc:
            heard = f"{clip.path.name} {exc}"
        except Exception as exc:  # one clip that breaks the detector never loses the others
            heard = f"{clip.path.name} could not be read ({exc!r})"
        with lock:
            done[0] += 1
            progress(done[0], len(todo))
        return n, clip, heard

    # Clips are read side by side: the detector runs outside the GIL (a native library), so a
    # feature's first read takes about 1/cores of the time (68x real time per core here).
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        futures = [pool.submit(read, job) for job in todo]
        try:
            results = [f.result() for f in futures]
        except Stopped:
            for f in futures:
                f.cancel()
            raise
    heard_by: dict[int, list] = {}
    problems_by: dict[int, list[str]] = {n: list(missing) for n, (_, missing) in enumerate(planned)}
    for n, clip, heard in results:
        if isinstance(heard, str):
            problems_by[n].append(heard)
        else:
            heard_by.setdefault(n, []).append((clip, heard))
    found: dict[str, FrameRanges] = {}
    warnings = []
    for n, (segment_id, label, _, length) in enumerate(spans):
        if problems_by[n]:
            warnings.append(
                f"{label}: dialogue not read ({'; '.join(problems_by[n][:3])}): scored without "
                "a dialogue map; relink the audio or pass --media-dir (or --no-dialogue)"
            )
            continue
        found[segment_id] = speech_map(heard_by.get(n, []), rate, length)
    return found, warnings


class _LockedLinker:
    """A MediaLinker shared by threads (it builds its --media-dir index on first use)."""

    def __init__(self, linker: MediaLinker):
        self._linker = linker
        self._lock = threading.Lock()

    def link(self, clip: otio.schema.Clip):
        with self._lock:
            return self._linker.link(clip)


def _label(s) -> str:
    return f"{s.segment.id} {s.segment.name!r}" if s.segment.name else s.segment.id


def _exact(seconds: float) -> Fraction:
    return Fraction(seconds).limit_denominator(100_000)


def _is_score(track: otio.schema.Track) -> bool:
    meta = track.metadata.get("cuebridge", {})
    return hasattr(meta, "get") and meta.get("role") == "score"


def _by_label(audio: list[otio.schema.Track], label: str) -> otio.schema.Track | None:
    low = label.lower()
    if low[:1] == "a" and low[1:].isdigit() and 1 <= int(low[1:]) <= len(audio):
        return audio[int(low[1:]) - 1]
    for track in audio:
        if track.name.strip().lower() == low:
            return track
    return None


def _frames(t: otio.opentime.RationalTime, rate: Fraction) -> int:
    return round(Fraction(t.value) * rate / Fraction(t.rate))


def _source_seconds(clip: otio.schema.Clip, rate: Fraction) -> Fraction:
    """Seconds into the file where the clip's used range starts (files start at 0 on disk)."""
    used = clip.trimmed_range()
    t = Fraction(used.start_time.value) / Fraction(used.start_time.rate)
    ref = clip.media_reference
    available = ref.available_range if ref else None
    if available is not None:
        t -= Fraction(available.start_time.value) / Fraction(available.start_time.rate)
    return t


def with_dialogue(
    timeline: otio.schema.Timeline,
    rate: Fraction,
    segments: list,
    linker: MediaLinker | None,
    choice: DialogueChoice,
    source: str = "timeline",
    progress: Callable[[int, int], None] = lambda done, total: None,
    should_stop: Callable[[], bool] = lambda: False,
) -> tuple[list, list[str]]:
    """The bridge's segments (TimelineSegment) with their speech filled in, and warnings."""
    found, warnings = dialogue_for_segments(
        timeline,
        rate,
        [(s.segment.id, _label(s), s.record_start, s.segment.duration_frames) for s in segments],
        linker,
        choice,
        source,
        progress,
        should_stop,
    )
    filled = [
        replace(s, segment=replace(s.segment, speech=found[s.segment.id]))
        if s.segment.id in found
        else s
        for s in segments
    ]
    return filled, warnings


def fcp_audio_levels(points: list[tuple[float, float]], rate: Fraction) -> dict | None:
    """The engine's dip (the cue's duck_keyframes, (seconds, dB)) as an FCP 7 XML "Audio Levels"
    filter with keyframes, in the shape the OTIO FCP 7 XML adapter writes from a clip's
    metadata["fcp_xml"] (Premiere reads it, and the editor can drag the points). None when
    there is no dip."""
    if len(points) < 2:
        return None
    frames = {}
    for t, db in points:  # one value per frame: the lowest, so a dip is never lost
        f = round(Fraction(t).limit_denominator(100_000) * rate)
        frames[f] = min(frames.get(f, 0.0), float(db))
    keyframes = [
        {"when": str(f), "value": f"{10 ** (db / 20):.5f}"} for f, db in sorted(frames.items())
    ]
    return {
        "filter": {
            "effect": {
                "name": "Audio Levels",
                "effectid": "audiolevels",
                "effectcategory": "audiolevels",
                "effecttype": "audiolevels",
                "mediatype": "audio",
                "parameter": {
                    "@authoringApp": "PremierePro",
                    "parameterid": "level",
                    "name": "Level",
                    "valuemin": "0",
                    "valuemax": "3.98109",
                    "value": "1",
                    "keyframe": keyframes,
                },
            }
        }
    }


def ducking_from_text(text: str) -> pb.Ducking:
    """An editor's `--duck` ("off", "-9", "-9 dB"; "" = the engine's default) as the contract's
    Ducking. Raises ValueError for anything else (the CLI checks it first)."""
    text = text.strip().lower().removesuffix("db").strip()
    if text in ("", "on", "default"):
        return pb.Ducking()
    if text in ("off", "none", "0"):
        return pb.Ducking(off=True)
    depth = -abs(float(text))
    if not -40.0 <= depth <= 0.0:
        raise ValueError(f"duck {text!r}: give a level between 0 and -40 dB, or off")
    return pb.Ducking(depth_db=depth)
