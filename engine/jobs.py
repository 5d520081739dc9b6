"""The job queue: one worker thread per model device, segments scored one after another.

A job's segments are independent: a failing segment is recorded with its reason and the others go
on; a cancel takes effect between segments (or batches, for models that batch). Every change is an
event that watchers receive in order, and is committed to the job store, so a killed engine resumes
its jobs without making a finished cue again. Unchanged segments reuse the cue an earlier job made.
"""

from __future__ import annotations

import errno
import logging
import os
import queue
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from cuebridge.contract import MAX_CUE_S
from cuebridge.engine.cue import Cue, cue_file_stem
from cuebridge.engine.cue_key import cue_key, file_sha256
from cuebridge.engine.errors import CueCancelled, CueError, EngineBusy, JobRejected, ModelNotReady
from cuebridge.engine.models.base import CueModel
from cuebridge.engine.registry import ModelRegistry
from cuebridge.engine.segment import GenerationOptions, Segment
from cuebridge.engine.states import FINAL_JOB_STATES, JobState, SegmentState
from cuebridge.engine.store import JobStore
from cuebridge.safe_files import replacing, temp_beside

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EngineLimits:
    max_jobs: int = 64  # jobs queued or running at once
    max_queued_segments: int = 5000  # segments waiting over all jobs
    max_segments_per_job: int = 2000
    max_segment_s: float = float(MAX_CUE_S)  # the longest cue: the contract's, by default
    finished_jobs_kept: int = 500  # finished jobs answered from memory; older ones are dropped


@dataclass
class SegmentRun:
    segment: Segment
    state: SegmentState = SegmentState.PENDING
    cue: Cue | None = None
    error: str = ""
    reused: bool = False
    warnings: list[str] = field(default_factory=list)


@dataclass
class Job:
    id: str
    model: str
    options: GenerationOptions
    output_dir: Path
    runs: list[SegmentRun]
    fresh: bool = False
    state: JobState = JobState.QUEUED
    cancel_requested: threading.Event = field(default_factory=threading.Event)
    # Event log: the index of the segment that changed, or -1 for a job-level change.
    events: list[int] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)

    @property
    def done(self) -> int:
        return sum(r.state == SegmentState.DONE for r in self.runs)

    @property
    def failed(self) -> int:
        return sum(r.state == SegmentState.FAILED for r in self.runs)

    @property
    def pending(self) -> int:
        return sum(r.state in (SegmentState.PENDING, SegmentState.RUNNING) for r in self.runs)

    @property
    def finished(self) -> bool:
        return self.state in FINAL_JOB_STATES

    def _changed(self, index: int) -> None:
        # Caller holds self.cond.
        self.events.append(index)
        self.cond.notify_all()


