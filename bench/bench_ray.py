"""Past one machine: Ray replicas, cue bytes over the wire, and where scaling would stop.

Three parts, in one process, each printed as ratios against its own baseline run here:

1. Throughput of the composer on a local Ray cluster (2 CPUs) with 1 and with 2 replicas, beside
   the composer in-process without Ray (the baseline), on the same segments.
2. The cost of returning cue bytes over gRPC (a bridge pointed at a separate engine: ReadCueFiles,
   checksummed, fsync'd) against the engine writing straight into the bridge's folder (the default,
   in-process), end to end on the same reel, and the transfer alone in MB/s.
3. The head's own ceiling: cues per second the head can take in (write the returned bytes, commit
   the segment and the cue cache to the store, tell the watchers) with a model that costs nothing,
   then a calculation of throughput on N GPU workers and the part that stops it (the replicas,
   the head, the network, the bridge's fetch).

    python bench/bench_ray.py            # 16 cues for the replicas, 8 for the wire
    python bench/bench_ray.py --quick    # half as many (CI-sized)
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import grpc
import opentimelineio as otio
import ray

from cuebridge.app.demo_film import make_feature_timeline
from cuebridge.app.host import start_server
from cuebridge.bridge.cue_transfer import fetch_cues
from cuebridge.engine.cue import Cue
from cuebridge.engine.jobs import JobQueue
from cuebridge.engine.models.base import CueModel, ModelStatus
from cuebridge.engine.models.composer.model import ComposerModel
from cuebridge.engine.ray_pool import RayPlan, _write_cue, ray_registry
from cuebridge.engine.registry import ModelEntry, ModelRegistry
from cuebridge.engine.segment import GenerationOptions, Rate, Segment
from cuebridge.engine.settings import EngineSettings
from cuebridge.engine.states import FINAL_JOB_STATES
from cuebridge.engine.store import JobStore
from cuebridge.v1 import bridge_pb2 as bpb
from cuebridge.v1 import bridge_pb2_grpc as bpb_grpc
from cuebridge.v1 import engine_pb2 as pb
from cuebridge.v1 import engine_pb2_grpc as pb_grpc

CUE_S = 20  # seconds of music per benchmark cue (the head's part)
REPLICA_CUE_S = 90  # long enough that the music, not Ray's per-call cost, is what is timed
WAV_BYTES_PER_S = 48_000 * 3 * 2  # 48 kHz, 24-bit, stereo


def segments(n: int, tag: str, seconds: int = REPLICA_CUE_S) -> list[Segment]:
    rate = Rate(24)
    frames = seconds * 24
    return [
        Segment(f"{tag}{i}", rate, frames, cut_frames=(frames // 3, 2 * frames // 3), seed=i)
        for i in range(n)
    ]


# -- 1. replicas ---------------------------------------------------------------------------------


def time_batch(model: CueModel, segs: list[Segment], out: Path) -> float:
    t0 = time.perf_counter()
    results = model.generate_batch(segs, GenerationOptions(model="composer"), out)
    wall = time.perf_counter() - t0
    assert all(isinstance(r, Cue) for r in results), results
    return wall


def replicas_part(n: int, tmp: Path) -> dict[str, float]:
    walls = {"in-process, no Ray": time_batch(ComposerModel(), segments(n, "l"), tmp / "local")}
    for count in (1, 2):
        registry = ray_registry(EngineSettings(), RayPlan(replicas=count))
        model = registry.get("composer")
        model.batch_size = n
        # Start every replica (each makes a cue) before the clock runs.
        time_batch(model, segments(2 * count, "w", CUE_S), tmp / f"warm{count}")
        walls[f"Ray, {count} replica(s)"] = time_batch(model, segments(n, "r"), tmp / f"r{count}")
        model.release()  # free their CPUs for the next run, and wait until Ray has them back
        deadline = time.monotonic() + 30
        while ray.available_resources().get("CPU", 0) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    base = walls["in-process, no Ray"]
    load = os.getloadavg()[0]  # other work on the machine takes from the replicas' 2 CPUs
    print(f"\n1. composer throughput, {n} cues of {REPLICA_CUE_S} s, 2-CPU Ray, load {load:.1f}")
    print(f"   {'run':<22} {'wall s':>7} {'cues/s':>7} {'vs in-process':>14}")
    for name, wall in walls.items():
        print(f"   {name:<22} {wall:7.2f} {n / wall:7.2f} {base / wall:13.2f}x")
    print(f"   2 replicas vs 1: {walls['Ray, 1 replica(s)'] / walls['Ray, 2 replica(s)']:.2f}x")
    return {"replica_s_per_cue": walls["Ray, 1 replica(s)"] / n * CUE_S / REPLICA_CUE_S}


# -- 2. cue bytes over the wire ------------------------------------------------------------------


def score_wall(address: str, reel: Path, out: Path) -> tuple[float, bpb.ScoreJob]:
    out.mkdir(parents=True, exist_ok=True)
    with grpc.insecure_channel(address) as channel:
        stub = bpb_grpc.BridgeStub(channel)
        t0 = time.perf_counter()
        job = stub.StartScore(
            bpb.ScoreRequest(
                timeline_path=str(reel), output_path=str(out / "scored.otio"), fresh=True
            )
        )
        for _ in stub.WatchScore(bpb.ScoreRef(score_id=job.id)):
            pass
        job = stub.GetScore(bpb.ScoreRef(score_id=job.id))  # events carry deltas
        wall = time.perf_counter() - t0
    assert job.state == pb.JOB_STATE_SUCCEEDED, job.message
    return wall, job


def wire_part(n: int, tmp: Path) -> dict[str, float]:
    reel = tmp / "reel.otio"
    otio.adapters.write_to_file(make_feature_timeline(minutes=n, cues=n, seed=3), str(reel))
    engine = start_server("127.0.0.1", 0, state_dir=tmp / "engine-state")
    bridge = start_server("127.0.0.1", 0, engine_target=engine.address, state_dir=tmp / "bridge")
    try:
        local_wall, _ = score_wall(engine.address, reel, tmp / "local")
        remote_wall, job = score_wall(bridge.address, reel, tmp / "remote")
        # The transfer alone, again, from the engine's finished job into a fresh folder.
        engine_job = next(
            j for j in engine.jobs._jobs.values() if engine.jobs.output_root in j.output_dir.parents
        )
        cues = {}
        for run in engine_job.runs:
            msg = pb.Cue(segment_id=run.cue.segment_id, audio_path=run.cue.audio_path)
            cues[run.segment.id] = msg
        size = sum(Path(c.audio_path).stat().st_size for c in cues.values())
        size += sum(Path(r.cue.midi_path).stat().st_size for r in engine_job.runs)
        with grpc.insecure_channel(engine.address) as channel:
            t0 = time.perf_counter()
            fetched, failed = fetch_cues(
                pb_grpc.CueEngineStub(channel), engine_job.id, cues, tmp / "fetched"
            )
            fetch_wall = time.perf_counter() - t0
        assert len(fetched) == len(cues) and not failed
    finally:
        bridge.stop(0)
        engine.stop(0)
    mb = size / 1e6
    music = sum(p.record_duration_frames for p in job.result.placements) / 24
    print(f"\n2. cue bytes over gRPC vs written in place: {n} cues, {music:.0f} s of music")
    print(f"   {'run':<38} {'wall s':>7} {'vs in place':>12}")
    print(f"   {'engine writes into the cue folder':<38} {local_wall:7.2f} {1.0:11.2f}x")
    ratio = remote_wall / local_wall
    print(f"   {'separate engine, bytes over gRPC':<38} {remote_wall:7.2f} {ratio:11.2f}x")
    print(
        f"   the transfer alone: {mb:.1f} MB in {fetch_wall:.2f} s = {mb / fetch_wall:.0f} MB/s "
        f"over loopback, {1000 * fetch_wall / n:.0f} ms per cue "
        f"({100 * fetch_wall / local_wall:.1f}% of the time it took to make them)"
    )
    return {"fetch_mb_s": mb / fetch_wall}


# -- 3. the head's ceiling, and N GPU workers ----------------------------------------------------


class ReturnedBytes(CueModel):
    """What the head does per cue when a replica answers at once: write the bytes it got."""

    name = "returned-bytes"

    def __init__(self, audio: bytes, midi: bytes):
        self.audio, self.midi = audio, midi
        self.batch_size = 16

    def status(self) -> ModelStatus:
        return ModelStatus(self.name, "bench", True, device="ray")

    def generate(self, segment, options, out_dir, should_stop=None) -> Cue:
        n = len(self.audio) // 6
        return _write_cue(segment, out_dir, Cue(segment.id, "", n), self.audio, self.midi)


def head_part(n: int, tmp: Path, cue_s: float) -> float:
    audio = bytes(int(cue_s * WAV_BYTES_PER_S))
    model = ReturnedBytes(audio, bytes(4000))
    registry = ModelRegistry((ModelEntry(model.name, "bench", lambda _: model),))
    jobs = JobQueue(registry, tmp / "head-cues", JobStore(tmp / "head.sqlite3"))
    segs = [Segment(f"h{i}", Rate(24), int(cue_s * 24), seed=i) for i in range(n)]
    t0 = time.perf_counter()
    job = jobs.submit(segs, GenerationOptions(model=model.name))
    while job.state not in FINAL_JOB_STATES:
        time.sleep(0.01)
    wall = time.perf_counter() - t0
    jobs.close()
    jobs.store.close()
    assert job.done == n, job.state
    print(
        f"\n3. the head alone, {n} cues of {cue_s:.0f} s ({len(audio) / 1e6:.1f} MB each) "
        f"returned at once: {n / wall:.1f} cues/s (write, fsync, sha256 for the cache, store)"
    )
    return n / wall


def scaling(head_cues_s: float, fetch_mb_s: float, gpu_s_per_cue: float, cue_s: float) -> None:
    mb_per_cue = cue_s * WAV_BYTES_PER_S / 1e6
    link_mb_s = 1250.0  # one 10 GbE link into the head, both ways shared by replica->head bytes
    ceilings = {
        "head (store + files)": head_cues_s,
        "network (10 GbE)": link_mb_s / mb_per_cue,
        "bridge fetch": fetch_mb_s / mb_per_cue,
    }
    print(
        f"\n   N GPU workers, one replica each, {gpu_s_per_cue:.0f} s of GPU per {cue_s:.0f}-s cue "
        f"(assumed; measure with bench_musicgen.py), {mb_per_cue:.1f} MB per cue:"
    )
    print(f"   {'N':>5} {'cues/hour':>10} {'music h/hour':>13}  limited by")
    for workers in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512):
        rates = {"the replicas": workers / gpu_s_per_cue, **ceilings}
        limit = min(rates, key=rates.get)
        per_s = rates[limit]
        print(f"   {workers:>5} {per_s * 3600:>10.0f} {per_s * cue_s:>13.1f}  {limit}")
    first = min(ceilings, key=ceilings.get)
    knee = ceilings[first] * gpu_s_per_cue
    print(f"   scaling stops near N = {knee:.0f}: beyond it the {first} is the limit")


def composer_knee(head_cues_s: float, head_cue_s: float, replica_s_per_cue: float) -> None:
    # The head's cost per cue is mostly bytes (write, fsync, sha256): scale it to CUE_S cues.
    head = head_cues_s * head_cue_s / CUE_S
    print(
        f"   the composer ({replica_s_per_cue:.2f} s per {CUE_S}-s cue per CPU replica, from "
        f"part 1) meets the head's ceiling (~{head:.0f} cues/s of {CUE_S} s) near "
        f"{head * replica_s_per_cue:.0f} CPUs: it needs no cluster"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 cues per run (CI-sized)")
    parser.add_argument("--gpu-s-per-cue", type=float, default=30.0, help="for the calculation")
    parser.add_argument("--cue-s", type=float, default=60.0, help="cue length for part 3")
    args = parser.parse_args()
    n = 4 if args.quick else 8
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            replica = replicas_part(2 * n, tmp)
            wire = wire_part(n, tmp)
            head = head_part(4 * n, tmp, args.cue_s)
            scaling(head, wire["fetch_mb_s"], args.gpu_s_per_cue, args.cue_s)
            composer_knee(head, args.cue_s, replica["replica_s_per_cue"])
    finally:
        ray.shutdown()


if __name__ == "__main__":
    main()
