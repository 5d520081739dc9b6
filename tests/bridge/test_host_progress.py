"""The progress line both plugins show while a score runs (ScoreJob.progress)."""

from __future__ import annotations

from cuebridge.bridge.host_progress import progress_line
from cuebridge.v1 import bridge_pb2 as bpb
from cuebridge.v1 import engine_pb2 as pb


def _cues(*states):
    names = ("calm", "chase", "end")
    return [
        bpb.CueProgress(segment_id=f"cue-00{n + 1}", name=names[n], state=state)
        for n, state in enumerate(states)
    ]


def test_progress_names_each_cue_by_its_state():
    cues = _cues(pb.SEGMENT_STATE_DONE, pb.SEGMENT_STATE_RUNNING, pb.SEGMENT_STATE_PENDING)
    assert progress_line(cues, "1/3 cues", 1, 3) == "1/3 cues: scoring 'chase'; done 'calm'"
    cues[1].state = pb.SEGMENT_STATE_FAILED
    assert progress_line(cues) == "done 'calm'; failed 'chase'"
    pending = _cues(pb.SEGMENT_STATE_PENDING, pb.SEGMENT_STATE_PENDING)
    assert progress_line(pending) == "waiting for 'calm', 'chase'"
    assert progress_line([], "queued") == "queued"
    unnamed = [bpb.CueProgress(segment_id="cue-007", state=pb.SEGMENT_STATE_RUNNING)]
    assert progress_line(unnamed) == "scoring 'cue-007'"
