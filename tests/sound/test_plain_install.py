"""A new user's install: a fresh venv, `pip install .` with no flags and nothing else, then
`cuebridge score` on an EDL. Proves the core dependencies alone make music (from wheels)."""

from __future__ import annotations

import json
import os
import subprocess
import venv
from pathlib import Path

import numpy as np
import pyloudnorm

from cuebridge.engine.audio import read_wav

ROOT = Path(__file__).resolve().parents[2]
EDL = """TITLE: plain install
FCM: NON-DROP FRAME

001  AX       V     C        00:00:00:00 00:00:12:00 01:00:00:00 01:00:12:00
* FROM CLIP NAME: scene.mov
"""


def test_plain_pip_install_scores_a_timeline(tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    probe = subprocess.run(
        [str(python), "-c", "import importlib.util as u; print(u.find_spec('tinysoundfont'))"],
        capture_output=True,
        text=True,
    )
    assert probe.stdout.strip() == "None", "the plain install must not need tinysoundfont"

    edl = tmp_path / "cut.edl"
    edl.write_text(EDL)
    out = tmp_path / "cut.scored.otio"
    env = {**os.environ, "CUEBRIDGE_DATA_DIR": str(tmp_path / "data")}
    env.pop("PYTHONPATH", None)
    scored = subprocess.run(
        [
            str(bindir / "cuebridge"),
            "score",
            str(edl),
            "--rate",
            "24",
            "--segments",
            "range",
            "--range",
            "01:00:02:00-01:00:10:00",
            "-o",
            str(out),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=tmp_path,
    )
    assert scored.returncode == 0, scored.stderr[-3000:]
    placement = json.loads(scored.stdout)["result"]["placements"][0]
    assert placement["cue"]["metadata"]["renderer"].startswith("midirenderer")
    audio, rate = read_wav(placement["cue"]["audio_path"])
    assert len(audio) == 8 * rate
    loudness = pyloudnorm.Meter(rate).integrated_loudness(audio.astype(np.float64))
    assert abs(loudness - (-24.0)) <= 1.0
    assert out.is_file()

    # Without its synthesiser the model is "not ready": exit 5 with the fix, and nothing written.
    subprocess.run([str(python), "-m", "pip", "uninstall", "-q", "-y", "midirenderer"], check=True)
    demo = tmp_path / "demo"
    refused = subprocess.run(
        [str(bindir / "cuebridge"), "demo", str(demo)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert refused.returncode == 5, refused.stderr
    assert "not ready" in refused.stderr and "pip install midirenderer" in refused.stderr
    assert not demo.exists()
    again = subprocess.run(
        [
            str(bindir / "cuebridge"),
            "score",
            str(edl),
            "--rate",
            "24",
            "--segments",
            "whole",
            "-o",
            str(tmp_path / "b.otio"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert again.returncode == 5, again.stderr
    assert "not ready" in again.stderr and "pip install midirenderer" in again.stderr
    assert not (tmp_path / "b.otio").exists() and not (tmp_path / "b_cues").exists()
