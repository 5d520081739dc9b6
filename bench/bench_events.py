"""Bytes a watcher of a job receives per event, against the number of cues, in this process.

A real engine on loopback gRPC scores jobs of 100, 500 and 2,000 cues with the tests' instant
model (tests/robustness/instant_model.py: a quiet tone of each cue's length, at once), and a
watcher reads every JobEvent. The new events carry what changed (the segment, the job's
counters, a cursor); the previous version sent the whole Job with every event. Its figure is
measured here on the same jobs: the mean size of a JobEvent holding the whole job as GetJob
returns it just after submission and at the end (its size moved between the two as the cues
came in).

    python bench/bench_events.py            # 100, 500, 2000 cues
    python bench/bench_events.py --quick    # 100, 500
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import grpc

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cuebridge.app.host import start_server  # noqa: E402
from cuebridge.v1 import engine_pb2 as pb  # noqa: E402
from cuebridge.v1 import engine_pb2_grpc  # noqa: E402
from tests.robustness.instant_model import instant_registry  # noqa: E402


def measure(engine, cues: int, folder: Path) -> tuple[int, float, float, int]:
    """(events, new bytes per event, previous bytes per event, new bytes in all)."""
    segments = [
        pb.Segment(id=f"cue-{i:04d}", rate=pb.Rate(num=24, den=1), duration_frames=1, seed=i)
        for i in range(cues)
    ]
    request = pb.SubmitJobRequest(
        segments=segments,
        options=pb.GenerationOptions(model="instant"),
        output_dir=str(folder),
        fresh=True,
    )
    job = engine.SubmitJob(request, timeout=60)
    start = pb.JobEvent(job=engine.GetJob(pb.JobRef(job_id=job.id), timeout=60)).ByteSize()
    events = list(engine.WatchJob(pb.JobRef(job_id=job.id, after=1), timeout=600))
    end = pb.JobEvent(job=engine.GetJob(pb.JobRef(job_id=job.id), timeout=60)).ByteSize()
    total = sum(e.ByteSize() for e in events)
    return len(events), total / len(events), (start + end) / 2, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 and 500 cues only")
    args = parser.parse_args()
    sizes = (100, 500) if args.quick else (100, 500, 2000)
    registry = instant_registry()
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        running = start_server(
            "127.0.0.1", 0, state_dir=state, output_root=state / "cues", registry=registry
        )
        try:
            with grpc.insecure_channel(running.address) as channel:
                engine = engine_pb2_grpc.CueEngineStub(channel)
                print(
                    f"{'cues':>6} {'events':>7} {'new B/event':>12} {'previous B/event':>17} "
                    f"{'ratio':>7} {'new B in all':>13} {'previous B in all':>18}"
                )
                for cues in sizes:
                    n, new, old, total = measure(engine, cues, state / f"job-{cues}")
                    print(
                        f"{cues:>6} {n:>7} {new:>12.1f} {old:>17.0f} {old / new:>7.0f} "
                        f"{total:>13} {old * n:>18.0f}"
                    )
        finally:
            running.stop(0)


if __name__ == "__main__":
    main()
