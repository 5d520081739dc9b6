"""Preparing one training clip's soundtrack: a 44.1 kHz stereo WAV -> 32 kHz mono for EnCodec.

Each preparation runs in a fresh process so its peak memory (ru_maxrss, the whole process:
Python, numpy and the audio) is its own. Rows:

* new: `training_data.prepare_audio` as it is (libsoxr through engine.audio.resample);
* previous: the same with main's engine/audio.resample loaded from git (`--previous REV`,
  default the merge base with main), on a shorter clip (`--previous-seconds`, default 2 s): on
  main a 6 s clip took 87 s and 5.1 GB (issue 23).

The goal (issue 23): a 30 s 44.1 kHz clip prepared in under 2 s and 500 MB.

    python bench/bench_training_clip.py            # 30 s clip, previous on 2 s
    python bench/bench_training_clip.py --quick    # 10 s clip, previous on 1 s
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, subprocess, sys, time, types
import numpy as np
sys.path.insert(0, {root!r})
from cuebridge.engine.audio import read_wav
from cuebridge.engine.models.musicgen import training_data
if {previous!r}:
    source = subprocess.run(["git", "-C", {root!r}, "show", {previous!r} + ":engine/audio.py"],
                            capture_output=True, text=True, check=True).stdout
    old = types.ModuleType("previous_audio")
    exec(compile(source, "previous audio.py", "exec"), old.__dict__)
    training_data.resample = old.resample
t, c = time.perf_counter(), time.process_time()
audio, rate = read_wav({wav!r})
mono = training_data.prepare_audio(audio, rate, 32000, training_data.OSSL_AUDIO)
print(json.dumps({{"wall": time.perf_counter() - t, "cpu": time.process_time() - c,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "samples": len(mono)}}))
"""


def write_clip(path: Path, seconds: float) -> None:
    import numpy as np

    sys.path.insert(0, str(ROOT))
    from cuebridge.engine.audio import write_wav

    t = np.arange(round(seconds * 44100)) / 44100
    rng = np.random.default_rng(0)
    music = 0.3 * np.sin(2 * np.pi * 220 * t)[:, None] + 0.05 * rng.standard_normal((len(t), 2))
    write_wav(path, music.astype(np.float32), 44100)


def run(wav: Path, previous: str) -> dict:
    code = CHILD.format(root=str(ROOT), previous=previous, wav=str(wav))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--previous", default="")
    ap.add_argument("--previous-seconds", type=float, default=None)
    args = ap.parse_args()
    seconds = 10.0 if args.quick else 30.0
    prev_seconds = args.previous_seconds or (1.0 if args.quick else 2.0)
    rev = args.previous or subprocess.run(
        ["git", "-C", str(ROOT), "merge-base", "HEAD", "main"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        base = run_clip(Path(tmp), 0.1, "")  # the process alone, nearly no audio
        rows = [
            ("new", seconds, run_clip(Path(tmp), seconds, "")),
            ("new", prev_seconds, run_clip(Path(tmp), prev_seconds, "")),
            (f"previous {rev[:10]}", prev_seconds, run_clip(Path(tmp), prev_seconds, rev)),
        ]
    print(f"{'chain':<20} {'clip':>6} {'wall s':>8} {'CPU s':>8} {'peak MB':>8}")
    print(f"{'(process alone)':<20} {0.1:>5.1f}s {base['wall']:>8.2f} {base['cpu']:>8.2f} "
          f"{base['rss_mb']:>8.0f}")  # fmt: skip
    for name, secs, r in rows:
        print(f"{name:<20} {secs:>5.1f}s {r['wall']:>8.2f} {r['cpu']:>8.2f} {r['rss_mb']:>8.0f}")
    new = rows[0][2]
    ok = new["wall"] < 2.0 and new["rss_mb"] < 500
    print(f"goal (30 s clip under 2 s and 500 MB): {'met' if ok else 'NOT met'} at {seconds:g} s")


def run_clip(folder: Path, seconds: float, previous: str) -> dict:
    wav = folder / f"clip{seconds:g}.wav"
    if not wav.exists():
        write_clip(wav, seconds)
    return run(wav, previous)


if __name__ == "__main__":
    main()
