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


def score(stub, timeline: Path, out: Path) -> tuple[float, float, float]:
    """(seconds of music placed, wall seconds, number of cues)."""
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
    return music, wall, len(job.result.placements)


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

    print(f"{'timeline':<28} {'music s':>9} {'wall s':>8} {'x real time':>12}")
    for name, music, wall, _cues in rows:
        print(f"{name:<28} {music:9.1f} {wall:8.2f} {music / wall:11.1f}x")
    total_music = sum(r[1] for r in rows)
    total_wall = sum(r[2] for r in rows)
    ratio = total_music / total_wall
    print(
        f"overall: {ratio:.1f}x real time (baseline 1.0x = one second of music per wall second;"
        f" goal >= 50x) -> {'PASS' if ratio >= 50 else 'BELOW GOAL'}"
    )


if __name__ == "__main__":
    main()
