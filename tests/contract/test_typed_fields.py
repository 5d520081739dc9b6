"""The contract is typed: feel, guidance, ducking, speech, takes and keyframes are fields; the
string maps carry no JSON. A real engine behind real gRPC on loopback; the composer makes cues."""

from __future__ import annotations

import json
import re
from pathlib import Path

import grpc
import pytest

from cuebridge.engine.wire import options_from_pb
from cuebridge.v1 import engine_pb2 as pb
from cuebridge.v1 import engine_pb2_grpc

ENGINE = Path(__file__).resolve().parents[2] / "engine"


def _is_json_structure(text: str) -> bool:
    try:
        return isinstance(json.loads(text), (list, dict))
    except ValueError:
        return False


@pytest.fixture
def engine(loopback_server):
    with grpc.insecure_channel(loopback_server.address) as channel:
        yield engine_pb2_grpc.CueEngineStub(channel)


def test_a_cue_under_speech_answers_typed_fields_and_no_json(engine, tmp_path):
    segment = pb.Segment(
        id="cue-001",
        rate=pb.Rate(num=24, den=1),
        duration_frames=6 * 24,
        mood="warm",
        seed=4,
        speech=[pb.FrameRange(start_frame=24, end_frame=72)],
    )
    options = pb.GenerationOptions(
        feel=pb.Feel(valence=-0.5, arousal=0.25, style="grief"),
        ducking=pb.Ducking(depth_db=-9),
    )
    job = engine.SubmitJob(
        pb.SubmitJobRequest(segments=[segment], options=options, output_dir=str(tmp_path))
    )
    for _ in engine.WatchJob(pb.JobRef(job_id=job.id)):
        pass
    [result] = engine.GetJob(pb.JobRef(job_id=job.id)).segments
    assert result.state == pb.SEGMENT_STATE_DONE, result.error
    cue = result.cue
    assert cue.feel.source == "options" and cue.feel.style == "grief"
    assert cue.feel.valence == pytest.approx(-0.5) and cue.feel.arousal == pytest.approx(0.25)
    assert [(s.start_s, s.end_s) for s in cue.speech] == [(1.0, 3.0)]
    assert cue.duck_db == -9
    dips = [k for k in cue.duck_keyframes if k.gain_db == -9]
    assert [k.time_s for k in dips] == [1.0, 3.0]
    maps = {**cue.metadata, **cue.stem_paths}
    assert not [k for k, v in maps.items() if _is_json_structure(v)], maps
    assert "dialogue.speech_s" not in cue.metadata and "valence" not in cue.metadata


def test_typed_options_win_and_an_older_clients_extra_still_maps():
    typed = options_from_pb(
        pb.GenerationOptions(
            guidance_mode=pb.GUIDANCE_MODE_TEXT_AND_VIDEO_NULL,
            ducking=pb.Ducking(off=True),
            genre="jazz",
            feel=pb.Feel(arousal=0.5),
            extra={"guidance": "ossl", "genre": "rock"},
        )
    )
    assert typed.guidance_mode == "text-and-video-null" and typed.genre == "jazz"
    assert typed.duck_off and typed.feel.arousal == 0.5 and typed.feel.valence is None
    old = options_from_pb(
        pb.GenerationOptions(extra={"duck": "-9 dB", "valence": "0.3", "guidance": "ossl"})
    )
    assert old.duck_db == -9 and old.feel.valence == 0.3 and old.guidance_mode == "ossl"
    assert not hasattr(old, "extra")  # no model can read a string bag


def test_no_engine_module_reads_an_extra_key():
    readers = [
        f"{p.relative_to(ENGINE)}:{n}"
        for p in ENGINE.rglob("*.py")
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if re.search(r"\boptions\.extra\b", line)
    ]
    assert readers == []
