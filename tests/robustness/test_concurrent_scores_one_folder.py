"""Two scores started at once into one cue folder: the second is refused, naming the folder and
the score that holds it; once the first ends the folder is free; a dead process's claim is
stale and taken over."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys

import grpc
import pytest

from cuebridge.bridge.cue_folder_claim import CLAIM_NAME, claim_cue_folder, release_cue_folder
from cuebridge.bridge.errors import TimelineError
from cuebridge.v1 import bridge_pb2 as bpb
from cuebridge.v1 import engine_pb2 as pb


def test_a_second_score_into_the_same_cue_folder_is_refused(bridge, demo24, tmp_path):
    src = tmp_path / "cut.otio"
    shutil.copy(demo24.timeline_path, src)
    cues = tmp_path / "cues"
    request = bpb.ScoreRequest(
        timeline_path=str(src), output_path=str(tmp_path / "a.otio"), cue_dir=str(cues)
    )
    first = bridge.StartScore(request, timeout=60)
    other = bpb.ScoreRequest()
    other.CopyFrom(request)
    other.output_path = str(tmp_path / "b.otio")
    with pytest.raises(grpc.RpcError) as refused:
        bridge.StartScore(other, timeout=60)
    said = refused.value.details()
    assert str(cues.resolve()) in said and "in use by another score" in said
    assert f"{src.resolve()} -> {(tmp_path / 'a.otio').resolve()}" in said  # which score
    bridge.CancelScore(bpb.ScoreRef(score_id=first.id), timeout=30)
    final = list(bridge.WatchScore(bpb.ScoreRef(score_id=first.id), timeout=300))[-1].score
    assert final.state == pb.JOB_STATE_CANCELLED
    assert not (cues / CLAIM_NAME).exists()  # released when the score ended


def test_a_claim_of_a_dead_process_is_taken_over(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    note = {"host": socket.gethostname(), "pid": int(dead.stdout), "score": "old -> gone"}
    (tmp_path / CLAIM_NAME).write_text(json.dumps(note))
    folder = claim_cue_folder(tmp_path, "a -> b")
    with pytest.raises(TimelineError, match="a -> b"):
        claim_cue_folder(tmp_path, "c -> d")  # the same process's other score
    release_cue_folder(folder)
    assert not (tmp_path / CLAIM_NAME).exists()
    release_cue_folder(claim_cue_folder(tmp_path, "c -> d"))
