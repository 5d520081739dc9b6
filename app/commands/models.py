"""`cuebridge models`: the models and whether each is ready here."""

from __future__ import annotations

from pathlib import Path

import click
import grpc

from cuebridge.app.commands.common import ENGINE_CA, EXIT_ENGINE, fail, to_json
from cuebridge.app.session import Session


@click.command()
@click.option("--engine", metavar="HOST:PORT", help="Ask a running engine instead.")
@ENGINE_CA
@click.option("--json", "as_json", is_flag=True)
def models(engine: str | None, as_json: bool, engine_ca: Path | None = None) -> None:
    """List the models and whether each is ready here."""
    session = Session(engine, engine_ca)
    try:
        info = session.engine_info()
    except grpc.RpcError as exc:
        fail(f"engine {engine}: {exc.details()}", EXIT_ENGINE)
    if as_json:
        click.echo(to_json(info))
        return
    for m in info.models:
        mark = click.style("ready", fg="green") if m.ready else click.style("not ready", fg="red")
        default = " (default)" if m.is_default else ""
        click.echo(f"{m.name}{default}: {mark} on {m.device or 'cpu'} — {m.description}")
        if m.reason:
            click.echo(f"    {m.reason}")
