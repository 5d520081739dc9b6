"""A cue sheet is a delivery like the timeline beside it: never replaced without --force, one per
output (an .aaf and then an .xml of one cut keep their own), written with the umask's mode."""

from __future__ import annotations

import os
import shutil

from cuebridge.app.commands.common import EXIT_BAD_INPUT
from cuebridge.bridge.cue_sheet import cue_sheet_path, write_cue_sheet
from cuebridge.safe_files import new_file_mode

PREVIOUS = "the sheet filed last week\n"


def test_each_output_format_has_its_own_cue_sheet(tmp_path):
    sheets = {cue_sheet_path(tmp_path / f"cut{s}") for s in (".otio", ".otioz", ".aaf", ".xml")}
    assert len(sheets) == 4
    assert all(p.parent == tmp_path and p.name.endswith(".cuesheet.csv") for p in sheets)
    assert cue_sheet_path(tmp_path / "cut.otio").name == "cut.cuesheet.csv"  # as documented


def test_an_existing_cue_sheet_is_not_replaced_without_force(cli, demo24, tmp_path):
    src = tmp_path / "cut.otio"
    shutil.copy(demo24.timeline_path, src)
    out = tmp_path / "cut.scored.aaf"
    sheet = cue_sheet_path(out)
    sheet.write_text(PREVIOUS)
    result = cli("score", src, "-o", out, "--seed", "3")
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert str(sheet) in result.stderr and "--force" in result.stderr
    assert sheet.read_text() == PREVIOUS
    assert not out.exists()


def test_a_cue_sheet_gets_the_umask_mode(tmp_path):
    import opentimelineio as otio

    sheet = write_cue_sheet(otio.schema.Timeline(name="empty"), tmp_path / "cut.cuesheet.csv")
    assert os.stat(sheet).st_mode & 0o777 == new_file_mode() != 0o600
