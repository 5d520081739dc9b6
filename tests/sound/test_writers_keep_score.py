"""Each timeline writer, read back: the Score track's name and the cue's provenance survive
wherever the format can carry them, and the cue's timing survives everywhere."""

from __future__ import annotations

import json
import shutil
import warnings

import opentimelineio as otio
import pytest
from click.testing import CliRunner

from cuebridge.app.cli import EXIT_OK, main
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
        meta = p["cue"]["metadata"]
        assert provenance_from(clip) == {
            "prompt": meta["prompt"],
            "mood": meta["mood"],
            "seed": meta["seed"],
            "model": "composer",
        }
        start = clip.range_in_parent().start_time.rescaled_to(24).value
        assert round(start) == int(p["record_start_frame"])
        assert round(clip.duration().rescaled_to(24).value) == int(p["record_duration_frames"])
