"""A cancelled score keeps the cues it made; its message says that running it again resumes."""

from __future__ import annotations

import shutil

from cuebridge.v1 import bridge_pb2 as bpb
from cuebridge.v1 import engine_pb2 as pb


def test_a_cancelled_score_says_rerunning_resumes(bridge, demo24, tmp_path):
    src = tmp_path / "cut.otio"
    shutil.copy(demo24.timeline_path, src)
    job = bridge.StartScore(
        bpb.ScoreRequest(timeline_path=str(src), output_path=str(tmp_path / "cut.scored.otio")),
        timeout=60,
    )
    bridge.CancelScore(bpb.ScoreRef(score_id=job.id), timeout=30)
    final = list(bridge.WatchScore(bpb.ScoreRef(score_id=job.id), timeout=300))[-1].score
    assert final.state == pb.JOB_STATE_CANCELLED, final.message
    assert "cancelled" in final.message and "again" in final.message
    assert "resume" in final.message, final.message
    assert not (tmp_path / "cut.scored.otio").exists()
