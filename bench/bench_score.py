"""Scoring speed end to end: seconds of music made per second of wall time.

Scores (1) the demo film and (2) a synthetic feature (90 min, 60 cues, media offline) through
the real path: a server on loopback, the Bridge, the CueEngine, the default model, cue placement
and the written timeline. Prints each as a ratio against real time (1 s of music per wall second,
the baseline).

    python bench/bench_score.py            # the demo and the 90-minute feature
    python bench/bench_score.py --quick    # the demo and a 10-minute feature with 6 cues
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import grpc
import opentimelineio as otio

from cuebridge.app.demo_film import make_demo_film, make_feature_timeline
from cuebridge.app.host import start_server
from cuebridge.v1 import bridge_pb2 as bpb
from cuebridge.v1 import bridge_pb2_grpc as bpb_grpc
from cuebridge.v1 import engine_pb2 as pb


def tree_cpu_s() -> float:
    """CPU-seconds of this process and every process under it: the finished ones (rusage of
    waited-for children) and the live ones (the composer's workers), read from /proc."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir() if Path("/proc/self/stat").exists() else ():
        if not entry.name.isdigit():  # /proc/self, /proc/meminfo...
            continue
        try:
            # The fields after the command name, which may hold spaces: ppid is 2nd, utime 12th.
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # not a process, or it ended while we read
        parents[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    tree = {os.getpid()}
    grew = True
    while grew:
        grew = False
        for pid, (ppid, _) in parents.items():
            if ppid in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return total + sum(parents[pid][1] for pid in tree - {os.getpid()} if pid in parents)


def score(stub, timeline: Path, out: Path) -> tuple[float, float, float, float]:
    """(seconds of music placed, wall seconds, number of cues, CPU-seconds of the tree)."""
    cpu0 = tree_cpu_s()
    t0 = time.perf_counter()
    job = stub.StartScore(bpb.ScoreRequest(timeline_path=str(timeline), output_path=str(out)))
    for _ in stub.WatchScore(bpb.ScoreRef(score_id=job.id)):
        pass
    job = stub.GetScore(bpb.ScoreRef(score_id=job.id))  # events carry deltas
    wall = time.perf_counter() - t0
    assert job.state == pb.JOB_STATE_SUCCEEDED, job.message
    music = sum(
        float(Fraction(p.record_duration_frames) * p.rate.den / p.rate.num)
        for p in job.result.placements
    )
    return music, wall, len(job.result.placements), tree_cpu_s() - cpu0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short feature (CI-sized)")
    args = parser.parse_args()
    minutes, cues = (10, 6) if args.quick else (90, 60)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # Its own state: a cue cache from an earlier run would make the figures meaningless.
        server = start_server("127.0.0.1", 0, state_dir=tmp / "state")
        try:
            with grpc.insecure_channel(server.address) as channel:
                stub = bpb_grpc.BridgeStub(channel)
                film = make_demo_film(tmp / "demo")
                feature = tmp / "feature.otio"
                otio.adapters.write_to_file(
                    make_feature_timeline(minutes=minutes, cues=cues), str(feature)
                )
                rows = [
                    ("demo (3 cues)", *score(stub, film.timeline_path, tmp / "demo.scored.otio")),
                    (
                        f"feature {minutes} min ({cues} cues)",
                        *score(stub, feature, tmp / "feature.scored.otio"),
                    ),
                ]
        finally:
            server.stop(0)

    print(f"load average (1, 5, 15 min): {os.getloadavg()} on {os.cpu_count()} cores")
    print(
        f"{'timeline':<28} {'music s':>9} {'wall s':>8} {'x real time':>12}"
        f" {'CPU-s':>8} {'music s/CPU-s':>14}"
    )
    for name, music, wall, _cues, cpu in rows:
        print(
            f"{name:<28} {music:9.1f} {wall:8.2f} {music / wall:11.1f}x"
            f" {cpu:8.2f} {music / cpu:14.1f}"
        )
    total_music = sum(r[1] for r in rows)
    total_wall = sum(r[2] for r in rows)
    ratio = total_music / total_wall
    per_cpu = total_music / sum(r[4] for r in rows)
    # On a shared machine wall time measures the neighbours; music per CPU-second does not.
    print(
        f"overall: {per_cpu:.1f} s of music per CPU-second (goal >= 75, i.e. 150x real time"
        f" on 2 quiet cores) -> {'PASS' if per_cpu >= 75 else 'BELOW GOAL'}"
    )
    print(
        f"overall: {ratio:.1f}x real time (baseline 1.0x = one second of music per wall second;"
        f" goal >= 50x) -> {'PASS' if ratio >= 50 else 'BELOW GOAL'}"
    )


if __name__ == "__main__":
    main()
