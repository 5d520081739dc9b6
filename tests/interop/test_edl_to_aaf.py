"""An EDL to AAF is a studio's everyday path to Pro Tools: it converts, and what the AAF writer
cannot carry is said in the editor's words, never with OpenTimelineIO's internals."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cuebridge.app.commands.common import EXIT_BAD_INPUT, EXIT_OK
from cuebridge.app.main import main
from cuebridge.bridge.timeline_io import read_timeline

EDL = Path(__file__).resolve().parents[1] / "data" / "interop" / "edl"


@pytest.fixture
def cli():
    runner = CliRunner()
    return lambda *args: runner.invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.parametrize("name", ["gap_test.edl", "multi_audio.edl", "premiere_example.edl"])
def test_an_edl_converts_to_aaf(cli, tmp_path, name):
    src = tmp_path / name
    shutil.copy(EDL / name, src)
    out = tmp_path / "cut.aaf"
    result = cli("convert", src, out)
    assert result.exit_code == EXIT_OK, result.output
    names = [c.name for c in read_timeline(src).find_clips()]
    assert [c.name for c in read_timeline(out).find_clips()] == names


def test_what_aaf_cannot_carry_is_said_without_otio_internals(cli, tmp_path):
    src = tmp_path / "dissolve.edl"
    shutil.copy(EDL / "dissolve_test.edl", src)
    out = tmp_path / "cut.aaf"
    result = cli("convert", src, out)
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    message = result.stderr
    assert str(out) in message and "dissolve" in message.lower() and ".xml" in message
    for internal in ("<class", "opentimelineio", "_otio", "metadata[", "does not exist"):
        assert internal not in message, message
    assert not out.exists()
