"""The CueEngine gRPC service: a thin face over the job queue."""

from __future__ import annotations

import threading

import grpc

from cuebridge import engine
from cuebridge.engine.cue_files import cue_file_chunks
from cuebridge.engine.errors import EngineBusy, JobRejected, ModelNotReady
from cuebridge.engine.jobs import Job, JobQueue
from cuebridge.engine.registry import ModelRegistry
from cuebridge.engine.states import SegmentState
from cuebridge.engine.wire import (
    cue_to_pb,
    job_state_to_pb,
    model_info_to_pb,
    options_from_pb,
    segment_from_pb,
    segment_state_to_pb,
)
from cuebridge.v1 import engine_pb2 as pb
from cuebridge.v1 import engine_pb2_grpc as pb_grpc


def job_to_pb(job: Job) -> pb.Job:
    with job.cond:
        header = job_header_to_pb(job)
        header.segments.extend(_result_to_pb(job, i) for i in range(len(job.runs)))
        return header


def job_header_to_pb(job: Job) -> pb.Job:
    """The job without its segments: what every event carries (its size is the same for a job
    of one cue and of 2,000)."""
    with job.cond:
        return pb.Job(
            id=job.id,
            state=job_state_to_pb(job.state),
            model=job.model,
            total=len(job.runs),
            done=job.done,
            failed=job.failed,
        )


def _result_to_pb(job: Job, i: int) -> pb.SegmentResult:
    run = job.runs[i]
    return pb.SegmentResult(
        segment_id=run.segment.id,
        state=segment_state_to_pb(run.state),
        cue=cue_to_pb(run.cue) if run.cue else None,
        error=run.error,
        warnings=run.warnings,
        reused=run.reused,
    )


class CueEngineService(pb_grpc.CueEngineServicer):
    # Each open WatchJob holds a server thread; one per job the engine takes at once (64) plus
    # room for outside watchers. Beyond it a watcher is told to poll GetJob.
    max_watchers = 80

    def __init__(self, jobs: JobQueue):
        self.jobs = jobs
        self._watchers = threading.BoundedSemaphore(self.max_watchers)

    def SubmitJob(self, request: pb.SubmitJobRequest, context: grpc.ServicerContext) -> pb.Job:
        segments = [segment_from_pb(s) for s in request.segments]
        try:
            job = self.jobs.submit(
                segments, options_from_pb(request.options), request.output_dir, fresh=request.fresh
            )
        except JobRejected as exc:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except EngineBusy as exc:
            context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc))
        except ModelNotReady as exc:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))
        return job_to_pb(job)

    def GetJob(self, request: pb.JobRef, context: grpc.ServicerContext) -> pb.Job:
        return job_to_pb(self._job(request, context))

    def CancelJob(self, request: pb.JobRef, context: grpc.ServicerContext) -> pb.Job:
        self._job(request, context)
        return job_to_pb(self.jobs.cancel(request.job_id))

    def WatchJob(self, request: pb.JobRef, context: grpc.ServicerContext):
        job = self._job(request, context)
        if not self._watchers.acquire(blocking=False):
            context.abort(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"{self.max_watchers} watchers already follow jobs here: poll GetJob for job "
                f"{job.id} instead, or watch again later",
            )
        try:
            yield from self._watch(job, request, context)
        finally:
            self._watchers.release()

    def _watch(self, job: Job, request: pb.JobRef, context: grpc.ServicerContext):
        watch = self.jobs.watch(job.id, alive=context.is_active, after=request.after)
        for cursor, index in watch:
            segment = None
            if index is not None and index >= 0:
                with job.cond:
                    segment = _result_to_pb(job, index)
            yield pb.JobEvent(job=job_header_to_pb(job), segment=segment, cursor=cursor)
        if self.jobs.stopping and not job.finished:
            context.abort(
                grpc.StatusCode.UNAVAILABLE,
                f"the engine is stopping; job {job.id} is "
                "kept and resumes when the engine starts again",
            )

    def GetEngineInfo(self, request: pb.EngineInfoRequest, context) -> pb.EngineInfo:
        return engine_info(self.jobs.registry)

    def ReadCueFiles(self, request: pb.CueFilesRequest, context: grpc.ServicerContext):
        job = self._job(request, context)
        with job.cond:
            run = next((r for r in job.runs if r.segment.id == request.segment_id), None)
            cue = run.cue if run is not None and run.state == SegmentState.DONE else None
        if cue is None:
            context.abort(
                grpc.StatusCode.NOT_FOUND,
                f"job {job.id} has no finished cue for segment {request.segment_id!r}",
            )
        try:
            yield from cue_file_chunks(cue)
        except OSError as exc:
            context.abort(
                grpc.StatusCode.DATA_LOSS,
                f"the cue file {exc.filename} of segment {request.segment_id!r} cannot be read on "
                f"the engine ({exc.strerror or exc}): score again with --fresh",
            )

    def _job(self, request: pb.JobRef, context: grpc.ServicerContext) -> Job:
        try:
            return self.jobs.get(request.job_id)
        except KeyError as exc:
            context.abort(grpc.StatusCode.NOT_FOUND, str(exc.args[0]))


def engine_info(registry: ModelRegistry) -> pb.EngineInfo:
    default = registry.default_name()
    return pb.EngineInfo(
        version=engine.__version__,
        models=[model_info_to_pb(s, default) for s in registry.statuses()],
        default_model=default,
    )
