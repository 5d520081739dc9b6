"""The music cue sheet written with every score, read back and checked against the timeline."""

from __future__ import annotations

import csv
import json
import shutil
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
from click.testing import CliRunner

from cuebridge.app.commands.common import EXIT_BAD_INPUT, EXIT_OK
from cuebridge.app.main import main
from cuebridge.bridge.cue_sheet import COLUMNS, USAGE


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames) == COLUMNS
        return list(reader)


def _tc(frame: int, rate: Fraction) -> str:
    return otio.opentime.to_timecode(otio.opentime.RationalTime(frame, float(rate)), float(rate))


def test_every_score_writes_a_cue_sheet_that_matches_the_timeline(demo24, tmp_path):
    src = tmp_path / "cut.otio"
    shutil.copy(demo24.timeline_path, src)
    result = _run("score", src, "--json", "--seed", "3")
    assert result.exit_code == EXIT_OK, result.output
    job = json.loads(result.stdout)["result"]
    sheet = Path(job["cue_sheet_path"])
    assert sheet == tmp_path / "cut.scored.cuesheet.csv"
    rows = _read(sheet)
    placements = sorted(job["placements"], key=lambda p: int(p["record_start_frame"]))
    assert len(rows) == len(placements) == len(demo24.markers)
    timeline = otio.adapters.read_from_file(job["output_path"])
    offset = round(timeline.global_start_time.value) if timeline.global_start_time else 0
    for n, (row, p) in enumerate(zip(rows, placements, strict=True), 1):
        start = offset + int(p["record_start_frame"])
        length = int(p["record_duration_frames"])
        assert row["Cue No"] == str(n)
        assert row["Timecode In"] == _tc(start, Fraction(24))
        assert row["Timecode Out"] == _tc(start + length, Fraction(24))
        minutes, seconds = row["Duration"].split(":")
        assert int(minutes) * 60 + int(seconds) == -(-length // 24)
        assert row["Usage"] == USAGE
        assert row["Model"] == p["cue"]["model"] == "composer"
        assert row["Seed"] == str(p["cue"]["metadata"]["seed"])
        assert row["Engine Version"] == p["cue"]["metadata"]["engine_version"]
        assert Path(row["File"]) == Path(p["cue"]["audio_path"]).resolve()
        assert "composer" in row["Composer"]

    # `cuebridge cuesheet` on the scored timeline, and on its FCP 7 XML, gives the same timing.
    again = tmp_path / "again.csv"
    assert _run("cuesheet", job["output_path"], "-o", again).exit_code == EXIT_OK
    assert _read(again) == rows
    xml = tmp_path / "cut.scored.xml"
    assert _run("convert", job["output_path"], xml).exit_code == EXIT_OK
    from_xml = tmp_path / "xml.csv"
    assert _run("cuesheet", xml, "-o", from_xml).exit_code == EXIT_OK
    keys = ("Cue No", "Timecode In", "Timecode Out", "Duration", "Usage")
    assert [{k: r[k] for k in keys} for r in _read(from_xml)] == [
        {k: r[k] for k in keys} for r in rows
    ]
    # An existing sheet is not replaced without --force; a timeline with no score is refused.
    refused = _run("cuesheet", job["output_path"], "-o", again)
    assert refused.exit_code == EXIT_BAD_INPUT and "--force" in refused.stderr
    unscored = _run("cuesheet", src)
    assert unscored.exit_code == EXIT_BAD_INPUT and "no cues on a Score track" in unscored.stderr
