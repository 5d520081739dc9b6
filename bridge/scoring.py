"""Scoring a timeline, in the two halves around the engine call.

`prepare` does everything that can fail on bad input before any music is made: read the timeline,
check the output path and the limits, select segments, link media. `hear_dialogue` then reads the
dialogue under the cues (long: the score's first phase, in the background). `finish` places the
cues and writes the new timeline. Between them the caller asks the engine for cues.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio

from cuebridge.bridge.cue_folder_claim import claim_cue_folder
from cuebridge.bridge.cue_sheet import check_cue_sheet, cue_sheet_path, write_cue_sheet
from cuebridge.bridge.destinations import check_cue_folder
from cuebridge.bridge.dialogue import DialogueChoice, listened_tracks, with_dialogue
from cuebridge.bridge.errors import BridgeError, TimelineError
from cuebridge.bridge.media import MediaLinker
from cuebridge.bridge.notices import default_cue_dir, mood_overrides, offline_clips
from cuebridge.bridge.placement import Placement, place_cues
from cuebridge.bridge.segments import (
    CueDefaults,
    Selection,
    TimelineFacts,
    TimelineSegment,
    select,
    study,
)
from cuebridge.bridge.stem_tracks import add_stem_tracks
from cuebridge.bridge.timeline_io import (
    SCORE_SUFFIXES,
    check_output,
    read_timeline,
    timeline_rate,
    write_timeline,
)
from cuebridge.contract import MAX_CUE_S, cue_file_stem
from cuebridge.safe_files import replacing
from cuebridge.v1.engine_pb2 import Cue

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScoreOptions:
    timeline_path: Path
    output_path: Path
    force: bool = False
    selection: Selection = field(default_factory=Selection)
    rate: Fraction | None = None  # for EDLs
    media_dirs: tuple[Path, ...] = ()
    require_media: bool = False
    defaults: CueDefaults = field(default_factory=CueDefaults)
    cue_dir: Path | None = None
    track_name: str = "Score"
    dialogue: DialogueChoice = field(default_factory=DialogueChoice)


@dataclass
class PreparedScore:
    options: ScoreOptions
    timeline: otio.schema.Timeline | None  # None once the score is over and written
    facts: TimelineFacts
    segments: list[TimelineSegment]
    cue_dir: Path
    warnings: list[str]
    claim: Path | None = None  # the cue folder this score holds until it ends (release_cue_folder)
    dialogue_heard: bool = False  # hear_dialogue has filled in the speech under each cue


def _check_lengths(segments: list[TimelineSegment], facts: TimelineFacts, source: str) -> None:
    for s in segments:
        if s.segment.duration_frames / facts.rate > MAX_CUE_S:  # exact: a Fraction
            seconds = int(s.segment.duration_frames / facts.rate)
            h, m, sec = seconds // 3600, seconds % 3600 // 60, seconds % 60
            raise BridgeError(
                f"{source}: {s.origin} is {h}:{m:02d}:{sec:02d} long; the longest cue is "
                f"{MAX_CUE_S // 3600} h: score it in parts (shorter markers, or --range)"
            )


def hear_dialogue(
    prepared: PreparedScore,
    progress: Callable[[int, int], None] = lambda done, total: None,
    should_stop: Callable[[], bool] = lambda: False,
) -> None:
    """Where people speak under each cue (the music makes room there): the score's first phase,
    after StartScore has answered. An offline or unreadable clip leaves its cue without a map,
    with a warning; raises speech.Stopped when `should_stop` says so."""
    if prepared.dialogue_heard:
        return
    opts = prepared.options
    src = Path(opts.timeline_path)
    linker = MediaLinker(src, list(opts.media_dirs))
    segments, heard = with_dialogue(
        prepared.timeline,
        prepared.facts.rate,
        prepared.segments,
        linker,
        opts.dialogue,
        str(src),
        progress,
        should_stop,
    )
    prepared.segments = segments
    prepared.warnings += heard
    prepared.dialogue_heard = True


def plan_segments(
    src: Path,
    selection: Selection,
    *,
    rate: Fraction | None = None,
    media_dirs: tuple[Path, ...] = (),
    defaults: CueDefaults | None = None,
    check: Callable[[], None] = lambda: None,
) -> tuple[otio.schema.Timeline, TimelineFacts, list[TimelineSegment]]:
    """Read a timeline and select its segments, media linked; `check` runs once it is read."""
    timeline = read_timeline(src, rate)
    check()
    facts = study(timeline, rate or timeline_rate(timeline))
    linker = MediaLinker(src, list(media_dirs))
    segments = select(
        timeline, facts, selection, defaults or CueDefaults(), linker, source=str(src)
    )
    return timeline, facts, segments


def prepare(options: ScoreOptions) -> PreparedScore:
    src, out = Path(options.timeline_path), Path(options.output_path)
    timeline, facts, segments = plan_segments(
        src,
        options.selection,
        rate=options.rate,
        media_dirs=options.media_dirs,
        defaults=options.defaults,
        check=lambda: (
            check_output(out, force=options.force, protect=(src,), allowed=SCORE_SUFFIXES),
            check_cue_sheet(cue_sheet_path(out), force=options.force),
        ),
    )
    warnings = mood_overrides(segments, options.defaults.mood)
    offline, missing = offline_clips(segments)
    if offline:
        if options.require_media:
            raise TimelineError(
                src,
                f"{offline} clip(s) under the cues have no media online ({missing})",
                "relink them, pass --media-dir, or drop --require-media",
            )
        warnings.append(
            f"{offline} clip(s) offline ({missing}): those cues are "
            "scored from the edit structure alone"
        )
    _check_lengths(segments, facts, str(src))
    if options.dialogue.enabled:  # a wrong --dialogue-tracks is refused now, not after a read
        listened_tracks(timeline, options.dialogue.tracks, str(src))
    cue_dir = Path(options.cue_dir) if options.cue_dir else default_cue_dir(out)
    owner = _score_identity(src, out)
    _check_cue_dir(cue_dir, segments, options.force, owner)
    _claim_cue_dir(cue_dir, owner)
    claim = claim_cue_folder(cue_dir, owner)  # last: a refusal above leaves no claim behind
    return PreparedScore(options, timeline, facts, segments, cue_dir, warnings, claim)


# Which score (timeline in, timeline out) a cue folder's cues belong to: the same score again
# (after an interrupted run, say) reuses and finishes them; another score is refused.
CUE_DIR_OWNER = ".cuebridge-score"


def _score_identity(src: Path, out: Path) -> str:
    return f"{src.resolve()} -> {out.resolve()}"


def _claim_cue_dir(cue_dir: Path, owner: str) -> None:
    try:
        cue_dir.mkdir(parents=True, exist_ok=True)
        with replacing(cue_dir / CUE_DIR_OWNER) as (fh, _):
            fh.write((owner + "\n").encode())
    except OSError as exc:
        raise TimelineError(
            cue_dir, f"cannot write cues there ({exc.strerror or exc})", "choose another --cue-dir"
        ) from exc


def _owner(cue_dir: Path) -> str:
    try:
        return (cue_dir / CUE_DIR_OWNER).read_text().strip()
    except OSError:
        return ""


def _check_cue_dir(cue_dir: Path, segments: list[TimelineSegment], force: bool, owner: str) -> None:
    """Cues of another score must not be replaced silently: other timelines may point at them."""
    if cue_dir.exists() and not cue_dir.is_dir():
        raise TimelineError(cue_dir, "is a file, not a folder for cues", "choose another --cue-dir")
    check_cue_folder(cue_dir)  # before any cue is made, not after the last
    if force or not cue_dir.is_dir() or _owner(cue_dir) == owner:
        return
    stems = {cue_file_stem(s.segment.id) for s in segments}
    taken = sorted(p.name for p in cue_dir.iterdir() if p.stem in stems)
    if taken:
        raise TimelineError(
            cue_dir,
            f"already holds cues ({', '.join(taken[:3])}) that other timelines may use",
            "choose another --cue-dir, or pass --force",
        )


def finish(prepared: PreparedScore, cues: dict[str, Cue]) -> list[Placement]:
    """Place the cues that were made and write the new timeline; the input is never touched."""
    scored = [(s, cues[s.segment.id]) for s in prepared.segments if s.segment.id in cues]
    placements = place_cues(prepared.timeline, prepared.facts, scored, prepared.options.track_name)
    add_stem_tracks(prepared.timeline, placements, prepared.facts.rate)
    opts = prepared.options
    write_timeline(
        prepared.timeline,
        opts.output_path,
        force=opts.force,
        protect=(Path(opts.timeline_path),),
        allowed=SCORE_SUFFIXES,
    )
    write_cue_sheet(prepared.timeline, cue_sheet_path(opts.output_path), opts.track_name)
    return placements


def convert(src: Path, out: Path, *, force: bool = False, rate: Fraction | None = None) -> Path:
    """Any timeline format OpenTimelineIO reads to any it writes, without scoring."""
    timeline = read_timeline(src, rate)
    return write_timeline(timeline, out, force=force, protect=(Path(src),))


__all__ = [
    "BridgeError",
    "ScoreOptions",
    "PreparedScore",
    "prepare",
    "hear_dialogue",
    "finish",
    "convert",
]
