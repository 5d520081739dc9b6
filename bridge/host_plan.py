"""A placement plan in the host's own terms: which lane, which frames, which marker, which takes.

The plugins read their host (rate strings, start, audio tracks with their clips, the rate each
imported WAV got) and apply what this answers; they choose no lane and parse no timecode.

Lanes: cues go on "Score" lanes only. An existing track is reused when its name is a Score lane
name and nothing sits on it under any cue of the lane; otherwise a new track is added past the last
one. A track that holds dialogue, or any track not named as a Score lane, is never chosen, even
where it has a gap under the cue.
"""

from __future__ import annotations

import json
import re
from fractions import Fraction

from cuebridge.bridge import host_choices
from cuebridge.bridge.errors import BridgeError
from cuebridge.bridge.host_time import (
    HostRate,
    duration_label,
    host_rate,
    parse_rate,
    parse_timecode,
    rescale,
    ticks,
    timecode,
)
from cuebridge.contract import HIT_POINT_MAX_FRAMES, PLACED_MARKER_PREFIX, marker_kind
from cuebridge.v1 import bridge_pb2 as bpb
from cuebridge.v1 import engine_pb2 as pb

DEFAULT_LANE = "Score"
MARKER_COLOR = "Cream"  # Resolve's Timeline.AddMarker colour names; Premiere maps it to its own
FIRST_INDEX = {"resolve": 1, "premiere": 0}  # how each host numbers its audio tracks


def cue_takes(cue: pb.Cue) -> list[str]:
    """The other takes the engine ranked lower, best first. (One place to read them.)"""
    return [t.audio_path for t in cue.takes if not t.chosen and t.audio_path]


def cue_feel(cue: pb.Cue) -> dict[str, str]:
    """Prompt, mood, seed and model of a cue, as its marker shows them. (One place to read them.)"""
    meta = cue.metadata
    return {
        "prompt": meta.get("prompt", ""),
        "mood": meta.get("mood", ""),
        "seed": meta.get("seed", ""),
        "model": cue.model or meta.get("model", ""),
    }


def cue_speech_lines(cue: pb.Cue) -> int:
    """How many lines of dialogue the engine made room for under a cue. (One place to read them.)"""
    return len(cue.speech)


def dialogue_note(cues) -> str:
    """What the plugins report when the music made room for speech: "" when no cue did."""
    spoken = [n for n in (cue_speech_lines(c) for c in cues) if n]
    if not spoken:
        return ""
    return (
        f"dialogue read: {sum(spoken)} line(s) under {len(spoken)} cue(s), "
        "the music dips and thins there"
    )


