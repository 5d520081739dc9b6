"""The dialogue options on the command line: --dialogue-tracks, --no-dialogue, --duck."""

from __future__ import annotations

import json

import opentimelineio as otio
from click.testing import CliRunner

from cuebridge.app.commands.common import EXIT_BAD_INPUT, EXIT_OK
from cuebridge.app.main import main
from tests.dialogue.scene import audio_clip, dialogue_file, scene_timeline


def _cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_score_reads_the_named_dialogue_track_and_dips_as_asked(tmp_path):
    path, _ = dialogue_file(tmp_path, "dx.wav")
    timeline = scene_timeline({"DX": [audio_clip(path, 0, 13 * 24, 14 * 24)]}, 13 * 24)
    src = tmp_path / "scene.otio"
    otio.adapters.write_to_file(timeline, str(src))

    plain = _cli("score", src, "--dialogue-tracks", "A1", "--duck", "-9")
    assert plain.exit_code == EXIT_OK, plain.output
    assert "dialogue read: 3 line(s) under 1 cue(s)" in plain.stdout

    result = _cli("score", src, "--dialogue-tracks", "DX", "--duck", "-9", "--force", "--json")
    assert result.exit_code == EXIT_OK, result.output
    [placement] = json.loads(result.stdout)["result"]["placements"]
    assert placement["cue"]["duck_db"] == -9 and placement["cue"]["duck_keyframes"]

    off = _cli("score", src, "--no-dialogue", "--force", "--json")
    [placement] = json.loads(off.stdout)["result"]["placements"]
    assert placement["cue"]["speech"] == [] and placement["cue"]["duck_db"] == 0


def test_a_bad_duck_level_is_named_before_anything_runs(tmp_path):
    result = _cli("score", tmp_path / "missing.otio", "--duck", "loud")
    assert result.exit_code == EXIT_BAD_INPUT
    assert "--duck 'loud'" in result.output and "-6" in result.output
