"""The bridge's side of the contract: its own segments as cuebridge.v1 messages.

The bridge builds and reads the contract's messages; it never sees the engine's types.
"""

from __future__ import annotations

from dataclasses import asdict
from fractions import Fraction

from cuebridge.bridge.segments import Segment
from cuebridge.v1 import engine_pb2 as pb


def rate_to_pb(rate: Fraction) -> pb.Rate:
    return pb.Rate(num=rate.numerator, den=rate.denominator)


def rate_from_pb(msg: pb.Rate) -> Fraction | None:
    return Fraction(msg.num, msg.den or 1) if msg.num else None


def segment_to_pb(seg: Segment) -> pb.Segment:
    return pb.Segment(
        id=seg.id,
        rate=rate_to_pb(seg.rate),
        duration_frames=seg.duration_frames,
        cut_frames=seg.cut_frames,
        hit_frames=seg.hit_frames,
        media=[pb.MediaSpan(**asdict(m)) for m in seg.media],
        prompt=seg.prompt,
        mood=seg.mood,
        seed=seg.seed,
        name=seg.name,
        speech=[pb.FrameRange(start_frame=a, end_frame=b) for a, b in seg.speech],
    )