def plan_placement(request: bpb.PlanRequest, result: bpb.ScoreResult) -> bpb.PlacementPlan:
    host = request.host or "resolve"
    if host not in FIRST_INDEX:
        raise BridgeError(f"host {host!r}: the bridge plans for 'resolve' or 'premiere'")
    rate = host_rate(request.timeline_rate or "24", request.drop_frame, request.display_format)
    start = (
        parse_timecode(request.start_timecode, rate)
        if request.start_timecode
        else int(request.start_frame)
    )
    warnings: list[str] = []
    media_rates = {m.audio_path: m.rate for m in request.media}
    base = request.track_name or _default_lane(request)

    clips = []
    only = set(request.segment_ids)
    for p in sorted(result.placements, key=lambda p: (p.record_start_frame, p.track_index)):
        if only and p.segment_id not in only:
            continue
        p_rate = Fraction(p.rate.num, p.rate.den) if p.rate.num and p.rate.den else rate.rate
        offset = rescale(p.record_start_frame, p_rate, rate.rate)
        # The end rescaled on its own: rounding start and length apart could overlap the next cue.
        end = rescale(p.record_start_frame + p.record_duration_frames, p_rate, rate.rate)
        clips.append((p, offset, end - offset))
    # The bridge already put overlapping cues on further lanes: keep its grouping, by rank.
    rank = {t: n for n, t in enumerate(sorted({p.track_index for p, _, _ in clips}), start=1)}
    take = request.take if request.HasField("take") else None
    if take is not None:  # another take goes where the take it replaces is
        lanes = {1: bpb.PlannedLane(name=take.track_name, index=take.track_index)}
        rank = {p.track_index: 1 for p, _, _ in clips}
    else:
        lanes = _choose_lanes(
            request, base, host, [(rank[p.track_index], o, n) for p, o, n in clips], start
        )

    taken = set(request.marker_frames)
    out = []
    by_lane: dict[str, list[bpb.PlannedClip]] = {}
    for p, offset, length in clips:
        lane = lanes[rank[p.track_index]]
        wav_rate = _wav_rate(media_rates.get(p.cue.audio_path, ""), rate, p.cue.audio_path)
        source_out = _source_frames(length, rate.rate, wav_rate, p.cue, host)
        feel = cue_feel(p.cue)
        c = bpb.PlannedClip(
            segment_id=p.segment_id,
            name=p.name or p.segment_id,
            lane=lane.name,
            lane_index=lane.index,
            audio_path=p.cue.audio_path,
            record_frame=start + offset,
            record_end_frame=start + offset + length,
            record_offset_frames=offset,
            source_in=0,
            source_out=source_out,
            record_offset_ticks=ticks(offset, rate.rate),
            duration_ticks=ticks(length, rate.rate),
            enabled=not request.disabled,
            takes=cue_takes(p.cue),
            record_in_timecode=timecode(start + offset, rate),
            duration_timecode=duration_label(length, rate),
            understood=understood(p.cue),
            **feel,
        )
        earlier = take.earlier if take is not None else request.earlier_takes
        c.marker.CopyFrom(_marker(c, offset, length, taken, warnings, earlier))
        if take is not None and take.has_marker:  # the take's record is rewritten in place
            c.marker.frame, c.marker.replaces = take.marker_frame, True
        out.append(c)
        by_lane.setdefault(lane.name, []).append(c)
    if host == "resolve":
        for lane_clips in by_lane.values():
            _fit_resolve_lane(lane_clips, rate, media_rates, warnings)
    all_lanes = list(lanes.values())
    if request.takes_as_clips:
        aside, takes_lanes = _takes_as_clips(request, host, out, start, all_lanes)
        out, all_lanes = out + aside, all_lanes + takes_lanes
    plan = bpb.PlacementPlan(
        score_id=request.score_id,
        rate=pb.Rate(num=rate.rate.numerator, den=rate.rate.denominator),
        drop_frame=rate.drop_frame,
        start_frame=start,
        lanes=sorted({x.index: x for x in all_lanes}.values(), key=lambda x: x.index),
        clips=out,
        warnings=warnings,
        hit_point_max_frames=HIT_POINT_MAX_FRAMES,
        dialogue_note=dialogue_note(p.cue for p, _, _ in clips),
    )
    if take is not None:
        plan.remove.CopyFrom(bpb.FrameSpan(start=take.start, end=take.end))
        plan.remove_track = take.track_index
    plan.report = _report(plan, request)
    return plan


def _takes_as_clips(request, host: str, cues, start: int, reserved):
    """Another take's previous take, and each cue's ranked takes, as disabled clips on "Score
    takes" lanes at the cue's frames: the n-th take of a cue on the n-th free takes lane."""
    aside = []
    for c in cues:
        paths = [request.take.audio_path] if request.HasField("take") else []
        roles = [bpb.CLIP_ROLE_PREVIOUS_TAKE] * len(paths) + [bpb.CLIP_ROLE_RANKED_TAKE] * len(
            c.takes
        )
        for n, (path, role) in enumerate(zip(paths + list(c.takes), roles, strict=True), start=1):
            aside.append((n, c, path, role))
    spans = [
        (n, c.record_offset_frames, c.record_end_frame - c.record_frame) for n, c, _, _ in aside
    ]
    lanes = _choose_lanes(request, host_choices.TAKES_LANE, host, spans, start, reserved)
    out = []
    for n, c, path, role in aside:
        x = bpb.PlannedClip(lane=lanes[n].name, lane_index=lanes[n].index, audio_path=path)
        x.MergeFrom(bpb.PlannedClip(role=role, enabled=False))
        for name in ("segment_id", "name", "record_frame", "record_end_frame", "source_out"):
            setattr(x, name, getattr(c, name))
        x.record_offset_frames = c.record_offset_frames
        out.append(x)
    return out, list(lanes.values())


def _report(plan: bpb.PlacementPlan, request: bpb.PlanRequest) -> str:
    """With the host's outcome: what the editor is told (host_choices words it)."""
    outcome = request.outcome
    if not request.HasField("outcome"):
        return ""
    if request.HasField("take"):
        return host_choices.take_report(plan, request.take, outcome)
    if not outcome.step:
        return host_choices.placed_report(plan, outcome)
    cues = [c for c in plan.clips if c.role == bpb.CLIP_ROLE_CUE]
    return host_choices.outcome_report(cues, outcome)


