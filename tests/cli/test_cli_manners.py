"""Command-line manners: bars on stderr even with --json, stated precedence, honest warnings,
shared-storage file modes, and one cut scored to two formats side by side."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import shutil
import struct
import subprocess
import sys
import termios
from pathlib import Path

import opentimelineio as otio

from cuebridge.app.commands.common import EXIT_OK


def test_json_keeps_the_progress_bar_on_a_terminal_stderr(demo24, tmp_path):
    """stdout is a pipe (a script reads the JSON), stderr a terminal (the user watches)."""
    main_fd, tty_fd = pty.openpty()
    # A terminal has a size; a fresh pty has 0x0, which tqdm draws as an empty bar.
    fcntl.ioctl(tty_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    cmd = [sys.executable, "-m", "cuebridge.app", "score", str(demo24.timeline_path)]
    cmd += ["-o", str(tmp_path / "out.otio"), "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=tty_fd, env=os.environ.copy())
    os.close(tty_fd)
    seen = b""
    while True:
        ready, _, _ = select.select([main_fd], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(main_fd, 65536)
        except OSError:  # the child closed its end
            break
        if not chunk:
            break
        seen += chunk
    stdout = proc.stdout.read()
    assert proc.wait(60) == EXIT_OK, seen.decode(errors="replace")
    os.close(main_fd)
    assert json.loads(stdout)["result"]["placements"]  # stdout holds only the JSON
    assert b"scoring" in seen and b"cue" in seen, seen


def test_marker_moods_win_over_mood_and_the_result_says_so(cli, demo24, tmp_path):
    result = cli(
        "score", demo24.timeline_path, "-o", tmp_path / "out.otio", "--mood", "warm", "--json"
    )
    assert result.exit_code == EXIT_OK, result.output
    job = json.loads(result.stdout)
    notes = [w for w in job["result"]["warnings"] if "--mood" in w]
    assert len(notes) == 1, job["result"]["warnings"]
    for placement in job["result"]["placements"]:
        assert placement["segment_id"] in notes[0]
    help_text = cli("score", "--help").stdout
    assert "marker" in re.sub(r"\s+", " ", help_text.split("--mood", 1)[1][:200])


def _offline_cut(path: Path, names: list[str]) -> Path:
    track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    for name in names:
        track.append(
            otio.schema.Clip(
                name=name,
                media_reference=otio.schema.ExternalReference(target_url=f"/nowhere/{name}.mov"),
                source_range=otio.opentime.TimeRange(
                    otio.opentime.RationalTime(0, 24), otio.opentime.RationalTime(24, 24)
                ),
            )
        )
    timeline = otio.schema.Timeline(name="offline")
    timeline.tracks.append(track)
    otio.adapters.write_to_file(timeline, str(path))
    return path


def test_the_offline_warning_accounts_for_every_clip(cli, tmp_path):
    names = ["a", "b", "c", "a", "d", "e", "f", "g"]  # 8 clips, "a" twice
    cut = _offline_cut(tmp_path / "cut.otio", names)
    result = cli("score", cut, "--segments", "whole", "-o", tmp_path / "s.otio", "--json")
    assert result.exit_code == EXIT_OK, result.output
    warning = next(w for w in json.loads(result.stdout)["result"]["warnings"] if "offline" in w)
    count = int(re.search(r"(\d+) clip\(s\) offline", warning).group(1))
    assert count == len(names)
    listed = re.search(r"offline \(([^)]*(?:\)[^)]*)*?)\):", warning).group(1)
    more = re.search(r"and (\d+) more", listed)
    shown = re.sub(r"\s*and \d+ more", "", listed)
    total = 0
    for item in shown.split(", "):
        times = re.search(r"×(\d+)", item)
        total += int(times.group(1)) if times else 1
    total += int(more.group(1)) if more else 0
    assert total == count, warning


def test_cue_files_follow_the_umask_like_the_timeline(cli, demo24, tmp_path):
    previous = os.umask(0o022)
    try:
        out = tmp_path / "out.otio"
        cues = tmp_path / "cues"
        result = cli("score", demo24.timeline_path, "-o", out, "--cue-dir", cues, "--fresh")
        assert result.exit_code == EXIT_OK, result.output
    finally:
        os.umask(previous)
    assert out.stat().st_mode & 0o777 == 0o644
    files = sorted(cues.iterdir())  # the cues, and the note of which score they belong to
    assert {p.suffix for p in files if not p.name.startswith(".")} == {".wav", ".mid"}
    assert {p.name: p.stat().st_mode & 0o777 for p in files} == {p.name: 0o644 for p in files}


def test_one_cut_scored_to_otio_and_then_xml_side_by_side(cli, demo24, tmp_path):
    src = tmp_path / "cut.otio"
    shutil.copy(demo24.timeline_path, src)
    first = cli("score", src, "-o", tmp_path / "x.otio", "--json")
    assert first.exit_code == EXIT_OK, first.output
    second = cli("score", src, "-o", tmp_path / "x.xml", "--json")
    assert second.exit_code == EXIT_OK, second.output
    for run in (first, second):
        for placement in json.loads(run.stdout)["result"]["placements"]:
            assert Path(placement["cue"]["audio_path"]).is_file()
    a = {p["cue"]["audio_path"] for p in json.loads(first.stdout)["result"]["placements"]}
    b = {p["cue"]["audio_path"] for p in json.loads(second.stdout)["result"]["placements"]}
    assert not a & b  # each timeline has its own cue folder: neither can pull the other's away
