"""`cuebridge moods`: the moods `--mood` and a marker's `mood:` accept."""

from __future__ import annotations

import json

import click

from cuebridge.moods import MOODS, STYLE_NAMES, listed


@click.command("moods")
@click.option("--json", "as_json", is_flag=True, help="Print the moods as JSON.")
def moods_command(as_json: bool) -> None:
    """List the moods: the composer's styles, and feeling words that each score as a style.

    Use one with --mood (cues whose marker sets none) or as `mood: tense` in a marker's comment;
    anything else is refused. A scene described in the prompt needs no mood."""
    if as_json:
        rows = [{"name": m.name, "style": m.style, "description": m.description} for m in listed()]
        click.echo(json.dumps(rows, indent=2))
        return
    for style in STYLE_NAMES:
        words = [m.name for m in MOODS.values() if m.style == style and m.name != style]
        click.echo(f"{style:<9s} {MOODS[style].description}")
        click.echo(f"{'':9s} also: {', '.join(words)}")
