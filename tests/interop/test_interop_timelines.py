"""Real timelines written by other tools (tests/data/interop): read, scored, written, unharmed.

Media named by these files does not exist here, so every cue is scored from the edit structure
alone (`--segments scenes`). Their original tracks must come back unchanged in OTIO and FCP 7 XML.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import grpc
import opentimelineio as otio
import pytest

from cuebridge.bridge.scoring import convert
from cuebridge.bridge.timeline_io import read_timeline, write_timeline
from cuebridge.v1 import bridge_pb2 as bpb
from cuebridge.v1 import engine_pb2 as pb
from tests.conftest import interop_files
from tests.integration.helpers import run_score

EDL_RATES = {"25fps.edl": 25}
EMPTY = {"sample_just_track.xml"}  # a sequence with no clips: nothing to score


@pytest.fixture
def stub(bridge):
    return bridge


def _signature(track: otio.schema.Track, rate: Fraction) -> list:
    """What an editor would call the track's content: each item's kind, name and placement."""
    out = [track.kind, track.name]
    ranges = track.range_of_all_children()
    for child in track:
        rng = ranges[child]
        out.append(
            (
                type(child).__name__,
                child.name,
                round(rng.start_time.to_seconds() * rate),
                round(rng.duration.to_seconds() * rate),
            )
        )
    return out


@pytest.mark.parametrize("path", interop_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_interop_timeline_scored_and_kept(path: Path, stub, tmp_path):
    rate = EDL_RATES.get(path.name, 24)
    out = tmp_path / "scored.otio"
    request = bpb.ScoreRequest(
        timeline_path=str(path),
        output_path=str(out),
        rate=pb.Rate(num=rate, den=1),
        selection=bpb.SegmentSelection(mode=bpb.SEGMENT_MODE_SCENES),
        cue_dir=str(tmp_path / "cues"),
    )
    if path.name in EMPTY:
        with pytest.raises(grpc.RpcError) as info:
            stub.StartScore(request)
        assert "nothing to score" in info.value.details() and path.name in info.value.details()
        assert not out.exists()
        return
    job, _ = run_score(stub, request)
    assert job.state == pb.JOB_STATE_SUCCEEDED, job.message
    assert job.result.placements
    original = read_timeline(path, Fraction(rate))
    has_picture = any(t.find_clips() for t in original.video_tracks())
    picture_warnings = [w for w in job.result.warnings if "dialogue not read" not in w]
    assert any("offline" in w for w in picture_warnings) == has_picture
    # Offline sound under a cue: no dialogue map for it, and the editor is told.
    has_sound = any(t.find_clips() for t in original.audio_tracks())
    assert any("dialogue not read" in w for w in job.result.warnings) == has_sound
    fps = Fraction(job.result.placements[0].rate.num, job.result.placements[0].rate.den)
    placed = sorted(p.record_start_frame for p in job.result.placements)

    # The scored timeline written as OTIO, and as FCP 7 XML through the bridge's writer.
    xml = convert(out, tmp_path / "scored.xml")
    for written in (out, xml):
        scored = read_timeline(written)
        baseline = original
        if written.suffix == ".xml":
            # FCP 7 XML cannot hold everything OTIO can: compare with the original written through
            # the same adapter without a score, so only what the score changed can differ.
            baseline = read_timeline(write_timeline(original, tmp_path / "baseline.xml"))
        # FCP 7 XML keeps no track names: the placements say which audio tracks hold the score.
        indices = sorted({p.track_index for p in job.result.placements})
        score = [scored.audio_tracks()[i - 1] for i in indices]
        kept = [t for t in scored.tracks if all(t is not s for s in score)]
        assert [_signature(t, fps) for t in kept] == [_signature(t, fps) for t in baseline.tracks]
        assert written.suffix == ".xml" or all(t.name.startswith("Score") for t in score)
        starts = sorted(
            round(c.range_in_parent().start_time.to_seconds() * fps)
            for t in score
            for c in t.find_clips()
        )
        assert starts == placed, written
