"""The CLI as a test calls it: in process, arguments as strings."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cuebridge.app.main import main


@pytest.fixture
def cli():
    runner = CliRunner()

    def run(*args):
        # catch_exceptions=False: a traceback fails the test instead of becoming exit 1
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return run