def _default_lane(request: bpb.PlanRequest) -> str:
    return host_choices.PREVIEW_LANE if request.disabled else DEFAULT_LANE


def understood(cue: pb.Cue) -> str:
    """What was understood of a cue's words: "grief (coffin, widow)"; "" when not known."""
    style, why = cue.feel.style, cue.feel.decided_by
    return f"{style} ({why})" if style and why else style


def is_lane_name(name: str, base: str = DEFAULT_LANE) -> bool:
    """ "Score", "Score 2", "Score (2)": the names of the lanes cues may go on."""
    return name == base or re.fullmatch(re.escape(base) + r" \(?\d+\)?", name or "") is not None


def _choose_lanes(
    request, base: str, host: str, cues, start: int, reserved=()
) -> dict[int, bpb.PlannedLane]:
    """cues: (lane rank, offset, length). Lane 1 is "Score", lane 2 "Score 2" ... `reserved`:
    lanes chosen already (another base's), never chosen again nor numbered over."""
    spans: dict[int, list[tuple[int, int]]] = {}
    for n, offset, length in cues:
        spans.setdefault(n, []).append((start + offset, start + offset + length))
    tracks = sorted(request.audio_tracks, key=lambda t: t.index)
    names = {t.name for t in tracks} | {lane.name for lane in reserved}
    indexes = [t.index for t in tracks] + [lane.index for lane in reserved]
    next_index = (max(indexes, default=FIRST_INDEX[host] - 1)) + 1
    chosen: dict[int, bpb.PlannedLane] = {}
    used: set[int] = {lane.index for lane in reserved}
    for wanted in sorted(spans):
        free = [
            t
            for t in tracks
            if t.index not in used
            and is_lane_name(t.name, base)
            and not any(a < i.end and i.start < b for a, b in spans[wanted] for i in t.items)
        ]
        # Prefer the track of the same name, so "Score 2" stays "Score 2".
        free.sort(key=lambda t: (t.name != _lane_name(wanted, base), t.index))
        if free:
            lane = bpb.PlannedLane(name=free[0].name, index=free[0].index, create=False)
        else:
            name, n = _lane_name(wanted, base), 2
            while name in names:
                name, n = f"{base} {n}", n + 1
            names.add(name)
            lane = bpb.PlannedLane(name=name, index=next_index, create=True)
            next_index += 1
        used.add(lane.index)
        chosen[wanted] = lane
    return chosen


def _lane_name(n: int, base: str) -> str:
    return base if n == 1 else f"{base} {n}"


def _wav_rate(text: str, timeline: HostRate, path: str) -> Fraction:
    if not text:
        return timeline.rate  # Premiere places by time, not by the item's frames
    try:
        return parse_rate(text).rate
    except BridgeError as exc:
        raise BridgeError(f"the host's frame rate for the cue {path}: {exc}") from None


