"""A remote engine with no storage shared with the bridge delivers every cue over the wire.

Two real servers on loopback: an engine that writes cues into its own folder, and a bridge
(`--engine`) with a different cue folder. The bridge fetches each cue's bytes (ReadCueFiles),
checks them and writes them where the editor asked; the engine's folder is never named to it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import grpc
import opentimelineio as otio
import pytest

from cuebridge.app.demo_film import make_feature_timeline
from cuebridge.app.host import start_server
from cuebridge.bridge.cue_transfer import DamagedTransfer, _IncomingFile
from cuebridge.v1 import bridge_pb2 as bpb
from cuebridge.v1 import bridge_pb2_grpc as bpb_grpc
from cuebridge.v1 import engine_pb2 as pb
from tests.integration.helpers import run_score, wav_facts

CUES = 4


def _sha(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_a_remote_engine_delivers_every_cue_and_its_stems_into_the_bridges_own_folder(tmp_path):
    engine_side, bridge_side = tmp_path / "engine-machine", tmp_path / "editor-machine"
    engine = start_server(
        "127.0.0.1", 0, state_dir=engine_side / "state", output_root=engine_side / "cues"
    )
    bridge = start_server("127.0.0.1", 0, engine_target=engine.address, state_dir=bridge_side)
    timeline = bridge_side / "reel1.otio"
    bridge_side.mkdir(exist_ok=True)
    otio.adapters.write_to_file(make_feature_timeline(minutes=3, cues=CUES, seed=7), str(timeline))
    cue_dir = bridge_side / "reel1_cues"
    try:
        with grpc.insecure_channel(bridge.address) as channel:
            final, _ = run_score(
                bpb_grpc.BridgeStub(channel),
                bpb.ScoreRequest(
                    timeline_path=str(timeline),
                    output_path=str(bridge_side / "reel1_scored.otio"),
                    cue_dir=str(cue_dir),
                    generation=pb.GenerationOptions(stems=True),  # stems travel too
                ),
            )
        engine_cues = {
            r.segment.id: r.cue for job in engine.jobs._jobs.values() for r in _results(job)
        }
    finally:
        bridge.stop(0)
        engine.stop(0)
    assert final.state == pb.JOB_STATE_SUCCEEDED, final.message
    placements = final.result.placements
    assert len(placements) == CUES
    for p in placements:
        local = Path(p.cue.audio_path)
        assert local.parent == cue_dir, local  # where the editor asked, not the engine's folder
        assert Path(p.cue.midi_path).parent == cue_dir
        remote = engine_cues[p.segment_id]
        assert Path(remote.audio_path).is_relative_to(engine_side / "cues")
        assert _sha(local) == _sha(remote.audio_path)  # the very bytes the engine made
        assert _sha(p.cue.midi_path) == _sha(remote.midi_path)
        assert wav_facts(local)[2] == p.cue.num_samples
        assert p.cue.stem_paths and set(p.cue.stem_paths) == set(remote.stem_paths)
        for section, path in p.cue.stem_paths.items():
            assert Path(path).parent == cue_dir
            assert _sha(path) == _sha(remote.stem_paths[section])
    assert not list(cue_dir.glob(".*.tmp"))  # no temp file left behind
    # The written timeline points at the bridge's copies.
    scored = otio.adapters.read_from_file(str(bridge_side / "reel1_scored.otio"))
    score_track = next(t for t in scored.audio_tracks() if t.name == "Score")
    urls = [c.media_reference.target_url for c in score_track.find_clips()]
    assert len(urls) == CUES and all(str(cue_dir) in u for u in urls), urls


def _results(job):
    return [r for r in job.runs if r.cue is not None]


def test_a_damaged_transfer_is_refused_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / "cue_a.wav"
    target.write_bytes(b"the cue an earlier score placed")
    header = pb.CueFileChunk(kind="audio", size=5, sha256=hashlib.sha256(b"hello").hexdigest())
    incoming = _IncomingFile("audio", target, header)
    incoming.write(b"hellx")
    with pytest.raises(DamagedTransfer, match="checksum differs"):
        incoming.commit()
    assert target.read_bytes() == b"the cue an earlier score placed"
    assert list(tmp_path.iterdir()) == [target]
