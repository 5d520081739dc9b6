"""`cuebridge convert`: a timeline from one format into another, no scoring."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import click

from cuebridge.app.commands.common import RATE, fail


@click.command("convert")
@click.argument("source", type=click.Path(path_type=Path))
@click.argument("output", type=click.Path(path_type=Path))
@click.option("--rate", type=RATE, help="Frame rate for EDL input.")
@click.option("--force", is_flag=True, help="Replace an existing output file.")
def convert_cmd(source: Path, output: Path, rate: Fraction | None, force: bool) -> None:
    """Convert a timeline between formats (no scoring): .otio .otioz .edl .xml .fcpxml .aaf"""
    from cuebridge.app.session import Session
    from cuebridge.bridge.errors import BridgeError

    try:
        out = Session().convert(source, output, force=force, rate=rate)
    except BridgeError as exc:
        fail(str(exc))
    click.echo(f"wrote {out}")
