"""Load: many clients at once against a real server on loopback, with a fast model.

50 concurrent clients x 20 requests each (by default). Each request submits a one-segment job of
a short cue to the CueEngine and follows it to the end over WatchJob. The engine's bounds are set
low on purpose so backpressure happens: a RESOURCE_EXHAUSTED answer is retried after a pause and
counted, any other failure is a failure. Prints p50/p99 latency, throughput, and the server
process's resident memory at each quarter of the run (stable memory = no leak per request).

    python bench/load_server.py             # 50 x 20
    python bench/load_server.py --quick     # 10 x 5
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

import grpc

from cuebridge.app.host import start_server
from cuebridge.engine.jobs import EngineLimits
from cuebridge.v1 import engine_pb2 as pb
from cuebridge.v1 import engine_pb2_grpc as pb_grpc


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(clients: int, requests: int, seconds_per_cue: float) -> dict:
    latencies: list[float] = []
    exhausted = failures = 0
    lock = threading.Lock()
    memory: list[float] = []
    done_count = [0]
    total = clients * requests

    with tempfile.TemporaryDirectory() as tmp:
        limits = EngineLimits(max_jobs=16, max_queued_segments=16)
        server = start_server("127.0.0.1", 0, state_dir=Path(tmp), limits=limits)
        memory.append(rss_mib())

        def client(n: int) -> None:
            nonlocal exhausted, failures
            with grpc.insecure_channel(server.address) as channel:
                engine = pb_grpc.CueEngineStub(channel)
                for r in range(requests):
                    seg = pb.Segment(
                        id="cue",
                        rate=pb.Rate(num=24, den=1),
                        duration_frames=round(24 * seconds_per_cue),
                        seed=n * 1000 + r,
                    )  # distinct seeds: no cache hits
                    t0 = time.perf_counter()
                    while True:
                        try:
                            job = engine.SubmitJob(
                                pb.SubmitJobRequest(segments=[seg], output_dir=f"{tmp}/c{n}/{r}"),
                                timeout=30,
                            )
                            final = list(engine.WatchJob(pb.JobRef(job_id=job.id), timeout=120))
                            ok = final[-1].job.state == pb.JOB_STATE_SUCCEEDED
                            break
                        except grpc.RpcError as exc:
                            if exc.code() != grpc.StatusCode.RESOURCE_EXHAUSTED:
                                ok = False
                                break
                            with lock:
                                exhausted += 1
                            time.sleep(0.05)
                    with lock:
                        latencies.append(time.perf_counter() - t0)
                        failures += not ok
                        done_count[0] += 1
                        if done_count[0] in (total // 4, total // 2, 3 * total // 4):
                            memory.append(rss_mib())

        t0 = time.perf_counter()
        threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=600)
        wall = time.perf_counter() - t0
        memory.append(rss_mib())
        server.stop(0)

    latencies.sort()
    return {
        "requests": len(latencies),
        "expected": total,
        "failures": failures,
        "resource_exhausted_retries": exhausted,
        "wall_s": wall,
        "throughput_rps": len(latencies) / wall,
        "p50_s": statistics.median(latencies),
        "p99_s": latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
        "rss_mib": memory,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--cue-seconds", type=float, default=0.5)
    args = parser.parse_args()
    clients, requests = (10, 5) if args.quick else (args.clients, args.requests)
    r = run(clients, requests, args.cue_seconds)
    print(f"{clients} clients x {requests} requests, {args.cue_seconds} s cues")
    print(
        f"answered {r['requests']}/{r['expected']}, failures {r['failures']}, "
        f"RESOURCE_EXHAUSTED retries {r['resource_exhausted_retries']}"
    )
    print(
        f"p50 {r['p50_s'] * 1000:.0f} ms, p99 {r['p99_s'] * 1000:.0f} ms, "
        f"throughput {r['throughput_rps']:.1f} req/s over {r['wall_s']:.1f} s"
    )
    mem = r["rss_mib"]
    print("server RSS MiB at start, 25/50/75 %, end: " + ", ".join(f"{m:.0f}" for m in mem))
    growth = (mem[-1] - mem[1]) / mem[1] if len(mem) > 2 else float("nan")
    print(
        f"memory growth from 25 % to the end: {growth * 100:+.1f} % "
        f"({'stable' if abs(growth) < 0.10 else 'GROWING'})"
    )


if __name__ == "__main__":
    main()
