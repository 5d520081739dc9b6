"""The cue options score and batch share: parsed by click into one CueOptions, mapped onto the
contract by one function (generation_options)."""

from __future__ import annotations

import json
import shutil

import click
from click.testing import CliRunner
from google.protobuf import json_format

from cuebridge.app.commands.common import EXIT_BAD_INPUT, EXIT_OK
from cuebridge.app.commands.cue_options import CueOptions, generation_options, with_cue_options


@click.command()
@with_cue_options
def echo(cue: CueOptions) -> None:
    click.echo(json_format.MessageToJson(generation_options(cue), preserving_proto_field_name=True))


def _parsed(*args: str) -> dict:
    result = CliRunner().invoke(echo, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_each_option_lands_in_its_field_of_the_contract():
    got = _parsed("--model", "musicgen-video", "--takes", "3", "--guidance-scale", "4.5",
                  "--guidance-mode", "ossl", "--temperature", "0.9", "--top-k", "120",
                  "--duck", "off", "--no-thin-under-dialogue", "--stems")  # fmt: skip
    assert got["model"] == "musicgen-video" and got["takes"] == 3 and got["top_k"] == 120
    assert got["guidance_scale"] == 4.5 and got["temperature"] == 0.9 and got["stems"]
    assert got["ducking"] == {"off": True} and got["thin_under_dialogue"] is False
    assert got["guidance_mode"] == "GUIDANCE_MODE_OSSL" and "extra" not in got
    assert _parsed("--duck", "-9 dB")["ducking"] == {"depth_db": -9.0}


def test_unset_options_leave_the_engine_its_defaults():
    got = _parsed()
    assert "extra" not in got and "takes" not in got and "guidance_scale" not in got
    assert "ducking" not in got and "thin_under_dialogue" not in got and "guidance_mode" not in got
    assert got["loudness_lufs"] == -24.0
    assert _parsed("--thin-under-dialogue")["thin_under_dialogue"] is True


def test_score_and_batch_refuse_a_bad_option_before_scoring(cli, demo24, tmp_path):
    src = tmp_path / "cut.otio"
    shutil.copy(demo24.timeline_path, src)
    bad = cli("score", src, "--guidance-mode", "loud")
    assert bad.exit_code == EXIT_BAD_INPUT and "--guidance-mode" in bad.stderr
    duck = cli("batch", src, "--out", tmp_path / "out", "--duck", "loud")
    assert duck.exit_code == EXIT_BAD_INPUT and "--duck 'loud'" in duck.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "cut.scored.otio").exists()


def test_score_with_the_new_options_places_every_cue(cli, demo24, tmp_path):
    src = tmp_path / "cut.otio"
    shutil.copy(demo24.timeline_path, src)
    result = cli("score", src, "--json", "--takes", "1", "--top-k", "50", "--temperature", "1.1",
                 "--no-thin-under-dialogue", "--duck", "-9")  # fmt: skip
    assert result.exit_code == EXIT_OK, result.output
    placements = json.loads(result.stdout)["result"]["placements"]
    assert len(placements) == len(demo24.markers)
