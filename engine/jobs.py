"""The job queue: one worker thread per model device, segments scored one after another.

A job's segments are independent: a failing segment is recorded with its reason and the others go
on; a cancel takes effect between segments (or batches, for models that batch). Every change is an
event that watchers receive in order.
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cuebridge.v1 import engine_pb2 as pb
from engine.cue import Cue
from engine.models.base import CueError, CueModel
from engine.registry import ModelRegistry
from engine.segment import GenerationOptions, Segment

log = logging.getLogger(__name__)

FINAL_JOB_STATES = frozenset(
    {pb.JOB_STATE_SUCCEEDED, pb.JOB_STATE_PARTIAL, pb.JOB_STATE_FAILED, pb.JOB_STATE_CANCELLED}
)


class JobRejected(ValueError):
    """A job cannot be accepted (bad request); the message says what to change."""


class ModelNotReady(RuntimeError):
    """The asked-for model cannot run here; the message says what is missing."""


@dataclass
class SegmentRun:
    segment: Segment
    state: int = pb.SEGMENT_STATE_PENDING
    cue: Cue | None = None
    error: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass
class Job:
    id: str
    model: str
    options: GenerationOptions
    output_dir: Path
    runs: list[SegmentRun]
    state: int = pb.JOB_STATE_QUEUED
    cancel_requested: threading.Event = field(default_factory=threading.Event)
    # Event log: the index of the segment that changed, or -1 for a job-level change.
    events: list[int] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)

    @property
    def done(self) -> int:
        return sum(r.state == pb.SEGMENT_STATE_DONE for r in self.runs)

    @property
    def failed(self) -> int:
        return sum(r.state == pb.SEGMENT_STATE_FAILED for r in self.runs)

    @property
    def finished(self) -> bool:
        return self.state in FINAL_JOB_STATES

    def _changed(self, index: int) -> None:
        # Caller holds self.cond.
        self.events.append(index)
        self.cond.notify_all()


class JobQueue:
    def __init__(self, registry: ModelRegistry, output_root: Path):
        self.registry = registry
        self.output_root = Path(output_root)
        self._jobs: dict[str, Job] = {}
        self._queues: dict[str, queue.Queue[Job | None]] = {}
        self._workers: list[threading.Thread] = []
        self._lock = threading.Lock()

    # -- requests ---------------------------------------------------------------------------

    def submit(
        self, segments: list[Segment], options: GenerationOptions, output_dir: str | Path = ""
    ) -> Job:
        if not segments:
            raise JobRejected("the job has no segments: select at least one range to score")
        ids = [s.id for s in segments]
        if len(set(ids)) != len(ids):
            raise JobRejected("segment ids must be unique within a job")
        model_name = options.model or self.registry.default_name()
        try:
            model = self.registry.get(model_name)
        except KeyError as exc:
            raise JobRejected(str(exc.args[0])) from exc
        status = model.status()
        if not status.ready:
            raise ModelNotReady(f"model {model_name!r} is not ready: {status.reason}")
        job_id = uuid.uuid4().hex[:12]
        out = Path(output_dir) if output_dir else self.output_root / job_id
        job = Job(job_id, model_name, options, out, [SegmentRun(s) for s in segments])
        with self._lock:
            self._jobs[job_id] = job
            self._queue_for(status.device).put(job)
        return job

    def get(self, job_id: str) -> Job:
        with self._lock:
            if job_id not in self._jobs:
                raise KeyError(f"no job {job_id!r} on this engine")
            return self._jobs[job_id]

    def cancel(self, job_id: str) -> Job:
        job = self.get(job_id)
        job.cancel_requested.set()
        return job

    def watch(
        self, job_id: str, alive: Callable[[], bool] = lambda: True, poll_s: float = 0.5
    ) -> Iterator[int | None]:
        """Yield None for the state at the start, then each event, until the job is over.

        Stops early once `alive()` is false (a watcher that went away), checked every `poll_s`.
        """
        job = self.get(job_id)
        yield None
        seen = len(job.events)
        while alive():
            with job.cond:
                if seen >= len(job.events) and not job.finished:
                    job.cond.wait(poll_s)
                fresh = job.events[seen:]
                seen += len(fresh)
                over = job.finished and seen >= len(job.events)
            yield from fresh
            if over:
                return

    def close(self) -> None:
        with self._lock:
            for q in self._queues.values():
                q.put(None)
            workers, self._workers = self._workers, []
        for w in workers:
            w.join(timeout=10)

    # -- workers ----------------------------------------------------------------------------

    def _queue_for(self, device: str) -> queue.Queue[Job | None]:
        # Caller holds self._lock. One worker per device: a GPU runs one job at a time.
        if device not in self._queues:
            q: queue.Queue[Job | None] = queue.Queue()
            worker = threading.Thread(
                target=self._work, args=(q,), name=f"cue-worker-{device}", daemon=True
            )
            self._queues[device] = q
            self._workers.append(worker)
            worker.start()
        return self._queues[device]

    def _work(self, q: queue.Queue[Job | None]) -> None:
        while (job := q.get()) is not None:
            try:
                self._run(job)
            except Exception:  # a bug must not kill the worker and strand later jobs
                log.exception("job %s crashed", job.id)
                self._finish(job, crashed=True)

    def _run(self, job: Job) -> None:
        model = self.registry.get(job.model)
        with job.cond:
            job.state = pb.JOB_STATE_RUNNING
            job._changed(-1)
        job.output_dir.mkdir(parents=True, exist_ok=True)
        batch_size = max(1, int(getattr(model, "batch_size", 1)))
        pending = list(range(len(job.runs)))
        for start in range(0, len(pending), batch_size):
            if job.cancel_requested.is_set():
                break
            self._score(job, model, pending[start : start + batch_size])
        self._finish(job)

    def _score(self, job: Job, model: CueModel, indices: list[int]) -> None:
        with job.cond:
            for i in indices:
                job.runs[i].state = pb.SEGMENT_STATE_RUNNING
                job._changed(i)
        if len(indices) > 1 and hasattr(model, "generate_batch"):
            segments = [job.runs[i].segment for i in indices]
            try:
                cues = model.generate_batch(segments, job.options, job.output_dir)
            except Exception:
                log.warning("batch failed in job %s; scoring its segments one by one", job.id)
            else:
                for i, cue in zip(indices, cues, strict=True):
                    self._record(job, i, cue=cue)
                return
        for i in indices:
            self._score_one(job, model, i)

    def _score_one(self, job: Job, model: CueModel, i: int) -> None:
        segment = job.runs[i].segment
        try:
            cue = model.generate(segment, job.options, job.output_dir)
        except CueError as exc:
            self._record(job, i, error=str(exc))
        except Exception as exc:
            log.exception("segment %s of job %s failed", segment.id, job.id)
            self._record(job, i, error=f"internal error in model {job.model}: {exc!r}")
        else:
            self._record(job, i, cue=cue)

    def _record(self, job: Job, i: int, *, cue: Cue | None = None, error: str = "") -> None:
        with job.cond:
            run = job.runs[i]
            run.cue, run.error = cue, error
            run.state = pb.SEGMENT_STATE_DONE if cue else pb.SEGMENT_STATE_FAILED
            job._changed(i)

    def _finish(self, job: Job, crashed: bool = False) -> None:
        with job.cond:
            for i, run in enumerate(job.runs):
                if run.state in (pb.SEGMENT_STATE_PENDING, pb.SEGMENT_STATE_RUNNING):
                    run.state = pb.SEGMENT_STATE_CANCELLED
                    if crashed:
                        run.state, run.error = pb.SEGMENT_STATE_FAILED, "the engine crashed"
                    job._changed(i)
            if job.cancel_requested.is_set() and any(
                r.state == pb.SEGMENT_STATE_CANCELLED for r in job.runs
            ):
                job.state = pb.JOB_STATE_CANCELLED
            elif job.failed == 0:
                job.state = pb.JOB_STATE_SUCCEEDED
            elif job.done == 0:
                job.state = pb.JOB_STATE_FAILED
            else:
                job.state = pb.JOB_STATE_PARTIAL
            job._changed(-1)
