"""One local process hosting both services: `cuebridge serve`, or in-process for the CLI.

By default the Bridge talks to the CueEngine in the same process over loopback gRPC, the same way
it talks to an engine on a GPU machine (`--engine HOST:PORT`), so there is one code path.
"""

from __future__ import annotations

import logging
import threading
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from cuebridge.app import memory
from cuebridge.app.error_guard import ErrorGuard
from cuebridge.app.port_owner import port_owner
from cuebridge.app.settings import engine_settings
from cuebridge.bridge.http_gateway import HttpGateway, start_http_gateway
from cuebridge.bridge.score_store import ScoreStore
from cuebridge.bridge.security import (
    TokenInterceptor,
    authorized_channel,
    check_bind,
    engine_token,
    internal_target,
    server_credentials,
)
from cuebridge.bridge.service import BridgeService
from cuebridge.engine.jobs import EngineLimits, JobQueue
from cuebridge.engine.models.composer.workers import start_early_in_background
from cuebridge.engine.ray_pool import RayPlan, ray_registry
from cuebridge.engine.ray_pool import connect as connect_ray
from cuebridge.engine.registry import ModelRegistry
from cuebridge.engine.service import CueEngineService
from cuebridge.engine.store import JobStore
from cuebridge.v1 import bridge_pb2, bridge_pb2_grpc, engine_pb2, engine_pb2_grpc

if TYPE_CHECKING:
    from cuebridge.engine.settings import EngineSettings

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 50051
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
CHANNEL_OPTIONS = [
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
]
# The bridge retries an engine that went away; without a short backoff gRPC would wait up to
# two minutes before noticing that it is back.
ENGINE_CHANNEL_OPTIONS = [
    *CHANNEL_OPTIONS,
    ("grpc.initial_reconnect_backoff_ms", 500),
    ("grpc.min_reconnect_backoff_ms", 500),
    ("grpc.max_reconnect_backoff_ms", 2000),
]
HEALTH_CHECK_S = 1.0
# Streams are bounded well below this (bridge 48 watchers, engine 80), so unary calls and health
# always find a thread.
SERVER_THREADS = 160
ENGINE_SERVICE = engine_pb2.DESCRIPTOR.services_by_name["CueEngine"].full_name
BRIDGE_SERVICE = bridge_pb2.DESCRIPTOR.services_by_name["Bridge"].full_name


@dataclass
class RunningServer:
    server: grpc.Server
    host: str
    port: int
    jobs: JobQueue | None  # None when the engine is remote
    engine_channel: grpc.Channel
    bridge: BridgeService
    http: HttpGateway | None = None  # the HTTP/JSON face, when started with http_port
    health_stop: threading.Event = field(default_factory=threading.Event)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def stop(self, grace: float = 2.0) -> None:
        """Checkpoint first (the cue in progress finishes, the rest stays queued in the store),
        so watchers are told the engine is stopping, then stop serving."""
        self.health_stop.set()
        self.bridge.close()  # dialogue reads stop; their scores resume on the next start
        if self.http is not None:
            self.http.stop()
        if self.jobs is not None:
            self.jobs.close(drain_s=max(grace, 0.1) * 5)
            self.jobs.registry.close()  # Ray replicas and worker processes go back
        self.server.stop(grace).wait()
        self.engine_channel.close()
        if self.jobs is not None:
            self.jobs.store.close()
        if self.bridge.store is not None:
            self.bridge.store.close()

    def wait(self) -> None:
        self.server.wait_for_termination()


