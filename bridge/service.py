"""The Bridge gRPC service: what plugins, the CLI and batch studios call.

A score runs in three steps: `StartScore` prepares it at once (so bad input fails fast with a clear
status), the engine makes the cues while `WatchScore` streams progress, and when the engine's job is
over the cues are placed and the new timeline is written.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import grpc

from cuebridge.bridge.cue_sheet import cue_sheet_path
from cuebridge.bridge.errors import BridgeError
from cuebridge.bridge.placement import Placement
from cuebridge.bridge.scoring import (
    PreparedScore,
    ScoreOptions,
    convert,
    finish,
    plan_segments,
    prepare,
)
from cuebridge.bridge.segments import CueDefaults, SegmentMode, Selection, TimelineSegment
from cuebridge.engine.jobs import FINAL_JOB_STATES
from cuebridge.engine.wire import cue_from_pb, cue_to_pb, rate_to_pb, segment_to_pb
from cuebridge.v1 import bridge_pb2 as bpb
from cuebridge.v1 import bridge_pb2_grpc as bpb_grpc
from cuebridge.v1 import engine_pb2 as pb
from cuebridge.v1 import engine_pb2_grpc as pb_grpc

log = logging.getLogger(__name__)

_MODES = {
    bpb.SEGMENT_MODE_UNSPECIFIED: SegmentMode.MARKERS,
    bpb.SEGMENT_MODE_MARKERS: SegmentMode.MARKERS,
    bpb.SEGMENT_MODE_RANGE: SegmentMode.RANGE,
    bpb.SEGMENT_MODE_WHOLE: SegmentMode.WHOLE,
    bpb.SEGMENT_MODE_SCENES: SegmentMode.SCENES,
}


def selection_from_pb(msg: bpb.SegmentSelection) -> Selection:
    return Selection(
        mode=_MODES[msg.mode],
        range=msg.range,
        min_scene_s=msg.min_scene_s or 20.0,
        max_scene_s=msg.max_scene_s or 120.0,
    )


def _rate(msg: pb.Rate) -> Fraction | None:
    return Fraction(msg.num, msg.den or 1) if msg.num else None


def options_from_pb(req: bpb.ScoreRequest) -> ScoreOptions:
    return ScoreOptions(
        timeline_path=Path(req.timeline_path),
        output_path=Path(req.output_path),
        force=req.force,
        selection=selection_from_pb(req.selection),
        rate=_rate(req.rate),
        media_dirs=tuple(Path(d) for d in req.media_dirs),
        require_media=req.require_media,
        defaults=CueDefaults(prompt=req.prompt, mood=req.mood, seed=req.seed),
        cue_dir=Path(req.cue_dir) if req.cue_dir else None,
        track_name=req.track_name or "Score",
    )


def placement_to_pb(p: Placement, prepared: PreparedScore, reused: bool) -> bpb.CuePlacement:
    facts = prepared.facts
    return bpb.CuePlacement(
        segment_id=p.segment.segment.id,
        name=p.segment.segment.name,
        track_name=p.track_name,
        track_index=p.track_index,
        rate=rate_to_pb(p.segment.segment.rate),
        record_start_frame=p.record_start,
        record_duration_frames=p.record_duration,
        global_start_frame=facts.start_frame,
        record_in_timecode=facts.timecode(p.record_start),
        record_out_timecode=facts.timecode(p.record_start + p.record_duration),
        cue=cue_to_pb(p.cue),
        reused=reused,
    )


def preview_to_pb(s: TimelineSegment, prepared_facts) -> bpb.SegmentPreview:
    online = sum(1 for m in s.segment.media if m.path)
    return bpb.SegmentPreview(
        segment=segment_to_pb(s.segment),
        record_start_frame=s.record_start,
        record_in_timecode=prepared_facts.timecode(s.record_start),
        record_out_timecode=prepared_facts.timecode(s.record_end),
        media_online=online,
        media_offline=s.media_offline,
    )


@dataclass
class ScoreRun:
    id: str
    prepared: PreparedScore
    engine_job_id: str
    state: int = pb.JOB_STATE_QUEUED
    done: int = 0
    failed: int = 0
    message: str = "queued"
    result: bpb.ScoreResult | None = None
    events: list[pb.SegmentResult | None] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)

    def snapshot(self) -> bpb.ScoreJob:
        with self.cond:
            return bpb.ScoreJob(
                id=self.id,
                state=self.state,
                total=len(self.prepared.segments),
                done=self.done,
                failed=self.failed,
                message=self.message,
                result=self.result,
            )

    def changed(self, segment: pb.SegmentResult | None = None, **fields) -> None:
        with self.cond:
            for k, v in fields.items():
                setattr(self, k, v)
            self.events.append(segment)
            self.cond.notify_all()


class BridgeService(bpb_grpc.BridgeServicer):
    engine_patience_s = 120.0  # how long a score waits for a restarting engine
    retry_s = 1.0

    def __init__(self, engine_channel: grpc.Channel, engine_target: str):
        self.engine = pb_grpc.CueEngineStub(engine_channel)
        self.engine_target = engine_target
        self._runs: dict[str, ScoreRun] = {}
        self._lock = threading.Lock()

    # -- scoring ---------------------------------------------------------------------------

    def StartScore(self, request: bpb.ScoreRequest, context) -> bpb.ScoreJob:
        try:
            prepared = prepare(options_from_pb(request))
        except BridgeError as exc:
            code = grpc.StatusCode.INVALID_ARGUMENT
            if "already exists" in str(exc):
                code = grpc.StatusCode.ALREADY_EXISTS
            context.abort(code, str(exc))
        submit = pb.SubmitJobRequest(
            segments=[segment_to_pb(s.segment) for s in prepared.segments],
            options=request.generation,
            output_dir=str(prepared.cue_dir.resolve()),
            fresh=request.fresh,
        )
        try:
            job = self.engine.SubmitJob(submit, timeout=60)
        except grpc.RpcError as exc:
            context.abort(exc.code(), self._engine_problem(exc))
        run = ScoreRun(uuid.uuid4().hex[:12], prepared, job.id)
        run.message = f"{len(prepared.segments)} cue(s) queued on model {job.model}"
        with self._lock:
            self._runs[run.id] = run
        threading.Thread(
            target=self._drive, args=(run,), daemon=True, name=f"score-{run.id}"
        ).start()
        return run.snapshot()

    def WatchScore(self, request: bpb.ScoreRef, context):
        run = self._run(request, context)
        with run.cond:  # count before the first yield: a score may end while the caller reads it
            seen = len(run.events)
        yield bpb.ScoreEvent(score=run.snapshot())
        while context.is_active():
            with run.cond:
                if seen >= len(run.events):
                    run.cond.wait(0.5)
                new_events = run.events[seen:]
                seen += len(new_events)
                over = run.state in FINAL_JOB_STATES and seen >= len(run.events)
            for segment in new_events:
                yield bpb.ScoreEvent(score=run.snapshot(), segment=segment)
            if over:
                return

    def GetScore(self, request: bpb.ScoreRef, context) -> bpb.ScoreJob:
        return self._run(request, context).snapshot()

    def CancelScore(self, request: bpb.ScoreRef, context) -> bpb.ScoreJob:
        run = self._run(request, context)
        try:
            self.engine.CancelJob(pb.JobRef(job_id=run.engine_job_id), timeout=30)
        except grpc.RpcError as exc:
            context.abort(exc.code(), self._engine_problem(exc))
        run.changed(message="cancelling after the cue in progress")
        return run.snapshot()

    # -- timelines -------------------------------------------------------------------------

    def InspectTimeline(self, request: bpb.InspectRequest, context) -> bpb.TimelineInfo:
        try:
            timeline, facts, segments = plan_segments(
                Path(request.timeline_path),
                selection_from_pb(request.selection),
                rate=_rate(request.rate),
                media_dirs=tuple(Path(d) for d in request.media_dirs),
            )
        except BridgeError as exc:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        return bpb.TimelineInfo(
            name=timeline.name,
            rate=pb.Rate(num=facts.rate.numerator, den=facts.rate.denominator),
            duration_frames=facts.duration,
            global_start_frame=facts.start_frame,
            video_tracks=len(timeline.video_tracks()),
            audio_tracks=len(timeline.audio_tracks()),
            segments=[preview_to_pb(s, facts) for s in segments],
        )

    def Convert(self, request: bpb.ConvertRequest, context) -> bpb.ConvertResponse:
        try:
            out = convert(
                Path(request.input_path),
                Path(request.output_path),
                force=request.force,
                rate=_rate(request.rate),
            )
        except BridgeError as exc:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        return bpb.ConvertResponse(output_path=str(out))

    def GetEngineInfo(self, request: pb.EngineInfoRequest, context) -> pb.EngineInfo:
        try:
            return self.engine.GetEngineInfo(request, timeout=30)
        except grpc.RpcError as exc:
            context.abort(exc.code(), self._engine_problem(exc))

    # -- the engine's side of a score --------------------------------------------------------

    def _drive(self, run: ScoreRun) -> None:
        try:
            final = self._follow(run)
            self._conclude(run, final)
        except grpc.RpcError as exc:
            run.changed(state=pb.JOB_STATE_FAILED, message=self._engine_problem(exc))
        except BridgeError as exc:
            run.changed(state=pb.JOB_STATE_FAILED, message=str(exc))
        except Exception as exc:  # never leave a watcher waiting on a dead run
            log.exception("score %s crashed", run.id)
            run.changed(state=pb.JOB_STATE_FAILED, message=f"internal error: {exc!r}")

    def _follow(self, run: ScoreRun) -> pb.Job:
        """Follow the engine's job to its end, riding out an engine restart (jobs are durable)."""
        waited = 0.0
        while True:
            try:
                for event in self.engine.WatchJob(pb.JobRef(job_id=run.engine_job_id)):
                    waited = 0.0
                    job = event.job
                    segment = event.segment if event.HasField("segment") else None
                    run.changed(
                        segment,
                        state=pb.JOB_STATE_RUNNING,
                        done=job.done,
                        failed=job.failed,
                        message=f"{job.done + job.failed}/{job.total} cues",
                    )
                    if job.state in FINAL_JOB_STATES:
                        return job
                problem = "the engine ended the stream before the job ended"
            except grpc.RpcError as exc:
                if exc.code() != grpc.StatusCode.UNAVAILABLE:
                    raise
                problem = f"the engine is unavailable ({exc.details()})"
            if waited >= self.engine_patience_s:
                raise BridgeError(
                    f"{problem} for {waited:.0f} s at {self.engine_target}; start "
                    "it again (`cuebridge serve`) and score again"
                )
            run.changed(message=f"{problem}; retrying")
            time.sleep(self.retry_s)
            waited += self.retry_s

    def _conclude(self, run: ScoreRun, job: pb.Job) -> None:
        cues = {
            r.segment_id: cue_from_pb(r.cue)
            for r in job.segments
            if r.state == pb.SEGMENT_STATE_DONE
        }
        failed = [r for r in job.segments if r.state == pb.SEGMENT_STATE_FAILED]
        reused = {r.segment_id for r in job.segments if r.reused}
        warnings = list(run.prepared.warnings)
        names = {s.segment.id: s.segment.name or s.segment.id for s in run.prepared.segments}
        warnings += [
            f"{names.get(r.segment_id, r.segment_id)}: {w}"
            for r in job.segments
            for w in r.warnings
        ]
        if job.state == pb.JOB_STATE_CANCELLED:
            run.changed(
                state=pb.JOB_STATE_CANCELLED,
                message=f"cancelled; {len(cues)} cue file(s) kept in "
                f"{run.prepared.cue_dir}, no timeline written",
            )
            return
        if not cues:
            reason = failed[0].error if failed else "the engine made no cue"
            run.changed(state=pb.JOB_STATE_FAILED, message=f"no cue could be made: {reason}")
            return
        placements = finish(run.prepared, cues)
        result = bpb.ScoreResult(
            output_path=str(run.prepared.options.output_path),
            placements=[
                placement_to_pb(p, run.prepared, p.segment.segment.id in reused) for p in placements
            ],
            warnings=warnings,
            failed=failed,
            cue_sheet_path=str(cue_sheet_path(run.prepared.options.output_path)),
        )
        state = pb.JOB_STATE_PARTIAL if failed else pb.JOB_STATE_SUCCEEDED
        message = f"wrote {result.output_path} with {len(placements)} cue(s)"
        if reused:
            message += f" ({len(reused)} unchanged, reused)"
        if failed:
            message += f"; {len(failed)} segment(s) failed"
        run.changed(state=state, message=message, result=result)

    def _run(self, request: bpb.ScoreRef, context) -> ScoreRun:
        with self._lock:
            run = self._runs.get(request.score_id)
        if run is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"no score {request.score_id!r} here")
        return run

    def _engine_problem(self, exc: grpc.RpcError) -> str:
        if exc.code() == grpc.StatusCode.UNAVAILABLE:
            return (
                f"the cue engine at {self.engine_target} is not reachable: start it with "
                "`cuebridge serve`, or check --engine"
            )
        return f"the cue engine refused: {exc.details()}"
