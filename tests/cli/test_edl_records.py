"""EDLs as editors write them: Avid/Nucoda FROM CLIP / FROM FILE lines, record timecodes at 1h.

Built here (no sample is copied): three events recorded from 01:00:00:00, media named by
comment lines, one without a file. They must convert and score to FCP 7 XML with exit 0, keep
their record timecodes (the timeline starts at 01:00:00:00), and write back to EDL the same way.
"""

from __future__ import annotations

import json
from pathlib import Path

import opentimelineio as otio
import pytest

from cuebridge.app.commands.common import EXIT_OK

AVID_EDL = """TITLE: AVID_CUT
FCM: NON-DROP FRAME

001  A001C003 V     C        01:00:00:00 01:00:02:00 01:00:00:00 01:00:02:00
* FROM CLIP NAME: Shot_A.mov
* FROM FILE: /media/Shot_A.mov
002  B002C001 V     C        02:00:10:00 02:00:12:00 01:00:02:00 01:00:04:00
* FROM CLIP NAME: Shot_B.mov
* FROM FILE: /media/Shot_B.mov
003  A001C004 V     C        03:00:00:00 03:00:02:00 01:00:04:00 01:00:06:00
* FROM CLIP NAME: Shot_C
"""
HOUR = 24 * 3600


@pytest.fixture
def avid_edl(tmp_path) -> Path:
    path = tmp_path / "avid_cut.edl"
    path.write_text(AVID_EDL)
    return path


def _record_ins(edl: Path) -> list[str]:
    return [line.split()[6] for line in edl.read_text().splitlines() if line[:3].isdigit()]


def test_avid_edl_converts_to_fcp7_xml(cli, avid_edl, tmp_path):
    out = tmp_path / "avid_cut.xml"
    result = cli("convert", avid_edl, out)
    assert result.exit_code == EXIT_OK, result.output
    back = otio.adapters.read_from_file(str(out))
    assert [c.name for c in back.find_clips()] == ["Shot_A.mov", "Shot_B.mov", "Shot_C"]
    assert back.global_start_time.to_frames() == HOUR


def test_avid_edl_scores_to_fcp7_xml_with_exit_0(cli, avid_edl, tmp_path):
    out = tmp_path / "avid_cut.scored.xml"
    cues = tmp_path / "cues"
    result = cli("score", avid_edl, "-o", out, "--segments", "whole", "--cue-dir", cues, "--json")
    assert result.exit_code == EXIT_OK, result.output
    job = json.loads(result.stdout)
    placement = job["result"]["placements"][0]
    assert placement["record_in_timecode"] == "01:00:00:00"
    back = otio.adapters.read_from_file(str(out))
    cue_clips = [
        c
        for t in back.audio_tracks()
        for c in t.find_clips()
        if c.media_reference.target_url.endswith("cue-001.wav")
    ]
    assert len(cue_clips) == 1
    assert sorted(p.suffix for p in cues.iterdir() if p.name[0] != ".") == [".mid", ".wav"]


def test_edl_record_timecodes_are_the_timeline_start(cli, avid_edl, tmp_path):
    info = cli("inspect", avid_edl, "--segments", "whole", "--json")
    assert info.exit_code == EXIT_OK, info.output
    facts = json.loads(info.stdout)
    assert int(facts["global_start_frame"]) == HOUR
    assert facts["segments"][0]["record_in_timecode"] == "01:00:00:00"
    out = tmp_path / "ranged.otio"
    result = cli("score", avid_edl, "--range", "01:00:01:00-01:00:05:00", "-o", out, "--json")
    assert result.exit_code == EXIT_OK, result.output
    placement = json.loads(result.stdout)["result"]["placements"][0]
    assert placement["record_in_timecode"] == "01:00:01:00"
    assert placement["record_out_timecode"] == "01:00:05:00"
    assert otio.adapters.read_from_file(str(out)).global_start_time.to_frames() == HOUR


def test_writing_an_edl_keeps_the_record_timecodes(cli, avid_edl, tmp_path):
    otio_file = tmp_path / "cut.otio"
    assert cli("convert", avid_edl, otio_file).exit_code == EXIT_OK
    edl = tmp_path / "again.edl"
    result = cli("convert", otio_file, edl)
    assert result.exit_code == EXIT_OK, result.output
    assert _record_ins(edl) == ["01:00:00:00", "01:00:02:00", "01:00:04:00"]
    assert _record_ins(avid_edl) == _record_ins(edl)
