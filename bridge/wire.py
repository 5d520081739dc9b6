"""The bridge's side of the contract: its segments (the contract's one Segment type) and rates
as cuebridge.v1 messages.

The bridge builds and reads the contract's messages; it never sees the engine's types.
"""

from __future__ import annotations

from fractions import Fraction

from cuebridge.contract.segment import rate_to_pb, segment_to_pb
from cuebridge.v1 import engine_pb2 as pb

__all__ = ["rate_from_pb", "rate_to_pb", "segment_to_pb"]


def rate_from_pb(msg: pb.Rate) -> Fraction | None:
    """A request's rate, or None when it names none (the timeline's own rate is used)."""
    return Fraction(msg.num, msg.den or 1) if msg.num else None
