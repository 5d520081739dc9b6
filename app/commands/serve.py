"""`cuebridge serve`: host the Bridge and the CueEngine until stopped."""

from __future__ import annotations

import dataclasses
import logging
import signal
from pathlib import Path

import click

from cuebridge.app.commands.common import ENGINE_CA, EXIT_ENGINE, fail


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=50051, show_default=True, type=int, help="0 picks a free port.")
@click.option(
    "--engine", metavar="HOST:PORT", help="Use a remote CueEngine instead of hosting one."
)
@ENGINE_CA
@click.option(
    "--output-root",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the engine writes cues when a request names no folder.",
)
@click.option(
    "--keep-days",
    type=float,
    default=30.0,
    show_default=True,
    help="On start, forget finished jobs older than this (cue files are kept).",
)
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where jobs and the cue cache persist (default: the user's data folder).",
)
@click.option(
    "--http-port",
    default=50052,
    show_default=True,
    type=int,
    help="HTTP/JSON face for plugins; 0 picks a free port.",
)
@click.option("--no-http", is_flag=True, help="Serve gRPC only.")
@click.option(
    "--tls-cert",
    type=click.Path(dir_okay=False, path_type=Path),
    help="PEM certificate; with --tls-key, needed to listen beyond 127.0.0.1.",
)
@click.option("--tls-key", type=click.Path(dir_okay=False, path_type=Path), help="PEM key.")
@click.option(
    "--ray",
    "ray_address",
    metavar="ADDRESS",
    help="Run the models on a Ray cluster: its head's HOST:PORT, `auto` on a machine of the "
    "cluster, or `local` for this machine alone. Needs cuebridge[ray].",
)
@click.option(
    "--ray-cpus-per-replica",
    type=click.FloatRange(min=0.01),
    default=1.0,
    show_default=True,
    help="CPUs each composer replica takes on the cluster (GPU models take one GPU each).",
)
@click.option(
    "--ray-replicas",
    type=click.IntRange(min=0),
    default=0,
    help="Replicas per model (default: as many as the cluster's GPUs or CPUs allow).",
)
@click.option(
    "--threads",
    type=click.IntRange(min=0),
    default=0,
    help="CPU threads a model's math may use (default: one per core given to this process; "
    "on a busy machine fewer can be much faster).",
)
def serve(
    host: str,
    port: int,
    engine: str | None,
    output_root: Path | None,
    state_dir: Path | None,
    http_port: int,
    no_http: bool,
    tls_cert: Path | None,
    tls_key: Path | None,
    engine_ca: Path | None,
    keep_days: float,
    ray_address: str | None = None,
    ray_cpus_per_replica: float = 1.0,
    ray_replicas: int = 0,
    threads: int = 0,
) -> None:
    """Host the Bridge and the CueEngine services over gRPC until stopped."""
    from cuebridge.app.settings import engine_settings
    from cuebridge.engine.models.composer.workers import start_early_in_background

    if bool(tls_cert) != bool(tls_key):
        fail("give both --tls-cert and --tls-key, or neither")
    if ray_address and engine:
        fail("--ray runs this server's own engine on a cluster; --engine uses another: pick one")
    settings = dataclasses.replace(engine_settings(state_dir), threads=threads)
    if not (engine or ray_address):  # first thing: the font loads while the server starts
        start_early_in_background(settings)
    from cuebridge.app.host import start_server
    from cuebridge.bridge.security import SecurityError, load_or_create_token, token_path
    from cuebridge.engine.ray_pool import RayPlan, RayUnavailable

    try:
        token = load_or_create_token()  # every call must carry it; plugins read the file
        server = start_server(
            host,
            port,
            engine_target=engine,
            engine_ca=engine_ca,
            keep_days=keep_days,
            output_root=output_root,
            state_dir=state_dir,
            resume=True,
            token=token,
            http_port=None if no_http else http_port,
            tls=(tls_cert, tls_key) if tls_cert and tls_key else None,
            ray=ray_address,
            ray_plan=RayPlan(ray_cpus_per_replica, ray_replicas),
            settings=settings,
        )
    except RayUnavailable as exc:
        fail(str(exc), EXIT_ENGINE)
    except (OSError, SecurityError) as exc:
        fail(str(exc))
    click.echo(f"cuebridge serving on {server.address} (Ctrl-C to stop)", err=True)
    if server.http is not None:
        click.echo(f"HTTP/JSON on {server.http.url}", err=True)
    click.echo(f"token file: {token_path()}", err=True)
    if server.jobs is not None and server.jobs.store.moved_aside:
        click.secho(
            f"warning: the job store was damaged and is kept at {server.jobs.store.moved_aside};"
            " a new one was started (unfinished jobs there are not resumed; cue files are safe)",
            fg="yellow",
            err=True,
        )
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    signal.signal(signal.SIGTERM, _interrupt)  # SIGTERM stops as gently as Ctrl-C
    try:
        server.wait()
    except KeyboardInterrupt:
        click.echo(
            "stopping: the cue in progress finishes; queued cues resume on the next start", err=True
        )
    finally:
        server.stop(grace=5)


def _interrupt(*_) -> None:
    raise KeyboardInterrupt
