"""`cuebridge demo`: a short film with cue markers, scored, and how to open the result."""

from __future__ import annotations

import json
import sys
from fractions import Fraction
from pathlib import Path

import click

from cuebridge.app.commands.common import EXIT_OK, EXIT_PARTIAL, RATE, fail
from cuebridge.app.commands.score import require_default_model, run_score
from cuebridge.app.session import Session
from cuebridge.v1 import bridge_pb2 as bpb


@click.command()
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--rate", type=RATE, default="24", show_default=True)
@click.option("--force", is_flag=True, help="Replace an existing demo in FOLDER.")
def demo(folder: Path | None, rate: Fraction, force: bool) -> None:
    """Make a short film with cue markers, score it, and say how to open the result.

    FOLDER defaults to demo/ in the cuebridge data folder ($CUEBRIDGE_DATA_DIR), which is
    cuebridge's own: a demo there is made again on each run. A FOLDER you name needs --force.
    """
    from cuebridge.app.demo_film import default_demo_folder, make_demo_film

    if folder is None:  # our own folder: the README's first command works every time it is run
        folder, force = default_demo_folder(), True
    folder = folder.resolve()
    output = folder / "demo.scored.otio"
    if output.exists() and not force:
        fail(f"{output} already exists: pass --force to make the demo again, or another FOLDER")
    session = Session()
    require_default_model(session)  # before any file is written: no half-made demo
    folder.mkdir(parents=True, exist_ok=True)
    click.echo(f"making a {float(rate):g} fps demo film in {folder} ...", err=True)
    film = make_demo_film(folder, rate=rate)
    request = bpb.ScoreRequest(
        timeline_path=str(film.timeline_path),
        output_path=str(output),
        force=force,
        cue_dir=str(folder / "cues"),
    )
    code = run_score(session, request, as_json=False)
    if code not in (EXIT_OK, EXIT_PARTIAL):
        sys.exit(code)
    xml = folder / "demo.scored.xml"
    session.convert(output, xml, force=True)
    click.echo(
        json.dumps(
            {
                "film": str(film.film_path),
                "timeline": str(film.timeline_path),
                "scored_otio": str(output),
                "scored_fcp7_xml": str(xml),
                "cues": str(folder / "cues"),
            },
            indent=2,
        )
    )
    click.echo(
        "\nOpen it:\n"
        f"  DaVinci Resolve 18.5+: File > Import > Timeline... and pick {output.name}\n"
        f"  Premiere Pro: File > Import... and pick {xml.name} (FCP 7 XML)\n"
        '  Each cue sits on the audio track "Score" under its marker; the WAVs and MIDI files '
        "are in cues/."
    )
    sys.exit(code)
