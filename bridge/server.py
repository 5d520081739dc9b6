"""One local process hosting both services: `cuebridge serve`, or in-process for the CLI.

By default the Bridge talks to the CueEngine in the same process over loopback gRPC, the same way
it talks to an engine on a GPU machine (`--engine HOST:PORT`), so there is one code path.
"""

from __future__ import annotations

from concurrent import futures
from dataclasses import dataclass
from pathlib import Path

import grpc
import platformdirs
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from bridge.service import BridgeService
from cuebridge.v1 import bridge_pb2, bridge_pb2_grpc, engine_pb2, engine_pb2_grpc
from engine.jobs import JobQueue
from engine.registry import ModelRegistry
from engine.service import CueEngineService

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 50051
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
CHANNEL_OPTIONS = [
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
]
ENGINE_SERVICE = engine_pb2.DESCRIPTOR.services_by_name["CueEngine"].full_name
BRIDGE_SERVICE = bridge_pb2.DESCRIPTOR.services_by_name["Bridge"].full_name


def default_output_root() -> Path:
    return Path(platformdirs.user_data_dir("cuebridge")) / "cues"


@dataclass
class RunningServer:
    server: grpc.Server
    host: str
    port: int
    jobs: JobQueue | None  # None when the engine is remote
    engine_channel: grpc.Channel

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def stop(self, grace: float = 2.0) -> None:
        self.server.stop(grace).wait()
        self.engine_channel.close()
        if self.jobs is not None:
            self.jobs.close()

    def wait(self) -> None:
        self.server.wait_for_termination()


def start_server(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    engine_target: str | None = None,
    output_root: Path | None = None,
    registry: ModelRegistry | None = None,
) -> RunningServer:
    """Start serving; port 0 picks a free one (tests). Returns once the port is bound."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=32), options=CHANNEL_OPTIONS)
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise OSError(
            f"cannot listen on {host}:{port}: is another cuebridge already serving? "
            "Pick another --port"
        )
    names = [BRIDGE_SERVICE]
    jobs = None
    if engine_target is None:
        jobs = JobQueue(registry or ModelRegistry(), output_root or default_output_root())
        engine_pb2_grpc.add_CueEngineServicer_to_server(CueEngineService(jobs), server)
        names.append(ENGINE_SERVICE)
        engine_target = f"{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{bound}"
    channel = grpc.insecure_channel(engine_target, options=CHANNEL_OPTIONS)
    bridge_pb2_grpc.add_BridgeServicer_to_server(BridgeService(channel, engine_target), server)

    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for name in ["", *names]:
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    reflection.enable_server_reflection(
        [*names, health.SERVICE_NAME, reflection.SERVICE_NAME], server
    )
    server.start()
    return RunningServer(server, host, bound, jobs, channel)
