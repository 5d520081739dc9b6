"""The Bridge gRPC service: what plugins, the CLI and batch studios call.

A score runs in four steps: `StartScore` prepares it at once (so bad input fails fast with a clear
status) and answers with its id; in the background the dialogue under the cues is read (with
progress, cancellable) and the cues are sent to the engine; the engine makes them while
`WatchScore` streams progress; when the engine's job is over the cues are placed and the new
timeline is written.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from cuebridge.bridge.cue_folder_claim import release_cue_folder
from cuebridge.bridge.cue_sheet import cue_sheet_path
from cuebridge.bridge.cue_transfer import fetch_cues
from cuebridge.bridge.destinations import require_absolute
from cuebridge.bridge.dialogue import DialogueChoice
from cuebridge.bridge.errors import BridgeError
from cuebridge.bridge.host_plan import parse_times, plan_placement
from cuebridge.bridge.host_progress import progress_line
from cuebridge.bridge.placement import Placement
from cuebridge.bridge.score_store import ScoreStore
from cuebridge.bridge.scoring import (
    PreparedScore,
    ScoreOptions,
    convert,
    finish,
    hear_dialogue,
    plan_segments,
    prepare,
)
from cuebridge.bridge.segments import CueDefaults, SegmentMode, Selection, TimelineSegment
from cuebridge.bridge.speech import Stopped
from cuebridge.bridge.wire import rate_from_pb, rate_to_pb, segment_to_pb
from cuebridge.contract import FINAL_WIRE_JOB_STATES as FINAL_JOB_STATES
from cuebridge.moods import listed as listed_moods
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
        range_name=msg.range_name,
    )


def options_from_pb(req: bpb.ScoreRequest) -> ScoreOptions:
    return ScoreOptions(
        timeline_path=Path(req.timeline_path),
        output_path=Path(req.output_path),
        force=req.force,
        selection=selection_from_pb(req.selection),
        rate=rate_from_pb(req.rate),
        media_dirs=tuple(Path(d) for d in req.media_dirs),
        require_media=req.require_media,
        defaults=CueDefaults(prompt=req.prompt, mood=req.mood, seed=req.seed),
        cue_dir=Path(req.cue_dir) if req.cue_dir else None,
        track_name=req.track_name or "Score",
        dialogue=DialogueChoice(enabled=not req.no_dialogue, tracks=tuple(req.dialogue_tracks)),
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
        cue=p.cue,
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
    prepared: PreparedScore | None  # None for a finished score read back from the store
    engine_job_id: str
    total: int
    request: bpb.ScoreRequest | None = None  # what was asked: to make the job again if needed
    state: int = pb.JOB_STATE_QUEUED
    done: int = 0
    failed: int = 0
    message: str = "queued"
    result: bpb.ScoreResult | None = None
    events: list[pb.SegmentResult | None] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)
    cancel: threading.Event = field(default_factory=threading.Event)  # CancelScore was called
    reading: bool = False  # in its first phase: reading the dialogue (no engine job yet)
    _snapshot: tuple[tuple, bpb.ScoreJob] | None = field(default=None, repr=False)
    _by_id: dict | None = field(default=None, repr=False)

    @property
    def finished(self) -> bool:
        return self.state in FINAL_JOB_STATES

    def snapshot(self) -> bpb.ScoreJob:
        """The score as it stands. Built once per change and shared by every caller (gRPC only
        reads it): hundreds of editors polling a 400-cue score each second would otherwise
        rebuild it hundreds of times a second, and slow every other call with it."""
        with self.cond:
            key = (len(self.events), self.state, self.done, self.failed, self.message,
                   id(self.result), self.prepared is None, self.reading)  # fmt: skip
            if self._snapshot is None or self._snapshot[0] != key:
                cues = self._cues()
                progress = (
                    self.message
                    if self.reading
                    else progress_line(cues, self.message, self.done, self.total)
                )
                message = bpb.ScoreJob(
                    id=self.id,
                    state=self.state,
                    total=self.total,
                    done=self.done,
                    failed=self.failed,
                    message=self.message,
                    result=self.result,
                    cues=cues,
                    progress=progress,
                )
                self._snapshot = (key, message)
            return self._snapshot[1]

    def header(self) -> bpb.ScoreJob:
        """The score without its cues and result: what every event carries, the same size for
        a score of one cue and of 2,000."""
        with self.cond:
            return bpb.ScoreJob(id=self.id, state=self.state, total=self.total, done=self.done,
                                failed=self.failed, message=self.message)  # fmt: skip

    def event(self, cursor: int, segment: pb.SegmentResult | None) -> bpb.ScoreEvent:
        """The change numbered `cursor`: the header, and the segment (and its cue) it changed."""
        cue = self._cue(segment) if segment is not None else None
        return bpb.ScoreEvent(score=self.header(), segment=segment, cursor=cursor, cue=cue)

    def _cue(self, got: pb.SegmentResult | None, ts=None) -> bpb.CueProgress | None:
        if ts is None:
            if getattr(self, "prepared", None) is None or got is None:
                return None
            ts = self._placed().get(got.segment_id)
            if ts is None:
                return None
        seg = ts.segment
        return bpb.CueProgress(
            segment_id=seg.id,
            name=seg.name or seg.id,
            state=got.state if got else pb.SEGMENT_STATE_PENDING,
            record_start_frame=ts.record_start,
            error=got.error if got else "",
        )

    def _placed(self) -> dict:
        if self._by_id is None:  # once per score: events name their cue without a search
            self._by_id = {ts.segment.id: ts for ts in self.prepared.segments}
        return self._by_id

    def _cues(self) -> list[bpb.CueProgress]:
        # Per-cue state from the engine's segment events, so plugins can name the cue in progress.
        if getattr(self, "prepared", None) is None:  # a finished score read back from a store
            return []
        latest = {s.segment_id: s for s in self.events if s is not None}
        return [self._cue(latest.get(ts.segment.id), ts) for ts in self.prepared.segments]

    def changed(self, segment: pb.SegmentResult | None = None, **fields) -> None:
        with self.cond:
            for k, v in fields.items():
                setattr(self, k, v)
            if self.finished and self.prepared is not None:
                # Free the cue folder before anyone hears the score is over: whoever starts
                # the next score into it on that news must not find it still claimed.
                release_cue_folder(self.prepared.claim)
            self.events.append(segment)
            self.cond.notify_all()


def _progress(run: ScoreRun, job: pb.Job, segment: pb.SegmentResult | None = None) -> bool:
    """Tell the score's watchers how its engine job stands; True once the job is over."""
    run.changed(
        segment,
        state=pb.JOB_STATE_RUNNING,
        done=job.done,
        failed=job.failed,
        message=f"{job.done + job.failed}/{job.total} cues",
    )
    return job.state in FINAL_JOB_STATES


