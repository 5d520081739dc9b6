"""The `cuebridge` command line, run in-process with click's runner (real server on loopback)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import opentimelineio as otio
import pytest

from cuebridge.app.commands.common import EXIT_BAD_INPUT, EXIT_OK


def test_score_json_result_and_default_output_name(cli, demo24, tmp_path):
    src = tmp_path / "cut.otio"
    shutil.copy(demo24.timeline_path, src)
    result = cli("score", src, "--json", "--seed", "5")
    assert result.exit_code == EXIT_OK, result.output
    job = json.loads(result.stdout)
    out = Path(job["result"]["output_path"])
    assert out == tmp_path / "cut.scored.otio" and out.exists()
    assert [int(p["record_start_frame"]) for p in job["result"]["placements"]] == [
        m[1] for m in demo24.markers
    ]
    # A second run refuses to replace the output, and --force replaces it.
    again = cli("score", src)
    assert again.exit_code == EXIT_BAD_INPUT and "already exists" in again.stderr
    assert cli("score", src, "--force").exit_code == EXIT_OK


def test_models_lists_the_offline_composer_as_ready(cli, monkeypatch):
    for name in ("CUEBRIDGE_MUSICGEN", "CUEBRIDGE_MUSICGEN_ADAPTER", "CUEBRIDGE_VIVIT"):
        monkeypatch.delenv(name, raising=False)  # unset here: not ready, and the fix is named
    result = cli("models", "--json")
    assert result.exit_code == 0
    models = {m["name"]: m for m in json.loads(result.stdout)["models"]}
    assert models["composer"]["ready"] and models["composer"].get("is_default")
    video = models["musicgen-video"]
    assert not video.get("ready", False) and "CUEBRIDGE_MUSICGEN" in video["reason"]


def test_convert_and_inspect(cli, demo24, tmp_path):
    xml = tmp_path / "demo.xml"
    assert cli("convert", demo24.timeline_path, xml).exit_code == 0
    assert otio.adapters.read_from_file(str(xml)).tracks.markers
    result = cli("inspect", xml)
    assert result.exit_code == 0 and result.stdout.count("cue-") == 3


def _bad_inputs(tmp: Path, demo) -> list[tuple[list[str], str]]:
    truncated = tmp / "truncated.otio"
    truncated.write_text(Path(demo.timeline_path).read_text()[:200])
    unknown = tmp / "timeline.prproj"
    unknown.write_text("<xml/>")
    edl = tmp / "bad.edl"
    edl.write_text(
        "TITLE: bad\n\n001  AX       V     C        01:00:00:00 01:00:0x:00 "
        "01:00:00:00 01:00:02:00\n"
    )
    outside = tmp / "outside.otio"
    tl = otio.adapters.read_from_file(str(demo.timeline_path))
    tl.tracks.markers[0].marked_range = otio.opentime.TimeRange(
        otio.opentime.RationalTime(demo.total_frames - 24, 24), otio.opentime.RationalTime(48, 24)
    )
    otio.adapters.write_to_file(tl, str(outside))
    folder_media = tmp / "folder_media.otio"
    media_dir = tmp / "media_is_a_folder"
    media_dir.mkdir()
    tl = otio.adapters.read_from_file(str(demo.timeline_path))
    for clip in tl.find_clips():
        clip.media_reference.target_url = media_dir.as_uri()
    otio.adapters.write_to_file(tl, str(folder_media))
    return [
        (["score", truncated], "truncated.otio"),
        (["score", unknown], "unknown timeline format"),
        (["score", edl, "--segments", "whole"], "line 3 (event 001)"),
        (["score", outside], "reaches outside the timeline"),
        (
            [
                "score",
                demo.timeline_path,
                "--range",
                "01:00:02:00-01:00:02:00",
                "-o",
                tmp / "z.otio",
            ],
            "out point must come after",
        ),
        (["score", folder_media], "links to a folder"),
        (["score", demo.timeline_path, "-o", tmp / "missing" / "out.otio"], "does not exist"),
        (["score", demo.timeline_path, "-o", tmp / "out.edl"], "EDL holds no audio"),
        (["score", demo.timeline_path, "--rate", "fast"], "not a frame rate"),
    ]


def test_bad_input_is_named_and_nothing_is_written(cli, demo24, tmp_path):
    before = {p: p.read_bytes() for p in tmp_path.iterdir()}
    for args, words in _bad_inputs(tmp_path, demo24):
        listing = sorted(p.name for p in tmp_path.rglob("*"))
        result = cli(*args)
        assert result.exit_code == EXIT_BAD_INPUT, (args, result.output)
        assert words in result.output, (args, result.output)
        assert sorted(p.name for p in tmp_path.rglob("*")) == listing, args  # nothing new
    assert all(p.read_bytes() == b for p, b in before.items())


def test_demo_command_makes_and_scores_a_film(cli, tmp_path):
    result = cli("demo", tmp_path / "demo")
    assert result.exit_code == EXIT_OK, result.output
    assert (tmp_path / "demo" / "demo.scored.otio").exists()
    assert (tmp_path / "demo" / "demo.scored.xml").exists()
    assert len(list((tmp_path / "demo" / "cues").glob("*.wav"))) == 3
    assert "Resolve" in result.stdout and "Premiere" in result.stdout


def test_cues_of_another_score_are_not_replaced(cli, demo24, tmp_path):
    shared = tmp_path / "cues"
    first = cli("score", demo24.timeline_path, "-o", tmp_path / "a.otio", "--cue-dir", shared)
    assert first.exit_code == EXIT_OK, first.output
    before = {p.name: p.read_bytes() for p in shared.iterdir()}
    second = cli(
        "score", demo24.timeline_path, "-o", tmp_path / "b.otio", "--cue-dir", shared, "--seed", "9"
    )
    assert second.exit_code == EXIT_BAD_INPUT and "already holds cues" in second.output
    assert {p.name: p.read_bytes() for p in shared.iterdir()} == before
    assert not (tmp_path / "b.otio").exists()


@pytest.mark.parametrize(
    "host,made", [("resolve", "cuebridge_score.py"), ("premiere", "manifest.json")]
)
def test_install_plugin_into_a_folder(cli, tmp_path, host, made):
    result = cli("install-plugin", host, "--target", tmp_path / host)
    assert result.exit_code == EXIT_OK, result.output
    assert (tmp_path / host / made).is_file()
    assert "cuebridge serve" in result.stdout
