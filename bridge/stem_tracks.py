"""Stems on the timeline: one audio track per orchestral section under each Score track
("Score - Strings", "Score - Winds and Brass", ...), each stem on the same frames as its cue.

The engine names the sections (`Cue.stem_paths`: section -> WAV, in orchestral order); the
stems sum to the cue, so an editor can mute the Score track and mix the sections instead.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import opentimelineio as otio

STEM_ROLE = "stem"
# The engine's sections, in the order they sit under Score (others follow, by name).
SECTION_ORDER = ("Strings", "Winds and Brass", "Percussion", "Keys and Other")


def add_stem_tracks(timeline: otio.schema.Timeline, placements: list, rate: Fraction) -> int:
    """Insert the stem tracks under their Score tracks; returns how many were added."""
    by_track: dict[str, list] = {}
    for p in placements:
        if p.cue.stem_paths:
            by_track.setdefault(p.track_name, []).append(p)
    added = 0
    for track_name, placed in by_track.items():
        found = {s for p in placed for s in p.cue.stem_paths}
        sections = [s for s in SECTION_ORDER if s in found] + sorted(found - set(SECTION_ORDER))
        index = next(i for i, t in enumerate(timeline.tracks) if t.name == track_name)
        for n, section in enumerate(sections, 1):
            track = otio.schema.Track(
                name=f"{track_name} - {section}", kind=otio.schema.TrackKind.Audio
            )
            track.metadata["cuebridge"] = {"role": STEM_ROLE, "section": section}
            cursor = 0
            for p in sorted(placed, key=lambda p: p.record_start):
                path = p.cue.stem_paths.get(section)
                start, length = p.record_start, p.record_duration
                if not path:  # this cue has no such section: silence on its frames
                    continue
                if start > cursor:
                    track.append(otio.schema.Gap(source_range=_range(0, start - cursor, rate)))
                track.append(_stem_clip(p, section, path, rate))
                cursor = start + length
            timeline.tracks.insert(index + n, track)
            added += 1
    return added


def _stem_clip(p, section: str, path: str, rate: Fraction) -> otio.schema.Clip:
    length = p.record_duration
    ref = otio.schema.ExternalReference(
        target_url=Path(path).resolve().as_uri(), available_range=_range(0, length, rate)
    )
    clip = otio.schema.Clip(
        name=f"{p.segment.segment.name or p.segment.segment.id} - {section}",
        media_reference=ref,
        source_range=_range(0, length, rate),
    )
    clip.metadata["cuebridge"] = {
        "segment_id": p.segment.segment.id,
        "stem": section,
        "seed": p.segment.segment.seed,
        "prompt": p.segment.segment.prompt,
        "mood": p.segment.segment.mood,
        "model": p.cue.model,
    }
    return clip


def _range(start: int, duration: int, rate: Fraction) -> otio.opentime.TimeRange:
    r = float(rate)
    return otio.opentime.TimeRange(
        otio.opentime.RationalTime(start, r), otio.opentime.RationalTime(duration, r)
    )
