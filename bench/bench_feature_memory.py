"""A feature's score: peak memory over all its processes, and when its first cue is reported.

Scores a 20-cue, 20-minute feature (cues of 30-90 s, offline: no picture) through the engine's
own job queue in a child process, for this checkout and for a previous git revision (default
`main`, exported as bench_first_press does), and prints side by side:

- the peak proportional set size (PSS) summed over the child and every process under it (its
  composer workers, their forkserver; process_tree.py): pages that processes share count once
  over all of them (goal: under 1.6 GB);
- when the first cue was reported (from the job's submit), beside the time one warm 60 s cue
  takes on the same engine afterwards (goal: first cue within 2x one cue);
- the job's wall time and the CPU-seconds of the whole tree, and seconds of music per CPU-s.

The decoded-font cache is filled once before both runs, so neither pays the one decode per machine.

    python bench/bench_feature_memory.py                 # against main
    python bench/bench_feature_memory.py --baseline REV
    python bench/bench_feature_memory.py --quick         # 8 cues, 8 minutes
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_first_press import export  # noqa: E402
from process_tree import run_tree  # noqa: E402

CHILD = r"""
import json, sys, time
from pathlib import Path
from cuebridge.app.settings import engine_settings
from cuebridge.engine.jobs import JobQueue
from cuebridge.engine.registry import ModelRegistry
from cuebridge.engine.segment import GenerationOptions, Rate, Segment
from cuebridge.engine.states import SegmentState
from cuebridge.engine.store import JobStore

cues, tmp = int(sys.argv[1]), Path(sys.argv[2])
settings = engine_settings(tmp / "state")
jobs = JobQueue(ModelRegistry(settings=settings), tmp / "cues", JobStore(tmp / "engine.sqlite3"))
prompts = ["a chase through the market", "grief at the graveside", "tender morning light",
           "suspense in the corridor", "triumphant return home"]
lengths = [30 + (n * 37) % 61 for n in range(cues)]  # 30-90 s, 60 s on average
segments = [Segment(id=f"cue-{n}", rate=Rate(24), duration_frames=24 * s,
                    cut_frames=tuple(range(24 * 7, 24 * s, 24 * 7)), prompt=prompts[n % 5],
                    seed=n) for n, s in enumerate(lengths)]

def run(segs, out):
    t0 = time.perf_counter()
    job = jobs.submit(segs, GenerationOptions(), tmp / out, fresh=True)
    done = []  # when each cue was reported
    for _, index in jobs.watch(job.id):
        if index is not None and index >= 0 and job.runs[index].state == SegmentState.DONE:
            done.append(time.perf_counter() - t0)
    assert job.failed == 0, [r.error for r in job.runs if r.error]
    return time.perf_counter() - t0, done

wall, done = run(segments, "feature")
one, _ = run([Segment(id="one", rate=Rate(24), duration_frames=24 * 60, prompt=prompts[0],
                      seed=99)], "one")
jobs.close()
jobs.registry.close()
bursts = 1 + sum(b - a > 0.05 for a, b in zip(done, done[1:]))  # reports 50 ms apart or more
print(json.dumps({"wall": wall, "first": done[0], "bursts": bursts, "one": one,
                  "music_s": sum(lengths)}))
"""

FILL = (
    "from pathlib import Path; from cuebridge.app.settings import engine_settings\n"
    "from cuebridge.engine.models.composer.font_cache import playable_font\n"
    "from cuebridge.engine.models.composer.soundfont import resolve_soundfont\n"
    "print(playable_font(resolve_soundfont(None), engine_settings().font_cache_dir))"
)


def measure(pythonpath: str | None, env: dict[str, str], cues: int, tmp: Path) -> dict:
    env = dict(env)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    done = run_tree([sys.executable, "-P", "-c", CHILD, str(cues), str(tmp)], env, True)
    if done.returncode:
        sys.exit(f"bench_feature_memory: the child failed:\n{done.stderr[-3000:]}")
    row = json.loads(done.stdout.strip().splitlines()[-1])
    row["peak_gb"] = done.peak_pss_gb
    row["cpu"] = done.cpu
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="main", help="git revision to compare against")
    parser.add_argument("--quick", action="store_true", help="8 cues instead of 20")
    args = parser.parse_args()
    cues = 8 if args.quick else 20
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env = dict(os.environ, CUEBRIDGE_DATA_DIR=str(tmp / "data"))
        subprocess.run([sys.executable, "-c", FILL], env=env, check=True, capture_output=True)
        for folder in ("old", "run-old", "run-new"):
            (tmp / folder).mkdir()
        old_path = export(args.baseline, tmp / "old")
        rows = {
            args.baseline: measure(str(old_path), env, cues, tmp / "run-old"),
            "this checkout": measure(None, env, cues, tmp / "run-new"),
        }
    music = next(iter(rows.values()))["music_s"]
    print(f"{cues} cues, {music} s of music, offline; load average {os.getloadavg()}")
    for label, r in rows.items():
        print(
            f"{label:14} peak PSS {r['peak_gb']:5.2f} GB (goal < 1.6)  first cue at "
            f"{r['first']:6.2f} s, one warm 60 s cue {r['one']:5.2f} s: "
            f"{r['first'] / r['one']:4.1f}x (goal <= 2x), {r['bursts']} report bursts;  "
            f"job {r['wall']:6.1f} s wall, {r['cpu']:6.1f} CPU-s, "
            f"{music / r['cpu']:5.1f} s of music per CPU-s"
        )


if __name__ == "__main__":
    main()
