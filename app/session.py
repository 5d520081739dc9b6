"""The one way a command reaches a bridge: the settings, built once, and where the engine is.

Local (no `engine`): a Bridge and a CueEngine on a free loopback port in this process, built from
`settings`. Remote (`engine` HOST:PORT, TLS with `engine_ca`): the bridge in this process talks to
that engine. `cuebridge models` and the in-process readiness check ask the same registry the local
engine would serve, so they see CUEBRIDGE_* and the user's fonts exactly as `score` does.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from cuebridge.app.settings import engine_settings
from cuebridge.engine.settings import EngineSettings
from cuebridge.v1 import bridge_pb2_grpc as bpb_grpc
from cuebridge.v1 import engine_pb2 as pb


@dataclass(frozen=True)
class Session:
    engine: str | None = None
    engine_ca: Path | None = None
    settings: EngineSettings = field(default_factory=engine_settings)

    @property
    def local(self) -> bool:
        return not self.engine

    @contextlib.contextmanager
    def bridge(self) -> Iterator[bpb_grpc.BridgeStub]:
        """A Bridge on a free loopback port in this process, using the engine or its own."""
        from cuebridge.app.host import CHANNEL_OPTIONS, start_server
        from cuebridge.bridge.security import authorized_channel

        token = secrets.token_urlsafe(32)  # this process's own: its loopback port is open meanwhile
        server = start_server(
            "127.0.0.1",
            0,
            engine_target=self.engine,
            token=token,
            engine_ca=self.engine_ca,
            settings=self.settings,
        )
        channel = authorized_channel(server.address, token, options=CHANNEL_OPTIONS)
        try:
            yield bpb_grpc.BridgeStub(channel)
        finally:
            channel.close()
            server.stop(grace=0.5)

    def convert(
        self, source: Path, output: Path, *, force: bool = False, rate: Fraction | None = None
    ) -> Path:
        """A timeline into another format. The bridge's own work: no engine is started for it."""
        from cuebridge.bridge.scoring import convert

        return convert(source, output, force=force, rate=rate)

    def cue_sheet(self, scored: Path, output: Path | None = None, *, force: bool = False) -> Path:
        """The cue sheet of a scored timeline (the bridge's own work, no engine)."""
        from cuebridge.bridge.cue_sheet import cue_sheet_for

        return cue_sheet_for(scored, output, force=force)

    def engine_info(self) -> pb.EngineInfo:
        """The models and their readiness: asked of the remote engine, or of the registry the
        in-process engine would serve (raises grpc.RpcError when a remote one cannot answer)."""
        if self.engine:
            from cuebridge.bridge.security import authorized_channel, engine_token
            from cuebridge.v1 import engine_pb2_grpc

            with authorized_channel(
                self.engine, engine_token(self.engine), root_cert=self.engine_ca
            ) as channel:
                stub = engine_pb2_grpc.CueEngineStub(channel)
                return stub.GetEngineInfo(pb.EngineInfoRequest(), timeout=30)
        from cuebridge.engine.registry import ModelRegistry
        from cuebridge.engine.service import engine_info

        return engine_info(ModelRegistry(settings=self.settings))