class JobQueue:
    def __init__(
        self,
        registry: ModelRegistry,
        output_root: Path,
        store: JobStore,
        limits: EngineLimits = EngineLimits(),
    ):
        self.registry = registry
        self.output_root = Path(output_root)
        self.store = store
        self.limits = limits
        self._jobs: dict[str, Job] = {}
        self._queues: dict[str, queue.Queue[Job | None]] = {}
        self._workers: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._suspect = ""  # set when a job crashed or the store failed: problem() probes it
        self._warm = threading.Event()  # cleared while the default model warms up
        self._warm.set()

    # -- requests ---------------------------------------------------------------------------

    def submit(
        self,
        segments: list[Segment],
        options: GenerationOptions,
        output_dir: str | Path = "",
        fresh: bool = False,
    ) -> Job:
        self._check(segments)
        with self._lock:
            self._check_room(len(segments))  # before the model is asked: retries stay cheap
        model_name = options.model or self.registry.default_name()
        try:
            status = self.registry.status(model_name)
        except KeyError as exc:
            raise JobRejected(str(exc.args[0])) from exc
        if not status.ready:
            raise ModelNotReady(f"model {model_name!r} is not ready: {status.reason}")
        model = self.registry.get(model_name)
        job_id = uuid.uuid4().hex[:12]
        out = Path(output_dir) if output_dir else self.output_root / job_id
        job = Job(job_id, model_name, options, out, [SegmentRun(s) for s in segments], fresh)
        with self._lock:
            self._check_room(len(segments))
            try:
                self.store.add_job(
                    job.id, model_name, options, out, fresh, job.state, segments,
                    SegmentState.PENDING,
                )  # fmt: skip
            except sqlite3.Error as exc:
                self._suspect = f"a job could not be stored: {exc}"
                raise EngineBusy(
                    f"the engine cannot store the job in {self.store.path} ({exc}): free space "
                    "on that disk (or choose another --state-dir) and send it again"
                ) from exc
            self._forget_old_jobs()
            self._jobs[job_id] = job
            self._queue_for(status.device, model.concurrent_jobs).put(job)
        return job

    def _check_room(self, segments: int) -> None:
        """Raise EngineBusy when the engine is stopping or full. Caller holds self._lock."""
        if self._stopping.is_set():
            raise EngineBusy("the engine is shutting down; send the job again once it is up")
        active = [j for j in self._jobs.values() if not j.finished]
        if len(active) >= self.limits.max_jobs:
            raise EngineBusy(
                f"{len(active)} jobs are already queued or running (the limit is "
                f"{self.limits.max_jobs}); try again when one has finished"
            )
        waiting = sum(j.pending for j in active)
        if waiting + segments > self.limits.max_queued_segments:
            raise EngineBusy(
                f"{waiting} segments are already waiting; {segments} more "
                f"would pass the limit of {self.limits.max_queued_segments}"
            )

    def _forget_old_jobs(self) -> None:
        # Caller holds self._lock. A server that runs for weeks must not grow with every job.
        finished = [j for j in self._jobs.values() if j.finished]
        for job in finished[: max(0, len(finished) - self.limits.finished_jobs_kept)]:
            del self._jobs[job.id]

    def _check(self, segments: list[Segment]) -> None:
        if not segments:
            raise JobRejected("the job has no segments: select at least one range to score")
        if len(segments) > self.limits.max_segments_per_job:
            raise JobRejected(
                f"{len(segments)} segments in one job; the limit is "
                f"{self.limits.max_segments_per_job}: split the timeline"
            )
        ids = [s.id for s in segments]
        if len(set(ids)) != len(ids):
            raise JobRejected("segment ids must be unique within a job")
        for s in segments:
            if s.rate.num <= 0 or s.rate.den <= 0:
                raise JobRejected(f"segment {s.id!r}: the frame rate must be positive")
            if s.duration_s > self.limits.max_segment_s:
                raise JobRejected(
                    f"segment {s.id!r} lasts {s.duration_s:.0f} s; the longest cue "
                    f"is {self.limits.max_segment_s:.0f} s: score it in parts"
                )

    def get(self, job_id: str) -> Job:
        with self._lock:
            if job_id not in self._jobs:
                raise KeyError(f"no job {job_id!r} on this engine")
            return self._jobs[job_id]

    def cancel(self, job_id: str) -> Job:
        job = self.get(job_id)
        job.cancel_requested.set()
        if not job.finished:
            # Kept at once: an engine killed before the cue in progress ends must not resume
            # the job (the job's own end writes its final state over this one).
            self.store.set_job_state(job.id, JobState.CANCELLED)
        return job

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def watch(
        self,
        job_id: str,
        alive: Callable[[], bool] = lambda: True,
        poll_s: float = 0.5,
        after: int = 0,
    ) -> Iterator[tuple[int, int | None]]:
        """Yield (cursor, segment index or -1) for each event after `after`, until the job is
        over; the cursor counts the job's events from 1. With `after` 0, or a cursor this
        engine does not know (it restarted), first (cursor so far, None): where the job stands.

        Stops early once `alive()` is false (a watcher that went away) or the engine stops.
        """
        job = self.get(job_id)
        with job.cond:  # count before the first yield: a job may end while the caller reads it
            known = 0 < after <= len(job.events)
            seen = after if known else len(job.events)
        if not known:
            yield seen, None
        while alive() and not self._stopping.is_set():
            with job.cond:
                if seen >= len(job.events) and not job.finished:
                    job.cond.wait(poll_s)
                new_events = job.events[seen:]
                over = job.finished and seen + len(new_events) >= len(job.events)
            for index in new_events:
                seen += 1
                yield seen, index
            if over:
                return

    def prune(self, keep_days: float) -> tuple[int, int]:
        """Forget finished jobs older than `keep_days`, and cached cues whose files are gone."""
        return self.store.prune(keep_days, FINAL_JOB_STATES)

    def resume(self) -> list[str]:
        """Queue again the jobs a stopped or killed engine left unfinished; return their ids."""
        resumed = []
        for row in self.store.unfinished_jobs(FINAL_JOB_STATES):
            runs = []
            for segment, state, cue, error, reused in row["segments"]:
                if state in (SegmentState.RUNNING, SegmentState.PENDING):
                    state, cue, error = SegmentState.PENDING, None, ""
                runs.append(SegmentRun(segment, state, cue, error, reused))
            job = Job(
                row["id"], row["model"], row["options"], row["output_dir"], runs, row["fresh"]
            )
            _remove_partial_files(job.output_dir)
            self.store.claim(job.id)
            try:
                model = self.registry.get(job.model)
                device, workers = model.status().device, model.concurrent_jobs
            except Exception:  # the model is gone: the job ends with the reason per segment
                device, workers = "cpu", 1
            with self._lock:
                self._jobs[job.id] = job
                self._queue_for(device, workers).put(job)
            resumed.append(job.id)
        return resumed

    def close(self, drain_s: float = 10.0) -> None:
        """Stop: the cue in progress finishes, the rest stays queued in the store for next time."""
        self._stopping.set()
        with self._lock:
            for q in self._queues.values():
                for _ in self._workers:  # one stop per worker; spare ones are never read
                    q.put(None)
            workers, self._workers = self._workers, []
        for w in workers:
            w.join(timeout=drain_s)
        for job in list(self._jobs.values()):
            with job.cond:
                job.cond.notify_all()

    # -- workers ----------------------------------------------------------------------------

    def _queue_for(self, device: str, workers: int = 1) -> queue.Queue[Job | None]:
        # Caller holds self._lock. One worker per device: a GPU runs one job at a time; a model
        # spread over a cluster (engine/ray_pool.py) takes `workers` jobs at once.
        if device not in self._queues:
            q: queue.Queue[Job | None] = queue.Queue()
            self._queues[device] = q
            for n in range(max(1, workers)):
                worker = threading.Thread(
                    target=self._work, args=(q,), name=f"cue-worker-{device}-{n}", daemon=True
                )
                self._workers.append(worker)
                worker.start()
        return self._queues[device]

    def _work(self, q: queue.Queue[Job | None]) -> None:
        while (job := q.get()) is not None and not self._stopping.is_set():
            try:
                self._turn(job, q)
            except Exception as exc:  # a bug must not kill the worker and strand later jobs
                log.exception("job %s crashed", job.id)
                self._suspect = f"job {job.id} crashed: {exc!r}"  # health probes the store
                try:
                    self._finish(job, crash=f"the engine failed on this job: {exc}")
                except Exception:  # the store itself failed: end the job in memory at least
                    log.exception("cannot record the end of job %s in the store", job.id)
                    self._abandon(job)

    def _abandon(self, job: Job) -> None:
        """End a job in memory only (its store is failing), so its watchers are not left
        waiting; a restart finds it unfinished in the store and resumes it."""
        with job.cond:
            for i, run in enumerate(job.runs):
                if run.state in (SegmentState.PENDING, SegmentState.RUNNING):
                    run.state, run.error = SegmentState.FAILED, "the engine's store failed"
                    job._changed(i)
            job.state = JobState.PARTIAL if job.done else JobState.FAILED
            job._changed(-1)

    def busy(self) -> bool:
        """Whether any job is queued or running."""
        with self._lock:
            return any(not j.finished for j in self._jobs.values())

    def warm_up(self) -> threading.Thread:
        """Warm the default model in the background (a serving engine, at start). Jobs that
        arrive meanwhile are accepted and queued; they start once it is warm, instead of doing
        the warm-up inside their first cue (and problem() says "warming up" until then)."""
        self._warm.clear()

        def warm() -> None:
            try:
                self.registry.get(self.registry.default_name()).warm_up()
            except Exception:  # the first cue meets the same problem and reports it
                log.exception("warming up the default model failed")
            finally:
                self._warm.set()

        thread = threading.Thread(target=warm, name="engine-warm-up", daemon=True)
        thread.start()
        return thread

    def warming(self) -> bool:
        return not self._warm.is_set()

    def problem(self) -> str:
        """Why no job can run now ("" when the engine is healthy): a worker that stopped, or
        a store that cannot be written since a job crashed, or the default model warming up."""
        if self._stopping.is_set():
            return "the engine is stopping"
        if self.warming():
            return "warming up the default model"
        dead = [w.name for w in self._workers if not w.is_alive()]
        if dead:
            return f"worker thread(s) stopped: {', '.join(dead)}"
        if self._suspect:
            try:
                self.store.probe()
            except sqlite3.Error as exc:
                return f"the job store {self.store.path} cannot be written ({exc}); {self._suspect}"
            self._suspect = ""
        return ""

    def _turn(self, job: Job, q: queue.Queue[Job | None]) -> None:
        """One batch of the job, then the job goes to the back of its queue: a 400-cue score
        shares the device with an editor's one-cue request instead of holding it to its end."""
        self._warm.wait()  # the warm-up at start does what this job's first cue would
        if job.state == JobState.QUEUED and not job.cancel_requested.is_set():
            with job.cond:
                job.state = JobState.RUNNING
                job._changed(-1)
            self.store.set_job_state(job.id, job.state)
        try:
            model = self.registry.get(job.model)
            job.output_dir.mkdir(parents=True, exist_ok=True)
        except Exception as exc:
            for i, run in enumerate(job.runs):
                if run.state == SegmentState.PENDING:
                    self._record(job, i, error=_problem(exc, job))
            self._finish(job)
            return
        pending = [i for i, r in enumerate(job.runs) if r.state == SegmentState.PENDING]
        if model.batch_size > 1:  # spread over workers
            pending = batch_order(job.runs, pending)
        if pending and not (job.cancel_requested.is_set() or self._stopping.is_set()):
            self._score(job, model, pending[: max(1, model.batch_size)])
        if self._stopping.is_set():
            return  # a stopping engine leaves the rest for its next start
        if job.cancel_requested.is_set() or not any(
            r.state == SegmentState.PENDING for r in job.runs
        ):
            self._finish(job)
        else:
            q.put(job)

    def _score(self, job: Job, model: CueModel, indices: list[int]) -> None:
        keys = {i: self._key(job, model, i) for i in indices}
        todo = [i for i in indices if job.fresh or not keys[i] or not self._reuse(job, i, keys[i])]
        # Asked of the whole job, not of this batch: a long job's short tail is made together
        # too, never left one by one.
        if len(todo) > 1 and model.wants_batch([r.segment for r in job.runs]):
            # Handed to the model together, so started together: a restart makes these again.
            self._started(job, todo)
            segments = [job.runs[i].segment for i in todo]
            made: set[int] = set()
            try:  # each cue recorded the moment it is made, not when the batch ends
                for n, result in model.generate_each(
                    segments, job.options, job.output_dir, self._stop_hook(job)
                ):
                    i = todo[n]
                    made.add(i)
                    if isinstance(result, Exception):  # one bad segment never loses the others
                        self._record(job, i, error=str(result))
                    else:
                        self._keep(job, i, result, keys[i])
            except CueCancelled:
                return  # left running: _finish marks them cancelled, or a restart resumes them
            except Exception:
                log.warning("batch failed in job %s; scoring its segments one by one", job.id)
                todo = [i for i in todo if i not in made]
            else:
                return
        for i in todo:
            if job.cancel_requested.is_set() or self._stopping.is_set():
                return
            self._score_one(job, model, i, keys[i])

    def _started(self, job: Job, indices: list[int]) -> None:
        """Mark segments running and count the start in the store (a restart reads the count)."""
        with job.cond:
            for i in indices:
                job.runs[i].state = SegmentState.RUNNING
                job._changed(i)
        for i in indices:
            self.store.segment_started(job.id, i, SegmentState.RUNNING)

    def _score_one(self, job: Job, model: CueModel, i: int, key: str) -> None:
        segment = job.runs[i].segment
        if job.runs[i].state != SegmentState.RUNNING:  # a failed batch already counted it
            self._started(job, [i])
        try:
            cue = model.generate(segment, job.options, job.output_dir, self._stop_hook(job))
        except CueCancelled:
            return  # left running: _finish marks it cancelled, or a restart resumes it
        except CueError as exc:
            self._record(job, i, error=str(exc))
        except Exception as exc:
            log.exception("segment %s of job %s failed", segment.id, job.id)
            self._record(job, i, error=_problem(exc, job))
        else:
            self._keep(job, i, cue, key)

    def _stop_hook(self, job: Job) -> Callable[[], bool]:
        """`should_stop` for the model: models that can stop mid-cue free the worker as soon as
        the job is cancelled or the engine stops, instead of finishing the cue in hand."""
        return lambda: job.cancel_requested.is_set() or self.stopping

    def _key(self, job: Job, model: CueModel, i: int) -> str:
        """The cue's cache key, or "" when a file that shapes it cannot be read: that cue is
        still made (its model reports the unreadable clip) but not cached; the others go on."""
        try:
            return cue_key(job.runs[i].segment, job.model, model.identity(), job.options)
        except OSError as exc:
            log.warning("segment %s of job %s is not cached: %s", i, job.id, exc)
            job.runs[i].warnings.append(
                f"made without the cue cache: {exc.filename or 'a file'} cannot be read "
                f"({exc.strerror or exc})"
            )
            return ""

    def _keep(self, job: Job, i: int, cue: Cue, key: str) -> None:
        try:
            if key:
                self.store.put_cue(key, cue, file_sha256(cue.audio_path))
        except OSError as exc:
            self._record(job, i, error=_problem(exc, job))
            return
        self._record(job, i, cue=cue)

    def _reuse(self, job: Job, i: int, key: str) -> bool:
        """Place an earlier identical cue here; False when there is none or it was damaged."""
        found = self.store.find_cue(key)
        if found is None:
            return False
        cue, checksum = found
        try:
            if file_sha256(cue.audio_path) != checksum:
                raise ValueError("checksum mismatch")
            target = _copy_cue(cue, job.output_dir, job.runs[i].segment.id)
        except (OSError, ValueError):
            log.info("cached cue %s is missing or damaged: making it again", key[:12])
            self.store.forget_cue(key)
            return False
        self._record(job, i, cue=target, reused=True)
        return True

    def _record(
        self, job: Job, i: int, *, cue: Cue | None = None, error: str = "", reused: bool = False
    ) -> None:
        with job.cond:
            run = job.runs[i]
            run.cue, run.error, run.reused = cue, error, reused
            run.warnings = run.warnings + list(cue.warnings) if cue else []
            run.state = SegmentState.DONE if cue else SegmentState.FAILED
            job._changed(i)
        self.store.set_segment(job.id, i, run.state, cue, error, reused)

    def _finish(self, job: Job, crash: str = "") -> None:
        with job.cond:
            for i, run in enumerate(job.runs):
                if run.state in (SegmentState.PENDING, SegmentState.RUNNING):
                    run.state = SegmentState.CANCELLED
                    if crash:
                        run.state, run.error = SegmentState.FAILED, crash
                    job._changed(i)
                    self.store.set_segment(job.id, i, run.state, None, run.error)
            if job.cancel_requested.is_set() and any(
                r.state == SegmentState.CANCELLED for r in job.runs
            ):
                job.state = JobState.CANCELLED
            elif job.failed == 0:
                job.state = JobState.SUCCEEDED
            elif job.done == 0:
                job.state = JobState.FAILED
            else:
                job.state = JobState.PARTIAL
            job._changed(-1)
        self.store.set_job_state(job.id, job.state)


