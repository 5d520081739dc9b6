"""The editor's first press: CPU-seconds of small commands, previous version beside this one.

Runs the real `cuebridge` CLI in child processes, each with its own fresh data folder, and reads
the CPU-seconds of each (its whole process tree, its composer workers' forkserver included:
process_tree.py), for
this checkout and for a previous git revision (default `main`, exported with `git archive` and
run from that copy). Prints, for both:

- `cuebridge --help` and `cuebridge models` (readiness; the first run also fills the font cache,
  so the second is what an editor pays every time after);
- a 12-cue timeline scored the first time and re-scored unchanged (every cue from the cache).

    python bench/bench_first_press.py                 # against main
    python bench/bench_first_press.py --baseline REV  # against another revision
    python bench/bench_first_press.py --quick         # 4 cues instead of 12
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from process_tree import run_tree  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# The package layout of pyproject.toml's package-dir, rebuilt in an exported copy.
# The console script's target moved from app/cli.py to app/main.py: either revision runs.
LAUNCH = (
    "try:\n    from cuebridge.app.main import main\n"
    "except ImportError:\n    from cuebridge.app.cli import main\nmain()"
)
PACKAGE_DIRS = {"app": "app", "bridge": "bridge", "engine": "engine"}


def export(rev: str, into: Path) -> Path:
    """A runnable copy of `rev`: its PYTHONPATH entry (the package folders linked in place)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], capture_output=True)
    if archive.returncode:
        sys.exit(f"bench_first_press: git archive {rev} failed: {archive.stderr.decode()}")
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    package = into / "proto" / "cuebridge"
    for name, folder in PACKAGE_DIRS.items():
        (package / name).symlink_to(into / folder, target_is_directory=True)
    return into / "proto"


def cpu_run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(CPU-seconds of the child and every process under it, wall seconds)."""
    done = run_tree(argv, env)
    if done.returncode:
        sys.exit(f"bench_first_press: {' '.join(argv[2:])} failed:\n{done.stdout}{done.stderr}")
    return done.cpu, done.wall


def measure(pythonpath: str | None, tmp: Path, timeline: Path) -> dict[str, tuple[float, float]]:
    env = dict(os.environ, CUEBRIDGE_DATA_DIR=str(tmp / "data"))
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    # PYTHONPATH comes before the editable install's finder: the exported copy is what runs.
    cli = [sys.executable, "-P", "-c", LAUNCH]
    out: dict[str, tuple[float, float]] = {}
    out["--help"] = cpu_run([*cli, "--help"], env)
    out["models (first)"] = cpu_run([*cli, "models"], env)
    out["models"] = cpu_run([*cli, "models"], env)
    score = [*cli, "score", str(timeline), "-o"]
    out["score (first)"] = cpu_run([*score, str(tmp / "a.otio")], env)
    out["re-score"] = cpu_run([*score, str(tmp / "b.otio")], env)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="main", help="git revision to compare against")
    parser.add_argument("--quick", action="store_true", help="4 cues instead of 12")
    args = parser.parse_args()
    cues = 4 if args.quick else 12

    import opentimelineio as otio

    from cuebridge.app.demo_film import make_feature_timeline

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        timeline = tmp / "twelve.otio"
        otio.adapters.write_to_file(make_feature_timeline(minutes=cues, cues=cues), str(timeline))
        for folder in ("old", "run-old", "run-new"):
            (tmp / folder).mkdir()
        old_path = export(args.baseline, tmp / "old")
        old = measure(str(old_path), tmp / "run-old", timeline)
        new = measure(None, tmp / "run-new", timeline)

    print(f"CPU-seconds (wall) of the whole process tree; {cues} cues; load {os.getloadavg()}")
    print(f"{'':18} {args.baseline:>16} {'this checkout':>16}")
    for name in old:
        (oc, ow), (nc, nw) = old[name], new[name]
        print(f"{name:18} {oc:8.2f} ({ow:5.1f}) {nc:8.2f} ({nw:5.1f})")
    for label, rows in ((args.baseline, old), ("this checkout", new)):
        models_x = rows["models"][0] / rows["--help"][0]
        rescore_x = rows["score (first)"][0] / rows["re-score"][0]
        print(
            f"{label}: models = {models_x:.1f}x --help (goal <= 4x); "
            f"first score = {rescore_x:.1f}x the unchanged re-score (goal >= 10x)"
        )


if __name__ == "__main__":
    main()
