"""`cuebridge models`: the models and whether each is ready here."""

from __future__ import annotations

from pathlib import Path

import click
import grpc

from cuebridge.app.commands.common import ENGINE_CA, EXIT_ENGINE, fail, to_json
from cuebridge.v1 import engine_pb2 as pb


@click.command()
@click.option("--engine", metavar="HOST:PORT", help="Ask a running engine instead.")
@ENGINE_CA
@click.option("--json", "as_json", is_flag=True)
def models(engine: str | None, as_json: bool, engine_ca: Path | None = None) -> None:
    """List the models and whether each is ready here."""
    if engine:
        from cuebridge.v1 import engine_pb2_grpc

        try:
            from cuebridge.bridge.security import authorized_channel, engine_token

            with authorized_channel(engine, engine_token(engine), root_cert=engine_ca) as channel:
                info = engine_pb2_grpc.CueEngineStub(channel).GetEngineInfo(
                    pb.EngineInfoRequest(), timeout=30
                )
        except grpc.RpcError as exc:
            fail(f"engine {engine}: {exc.details()}", EXIT_ENGINE)
    else:
        from cuebridge.engine.registry import ModelRegistry
        from cuebridge.engine.service import engine_info

        info = engine_info(ModelRegistry())
    if as_json:
        click.echo(to_json(info))
        return
    for m in info.models:
        mark = click.style("ready", fg="green") if m.ready else click.style("not ready", fg="red")
        default = " (default)" if m.is_default else ""
        click.echo(f"{m.name}{default}: {mark} on {m.device or 'cpu'} — {m.description}")
        if m.reason:
            click.echo(f"    {m.reason}")
