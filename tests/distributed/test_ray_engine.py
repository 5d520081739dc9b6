"""Scoring through a Ray cluster: the same cues as local scoring, and no cue lost to a dead worker.

One local Ray cluster (2 CPUs, no dashboard) serves the whole module: Ray takes seconds to start.
The engine hosts the composer as 2 replicas (one per CPU) and fans each batch out over them;
jobs, the cue cache and the files stay with the head, as without Ray.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import grpc
import opentimelineio as otio
import pytest
import ray

from cuebridge.app.demo_film import make_feature_timeline
from cuebridge.app.host import start_server
from cuebridge.engine.ray_pool import RayCueModel, replica_plan
from cuebridge.v1 import bridge_pb2 as bpb
from cuebridge.v1 import bridge_pb2_grpc as bpb_grpc
from cuebridge.v1 import engine_pb2 as pb
from tests.integration.helpers import run_score

CUES = 6


@pytest.fixture(scope="module")
def ray_cluster():
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR")
    yield ray.cluster_resources()
    ray.shutdown()


def _until_every_cpu_is_free(cluster: dict[str, float], wait_s: float = 30) -> None:
    deadline = time.monotonic() + wait_s
    while ray.available_resources().get("CPU", 0) < cluster["CPU"]:
        assert time.monotonic() < deadline, (
            f"CPUs still held on the cluster: {ray.available_resources()}"
        )
        time.sleep(0.2)


@pytest.fixture(autouse=True)
def _every_cpu_free_between_tests(request):
    """A replica a test left behind would make the next test's replicas wait for ever: fail
    here, naming what is held, instead."""
    if "ray_cluster" in request.fixturenames:
        _until_every_cpu_is_free(request.getfixturevalue("ray_cluster"))
    yield


@pytest.fixture(scope="module")
def reel(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("reel")
    path = folder / "reel1.otio"
    otio.adapters.write_to_file(make_feature_timeline(minutes=3, cues=CUES, seed=11), str(path))
    return path


@pytest.fixture(scope="module")
def local_score(reel, tmp_path_factory) -> dict[str, tuple[int, str, str]]:
    """The reel scored in-process without Ray: the reference every Ray score must equal."""
    out = tmp_path_factory.mktemp("local")
    server = start_server("127.0.0.1", 0, state_dir=out / "state")
    try:
        final = _score(server, reel, out)
    finally:
        server.stop(0)
    assert final.state == pb.JOB_STATE_SUCCEEDED, final.message
    return _facts(final)


def _score(server, reel: Path, out: Path, on_event=None) -> bpb.ScoreJob:
    with grpc.insecure_channel(server.address) as channel:
        stub = bpb_grpc.BridgeStub(channel)
        if on_event is None:
            return run_score(stub, _request(reel, out))[0]
        job = stub.StartScore(_request(reel, out), timeout=60)
        for event in stub.WatchScore(bpb.ScoreRef(score_id=job.id), timeout=300):
            on_event(event.score)
        return stub.GetScore(bpb.ScoreRef(score_id=job.id))  # events carry deltas


def _request(reel: Path, out: Path) -> bpb.ScoreRequest:
    return bpb.ScoreRequest(
        timeline_path=str(reel), output_path=str(out / "scored.otio"), cue_dir=str(out / "cues")
    )


def _facts(final: bpb.ScoreJob) -> dict[str, tuple[int, str, str]]:
    """Per segment: where the cue sits on the timeline, and the sha256 of its WAV and MIDI."""
    return {
        p.segment_id: (p.record_start_frame, _sha(p.cue.audio_path), _sha(p.cue.midi_path))
        for p in final.result.placements
    }


def _sha(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_ray_replicas_follow_the_clusters_resources():
    assert replica_plan("composer", {"CPU": 8.0, "GPU": 2.0}) == (8, {"num_cpus": 1.0})
    assert replica_plan("musicgen-video", {"CPU": 8.0, "GPU": 2.0}) == (
        2,
        {"num_gpus": 1, "num_cpus": 1},
    )


def test_jobs_side_by_side_share_one_set_of_replicas(ray_cluster, tmp_path):
    """Two jobs' first batches at once must not each start a set: the second set would wait
    forever for the CPUs the first holds (a hang CI once met)."""
    import threading

    from cuebridge.engine.registry import BUILTIN_MODELS
    from cuebridge.engine.settings import EngineSettings

    [entry] = [e for e in BUILTIN_MODELS if e.name == "composer"]
    model = RayCueModel(entry, EngineSettings(), 2, {"num_cpus": 1.0})
    start = threading.Barrier(6)
    sets: list[list] = []

    def first_batch() -> None:
        start.wait()
        sets.append(model._ensure_replicas())

    threads = [threading.Thread(target=first_batch) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert len(sets) == 6 and all(s is sets[0] for s in sets)
        assert len(sets[0]) == 2
    finally:
        model.close()  # at once, while the replicas may still be starting
    assert model.replicas == []
    # Their CPUs went back to the cluster: a replica killed mid-start once kept one for good.
    _until_every_cpu_is_free(ray_cluster)


def test_a_ray_score_places_every_cue_byte_identical_to_local_scoring(
    ray_cluster, reel, local_score, tmp_path
):
    server = start_server("127.0.0.1", 0, state_dir=tmp_path / "state", ray="auto")
    try:
        model = server.jobs.registry.get("composer")
        assert isinstance(model, RayCueModel) and model.count == 2
        final = _score(server, reel, tmp_path)
    finally:
        server.stop(0)
    assert final.state == pb.JOB_STATE_SUCCEEDED, final.message
    assert len(final.result.placements) == CUES
    assert _facts(final) == local_score
    for p in final.result.placements:
        assert Path(p.cue.audio_path).parent == tmp_path / "cues"


def test_a_replica_killed_mid_batch_loses_no_cue(ray_cluster, reel, local_score, tmp_path):
    server = start_server("127.0.0.1", 0, state_dir=tmp_path / "state", ray="auto")
    model = server.jobs.registry.get("composer")
    killed = []

    def kill_every_replica_after_the_first_cue(score: bpb.ScoreJob) -> None:
        # The first cue is back: one replica has taken the next segment, the other is mid-cue.
        if score.done >= 1 and not killed:
            for actor in model.replicas:
                ray.kill(actor, no_restart=False)  # as a worker process dying would
            killed.append(score.done)

    try:
        final = _score(server, reel, tmp_path, kill_every_replica_after_the_first_cue)
    finally:
        server.stop(0)
    assert killed and killed[0] < CUES  # the replicas died with cues still to make
    assert final.state == pb.JOB_STATE_SUCCEEDED, final.message
    assert _facts(final) == local_score


def test_a_batch_of_reels_through_a_ray_head_runs_jobs_side_by_side(ray_cluster, tmp_path):
    """`cuebridge batch --engine HEAD`: the reels' jobs share the replicas, the cues come back
    over the wire into --out (the head's cue folder is its own), every cue placed."""
    from click.testing import CliRunner

    from cuebridge.app.commands.common import EXIT_OK
    from cuebridge.app.main import main

    reels = []
    for n in (1, 2, 3):
        reel = tmp_path / f"reel{n}.otio"
        otio.adapters.write_to_file(make_feature_timeline(minutes=2, cues=2, seed=n), str(reel))
        reels.append(str(reel))
    head = start_server("127.0.0.1", 0, state_dir=tmp_path / "head", ray="auto")
    try:
        assert head.jobs.registry.get("composer").concurrent_jobs == 2
        result = CliRunner().invoke(
            main, ["batch", *reels, "--out", str(tmp_path / "out"), "--engine", head.address]
        )
        workers = [w.name for w in head.jobs._workers]
    finally:
        head.stop(0)
    assert result.exit_code == EXIT_OK, result.output
    assert result.stdout.splitlines()[-1] == "3 reel(s): 6/6 cue(s) placed"
    assert len(workers) == 2  # two jobs at once on the composer's replicas
    for n in (1, 2, 3):
        assert len(list((tmp_path / "out" / f"reel{n}_cues").glob("*.wav"))) == 2
    # The head wrote each cue into its own folder; the bridge's copies came over the wire.
    assert len(list((tmp_path / "head").rglob("*.wav"))) == 6


def test_a_stopped_head_resumes_its_ray_job(ray_cluster, reel, local_score, tmp_path):
    """Jobs stay in the head's store: a head stopped mid-job (its replicas gone with it, as with
    a killed head process) finishes the job on its next start, every cue as scored locally."""
    state = tmp_path / "state"
    first = start_server("127.0.0.1", 0, state_dir=state, ray="auto", resume=True)
    stopped = []

    def stop_the_head_after_the_first_cue(score: bpb.ScoreJob) -> None:
        if score.done >= 1 and not stopped:
            stopped.append(score.done)
            first.stop(0)  # as SIGTERM does: the rest stays queued in the store

    with pytest.raises(grpc.RpcError):  # the watch ends with the server
        _score(first, reel, tmp_path, stop_the_head_after_the_first_cue)
    assert stopped[0] < CUES
    assert first.jobs.registry.get("composer").replicas == []  # their CPUs went back to Ray
    again = start_server("127.0.0.1", 0, state_dir=state, ray="auto", resume=True)
    try:
        [score_id] = list(again.bridge._runs)
        with grpc.insecure_channel(again.address) as channel:
            stub = bpb_grpc.BridgeStub(channel)
            list(stub.WatchScore(bpb.ScoreRef(score_id=score_id), timeout=120))  # to its end
            last = stub.GetScore(bpb.ScoreRef(score_id=score_id))  # events carry deltas
    finally:
        again.stop(0)
    assert last.state == pb.JOB_STATE_SUCCEEDED, last.message
    assert _facts(last) == local_score
