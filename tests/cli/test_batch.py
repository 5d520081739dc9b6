"""`cuebridge batch`: many reels as one stream of jobs, a summary table, an honest exit status."""

from __future__ import annotations

import json

import opentimelineio as otio
from click.testing import CliRunner

from cuebridge.app.commands.common import EXIT_FAILED, EXIT_OK
from cuebridge.app.demo_film import make_feature_timeline
from cuebridge.app.main import main


def test_a_batch_scores_every_reel_and_a_bad_reel_fails_the_run(tmp_path):
    reels = []
    for n in (1, 2):
        reel = tmp_path / f"reel{n}.otio"
        otio.adapters.write_to_file(make_feature_timeline(minutes=2, cues=2, seed=n), str(reel))
        reels.append(reel)
    broken = tmp_path / "reel3.otio"
    broken.write_text("{ not a timeline")
    out = tmp_path / "scored"
    runner = CliRunner()

    result = runner.invoke(main, ["batch", *map(str, reels), str(broken), "--out", str(out)])
    assert result.exit_code == EXIT_FAILED, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:5] == ["reel", "state", "cues", "placed", "failed"]
    assert lines[1].split()[:5] == ["reel1.otio", "succeeded", "2", "2", "0"]
    assert lines[2].split()[:5] == ["reel2.otio", "succeeded", "2", "2", "0"]
    assert lines[3].split()[:2] == ["reel3.otio", "refused"] and "reel3.otio" in lines[3][12:]
    assert lines[-1] == "3 reel(s): 4/4 cue(s) placed"
    for n in (1, 2):
        scored = otio.adapters.read_from_file(str(out / f"reel{n}.scored.otio"))
        track = next(t for t in scored.audio_tracks() if t.name == "Score")
        assert len(track.find_clips()) == 2
        assert len(list((out / f"reel{n}_cues").glob("*.wav"))) == 2

    again = runner.invoke(main, ["batch", *map(str, reels), "--out", str(out), "--force", "--json"])
    assert again.exit_code == EXIT_OK, again.output
    rows = json.loads(again.stdout)
    assert [(r["state"], r["placed"], r["failed"]) for r in rows] == [("succeeded", 2, 0)] * 2
