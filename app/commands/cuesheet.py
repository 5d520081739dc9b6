"""`cuebridge cuesheet`: the music cue sheet (CSV) of a scored timeline."""

from __future__ import annotations

from pathlib import Path

import click

from cuebridge.app.commands.common import fail


@click.command("cuesheet")
@click.argument("scored", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV to write. Default: <scored>.cuesheet.csv beside the timeline.",
)
@click.option("--force", is_flag=True, help="Replace an existing cue sheet.")
def cuesheet_cmd(scored: Path, output: Path | None, force: bool) -> None:
    """Write the music cue sheet (CSV) of a scored timeline: cue, in/out, duration, usage ..."""
    from cuebridge.app.session import Session
    from cuebridge.bridge.errors import BridgeError

    try:
        out = Session().cue_sheet(scored, output, force=force)
    except BridgeError as exc:
        fail(str(exc))
    click.echo(f"wrote {out}")
