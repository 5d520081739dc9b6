"""Putting cues back: a new audio track named "Score" with gaps and cue clips, exact to the frame.

Cues whose ranges overlap go on further tracks ("Score 2", ...), so no cue hides another.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio

from cuebridge.bridge.dialogue import fcp_audio_levels
from cuebridge.bridge.segments import TimelineFacts, TimelineSegment
from cuebridge.v1.engine_pb2 import Cue


@dataclass(frozen=True)
class Placement:
    """Where one cue landed on the new timeline."""

    segment: TimelineSegment
    cue: Cue
    track_name: str
    track_index: int  # 1-based among the timeline's audio tracks

    @property
    def record_start(self) -> int:
        return self.segment.record_start

    @property
    def record_duration(self) -> int:
        return self.segment.segment.duration_frames


def place_cues(
    timeline: otio.schema.Timeline,
    facts: TimelineFacts,
    scored: list[tuple[TimelineSegment, Cue]],
    track_name: str = "Score",
) -> list[Placement]:
    """Add score track(s) holding each cue on its segment's record range; return placements."""
    lanes: list[list[tuple[TimelineSegment, Cue]]] = []
    for item in sorted(scored, key=lambda sc: sc[0].record_start):
        for lane in lanes:
            if lane[-1][0].record_end <= item[0].record_start:
                lane.append(item)
                break
        else:
            lanes.append([item])

    taken = {t.name for t in timeline.tracks}
    audio_before = len(timeline.audio_tracks())
    placements = []
    for n, lane in enumerate(lanes):
        name = _free_name(track_name if n == 0 else f"{track_name} {n + 1}", taken)
        taken.add(name)
        track = otio.schema.Track(name=name, kind=otio.schema.TrackKind.Audio)
        track.metadata["cuebridge"] = {"role": "score"}
        cursor = 0
        for seg, cue in lane:
            if seg.record_start > cursor:
                track.append(
                    otio.schema.Gap(source_range=_range(0, seg.record_start - cursor, facts.rate))
                )
            track.append(cue_clip(seg, cue, facts.rate))
            cursor = seg.record_end
            placements.append(Placement(seg, cue, name, audio_before + n + 1))
        timeline.tracks.append(track)
    return sorted(placements, key=lambda p: (p.record_start, p.track_index))


def cue_clip(seg: TimelineSegment, cue: Cue, rate: Fraction) -> otio.schema.Clip:
    length = seg.segment.duration_frames
    # Ranges in the timeline's rate, not samples: the FCP 7 XML writer cannot express samples.
    ref = otio.schema.ExternalReference(
        target_url=Path(cue.audio_path).resolve().as_uri(),
        available_range=_range(0, length, rate),
    )
    clip = otio.schema.Clip(
        name=seg.segment.name or seg.segment.id,
        media_reference=ref,
        source_range=_range(0, length, rate),
    )
    clip.metadata["cuebridge"] = {
        "segment_id": seg.segment.id,
        "model": cue.model,
        "prompt": seg.segment.prompt,
        "mood": seg.segment.mood,
        "seed": seg.segment.seed,
        "midi": Path(cue.midi_path).resolve().as_uri() if cue.midi_path else "",
        "sample_rate": cue.sample_rate,
        "samples": cue.num_samples,
        **{k: v for k, v in cue.metadata.items() if k not in ("prompt", "mood", "seed")},
        "speech_s": [[s.start_s, s.end_s] for s in cue.speech],
        "duck_db": cue.duck_db,
    }
    # The dip under dialogue as clip-gain keyframes the editor can adjust (FCP 7 XML / Premiere).
    levels = fcp_audio_levels([(k.time_s, k.gain_db) for k in cue.duck_keyframes], rate)
    if levels:
        clip.metadata["fcp_xml"] = levels
    return clip


def _range(start: int, duration: int, rate: Fraction) -> otio.opentime.TimeRange:
    r = float(rate)
    return otio.opentime.TimeRange(
        otio.opentime.RationalTime(start, r), otio.opentime.RationalTime(duration, r)
    )


def _free_name(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    n = 2
    while f"{name} ({n})" in taken:
        n += 1
    return f"{name} ({n})"