class BridgeService(bpb_grpc.BridgeServicer):
    engine_patience_s = 120.0  # how long a score waits for a restarting engine
    retry_s = 1.0
    # Finished scores answered from memory; older ones are forgotten, as the engine forgets
    # finished jobs. A finished score also lets go of its timeline (it has been written).
    finished_runs_kept = 100
    # Each open WatchScore holds a server thread: beyond this many, a watcher is told to poll
    # GetScore, so control calls and health always find a thread (the server has 160).
    max_watchers = 48

    def __init__(
        self,
        engine_channel: grpc.Channel,
        engine_target: str,
        store: ScoreStore | None = None,
        fetch_cues: bool = False,
    ):
        self.engine = pb_grpc.CueEngineStub(engine_channel)
        # True for an engine in another process (maybe another machine): it writes cues into
        # its own folder and the bridge fetches their bytes (bridge/cue_transfer.py).
        self.fetch_cues = fetch_cues
        self.engine_target = engine_target
        self.store = store  # None: scores live in memory only (a bridge inside one CLI run)
        self._runs: dict[str, ScoreRun] = {}
        self._lock = threading.Lock()
        self._watchers = threading.BoundedSemaphore(self.max_watchers)
        self._closing = threading.Event()

    # -- scoring ---------------------------------------------------------------------------

    def StartScore(self, request: bpb.ScoreRequest, context) -> bpb.ScoreJob:
        try:
            require_absolute(
                timeline_path=request.timeline_path,
                output_path=request.output_path,
                cue_dir=request.cue_dir,
                media_dirs=request.media_dirs,
                soundfont=request.generation.soundfont,
            )
            prepared = prepare(options_from_pb(request))
        except BridgeError as exc:
            code = grpc.StatusCode.INVALID_ARGUMENT
            if "already exists" in str(exc):
                code = grpc.StatusCode.ALREADY_EXISTS
            context.abort(code, str(exc))
        # The id at once: the dialogue is read and the engine asked in the background (_drive),
        # so a feature's long read never holds up the answer, nor a retry makes a second score.
        run = ScoreRun(uuid.uuid4().hex[:12], prepared, "", len(prepared.segments), request)
        run.reading = True
        run.message = "reading dialogue" if prepared.options.dialogue.enabled else "queued"
        if self.store is not None:
            try:
                self.store.add(run.id, request, "", run.total)
            except Exception:
                release_cue_folder(prepared.claim)
                raise
        self._follow_in_background(run)
        return run.snapshot()

    def resume(self) -> list[str]:
        """Pick up the scores a stopped or killed bridge left unfinished, under their ids: each
        is prepared again from its request and follows its engine job (made again if the engine
        has forgotten it; finished cues come from the engine's cache) to a written timeline."""
        if self.store is None:
            return []
        resumed = []
        for stored in self.store.unfinished():
            try:
                prepared = prepare(options_from_pb(stored.request))
            except BridgeError as exc:
                self.store.finish(stored.id, pb.JOB_STATE_FAILED, f"cannot resume: {exc}", None)
                continue
            run = ScoreRun(
                stored.id, prepared, stored.engine_job_id, len(prepared.segments), stored.request
            )
            run.message = "resumed after the bridge restarted"
            if not stored.engine_job_id:  # stopped while it read the dialogue: read it again
                run.reading, run.message = True, "reading dialogue (resumed)"
            self._follow_in_background(run)
            resumed.append(run.id)
        return resumed

    def _submit(self, prepared: PreparedScore, request: bpb.ScoreRequest) -> pb.Job:
        submit = pb.SubmitJobRequest(
            segments=[segment_to_pb(s.segment) for s in prepared.segments],
            options=request.generation,
            output_dir="" if self.fetch_cues else str(prepared.cue_dir.resolve()),
            fresh=request.fresh,
        )
        return self.engine.SubmitJob(submit, timeout=60)

    def _follow_in_background(self, run: ScoreRun) -> None:
        with self._lock:
            self._forget_old_runs()
            self._runs[run.id] = run
        threading.Thread(
            target=self._drive, args=(run,), daemon=True, name=f"score-{run.id}"
        ).start()

    def WatchScore(self, request: bpb.ScoreRef, context):
        run = self._run(request, context)
        if not self._watchers.acquire(blocking=False):
            context.abort(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"{self.max_watchers} watchers already follow scores here: poll GetScore for "
                f"score {run.id} instead, or watch again later",
            )
        try:
            yield from self._watch(run, request.after, context)
        finally:
            self._watchers.release()

    def _watch(self, run: ScoreRun, after: int, context):
        """Each change after the cursor `after`, as a delta; from now (a first event saying where
        the score stands) when `after` is 0 or a cursor this bridge does not know."""
        with run.cond:  # count before the first yield: a score may end while the caller reads it
            known = 0 < after <= len(run.events)
            seen = after if known else len(run.events)
        if not known:
            yield run.event(seen, None)
        while context.is_active():
            with run.cond:
                if seen >= len(run.events) and not run.finished:
                    run.cond.wait(0.5)
                new_events = run.events[seen:]
                over = run.finished and seen + len(new_events) >= len(run.events)
            for segment in new_events:
                seen += 1
                yield run.event(seen, segment)
            if over:
                return

    def GetScore(self, request: bpb.ScoreRef, context) -> bpb.ScoreJob:
        return self._run(request, context).snapshot()

    def CancelScore(self, request: bpb.ScoreRef, context) -> bpb.ScoreJob:
        run = self._run(request, context)
        with run.cond:  # against _start_job: either it sees the flag, or we see its job id
            run.cancel.set()
            job_id = run.engine_job_id
        if not job_id:  # still reading the dialogue: it stops between two pieces of audio
            if not run.finished:
                run.changed(message="cancelling: the dialogue read stops")
            return run.snapshot()
        try:
            self.engine.CancelJob(pb.JobRef(job_id=job_id), timeout=30)
        except grpc.RpcError as exc:
            context.abort(exc.code(), self._engine_problem(exc))
        run.changed(message="cancelling after the cue in progress")
        return run.snapshot()

    # -- timelines -------------------------------------------------------------------------

    def InspectTimeline(self, request: bpb.InspectRequest, context) -> bpb.TimelineInfo:
        try:
            require_absolute(timeline_path=request.timeline_path, media_dirs=request.media_dirs)
            timeline, facts, segments = plan_segments(
                Path(request.timeline_path),
                selection_from_pb(request.selection),
                rate=rate_from_pb(request.rate),
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
            require_absolute(input_path=request.input_path, output_path=request.output_path)
            out = convert(
                Path(request.input_path),
                Path(request.output_path),
                force=request.force,
                rate=rate_from_pb(request.rate),
            )
        except BridgeError as exc:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        return bpb.ConvertResponse(output_path=str(out))

    # -- placing in a host ------------------------------------------------------------------

    def PlanPlacement(self, request: bpb.PlanRequest, context) -> bpb.PlacementPlan:
        run = self._run(bpb.ScoreRef(score_id=request.score_id), context)
        snap = run.snapshot()
        if snap.state not in FINAL_JOB_STATES or not snap.HasField("result"):
            context.abort(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"score {request.score_id!r} is not finished: ask for its plan once it is",
            )
        try:
            return plan_placement(request, snap.result)
        except BridgeError as exc:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))

    def ParseTime(self, request: bpb.TimeRequest, context) -> bpb.TimeAnswer:
        try:
            return parse_times(request)
        except BridgeError as exc:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))

    def GetEngineInfo(self, request: pb.EngineInfoRequest, context) -> pb.EngineInfo:
        try:
            return self.engine.GetEngineInfo(request, timeout=30)
        except grpc.RpcError as exc:
            context.abort(exc.code(), self._engine_problem(exc))

    def ListMoods(self, request: bpb.ListMoodsRequest, context) -> bpb.ListMoodsResponse:
        return bpb.ListMoodsResponse(
            moods=[
                bpb.Mood(name=m.name, style=m.style, description=m.description)
                for m in listed_moods()
            ]
        )

    # -- the engine's side of a score --------------------------------------------------------

    def _drive(self, run: ScoreRun) -> None:
        try:
            if not run.engine_job_id and not self._start_job(run):
                return
            final = self._follow(run)
            self._conclude(run, final)
        except grpc.RpcError as exc:
            run.changed(state=pb.JOB_STATE_FAILED, message=self._engine_problem(exc))
        except BridgeError as exc:
            run.changed(state=pb.JOB_STATE_FAILED, message=str(exc))
        except Exception as exc:  # never leave a watcher waiting on a dead run
            log.exception("score %s crashed", run.id)
            run.changed(state=pb.JOB_STATE_FAILED, message=f"internal error: {exc!r}")
        finally:
            run.prepared.timeline = None  # written (or abandoned): the score no longer needs it
            release_cue_folder(run.prepared.claim)
            if self.store is not None and run.finished:
                try:
                    self.store.finish(run.id, run.state, run.message, run.result)
                except Exception:  # the score is done in memory; a restart would redo it
                    log.exception("cannot record the end of score %s", run.id)

    def _start_job(self, run: ScoreRun) -> bool:
        """The score's first phase: read the dialogue, then give the cues to the engine. False
        when the score ended here (cancelled, or the bridge is stopping)."""
        try:
            self._hear(run)
            job = self._submit_patiently(run)
        except Stopped:
            if run.cancel.is_set():
                run.changed(
                    state=pb.JOB_STATE_CANCELLED,
                    message="cancelled before the engine started (while reading the dialogue); "
                    "no cue was made: run the same score again to start it again",
                )
            else:  # the bridge is stopping: the store keeps the score for resume()
                run.changed(message="the bridge stopped before the engine started: it resumes")
            return False
        with run.cond:
            run.engine_job_id, run.reading = job.id, False
            cancelled = run.cancel.is_set()
        if self.store is not None:
            self.store.set_engine_job(run.id, job.id)
        run.changed(message=f"{run.total} cue(s) queued on model {job.model}")
        if cancelled:  # CancelScore came while the job was being made
            self.engine.CancelJob(pb.JobRef(job_id=job.id), timeout=30)
        return True

    def _hear(self, run: ScoreRun) -> None:
        def told(done: int, total: int) -> None:
            if total:  # no dialogue clip under the cues: nothing to say
                run.changed(message=f"reading dialogue: {done} of {total} clip{'s' * (total != 1)}")

        stop = self._closing
        hear_dialogue(run.prepared, told, lambda: run.cancel.is_set() or stop.is_set())

    def _submit_patiently(self, run: ScoreRun) -> pb.Job:
        """Submit, riding out an engine that restarts or is full for engine_patience_s."""
        waited = 0.0
        while True:
            try:
                return self._submit(run.prepared, run.request)
            except grpc.RpcError as exc:
                if exc.code() == grpc.StatusCode.UNAVAILABLE:
                    problem = f"the engine is unavailable ({exc.details()})"
                elif exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
                    problem = f"the engine is full ({exc.details()})"
                else:
                    raise
            if run.cancel.is_set() or self._closing.is_set():
                raise Stopped()
            if waited >= self.engine_patience_s:
                raise BridgeError(
                    f"{problem} for {waited:.0f} s at {self.engine_target}: score again later"
                )
            run.changed(message=f"{problem}; retrying")
            time.sleep(self.retry_s)
            waited += self.retry_s

    def close(self) -> None:
        """The server is stopping: dialogue reads in progress stop (their scores stay in the
        store, and resume() reads them again)."""
        self._closing.set()

    def _follow(self, run: ScoreRun) -> pb.Job:
        """Follow the engine's job to its end, riding out an engine restart (jobs are durable)."""
        waited, cursor = 0.0, 0
        while True:
            try:
                ref = pb.JobRef(job_id=run.engine_job_id, after=cursor)  # resumes where it was
                for event in self.engine.WatchJob(ref):
                    waited, cursor = 0.0, event.cursor
                    segment = event.segment if event.HasField("segment") else None
                    if _progress(run, event.job, segment):  # the job's header: counters, state
                        return self.engine.GetJob(pb.JobRef(job_id=run.engine_job_id), timeout=30)
                problem = "the engine ended the stream before the job ended"
            except grpc.RpcError as exc:
                if exc.code() == grpc.StatusCode.NOT_FOUND and run.request is not None:
                    # The engine forgot the job (its store was replaced, or another engine
                    # answers now): ask again; the cues it had finished come from its cache.
                    self._hear(run)  # a resumed score has not read its dialogue yet
                    job = self._submit(run.prepared, run.request)
                    run.request = None  # once
                    run.engine_job_id, cursor = job.id, 0
                    if self.store is not None:
                        self.store.set_engine_job(run.id, job.id)
                    run.changed(message="the engine had lost the job: sent it again")
                    continue
                if exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
                    # The engine has as many watchers as it takes: poll the job instead.
                    job = self.engine.GetJob(pb.JobRef(job_id=run.engine_job_id), timeout=30)
                    if _progress(run, job):
                        return job
                    time.sleep(self.retry_s)
                    continue
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
        cues = {r.segment_id: r.cue for r in job.segments if r.state == pb.SEGMENT_STATE_DONE}
        failed = [r for r in job.segments if r.state == pb.SEGMENT_STATE_FAILED]
        if self.fetch_cues:
            run.changed(message=f"fetching {len(cues)} cue(s) from the engine")
            asked = {s.segment.id for s in run.prepared.segments}
            cues, lost = fetch_cues(self.engine, job.id, cues, run.prepared.cue_dir, asked)
            failed += lost
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
                f"{run.prepared.cue_dir}, no timeline written: run the same score again to "
                "resume from them",
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

    def _forget_old_runs(self) -> None:
        # Caller holds self._lock. A bridge that serves for weeks must not grow with every score.
        finished = [r for r in self._runs.values() if r.finished]
        for run in finished[: max(0, len(finished) - self.finished_runs_kept)]:
            del self._runs[run.id]

    def _run(self, request: bpb.ScoreRef, context) -> ScoreRun:
        with self._lock:
            run = self._runs.get(request.score_id)
        if run is None and self.store is not None:
            stored = self.store.get(request.score_id)
            if stored is not None and stored.state in FINAL_JOB_STATES:
                run = ScoreRun(stored.id, None, stored.engine_job_id, stored.total)
                run.state, run.message, run.result = stored.state, stored.message, stored.result
                if stored.result is not None:
                    run.done = len(stored.result.placements)
                    run.failed = len(stored.result.failed)
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
