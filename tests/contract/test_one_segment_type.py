"""One segment, media span, rate and job-state list, in the contract: both halves use them."""

from __future__ import annotations

from fractions import Fraction

import pytest

from cuebridge.bridge import segments as bridge_segments
from cuebridge.contract import FINAL_JOB_STATES, FINAL_WIRE_JOB_STATES, JobState, SegmentState
from cuebridge.contract.segment import (
    MediaSpan,
    Rate,
    Segment,
    segment_as_dict,
    segment_from_dict,
    segment_from_pb,
    segment_to_pb,
)
from cuebridge.engine import segment as engine_segment
from cuebridge.engine import states as engine_states
from cuebridge.v1 import engine_pb2 as pb


def test_the_bridge_and_the_engine_hold_the_same_types():
    assert bridge_segments.Segment is engine_segment.Segment is Segment
    assert bridge_segments.MediaSpan is engine_segment.MediaSpan is MediaSpan
    assert engine_states.JobState is JobState and engine_states.SegmentState is SegmentState


@pytest.mark.parametrize(
    "rate", [Rate(24), Rate(25), Rate(30000, 1001), Rate(Fraction(24000, 1001))]
)
def test_a_segment_crosses_the_wire_and_the_store_unchanged(rate):
    seg = Segment(
        "cue-007",
        rate,
        1001,
        cut_frames=(10, 500),
        hit_frames=(3,),
        media=(MediaSpan("/m/a.mov", 1.5, 40.0, 0, 960, "A001"),),
        prompt="chase",
        mood="tense",
        seed=2**40,
        name="Chase",
        speech=((24, 96),),
    )
    assert segment_from_pb(segment_to_pb(seg)) == seg
    assert segment_from_dict(segment_as_dict(seg)) == seg
    assert segment_as_dict(seg)["rate"] == {"num": rate.numerator, "den": rate.denominator}
    # The rate is exact: a 29.97 segment of 1001 frames lasts 1001 * 1001 / 30000 s.
    assert Rate(30000, 1001).seconds(1001) == Fraction(1001 * 1001, 30000)
    assert Rate(30000, 1001).samples(1, 48_000) == 1602


def test_every_wire_state_has_one_name_in_the_contract():
    named = {v for k, v in pb.JobState.items() if k != "JOB_STATE_UNSPECIFIED"}
    assert {s.to_pb() for s in JobState} == named
    assert all(JobState.from_pb(s.to_pb()) is s for s in JobState)
    seg_named = {v for k, v in pb.SegmentState.items() if k != "SEGMENT_STATE_UNSPECIFIED"}
    assert {s.to_pb() for s in SegmentState} == seg_named
    assert FINAL_WIRE_JOB_STATES == {s.to_pb() for s in FINAL_JOB_STATES}
    assert not JobState.RUNNING.final and JobState.PARTIAL.final
