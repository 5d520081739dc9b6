"""Reading the dialogue is the score's first phase, not part of StartScore (issue 22 item 2).

Before: StartScore decoded every dialogue clip and looked for speech before answering, so a 2-hour
cue over a tiny sparse WAV took minutes and gigabytes, hit the gateway's deadline (the client never
learnt the score's id), and a cue over the engine's longest was refused only after the read. Now
StartScore refuses what is over the limits at once, answers with the id, and the dialogue is read
in the background, a piece at a time, with progress, and can be cancelled.
"""

from __future__ import annotations

import struct
import time
import tracemalloc
from pathlib import Path

import grpc
import opentimelineio as otio
import pytest

from cuebridge.app.host import start_server
from cuebridge.bridge.score_store import ScoreStore
from cuebridge.bridge.speech import speech_in
from cuebridge.v1 import bridge_pb2 as bpb
from cuebridge.v1 import bridge_pb2_grpc as bpb_grpc
from cuebridge.v1 import engine_pb2 as pb
from tests.robustness.instant_model import instant_registry

RATE = 24
# Generous: an answer that waits for the read takes minutes for these lengths, even on an idle
# machine; this is a deadline against a hang, not a measure of speed (bench/load_server.py).
ANSWER_S = 30


def sparse_wav(path: Path, seconds: float, sr: int = 48_000) -> Path:
    """A mono 16-bit WAV of `seconds` of silence that takes no disk (a sparse file)."""
    data = round(seconds * sr) * 2
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 36 + data) + b"WAVE")
        f.write(b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, sr, sr * 2, 2, 16))
        f.write(b"data" + struct.pack("<I", data))
        f.truncate(44 + data)
    return path


def dialogue_timeline(folder: Path, seconds: float, wav_seconds: float | None = None) -> Path:
    """One cue of `seconds` over a dialogue track whose clip is a sparse WAV."""
    wav = sparse_wav(folder / "dialogue.wav", wav_seconds or seconds)
    length = otio.opentime.TimeRange(
        otio.opentime.RationalTime(0, RATE), otio.opentime.RationalTime(round(seconds * RATE), RATE)
    )
    tl = otio.schema.Timeline(name="talk")
    video = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    video.append(otio.schema.Clip(name="plate", source_range=length))
    audio = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
    ref = otio.schema.ExternalReference(target_url=str(wav), available_range=length)
    audio.append(otio.schema.Clip(name="dialogue", source_range=length, media_reference=ref))
    tl.tracks.extend([video, audio])
    tl.tracks.markers.append(otio.schema.Marker(name="the long talk", marked_range=length))
    path = folder / "talk.otio"
    otio.adapters.write_to_file(tl, str(path))
    return path


def _request(timeline: Path, out: Path) -> bpb.ScoreRequest:
    return bpb.ScoreRequest(
        timeline_path=str(timeline),
        output_path=str(out),
        generation=pb.GenerationOptions(model="instant"),
    )


def _until_final(stub, score_id: str, wait_s: float = 60) -> bpb.ScoreJob:
    deadline = time.monotonic() + wait_s
    while True:
        job = stub.GetScore(bpb.ScoreRef(score_id=score_id), timeout=10)
        if job.state in (
            pb.JOB_STATE_SUCCEEDED,
            pb.JOB_STATE_PARTIAL,
            pb.JOB_STATE_FAILED,
            pb.JOB_STATE_CANCELLED,
        ):
            return job
        assert time.monotonic() < deadline, f"still {job.message!r} after {wait_s} s"
        time.sleep(0.2)


@pytest.fixture
def server_registry():
    return instant_registry()  # conftest's `server` and `stub` host it


def test_start_score_answers_at_once_and_the_read_can_be_cancelled(stub, tmp_path):
    timeline = dialogue_timeline(tmp_path, 2 * 3600)
    out = tmp_path / "talk.scored.otio"
    started = stub.StartScore(_request(timeline, out), timeout=ANSWER_S)
    assert started.id and started.state == pb.JOB_STATE_QUEUED
    assert started.message.startswith("reading dialogue"), started.message
    job = stub.GetScore(bpb.ScoreRef(score_id=started.id), timeout=10)
    assert "of 1 clip" in job.progress, job.progress
    stub.CancelScore(bpb.ScoreRef(score_id=started.id), timeout=10)
    final = _until_final(stub, started.id)
    assert final.state == pb.JOB_STATE_CANCELLED, final.message
    assert "dialogue" in final.message and "again" in final.message
    assert not out.exists()


def test_a_cue_over_the_longest_is_refused_before_the_dialogue_is_read(stub, tmp_path):
    timeline = dialogue_timeline(tmp_path, 3 * 3600 + 60)
    with pytest.raises(grpc.RpcError) as refused:
        stub.StartScore(_request(timeline, tmp_path / "o.otio"), timeout=ANSWER_S)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    message = refused.value.details()
    assert "the long talk" in message and "3 h" in message and "in parts" in message
    assert not (tmp_path / "o.otio").exists()


