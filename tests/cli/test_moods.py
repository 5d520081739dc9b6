"""Moods as a vocabulary on the command line: listed, and anything else refused (exit 2)."""

from __future__ import annotations

import json

import opentimelineio as otio

from cuebridge.app.commands.common import EXIT_BAD_INPUT
from cuebridge.moods import MOODS, STYLE_NAMES


def test_moods_lists_the_styles_and_the_feeling_words(cli):
    result = cli("moods")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines if not line.startswith(" ")] == list(STYLE_NAMES)
    assert all(name in result.output for name in MOODS)
    rows = json.loads(cli("moods", "--json").output)
    assert {r["name"]: r["style"] for r in rows} == {n: m.style for n, m in MOODS.items()}


def test_a_misspelt_mood_is_refused_with_a_suggestion(cli, demo24, tmp_path):
    out = tmp_path / "out.otio"
    result = cli("score", demo24.timeline_path, "-o", out, "--mood", "tnese")
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert "unknown mood 'tnese': did you mean tense?" in result.output
    assert "cuebridge moods" in result.output and "pastoral" in result.output
    assert not out.exists() and not list(tmp_path.iterdir())
    # a mood from the vocabulary, in any case, is taken; each cue's line says what decided it
    taken = cli("score", demo24.timeline_path, "-o", out, "--mood", "Eerie")
    assert taken.exit_code == 0 and "unknown mood" not in taken.output, taken.output
    assert "suspense (mood: tense)" in taken.stdout  # the demo's second marker says tense


def test_a_marker_with_an_unknown_mood_is_named_with_its_timecode(cli, demo24, tmp_path):
    timeline = otio.adapters.read_from_file(str(demo24.timeline_path))
    marker = next(m for m in timeline.tracks.markers if m.marked_range.duration.value > 1)
    meta = marker.metadata.get("cuebridge")
    if meta is not None and "mood" in meta:  # the demo keeps it in metadata, which wins
        meta["mood"] = "spooky"
    marker.comment = "mood: spooky"
    path = tmp_path / "cut.otio"
    otio.adapters.write_to_file(timeline, str(path))
    result = cli("score", path, "-o", tmp_path / "out.otio", "--mood", "calm")
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    message = " ".join(result.output.split())
    assert f"marker {marker.name!r} at 01:00:" in message, message
    assert "unknown mood 'spooky'" in message
    assert not (tmp_path / "out.otio").exists()


def test_the_readme_table_is_the_vocabulary():
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for style in STYLE_NAMES:
        row = re.search(rf"^\| {style} \| (.*) \|$", readme, re.MULTILINE)
        assert row, f"README has no row for {style}"
        words = {m.name for m in MOODS.values() if m.style == style and m.name != style}
        assert set(row.group(1).split(", ")) == words, style
