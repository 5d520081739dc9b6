"""`cuebridge install-plugin`: the Resolve script or the Premiere panel, from this checkout."""

from __future__ import annotations

from pathlib import Path

import click

from cuebridge.app.commands.common import fail


@click.command("install-plugin")
@click.argument("host", type=click.Choice(["resolve", "premiere"]))
@click.option(
    "--target",
    type=click.Path(file_okay=False, path_type=Path),
    help="Install here instead of the host's usual folder.",
)
@click.option(
    "--bridge-url",
    default="http://127.0.0.1:50052",
    show_default=True,
    help="The HTTP/JSON face of `cuebridge serve` the plugin calls.",
)
def install_plugin(host: str, target: Path | None, bridge_url: str) -> None:
    """Install the DaVinci Resolve script or the Premiere Pro panel (from this checkout)."""
    from cuebridge.bridge.errors import BridgeError

    try:
        if host == "resolve":
            from cuebridge.app.install_resolve import install_resolve

            where = install_resolve(target, bridge_url=bridge_url)
            click.echo(
                f"installed {where}\nIn Resolve: Workspace > Scripts > "
                f"{where.stem}. Start the bridge first: cuebridge serve"
            )
        else:
            from cuebridge.app.install_premiere import install_premiere

            where = install_premiere(target, bridge_url=bridge_url)
            click.echo(
                f"installed {where}\nIn UXP Developer Tool: Add Plugin > "
                f"{where / 'manifest.json'}, then Load. Start the bridge first: "
                "cuebridge serve"
            )
    except (BridgeError, FileExistsError, OSError) as exc:
        fail(str(exc))
