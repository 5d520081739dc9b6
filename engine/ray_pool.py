"""The engine's model work on a Ray cluster (`cuebridge serve --ray ADDRESS`).

The seam is one CueModel: `RayCueModel` stands in for a model by name and forwards its segments
to a pool of Ray actors, each holding one replica of the real model (one per GPU, or one per N
CPUs for the composer). Everything else stays in the head process exactly as without Ray: the
job queue, its durable store and the cue cache (engine/jobs.py, engine/store.py), so a killed
head resumes its jobs and an unchanged segment is never sent to the cluster.

What is Ray's, not ours:
- scheduling and backpressure: `ray.util.ActorPool` hands a segment to an idle replica and queues
  the rest in the head until one is free, so no replica holds more than the segment it works on;
- placement: each replica asks for its resources (`num_gpus=1`, or `num_cpus=N`) and Ray puts it
  on a machine that has them;
- fault tolerance: replicas are restartable actors (`max_restarts`) whose calls are retried
  (`max_task_retries`), so a segment whose worker died is made again on the restarted replica;
- transport: a replica returns the cue's WAV and MIDI bytes, which travel through Ray's object
  store to the head, and the head writes them into the job's folder (atomically, fsync'd).

Ray is an optional extra (`pip install "cuebridge[ray]"`): it is imported only here, and only
when --ray is given.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cuebridge.engine.audio import write_bytes_atomic
from cuebridge.engine.cue import Cue, cue_file_stem
from cuebridge.engine.errors import CueCancelled, CueError
from cuebridge.engine.models.base import CueModel, ModelStatus, ShouldStop
from cuebridge.engine.registry import BUILTIN_MODELS, ModelEntry, ModelRegistry
from cuebridge.engine.segment import GenerationOptions, Segment
from cuebridge.engine.settings import EngineSettings

log = logging.getLogger(__name__)

RAY_HINT = 'pip install "cuebridge[ray]"'
# Models that run on CPUs whatever the cluster has; the others take one GPU each where there are
# GPUs. The composer is single-threaded: one replica per CPU (or per --ray-cpus-per-replica).
CPU_MODELS = frozenset({"composer"})
MAX_RESTARTS = 3  # a replica whose process died is started again this often...
MAX_TASK_RETRIES = 3  # ...and the segment it held is sent again this often
MAX_CONCURRENT_JOBS = 8
PROBE_TIMEOUT_S = 300.0  # a cluster with no free GPU for this long reports the model not ready
WAIT_S = 1.0  # how often a waiting head checks for a cancel or a stopping engine
READY_WAIT_S = 30.0  # the longest a closing head waits for its replicas to finish starting


class RayUnavailable(RuntimeError):
    """Ray is not installed or the cluster cannot be reached; the message says what to do."""


@dataclasses.dataclass(frozen=True)
class RayPlan:
    cpus_per_replica: float = 1.0
    replicas: int = 0  # 0: as many as the cluster's resources allow


def import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise RayUnavailable(f"--ray needs Ray, which is not installed: {RAY_HINT}") from exc
    return ray


def connect(address: str) -> dict[str, float]:
    """Join the cluster at `address` ("auto": the one this machine belongs to; "local": start
    a one-machine cluster in this process); return its resources. A driver that already joined
    one (tests) keeps it."""
    ray = import_ray()
    if not ray.is_initialized():
        try:
            if address == "local":
                ray.init(include_dashboard=False, logging_level=logging.WARNING)
            else:
                ray.init(address=address, logging_level=logging.WARNING)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise RayUnavailable(
                f"cannot join the Ray cluster at {address!r} ({exc}): start its head with "
                "`ray start --head` and pass its address (HOST:6379), or `auto` on a machine "
                "of the cluster"
            ) from exc
    return ray.cluster_resources()


def replica_plan(
    model: str, cluster: dict[str, float], plan: RayPlan = RayPlan()
) -> tuple[int, dict[str, float]]:
    """How many replicas of `model` and the resources each asks Ray for."""
    gpus = int(cluster.get("GPU", 0))
    if model not in CPU_MODELS and gpus > 0:
        count, resources = gpus, {"num_gpus": 1, "num_cpus": 1}
    else:
        per = max(plan.cpus_per_replica, 0.01)
        count, resources = max(1, int(cluster.get("CPU", 1) // per)), {"num_cpus": per}
    return (plan.replicas or count), resources


def ray_registry(
    settings: EngineSettings,
    plan: RayPlan = RayPlan(),
    entries: tuple[ModelEntry, ...] = BUILTIN_MODELS,
) -> ModelRegistry:
    """The registry `serve --ray` hosts: every model runs as replicas on the joined cluster."""
    ray = import_ray()
    cluster = ray.cluster_resources()
    # The replicas do not share the head's disk: no picture cache there (the head keeps the cue
    # cache); model weights are found at the same path on every worker.
    remote_settings = dataclasses.replace(settings, state_dir=None)

    def wrap(entry: ModelEntry) -> ModelEntry:
        def build(_: EngineSettings) -> CueModel:
            count, resources = replica_plan(entry.name, cluster, plan)
            return RayCueModel(entry, remote_settings, count, resources)

        return ModelEntry(entry.name, entry.description, build)

    return ModelRegistry(tuple(wrap(e) for e in entries), settings)


class _Replica:
    """One copy of a model on a Ray worker. Made into an actor class by `_actor_class`."""

    def __init__(self, factory: Callable[[EngineSettings], CueModel], settings: EngineSettings):
        self.model = factory(settings)
        self.scratch = Path(tempfile.mkdtemp(prefix="cuebridge-replica-"))

    def describe(self) -> tuple[ModelStatus, str]:
        status = self.model.status()
        return status, self.model.identity() if status.ready else ""

    def generate(self, index: int, segment: Segment, options: GenerationOptions) -> tuple:
        """(index, cue, wav bytes, midi bytes), or (index, CueError) for a segment it refused."""
        out = self.scratch / uuid.uuid4().hex
        out.mkdir()
        try:
            cue = self.model.generate(segment, options, out)
            audio = Path(cue.audio_path).read_bytes()
            midi = Path(cue.midi_path).read_bytes() if cue.midi_path else b""
        except CueError as exc:
            return index, CueError(str(exc))  # bad input: an answer, not a crash to retry
        except Exception as exc:  # a model bug: this segment fails, the replica goes on
            return index, CueError(f"internal error in model {self.model.name}: {exc!r}")
        finally:
            shutil.rmtree(out, ignore_errors=True)
        return index, cue, audio, midi


def _probe(entry: ModelEntry, settings: EngineSettings) -> tuple[ModelStatus, str]:
    # The registry's own answer on a worker: a missing package comes with its install hint.
    registry = ModelRegistry((entry,), settings)
    status = registry.status(entry.name)
    return status, registry.get(entry.name).identity() if status.ready else ""


class RayCueModel(CueModel):
    """A model whose cues are made by replicas on the Ray cluster; files written by the head."""

    def __init__(
        self,
        entry: ModelEntry,
        settings: EngineSettings,
        replicas: int,
        resources: dict[str, float],
    ):
        self.name = entry.name
        self.entry, self.settings = entry, settings
        self.count, self.resources = replicas, resources
        self.batch_size = 2 * replicas  # a batch fans out over every replica, one queued behind
        # Jobs in flight at once, so a short job or a batch's slowest segment never idles the
        # other replicas; each job keeps at most one segment on a replica, the rest wait here.
        self.concurrent_jobs = min(MAX_CONCURRENT_JOBS, max(1, replicas))
        self.replicas: list[Any] = []  # actor handles, made on the first batch
        # Jobs run side by side: without this, two first batches would each start a full set,
        # and the second set would wait forever for CPUs the first one holds.
        self._replicas_lock = threading.Lock()
        self._described: tuple[ModelStatus, str] | None = None

    def _describe(self) -> tuple[ModelStatus, str]:
        # Asked once, where a replica would run (a GPU worker, with the weights), before any
        # replica holds the resources; zero CPUs, so it never waits behind CPU work.
        if self._described is None:
            ray = import_ray()
            probe = ray.remote(_probe).options(**{**self.resources, "num_cpus": 0})
            try:
                status, identity = ray.get(
                    probe.remote(self.entry, self.settings), timeout=PROBE_TIMEOUT_S
                )
            except Exception as exc:  # a worker that cannot load the model: not ready, why
                status = ModelStatus(
                    self.name, self.entry.description, False, f"on the Ray cluster: {exc}"
                )
                return status, ""
            self._described = (status, identity)
        return self._described

    def status(self) -> ModelStatus:
        status, _ = self._describe()
        where = f"ray: {self.count} replica(s), {_resources_text(self.resources)} each"
        return dataclasses.replace(status, device=where if status.ready else "ray")

    def identity(self) -> str:
        return self._describe()[1]

    def generate(
        self,
        segment: Segment,
        options: GenerationOptions,
        out_dir: Path,
        should_stop: ShouldStop | None = None,
    ) -> Cue:
        [result] = self.generate_batch([segment], options, out_dir, should_stop)
        if isinstance(result, Exception):
            raise result
        return result

    def generate_batch(
        self,
        segments: list[Segment],
        options: GenerationOptions,
        out_dir: Path,
        should_stop: ShouldStop | None = None,
    ) -> list[Cue | Exception]:
        ray = import_ray()
        from ray.util import ActorPool

        replicas = self._ensure_replicas()
        pool = ActorPool(replicas)
        for i, segment in enumerate(segments):  # queued in the head while every replica works
            pool.submit(lambda actor, job: actor.generate.remote(*job), (i, segment, options))
        results: list[Cue | Exception | None] = [None] * len(segments)
        while pool.has_next():
            if should_stop is not None and should_stop():
                raise CueCancelled("the job was cancelled while its segments were on the cluster")
            try:
                answer = pool.get_next_unordered(timeout=WAIT_S)
            except TimeoutError:
                continue
            except ray.exceptions.RayError as exc:  # a replica that died past its restarts
                log.warning("a Ray replica of %s failed: %s", self.name, exc)
                self._forget_replicas(replicas)  # the next batch starts a fresh set
                continue  # its segment has no result: reported below
            index, *rest = answer
            if len(rest) == 1:
                results[index] = rest[0]
            else:
                results[index] = _write_cue(segments[index], out_dir, *rest)
        return [
            r
            if r is not None
            else CueError(
                f"the Ray worker scoring {segments[i].id!r} died {MAX_RESTARTS + 1} times: see "
                "`ray status` and the worker logs, then score again"
            )
            for i, r in enumerate(results)
        ]

    def close(self) -> None:
        """Stop the replicas, freeing their GPUs and CPUs on the cluster (a head that exits
        frees them anyway: they belong to its Ray driver)."""
        ray = import_ray()
        with self._replicas_lock:
            replicas, self.replicas = self.replicas, []
        # A replica killed while its worker is still being bound to it can keep that worker's
        # CPU for good (Ray logs "Mismatched ActorID: ignoring KillActor"): let them finish
        # starting first, for a while.
        if not replicas:
            return
        ray.wait(
            [a.__ray_ready__.remote() for a in replicas],
            num_returns=len(replicas),
            timeout=READY_WAIT_S,
        )
        for actor in replicas:
            ray.kill(actor, no_restart=True)

    def _ensure_replicas(self) -> list[Any]:
        with self._replicas_lock:
            if not self.replicas:
                actor = _actor_class().options(
                    max_restarts=MAX_RESTARTS, max_task_retries=MAX_TASK_RETRIES, **self.resources
                )
                self.replicas = [
                    actor.remote(self.entry.factory, self.settings) for _ in range(self.count)
                ]
                log.info("%d Ray replica(s) of %s started", self.count, self.name)
            return self.replicas

    def _forget_replicas(self, failed: list[Any]) -> None:
        # Only the set that failed: another job may already have started the next one.
        with self._replicas_lock:
            if self.replicas is failed:
                self.replicas = []


_ACTOR = None


def _actor_class() -> Any:
    global _ACTOR
    if _ACTOR is None:
        _ACTOR = import_ray().remote(_Replica)
    return _ACTOR


def _write_cue(segment: Segment, out_dir: Path, cue: Cue, audio: bytes, midi: bytes) -> Cue:
    """The replica's bytes as the job's files, named as a local model names them."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = cue_file_stem(segment.id)
    audio_path = out_dir / f"{stem}.wav"
    write_bytes_atomic(audio_path, audio)
    midi_path = ""
    if midi:
        midi_path = str(out_dir / f"{stem}.mid")
        write_bytes_atomic(midi_path, midi)
    return dataclasses.replace(cue, audio_path=str(audio_path), midi_path=midi_path)


def _resources_text(resources: dict[str, float]) -> str:
    return ", ".join(
        f"{v:g} {k.removeprefix('num_').upper().rstrip('S')}" for k, v in resources.items()
    )