def _source_frames(length: int, timeline: Fraction, wav: Fraction, cue: pb.Cue, host: str) -> int:
    """Source frames of the WAV (at the rate the host gave it) that fill `length` timeline frames.

    Resolve converts an item's frames to timeline frames rounding DOWN (davinci-resolve-mcp
    api-limitations.md, "AppendToTimeline with mixed-fps sources (duration floor)"), so ask for the
    fewest that never land a frame short, but no more than the WAV holds.
    """
    exact = Fraction(int(length)) * wav / timeline
    frames = -(-exact.numerator // exact.denominator) if host == "resolve" else round(exact)
    if cue.sample_rate and cue.num_samples:
        held = Fraction(cue.num_samples) * wav / cue.sample_rate
        frames = min(frames, round(held))
    if frames < 1:
        raise BridgeError(f"the cue {cue.audio_path} is shorter than a frame: nothing to place")
    return frames


def _fit_resolve_lane(clips, rate: HostRate, media_rates, warnings: list[str]) -> None:
    """Never over the next cue of the lane (Resolve silently drops a clip placed over another),
    and say when a WAV imported at another rate lands a frame short or long."""
    clips.sort(key=lambda c: c.record_frame)
    for n, c in enumerate(clips):
        wav = _wav_rate(media_rates.get(c.audio_path, ""), rate, c.audio_path)
        room = clips[n + 1].record_frame - c.record_frame if n + 1 < len(clips) else None
        wanted = c.record_end_frame - c.record_frame
        while room is not None and c.source_out > 1 and _landed(c.source_out, rate, wav) > room:
            c.source_out -= 1
        landed = _landed(c.source_out, rate, wav)
        c.record_end_frame = c.record_frame + landed
        if landed != wanted:
            warnings.append(
                f"the cue {c.name!r} lands {abs(landed - wanted)} frame(s) "
                f"{'short' if landed < wanted else 'long'}: the host imported its WAV at "
                f"{HostRate(wav).label} fps and the timeline runs at {rate.label} fps. Set the "
                "project frame rate to the timeline's and score again to place cues exactly"
            )


def _landed(source_frames: int, rate: HostRate, wav: Fraction) -> int:
    exact = Fraction(int(source_frames)) * rate.rate / wav
    return exact.numerator // exact.denominator


def _marker(
    c: bpb.PlannedClip, offset: int, length: int, taken: set[int], warnings, earlier=()
) -> bpb.PlannedMarker:
    """The record of a placed cue: one frame, on the cue's first free frame (one marker a frame).
    After another take it also keeps the cue's earlier takes, the seed and file of each."""
    frame = next((f for f in range(offset, offset + max(length, 1)) if f not in taken), None)
    if frame is None:
        warnings.append(f"no room for a marker on the cue {c.name!r}")
        return bpb.PlannedMarker()
    taken.add(frame)
    name = PLACED_MARKER_PREFIX + c.name
    lines = [("prompt", c.prompt), ("mood", c.mood), ("seed", c.seed), ("model", c.model)]
    lines.append(("file", c.audio_path))
    lines += [("earlier take", f"seed {t.seed} ({t.audio_path})") for t in earlier]
    data = {
        "cuebridge": {
            "segment": c.segment_id,
            "prompt": c.prompt,
            "mood": c.mood,
            "seed": c.seed,
            "audio": c.audio_path,
            "lane": c.lane,
            "start": offset,
            "length": length,
            "takes": list(c.takes),
            "earlier": [{"seed": t.seed, "audio": t.audio_path} for t in earlier],
        }
    }
    return bpb.PlannedMarker(
        kind=marker_kind(name, 1),
        frame=frame,
        duration_frames=1,
        name=name,
        note="\n".join(f"{k}: {v}" for k, v in lines if str(v)),
        custom_data=json.dumps(data),
        color=MARKER_COLOR,
    )


def parse_times(request: bpb.TimeRequest) -> bpb.TimeAnswer:
    rate = host_rate(request.rate or "24", request.drop_frame, request.display_format)
    bases = list(request.lane_names) or [DEFAULT_LANE]
    frames = [parse_timecode(t, rate) for t in request.timecodes]
    kinds = [marker_kind(m.name, round(m.duration_frames)) for m in request.markers]
    use_marks = request.HasField("marks") and request.selection_mode != "markers"
    marked = marked_range(request.marks, rate) if use_marks else ""
    answer = bpb.TimeAnswer(
        rate=pb.Rate(num=rate.rate.numerator, den=rate.rate.denominator),
        drop_frame=rate.drop_frame,
        frames=frames,
        timecodes=[timecode(f, rate) for f in request.frames],
        marker_kinds=kinds,
        score_lanes=[any(is_lane_name(n, b) for b in bases) for n in request.track_names],
        marked_range=marked,
    )
    if request.selection_mode:
        answer.selection.CopyFrom(host_choices.choose_selection(request, marked, kinds))
    if request.HasField("take"):
        lanes = (DEFAULT_LANE, host_choices.PREVIEW_LANE)
        on_lanes = [t for t in request.take.tracks if any(is_lane_name(t.name, b) for b in lanes)]
        answer.take.CopyFrom(host_choices.choose_take(request, rate, on_lanes))
    if request.HasField("run_folder"):  # last: nothing is made for a request refused above
        answer.run_folder = host_choices.make_run_folder(request.run_folder)
    return answer


def marked_range(marks: bpb.HostMarks, rate: HostRate) -> str:
    """A host's in/out marks (out included, as the host shows it) as a range to score."""
    if not (marks.has_in or marks.has_out):
        return ""
    if marks.has_in != marks.has_out:
        which = "in" if marks.has_in else "out"
        raise BridgeError(
            f"only an {which} mark is set: mark both the in (I) and the out (O) of the scene"
        )
    if marks.mark_out < marks.mark_in:
        raise BridgeError("the out mark sits before the in mark: mark the scene again (I, then O)")
    first, end = marks.start_frame + marks.mark_in, marks.start_frame + marks.mark_out + 1
    return f"{timecode(first, rate)}-{timecode(end, rate)}"
