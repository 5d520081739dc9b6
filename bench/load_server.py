"""Load: many clients at once against a real server on loopback, with a fast model.

50 concurrent clients x 20 requests each (by default). Each request submits a one-segment job of
a short cue to the CueEngine and follows it to the end over WatchJob. The engine's bounds are set
low on purpose so backpressure happens: a RESOURCE_EXHAUSTED answer is retried after a pause and
counted, any other failure is a failure. Beside them, 300 watchers follow a long score through
the Bridge (WatchScore; a watcher told to poll polls GetScore once a second), 20 clients hold
idle connections open, one 2-hour score over a dialogue track (a sparse 2-hour WAV) is started
and timed, reads its dialogue beside the clients and is cancelled once read, and a prober times
control calls (GetScore, GetEngineInfo, health) every 0.2 s. Goals: control calls and StartScore
(whatever the score) under 1 s, each printed against it. Prints p50/p99 latency, throughput, the
slowest control call, and the server process's resident memory at each quarter of the run
and after it (stable memory = no leak per request; the end within 10 % of the start).

    python bench/load_server.py             # 50 x 20, 300 watchers
    python bench/load_server.py --quick     # 10 x 5, 60 watchers
"""

from __future__ import annotations

import argparse
import gc
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import grpc

from cuebridge.v1 import engine_pb2 as pb
from cuebridge.v1 import engine_pb2_grpc as pb_grpc


def rss_mib(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


SERVER = """
import sys
from pathlib import Path
from cuebridge.app.host import start_server
from cuebridge.engine.jobs import EngineLimits
limits = EngineLimits(max_jobs=16, max_queued_segments=int(sys.argv[2]))
server = start_server("127.0.0.1", 0, state_dir=Path(sys.argv[1]), limits=limits)
print(server.address, flush=True)
sys.stdin.read()  # serve until the bench closes our stdin
server.stop(0)
"""


class ServerProcess:
    """The server in a process of its own, as it runs for real: its memory is its own, and the
    bench's hundreds of client threads do not share its interpreter."""

    def __init__(self, state: Path, max_queued: int):
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(state), str(max_queued)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.address = self.proc.stdout.readline().strip()
        if not self.address:
            raise RuntimeError("the server did not start")

    def rss_mib(self) -> float:
        return rss_mib(self.proc.pid)

    def stop(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def _long_timeline(path: Path, cues: int) -> Path:
    import opentimelineio as otio

    rate = 24
    tl = otio.schema.Timeline(name="watched")
    track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    length = otio.opentime.RationalTime(cues * 3 * rate, rate)
    track.append(otio.schema.Clip(name="plate", source_range=otio.opentime.TimeRange(
        otio.opentime.RationalTime(0, rate), length)))  # fmt: skip
    tl.tracks.append(track)
    for n in range(cues):
        tl.tracks.markers.append(otio.schema.Marker(name=f"cue {n}", marked_range=(
            otio.opentime.TimeRange(otio.opentime.RationalTime(n * 3 * rate, rate),
                                    otio.opentime.RationalTime(2 * rate, rate)))))  # fmt: skip
    otio.adapters.write_to_file(tl, str(path))
    return path


def _dialogue_timeline(folder: Path, hours: float) -> Path:
    """A `hours`-long cue over a dialogue track whose media is a sparse WAV of that length:
    a huge file to read that costs no disk."""
    import struct

    import opentimelineio as otio

    rate, sr = 24, 48000
    data = round(hours * 3600 * sr) * 2  # mono 16-bit
    wav = folder / "dialogue.wav"
    with open(wav, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 36 + data) + b"WAVE")
        f.write(b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, sr, sr * 2, 2, 16))
        f.write(b"data" + struct.pack("<I", data))
        f.truncate(44 + data)
    frames = round(hours * 3600 * rate)
    length = otio.opentime.TimeRange(otio.opentime.RationalTime(0, rate),
                                     otio.opentime.RationalTime(frames, rate))  # fmt: skip
    tl = otio.schema.Timeline(name="dialogue")
    video = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    video.append(otio.schema.Clip(name="plate", source_range=length))
    audio = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
    audio.append(otio.schema.Clip(name="dialogue", source_range=length,
        media_reference=otio.schema.ExternalReference(target_url=str(wav),
                                                      available_range=length)))  # fmt: skip
    tl.tracks.extend([video, audio])
    tl.tracks.markers.append(otio.schema.Marker(name="the long talk", marked_range=length))
    path = folder / "dialogue.otio"
    otio.adapters.write_to_file(tl, str(path))
    return path