def start_server(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    engine_target: str | None = None,
    output_root: Path | None = None,
    registry: ModelRegistry | None = None,
    state_dir: Path | None = None,
    resume: bool = False,
    limits: EngineLimits | None = None,
    token: str | None = None,
    http_port: int | None = None,
    tls: tuple[Path, Path] | None = None,
    engine_ca: Path | None = None,
    keep_days: float = 30.0,
    ray: str | None = None,
    ray_plan: RayPlan | None = None,
    settings: EngineSettings | None = None,
) -> RunningServer:
    """Start serving; port 0 picks a free one (tests). Returns once the port is bound.

    The engine keeps its jobs and cue cache in `state_dir` (default: the user's data folder);
    `resume` queues again the jobs an earlier, stopped or killed engine left unfinished, after
    forgetting finished jobs older than `keep_days` and cached cues whose files are gone.
    Security (bridge/security.py): with `token` every call but health and reflection needs it;
    `http_port` starts the HTTP/JSON gateway beside gRPC (0: a free port; needs the token);
    `ray`: a Ray cluster address ("auto", "local", HOST:PORT) whose workers run the models
    (engine/ray_pool.py); jobs, the cue cache and the store stay here.
    `tls` = (cert, key) PEM files, required to listen beyond loopback. `engine_ca`: the PEM
    certificate (or CA) of a remote engine that serves TLS; the bridge then talks TLS to it.
    `settings`: the engine's, built once by the caller (default: from `state_dir` and the env).
    """
    check_bind(host, tls, token_on=token is not None)
    memory.limit_arenas()
    settings = settings or engine_settings(state_dir)  # a command's Session builds them once
    if resume and engine_target is None and registry is None and ray is None:
        # The composer's workers' forkserver loads the font on another core while this process
        # imports the models and binds (the warm-up then finds it running; `serve` may have
        # started it already: then nothing is done twice).
        start_early_in_background(settings)
    if ray is not None and engine_target is None and registry is None:
        connect_ray(ray)  # before binding: a cluster that cannot be joined leaves nothing open
        registry = ray_registry(settings, ray_plan or RayPlan())
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=SERVER_THREADS),
        # gRPC sets SO_REUSEPORT on Linux by default: a second serve would bind beside the first
        options=[*CHANNEL_OPTIONS, ("grpc.so_reuseport", 0)],
        interceptors=[*([TokenInterceptor(token)] if token else []), ErrorGuard()],
    )
    try:
        if tls:
            bound = server.add_secure_port(f"{host}:{port}", server_credentials(tls))
        else:
            bound = server.add_insecure_port(f"{host}:{port}")
    except RuntimeError:  # newer grpcio raises where older ones returned 0
        bound = 0
    if bound == 0:
        owner = port_owner(port) if port else None
        held = f"{owner} already listens there" if owner else "is another cuebridge serving?"
        raise OSError(f"cannot listen on {host}:{port}: {held}; stop it or pick another --port")
    internal = internal_target(server, host, bound, tls)  # how this process calls itself
    names = [BRIDGE_SERVICE]
    jobs = None
    state = settings.state_dir
    if engine_target is None:
        jobs = JobQueue(
            registry or ModelRegistry(settings=settings),
            output_root or state / "cues",
            JobStore(state / "engine.sqlite3"),
            limits or EngineLimits(),
        )
        if resume:  # a long-lived engine (serve): its first cue should cost what a warm one does
            jobs.warm_up()
            jobs.prune(keep_days)
            jobs.resume()
        engine_pb2_grpc.add_CueEngineServicer_to_server(CueEngineService(jobs), server)
        names.append(ENGINE_SERVICE)
        engine_target = internal
    engine_key = token if jobs is not None else engine_token(engine_target)
    remote_ca = engine_ca if jobs is None else None  # our own engine is reached in-process
    channel = authorized_channel(
        engine_target, engine_key, root_cert=remote_ca, options=ENGINE_CHANNEL_OPTIONS
    )
    # A long-lived server (resume) keeps its scores in a store and picks up unfinished ones; the
    # CLI's own in-process server keeps them for the one command.
    scores = ScoreStore(state / "bridge.sqlite3") if resume else None
    if scores is not None:
        scores.prune(keep_days)
    # A remote engine may not share our disk: the bridge fetches cue bytes and writes them.
    bridge = BridgeService(channel, engine_target, scores, fetch_cues=jobs is None)
    bridge_pb2_grpc.add_BridgeServicer_to_server(bridge, server)

    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    serving = jobs is None or not jobs.problem()  # NOT_SERVING while the model warms up
    for name in ["", *names]:
        health_servicer.set(
            name,
            health_pb2.HealthCheckResponse.SERVING
            if serving
            else health_pb2.HealthCheckResponse.NOT_SERVING,
        )
    reflection.enable_server_reflection(
        [*names, health.SERVICE_NAME, reflection.SERVICE_NAME], server
    )
    server.start()
    running = RunningServer(server, host, bound, jobs, channel, bridge)
    bridge.resume()
    if jobs is not None:
        threading.Thread(
            target=_report_health,
            args=(jobs, health_servicer, ["", *names], running.health_stop, serving),
            name="engine-health",
            daemon=True,
        ).start()
    if http_port is not None:
        try:
            running.http = start_http_gateway(internal, token or "", host, http_port, tls)
        except Exception:
            running.stop(0)
            raise
    return running


def _report_health(
    jobs: JobQueue,
    servicer: health.HealthServicer,
    names: list[str],
    stop: threading.Event,
    serving: bool,
) -> None:
    """NOT_SERVING while no job can run (warming up, a stopped worker, a store that cannot be
    written), so a supervisor or load balancer sees it; SERVING again once it recovers."""
    busy = False
    while not stop.wait(HEALTH_CHECK_S):
        now_busy = jobs.busy()
        if busy and not now_busy:
            memory.trim()  # a burst is over: give its freed memory back
        busy = now_busy
        problem = jobs.problem()
        if bool(problem) == serving:  # a change: report it
            serving = not problem
            status = health_pb2.HealthCheckResponse
            for name in names:
                servicer.set(name, status.SERVING if serving else status.NOT_SERVING)
            if problem:
                log.error("the engine cannot run jobs: %s", problem)
            else:
                log.warning("the engine runs jobs again")
