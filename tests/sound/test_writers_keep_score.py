"""Each timeline writer, read back: the Score track's name and the cue's provenance survive
wherever the format can carry them, and the cue's timing survives everywhere."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import opentimelineio as otio
import pytest
from click.testing import CliRunner

from cuebridge.app.commands.common import EXIT_OK
from cuebridge.app.main import main
from cuebridge.bridge.provenance import provenance_from


@pytest.fixture(scope="module")
def scored(demo_films, tmp_path_factory):
    from fractions import Fraction

    demo = demo_films[Fraction(24)]
    tmp = tmp_path_factory.mktemp("writers")
    src = tmp / "cut.otio"
    shutil.copy(demo.timeline_path, src)
    result = CliRunner().invoke(main, ["score", str(src), "--json", "--seed", "9"])
    assert result.exit_code == EXIT_OK, result.output
    return json.loads(result.stdout)["result"], tmp


def _read(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return otio.adapters.read_from_file(str(path))


def _assert_kept(clip: otio.schema.Clip, placement: dict) -> None:
    """The cue clip read back has its provenance and sits on the placement's frames."""
    meta = placement["cue"]["metadata"]
    assert provenance_from(clip) == {
        "prompt": meta["prompt"],
        "mood": meta["mood"],
        "seed": meta["seed"],
        "model": "composer",
    }
    start = clip.range_in_parent().start_time.rescaled_to(24).value
    assert round(start) == int(placement["record_start_frame"])
    duration = round(clip.duration().rescaled_to(24).value)
    assert duration == int(placement["record_duration_frames"])


# Formats whose OpenTimelineIO writer can carry a track name and free text per clip.
@pytest.mark.parametrize("suffix", [".otio", ".otioz", ".xml"])
def test_the_score_track_and_the_cue_provenance_survive(scored, suffix):
    result, tmp = scored
    out = tmp / f"again{suffix}"
    done = CliRunner().invoke(main, ["convert", result["output_path"], str(out), "--force"])
    assert done.exit_code == EXIT_OK, done.output
    timeline = _read(out)
    score = [t for t in timeline.audio_tracks() if t.name == "Score"]
    assert len(score) == 1, [t.name for t in timeline.audio_tracks()]
    clips = score[0].find_clips()
    placements = sorted(result["placements"], key=lambda p: int(p["record_start_frame"]))
    assert len(clips) == len(placements)
    for clip, p in zip(clips, placements, strict=True):
        _assert_kept(clip, p)


def test_fcpxml_gives_each_cue_the_score_role_and_its_provenance_as_a_note(scored):
    """FCPXML lanes have no names: FCP sorts audio by role, and shows a clip's note."""
    import xml.etree.ElementTree as ET

    result, tmp = scored
    out = tmp / "again.fcpxml"
    done = CliRunner().invoke(main, ["convert", result["output_path"], str(out), "--force"])
    assert done.exit_code == EXIT_OK, done.output
    text = out.read_text()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>')
    root = ET.fromstring(text)
    assets = {a.get("id"): a.get("src") for a in root.iter("asset")}
    notes = {}
    for clip in root.iter("clip"):
        for audio in clip.iter("audio"):
            if audio.get("role"):
                notes[assets[audio.get("ref")]] = (audio.get("role"), clip.findtext("note"))
                assert list(clip)[0].tag == "note"  # where FCPXML's DTD puts it
    assert len(notes) == len(result["placements"])
    for p in result["placements"]:
        meta = p["cue"]["metadata"]
        role, note = notes[Path(p["cue"]["audio_path"]).resolve().as_uri()]
        assert role == "music.Score"
        for field in (f"prompt: {meta['prompt']}", f"mood: {meta['mood']}", "model: composer"):
            assert field in note
        assert f"seed: {meta['seed']}" in note
    # Still a timeline OTIO reads, the cues on their frames.
    back = _read(out)  # held: a clip's parents live as long as their timeline
    clips = {c.name: c for t in back.audio_tracks() for c in t.find_clips()}
    for p in result["placements"]:
        clip = clips[p["name"]]
        start = clip.range_in_parent().start_time.rescaled_to(24).value
        assert round(start) == int(p["record_start_frame"])


def test_aaf_names_the_score_slot_and_gives_each_master_clip_its_provenance(scored):
    """Avid reads slot names and master-clip user comments (the bin's columns)."""
    import aaf2

    result, tmp = scored
    out = tmp / "again.aaf"
    done = CliRunner().invoke(main, ["convert", result["output_path"], str(out), "--force"])
    assert done.exit_code == EXIT_OK, done.output
    with aaf2.open(str(out), "r") as f:
        [composition] = list(f.content.compositionmobs())
        assert "Score" in [slot.name for slot in composition.slots]
    # The OTIO AAF reader gives the comments back, and the cues sit on their frames.
    back = _read(out)  # held: a clip's parents live as long as their timeline
    clips = {c.name: c for t in back.audio_tracks() for c in t.find_clips()}
    for p in result["placements"]:
        _assert_kept(clips[p["name"]], p)