def run(
    clients: int,
    requests: int,
    seconds_per_cue: float,
    watchers: int = 300,
    watched_cues: int = 400,
    idle: int = 20,
    dialogue_hours: float = 2.0,
) -> dict:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    from cuebridge.v1 import bridge_pb2 as bpb
    from cuebridge.v1 import bridge_pb2_grpc as bpb_grpc

    latencies: list[float] = []
    exhausted = failures = 0
    lock = threading.Lock()
    memory: list[float] = []
    done_count = [0]
    total = clients * requests

    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(Path(tmp), max_queued=16 + watched_cues)
        control: list[float] = []  # each control call's time
        slowest: dict[str, float] = {}
        watch_modes = {"streamed": 0, "polled": 0, "failed": 0}
        stop_probe = threading.Event()

        def watcher(score_id: str) -> None:
            with grpc.insecure_channel(server.address) as channel:
                stub = bpb_grpc.BridgeStub(channel)
                try:
                    list(stub.WatchScore(bpb.ScoreRef(score_id=score_id), timeout=600))
                    mode = "streamed"
                except grpc.RpcError as exc:
                    mode = "failed"
                    if exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:  # told to poll
                        while stub.GetScore(bpb.ScoreRef(score_id=score_id), timeout=30).state in (
                            pb.JOB_STATE_QUEUED, pb.JOB_STATE_RUNNING):  # fmt: skip
                            time.sleep(1.0)
                        mode = "polled"
                with lock:
                    watch_modes[mode] += 1

        def probe(score_id: str) -> None:
            with grpc.insecure_channel(server.address) as channel:
                stub = bpb_grpc.BridgeStub(channel)
                health = health_pb2_grpc.HealthStub(channel)
                calls = {
                    "GetScore": lambda: stub.GetScore(bpb.ScoreRef(score_id=score_id), timeout=30),
                    "GetEngineInfo": lambda: stub.GetEngineInfo(pb.EngineInfoRequest(), timeout=30),
                    "health": lambda: health.Check(health_pb2.HealthCheckRequest(), timeout=30),
                }
                while not stop_probe.wait(0.2):
                    for name, call in calls.items():
                        t0 = time.perf_counter()
                        call()
                        took = time.perf_counter() - t0
                        control.append(took)
                        slowest[name] = max(slowest.get(name, 0.0), took)

        start_times: dict[str, float] = {}  # how long each StartScore took to answer
        dialogue: dict[str, object] = {}  # the dialogue score: where its read stood, its cancel

        def start_score(cues: int, name: str, timeline: Path | None = None) -> str:
            timeline = timeline or _long_timeline(Path(tmp) / f"{name}.otio", cues)
            with grpc.insecure_channel(server.address) as channel:
                t0 = time.perf_counter()
                score = bpb_grpc.BridgeStub(channel).StartScore(bpb.ScoreRequest(
                    timeline_path=str(timeline), output_path=f"{tmp}/{name}.scored.otio"),
                    timeout=600)  # fmt: skip
                start_times[name] = time.perf_counter() - t0
                return score.id

        read_over = threading.Event()  # the clients are done: stop following the read

        def follow_the_read(score_id: str, began: float) -> None:
            """Cancel the dialogue score as soon as its read ends (a 2-hour cue composed on the
            engine is not what this bench measures), or when the clients are done."""
            with grpc.insecure_channel(server.address) as channel:
                stub = bpb_grpc.BridgeStub(channel)
                ref = bpb.ScoreRef(score_id=score_id)
                while not read_over.wait(0.1):
                    job = stub.GetScore(ref, timeout=30)
                    if not job.progress.startswith("reading dialogue"):
                        dialogue["read_s"] = time.perf_counter() - began
                        break
                dialogue["progress"] = stub.GetScore(ref, timeout=30).progress
                c0 = time.perf_counter()
                stub.CancelScore(ref, timeout=30)
                running = (pb.JOB_STATE_QUEUED, pb.JOB_STATE_RUNNING)
                while (job := stub.GetScore(ref, timeout=30)).state in running:
                    if time.perf_counter() - c0 > 120:
                        break
                    time.sleep(0.1)
                dialogue["cancelled_s"] = time.perf_counter() - c0
                dialogue["final"] = pb.JobState.Name(job.state)

        def client(n: int, requests: int, tag: str = "") -> None:
            nonlocal exhausted, failures
            with grpc.insecure_channel(server.address) as channel:
                engine = pb_grpc.CueEngineStub(channel)
                for r in range(requests):
                    seg = pb.Segment(
                        id="cue",
                        rate=pb.Rate(num=24, den=1),
                        duration_frames=round(24 * seconds_per_cue),
                        seed=n * 1000 + r + (500 if tag else 0),
                    )  # distinct seeds: no cache hits
                    t0 = time.perf_counter()
                    while True:
                        try:
                            job = engine.SubmitJob(
                                pb.SubmitJobRequest(
                                    segments=[seg], output_dir=f"{tmp}/{tag}c{n}/{r}"
                                ),
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
                    if tag:  # warm-up: not counted
                        continue
                    with lock:
                        latencies.append(time.perf_counter() - t0)
                        failures += not ok
                        done_count[0] += 1
                        if done_count[0] in (total // 4, total // 2, 3 * total // 4):
                            memory.append(server.rss_mib())

        # Warm-up with the same shape (every client once, a score and its watchers), so the
        # baseline counts the thread pool and caches a serving process keeps at this
        # concurrency, not a cold start; the run after it must not grow from there.
        cold = server.rss_mib()
        warm = start_score(min(40, watched_cues), "warm-up")
        threads = [threading.Thread(target=watcher, args=(warm,)) for _ in range(watchers)]
        threads += [threading.Thread(target=client, args=(n, 1, "w")) for n in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=600)
        time.sleep(2.0)  # the server trims once idle
        for mode in watch_modes:
            watch_modes[mode] = 0
        gc.collect()
        memory.append(server.rss_mib())

        # Idle clients: connected (one call each), then holding their connections open.
        idle_channels = [grpc.insecure_channel(server.address) for _ in range(idle)]
        for channel in idle_channels:
            pb_grpc.CueEngineStub(channel).GetEngineInfo(pb.EngineInfoRequest(), timeout=30)
        watched = start_score(watched_cues, "watched")
        watcher_threads = [threading.Thread(target=watcher, args=(watched,))
                           for _ in range(watchers)]  # fmt: skip
        prober = threading.Thread(target=probe, args=(watched,))
        prober.start()
        for t in watcher_threads:
            t.start()

        t0 = time.perf_counter()
        threads = [threading.Thread(target=client, args=(n, requests)) for n in range(clients)]
        for t in threads:
            t.start()
        talk = None
        if dialogue_hours > 0:  # beside the clients: it reads its dialogue while they run
            talk = start_score(1, f"{dialogue_hours:g}-hour dialogue",
                               _dialogue_timeline(Path(tmp), dialogue_hours))  # fmt: skip
            reader = threading.Thread(target=follow_the_read, args=(talk, time.perf_counter()))
            reader.start()
        for t in threads:
            t.join(timeout=600)
        wall = time.perf_counter() - t0
        if talk is not None:
            read_over.set()
            reader.join()
        for channel in idle_channels:
            channel.close()
        for t in watcher_threads:
            t.join(timeout=600)
        stop_probe.set()
        prober.join()
        memory.append(server.rss_mib())
        gc.collect()
        time.sleep(2.0)  # let the finished streams' threads wind down
        memory.append(server.rss_mib())
        server.stop()

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
        "cold_rss_mib": cold,
        "control_max_s": max(control) if control else float("nan"),
        "control_p99_s": sorted(control)[int(0.99 * (len(control) - 1))] if control else 0.0,
        "control_calls": len(control),
        "control_slowest": slowest,
        "watchers": watch_modes,
        "start_score_s": start_times,
        "dialogue": dialogue,
        "idle": idle,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--cue-seconds", type=float, default=0.5)
    parser.add_argument("--watchers", type=int, default=300)
    parser.add_argument("--idle", type=int, default=20, help="clients holding idle connections")
    parser.add_argument("--dialogue-hours", type=float, default=2.0)
    args = parser.parse_args()
    parser_watchers = 60 if args.quick else args.watchers
    clients, requests = (10, 5) if args.quick else (args.clients, args.requests)
    watched_cues = 40 if args.quick else 400
    r = run(clients, requests, args.cue_seconds, parser_watchers, watched_cues, args.idle,
            args.dialogue_hours)  # fmt: skip
    print(f"{clients} clients x {requests} requests, {args.cue_seconds} s cues, "
          f"{parser_watchers} watchers on one {watched_cues}-cue score")  # fmt: skip
    print(
        f"answered {r['requests']}/{r['expected']}, failures {r['failures']}, "
        f"RESOURCE_EXHAUSTED retries {r['resource_exhausted_retries']}"
    )
    print(
        f"p50 {r['p50_s'] * 1000:.0f} ms, p99 {r['p99_s'] * 1000:.0f} ms, "
        f"throughput {r['throughput_rps']:.1f} req/s over {r['wall_s']:.1f} s"
    )
    w = r["watchers"]
    print(f"watchers: {w['streamed']} streamed, {w['polled']} told to poll, {w['failed']} failed")
    print(
        f"control calls (GetScore, GetEngineInfo, health): {r['control_calls']} calls, "
        f"p99 {r['control_p99_s'] * 1000:.0f} ms, slowest {r['control_max_s'] * 1000:.0f} ms "
        f"({'all under 1 s' if r['control_max_s'] < 1.0 else 'OVER 1 s'})"
    )
    print(f"{r['idle']} clients held idle connections through the run")
    for name, took in r["start_score_s"].items():
        verdict = "under 1 s" if took < 1.0 else "OVER 1 s"
        print(f"StartScore answered in {took * 1000:.0f} ms for the {name} score ({verdict})")
    print("  slowest of each: " + ", ".join(
        f"{k} {v * 1000:.0f} ms" for k, v in r["control_slowest"].items()))  # fmt: skip
    d = r["dialogue"]
    if d:
        read = (f"read its {args.dialogue_hours:g} h of dialogue in {d['read_s']:.0f} s"
                if "read_s" in d else "still reading when the clients were done")  # fmt: skip
        print(f"the dialogue score {read} ({d['progress']!r}); cancelled: "
              f"{d['final']} {d['cancelled_s'] * 1000:.0f} ms later")  # fmt: skip
    slowest_start = max(r["start_score_s"].values())
    for goal, took in (("control calls", r["control_max_s"]), ("StartScore", slowest_start)):
        verdict = "holds" if took < 1.0 else "DOES NOT hold"
        print(f"goal: {goal} under 1 s: slowest {took * 1000:.0f} ms ({verdict})")
    mem = r["rss_mib"]
    print(
        "server RSS MiB at start, 25/50/75 %, end of work, after: "
        + ", ".join(f"{m:.0f}" for m in mem)
    )
    print(f"(cold start before the warm-up: {r['cold_rss_mib']:.0f} MiB)")
    growth = (mem[-1] - mem[0]) / mem[0]
    print(
        f"memory after the run vs its start: {growth * 100:+.1f} % "
        f"({'within 10 %' if abs(growth) < 0.10 else 'NOT within 10 %'})"
    )


if __name__ == "__main__":
    main()
