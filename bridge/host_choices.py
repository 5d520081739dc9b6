"""What a host plugin would otherwise decide itself, answered by the bridge (ParseTime).

What to score (in/out marks or cue markers), the fresh folder a score writes into, which cue
another take replaces (and its prompt, mood, earlier takes and a seed it has not had), and what
to tell the editor when a host placed only part of a plan (PlanPlacement's `outcome`).
The plugins send what their host says and apply or show the answer.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from pathlib import Path

import platformdirs

from cuebridge.bridge.errors import BridgeError
from cuebridge.bridge.host_time import HostRate, parse_timecode, timecode
from cuebridge.contract import PLACED_MARKER_PREFIX
from cuebridge.v1 import bridge_pb2 as bpb

SCORE_LANE = "Score"
PREVIEW_LANE = "Score (preview)"  # muted: the editor auditions by enabling it
TAKES_LANE = "Score takes"  # earlier takes, disabled, to A/B and go back
NOTHING_TO_SCORE = (
    "nothing to score: mark the scene with an in and an out point (I and O), or lay a "
    "marker with a duration over each scene (its name is the prompt), then press Score again"
)


def choose_selection(request: bpb.TimeRequest, marked: str, kinds) -> bpb.HostSelection:
    """`auto`: the in/out range when marked, else the cue markers; `range` or `markers` only.
    `marked`: the marks as a range ("" when none is set); `kinds`: each marker's kind."""
    mode = request.selection_mode
    if mode not in ("auto", "range", "markers"):
        raise BridgeError(f"selection {mode!r}: ask for 'auto', 'range' or 'markers'")
    marked = "" if mode == "markers" else marked
    if mode == "range" and not marked:
        if not request.marks_readable:
            raise BridgeError(
                "this Resolve version cannot tell scripts its in/out marks (that came in 19.1): "
                "lay a marker with a duration over the scene and score the markers instead"
            )
        raise BridgeError(NOTHING_TO_SCORE)
    if marked:
        return bpb.HostSelection(
            selection=bpb.SegmentSelection(mode=bpb.SEGMENT_MODE_RANGE, range=marked),
            describe="the marked range " + marked,
        )
    cues = sum(1 for k in kinds if k == bpb.MARKER_KIND_CUE)
    if not cues or mode == "range":
        raise BridgeError(NOTHING_TO_SCORE)
    return bpb.HostSelection(
        selection=bpb.SegmentSelection(mode=bpb.SEGMENT_MODE_MARKERS),
        describe=f"{cues} cue marker(s)",
    )


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "timeline"


def default_run_root() -> Path:
    override = os.environ.get("CUEBRIDGE_DATA_DIR")
    base = Path(override) if override else Path(platformdirs.user_data_dir("cuebridge"))
    return base / "resolve"


def make_run_folder(asked: bpb.RunFolderRequest) -> str:
    """<root>/<project>/<timeline>/<date-time>[-n], made fresh: the host keeps reading the WAVs
    it imported, so a later score never writes over an earlier one."""
    root = Path(asked.root).expanduser().resolve() if asked.root else default_run_root()
    base = root / _safe(asked.project or "project") / _safe(asked.timeline or "timeline")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1000):
        path = base / (stamp if n == 0 else f"{stamp}-{n + 1}")
        try:
            path.mkdir(parents=True)
            return str(path)
        except FileExistsError:
            continue
        except OSError as exc:
            raise BridgeError(
                f'cannot make a folder for the cues in {base}: {exc.strerror}. Set "cue_root" '
                "in cuebridge_settings.json to a writable folder"
            ) from None
    raise BridgeError(f"too many scores this second in {base}")


def _same_file(a: str, b: str) -> bool:
    return bool(a and b) and os.path.normcase(os.path.abspath(a)) == os.path.normcase(
        os.path.abspath(b)
    )


def _placed_record(markers, start: int, end: int, path: str) -> tuple[int | None, dict]:
    """The "Score: ..." marker of a placed cue over [start, end) (timeline-relative frames)."""
    for m in sorted(markers, key=lambda m: m.frame):
        frame = round(m.frame)
        if not start <= frame < end:
            continue
        try:
            data = json.loads(m.custom_data or "{}").get("cuebridge") or {}
        except (ValueError, AttributeError):
            continue
        if data and (not path or _same_file(data.get("audio") or "", path)):
            return frame, data
    return None, {}


def new_seed(used: set[str]) -> int:
    # Any seed the cue has not had: the bridge derives the cue's own seed from it.
    while True:
        seed = random.SystemRandom().randrange(1, 2**31)
        if str(seed) not in used:
            return seed


