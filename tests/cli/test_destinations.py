"""Every destination is checked before any work: exit 2 with the path and what to do."""

from __future__ import annotations

import errno
import shutil
from types import SimpleNamespace

from cuebridge.app.commands.common import EXIT_BAD_INPUT
from cuebridge.engine.jobs import _problem


def test_score_into_an_unwritable_folder_is_refused_before_any_cue(cli, demo24, tmp_path):
    src = tmp_path / "cut.otio"
    shutil.copy(demo24.timeline_path, src)
    cues = tmp_path / "cues"
    result = cli("score", src, "-o", "/proc/sys/cut.scored.otio", "--cue-dir", cues)
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert "/proc/sys" in result.stderr and "writable" in result.stderr
    assert "internal error" not in result.output
    assert not cues.exists()  # no cue was made


def test_score_with_an_uncreatable_cue_folder_is_refused_first(cli, demo24, tmp_path):
    src = tmp_path / "cut.otio"
    shutil.copy(demo24.timeline_path, src)
    out = tmp_path / "cut.scored.otio"
    result = cli("score", src, "-o", out, "--cue-dir", "/proc/sys/cues")
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert "/proc/sys/cues" in result.stderr and "--cue-dir" in result.stderr
    assert not out.exists()


def test_convert_into_an_unwritable_folder_exits_2_without_a_traceback(cli, demo24):
    result = cli("convert", demo24.timeline_path, "/proc/sys/cut.xml")
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert "/proc/sys" in result.stderr and "writable" in result.stderr


def test_the_engine_advice_fits_the_error():
    job = SimpleNamespace(output_dir="/srv/cues", model="composer")
    denied = _problem(PermissionError(errno.EACCES, "Permission denied"), job)
    assert "/srv/cues" in denied and "free some space" not in denied
    assert "--output-root" not in denied and "writable" in denied and "--cue-dir" in denied
    full = _problem(OSError(errno.ENOSPC, "No space left on device"), job)
    assert "free some space" in full
