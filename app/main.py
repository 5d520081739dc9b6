"""The `cuebridge` command line: the group, and the commands from app/commands/ put on it.

Exit codes are in app/commands/common.py (0 done, 2 bad input, 3 partial, 4 failed, 5 engine,
130 interrupted).
"""

from __future__ import annotations

import click

from cuebridge.app.commands.batch import batch
from cuebridge.app.commands.convert import convert_cmd
from cuebridge.app.commands.cuesheet import cuesheet_cmd
from cuebridge.app.commands.demo import demo
from cuebridge.app.commands.extract_features import extract_features_command
from cuebridge.app.commands.inspect import inspect
from cuebridge.app.commands.install_plugin import install_plugin
from cuebridge.app.commands.models import models
from cuebridge.app.commands.moods import moods_command
from cuebridge.app.commands.score import score
from cuebridge.app.commands.serve import serve
from cuebridge.app.commands.train_adapter import train_adapter_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cuebridge")
def main() -> None:
    """cuebridge: music that fits the picture, scored onto your timeline."""


# The training commands import no torch until they run; training needs cuebridge[musicgen].
for command in (serve, score, batch, convert_cmd, inspect, cuesheet_cmd, models, install_plugin,
                demo, train_adapter_command, extract_features_command, moods_command):  # fmt: skip
    main.add_command(command)