def batch_order(runs: list[SegmentRun], pending: list[int]) -> list[int]:
    """The order a batching model makes `pending` in: longest first, so the last to finish is
    short and no worker idles long at the end; but a job with no cue made yet leads with its
    shortest, so the editor sees a first cue in about the time one cue takes."""
    order = sorted(pending, key=lambda i: -runs[i].segment.duration_s)
    if len(order) > 1 and not any(r.state == SegmentState.DONE for r in runs):
        order.insert(0, order.pop())
    return order


def _problem(exc: Exception, job: Job) -> str:
    if isinstance(exc, OSError):
        fix = (
            "free some space"
            if exc.errno in (errno.ENOSPC, errno.EDQUOT)
            else "make the folder writable"
        )
        return (
            f"cannot write the cue into {job.output_dir}: {exc.strerror or exc}; {fix}, or "
            "choose another --cue-dir"
        )
    return f"internal error in model {job.model}: {exc!r}"


def _copy_cue(cue: Cue, out_dir: Path, segment_id: str) -> Cue:
    """The cached cue's files under this segment's names in out_dir (hard link when possible)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = cue_file_stem(segment_id)
    paths = {}
    for attr in ("audio_path", "midi_path"):
        src = getattr(cue, attr)
        paths[attr] = _link_into(src, out_dir / f"{stem}{Path(src).suffix}") if src else ""
    stems = {}
    cached_stem = Path(cue.audio_path).stem
    for name, src in cue.stem_paths.items():  # `<stem>.<section>.wav`, beside the audio
        stems[name] = _link_into(src, out_dir / f"{stem}{Path(src).name[len(cached_stem) :]}")
    metadata = {**cue.metadata, "segment_id": segment_id}
    chosen = {t.audio_path for t in cue.takes if t.chosen}
    takes = [replace(t, audio_path=paths["audio_path"]) if t.audio_path in chosen else t
             for t in cue.takes]  # fmt: skip
    return replace(
        cue,
        segment_id=segment_id,
        audio_path=paths["audio_path"],
        midi_path=paths["midi_path"],
        metadata=metadata,
        stem_paths=stems,
        warnings=list(cue.warnings),
        takes=takes,
    )


def _link_into(src: str, dst: Path) -> str:
    if Path(src).resolve() != dst.resolve():
        # A hard link where the disk allows (os.link never follows what holds the name: it
        # fails), else a copy into a fresh temp file: never through a planted name.
        fd, tmp = temp_beside(dst)
        os.close(fd)
        tmp.unlink()
        try:
            os.link(src, tmp)
            os.replace(tmp, dst)
        except OSError:
            tmp.unlink(missing_ok=True)
            with replacing(dst) as (fh, _), open(src, "rb") as source:
                shutil.copyfileobj(source, fh)
    return str(dst)


def _remove_partial_files(out_dir: Path) -> None:
    """Temp files a killed writer left behind never count: remove them."""
    if out_dir.is_dir():
        for p in out_dir.glob(".*.tmp"):
            p.unlink(missing_ok=True)