def choose_take(request: bpb.TimeRequest, rate: HostRate, lanes) -> bpb.TakeChoice:
    """The cue to take again: a selected clip on a Score lane, else the one under the playhead.
    `lanes`: the request's tracks that are Score lanes (the plan's lane rule)."""
    asked = request.take
    on_lanes = [(t, c) for t in lanes for c in t.items]
    chosen = [(t, c) for t, c in on_lanes if c.selected]
    if not chosen:
        head = parse_timecode(asked.playhead, rate) if asked.playhead else request.start_frame
        chosen = [(t, c) for t, c in on_lanes if c.start <= head < c.end]
    if not chosen:
        raise BridgeError(
            f"no cue to take again: put the playhead on a cue on the {SCORE_LANE!r} track (or "
            "select the cue's clip), then ask for another take"
        )
    track, clip = chosen[0]
    first = request.start_frame
    frame, data = _placed_record(
        request.markers, clip.start - first, clip.end - first, clip.audio_path
    )
    # Its takes before (markers written before "earlier" kept them in "takes", as dicts).
    kept = data.get("earlier") or [t for t in data.get("takes") or [] if isinstance(t, dict)]
    seed = str(data.get("seed", ""))
    earlier = [
        bpb.EarlierTake(seed=str(t.get("seed")), audio_path=t.get("audio") or "") for t in kept
    ]
    earlier.append(bpb.EarlierTake(seed=seed, audio_path=clip.audio_path))
    name = clip.name or "cue"
    text = f"{timecode(clip.start, rate)}-{timecode(clip.end, rate)}"
    return bpb.TakeChoice(
        track_index=track.index,
        track_name=track.name,
        start=clip.start,
        end=clip.end,
        name=name,
        audio_path=clip.audio_path,
        selection=bpb.SegmentSelection(mode=bpb.SEGMENT_MODE_RANGE, range=text, range_name=name),
        describe=f"another take of {name!r} ({text})",
        prompt=str(data.get("prompt", "")),
        mood=str(data.get("mood", "")),
        seed=new_seed({t.seed for t in earlier}),
        previous_seed=seed,
        earlier=earlier,
        has_marker=frame is not None,
        marker_frame=frame or 0,
        where=f"{track.name!r} at {timecode(clip.start, rate)}",
    )


def _where(c: bpb.PlannedClip) -> str:
    return f"{c.name!r} on {c.lane!r} at {c.record_in_timecode}"


def placed_report(plan: bpb.PlacementPlan, outcome: bpb.HostOutcome) -> str:
    """Every cue of the plan landed: where, what was understood of each, what else waits."""
    clips = [c for c in plan.clips if c.role == bpb.CLIP_ROLE_CUE]
    lanes = ", ".join(repr(n) for n in sorted({c.lane for c in clips}))
    text = (
        f"placed {len(clips)} cue(s) from {outcome.describe} on audio track {lanes} (each cue's "
        f"prompt and seed are in its {PLACED_MARKER_PREFIX.strip()!r} marker)"
    )
    if outcome.ranked:
        text += (
            f"; {outcome.ranked} more ranked take(s) wait, disabled, on the {TAKES_LANE!r} tracks"
        )
    heard = [f"{c.name!r} as {c.understood}" for c in clips if c.understood]
    if heard:
        text += "; understood: " + ", ".join(heard)
    return text + (f"; {plan.dialogue_note}" if plan.dialogue_note else "")


def outcome_report(clips, outcome: bpb.HostOutcome) -> str:
    """The host placed part of a plan (or none), took back what it could: say what is where."""
    landed, left = set(outcome.landed), set(outcome.left)
    got = [_where(c) for c in clips if c.audio_path in landed]
    lost = [_where(c) for c in clips if c.audio_path not in landed]
    if got:
        text = f"Resolve placed {len(got)} of {len(clips)} cue(s): it left out {', '.join(lost)}"
    else:
        text = f"Resolve refused to place the cues ({', '.join(lost)})"
    text += " (something already sits there, a track is locked, or a dialog is open in Resolve)"
    if left:
        still = ", ".join(_where(c) for c in clips if c.audio_path in left)
        text += (
            f"; it would not take back {still} either, so they are still on the timeline: delete "
            "them by hand (open the Edit page first: Resolve refuses script deletes on the "
            "Fairlight page)"
        )
    elif got:
        text += f"; the ones that landed ({', '.join(got)}) were taken back"
        text += ", so the timeline is as it was"
    else:
        text += "; nothing was placed"
    if outcome.kept_tracks:
        names = ", ".join(repr(t) for t in outcome.kept_tracks)
        text += f"; the new track(s) {names} hold clips now and were left"
    return (
        f"{text}. The cue files are in {outcome.cue_folder}: drag them to the timeline by hand, "
        "or Score again"
    )


def take_report(plan: bpb.PlacementPlan, take: bpb.TakeChoice, outcome: bpb.HostOutcome) -> str:
    """How another take went: swapped (and how to go back), or which step the host refused and
    where the previous take and the new one are now."""
    cue = next(c for c in plan.clips if c.role == bpb.CLIP_ROLE_CUE)
    aside = [c for c in plan.clips if c.role == bpb.CLIP_ROLE_PREVIOUS_TAKE]
    kept = aside[0].lane if aside else TAKES_LANE
    step, path, name, where = outcome.step, cue.audio_path, take.name, take.where
    if step == "previous":
        return (
            f"Resolve would not put the previous take of {name!r} on a {TAKES_LANE!r} track, so "
            f"the cue keeps it; the new take is {path}"
        )
    if step == "remove":
        copy_left = any(c.audio_path in outcome.left for c in aside)
        left = f"; a disabled copy of it is left on {kept!r}: delete it by hand"
        return (
            f"Resolve would not take the previous take of {name!r} off {where} (open the Edit "
            "page: Resolve refuses script deletes on the Fairlight page), so the cue keeps it"
            f"{left if copy_left else ''}; the new take is {path}"
        )
    if step == "place":
        state = (
            f"the previous take is back on {where}"
            if outcome.restored
            else f"the previous take is on {kept!r}, enabled"
        )
        return (
            f"Resolve would not place the new take of {name!r} on {where}: {state}; the new take "
            f"is {path}"
        )
    text = (
        f"another take of {name!r} (seed {cue.seed}) is on {where}; the previous take (seed "
        f"{take.previous_seed or '?'}) is disabled on {kept!r}: enable it there (and disable "
        "this one) to go back"
    )
    if outcome.ranked:
        text += f"; {outcome.ranked} more ranked take(s) wait on the takes tracks"
    return text