def test_dialogue_that_cannot_be_read_warns_and_scores_the_cue(stub, tmp_path):
    timeline = dialogue_timeline(tmp_path, 4)
    (tmp_path / "dialogue.wav").write_bytes(b"RIFF junk, not a WAV at all" * 10)
    out = tmp_path / "talk.scored.otio"
    started = stub.StartScore(_request(timeline, out), timeout=ANSWER_S)
    final = _until_final(stub, started.id)
    assert final.state == pb.JOB_STATE_SUCCEEDED, final.message
    [warning] = [w for w in final.result.warnings if "dialogue" in w]
    assert "dialogue.wav" in warning and "without a dialogue map" in warning
    assert out.exists()


def test_a_short_dialogue_score_reads_then_scores(stub, tmp_path):
    timeline = dialogue_timeline(tmp_path, 6)
    out = tmp_path / "talk.scored.otio"
    started = stub.StartScore(_request(timeline, out), timeout=ANSWER_S)
    final = _until_final(stub, started.id)
    assert final.state == pb.JOB_STATE_SUCCEEDED, final.message
    [placement] = final.result.placements
    assert list(placement.cue.speech) == []  # silence: no line, and a map (no warning)
    assert not [w for w in final.result.warnings if "dialogue" in w] and out.exists()


def test_a_resumed_score_reads_its_dialogue_without_holding_up_the_start(tmp_path):
    # A bridge killed while it read a score's dialogue left it in its store with no engine job.
    timeline = dialogue_timeline(tmp_path, 2 * 3600)
    state = tmp_path / "state"
    state.mkdir()
    store = ScoreStore(state / "bridge.sqlite3")
    store.add("talk0001", _request(timeline, tmp_path / "talk.scored.otio"), "", 1)
    store.close()
    began = time.monotonic()
    running = start_server(
        "127.0.0.1", 0, state_dir=state, registry=instant_registry(), resume=True
    )
    try:
        assert time.monotonic() - began < ANSWER_S
        with grpc.insecure_channel(running.address) as channel:
            stub = bpb_grpc.BridgeStub(channel)
            job = stub.GetScore(bpb.ScoreRef(score_id="talk0001"), timeout=10)
            assert job.state == pb.JOB_STATE_QUEUED and "reading dialogue" in job.message
            stub.CancelScore(bpb.ScoreRef(score_id="talk0001"), timeout=10)
            assert _until_final(stub, "talk0001").state == pb.JOB_STATE_CANCELLED
    finally:
        running.stop(0)


def test_reading_a_long_range_holds_a_piece_of_it_not_all(tmp_path):
    wav = sparse_wav(tmp_path / "five-minutes.wav", 300)
    tracemalloc.start()
    try:
        assert speech_in(wav, 0.0, 300.0, None) == []
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The whole range at 16 kHz float32 is 19 MB; before, the read held it two or three times.
    assert peak < 12 * 2**20, f"the read peaked at {peak / 2**20:.1f} MiB"


def test_an_engine_refusal_after_the_read_fails_the_score_not_the_call(tmp_path):
    from cuebridge.engine.jobs import EngineLimits

    running = start_server(
        "127.0.0.1",
        0,
        state_dir=tmp_path / "state",
        registry=instant_registry(),
        limits=EngineLimits(max_segment_s=2),  # an engine whose longest cue is 2 s
    )
    try:
        with grpc.insecure_channel(running.address) as channel:
            stub = bpb_grpc.BridgeStub(channel)
            timeline = dialogue_timeline(tmp_path, 4)
            started = stub.StartScore(_request(timeline, tmp_path / "o.otio"), timeout=ANSWER_S)
            final = _until_final(stub, started.id)
    finally:
        running.stop(0)
    assert final.state == pb.JOB_STATE_FAILED
    assert "refused" in final.message and "longest cue is 2 s" in final.message, final.message
    assert not (tmp_path / "o.otio").exists()


def test_a_stopping_server_stops_the_read_and_keeps_the_score_for_resume(tmp_path):
    import threading

    state = tmp_path / "state"
    running = start_server(
        "127.0.0.1", 0, state_dir=state, registry=instant_registry(), resume=True
    )
    try:
        with grpc.insecure_channel(running.address) as channel:
            stub = bpb_grpc.BridgeStub(channel)
            timeline = dialogue_timeline(tmp_path, 2 * 3600)
            request = _request(timeline, tmp_path / "talk.scored.otio")
            score_id = stub.StartScore(request, timeout=ANSWER_S).id
    finally:
        running.stop(0)
    deadline = time.monotonic() + 30
    while any(t.name == f"score-{score_id}" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the dialogue read went on after the server stopped"
        time.sleep(0.1)
    store = ScoreStore(state / "bridge.sqlite3")
    try:
        [kept] = store.unfinished()
    finally:
        store.close()
    assert kept.id == score_id and kept.engine_job_id == ""
