"""The few rules both halves share, beside the messages of cuebridge.v1.

The bridge and the engine meet only here and in the .proto files: neither imports the other.
"""

from __future__ import annotations

import re
from enum import Enum

from cuebridge.v1 import bridge_pb2 as bpb
from cuebridge.v1 import engine_pb2 as pb

CUE_SAMPLE_RATE = 48_000  # every cue leaves the engine at the NLE standard rate
# The longest cue: the engine refuses a longer segment, the bridge before reading its dialogue.
MAX_CUE_S = 3 * 3600


class JobState(str, Enum):
    """The one list of job states. Stores write the values (names), so renumbering the wire never
    rewrites history; the wire's JOB_STATE_* numbers are mapped by name in to_pb/from_pb."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"  # every segment has a cue
    PARTIAL = "partial"  # some segments failed; the others have cues
    FAILED = "failed"  # no segment has a cue
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        return self in FINAL_JOB_STATES

    def to_pb(self) -> int:
        return pb.JobState.Value(f"JOB_STATE_{self.name}")

    @classmethod
    def from_pb(cls, number: int) -> JobState:
        return cls[pb.JobState.Name(number).removeprefix("JOB_STATE_")]


class SegmentState(str, Enum):
    """The one list of a segment's states, mapped to SEGMENT_STATE_* by name."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    def to_pb(self) -> int:
        return pb.SegmentState.Value(f"SEGMENT_STATE_{self.name}")

    @classmethod
    def from_pb(cls, number: int) -> SegmentState:
        return cls[pb.SegmentState.Name(number).removeprefix("SEGMENT_STATE_")]


# A job in one of these states is over: no segment of it changes again.
FINAL_JOB_STATES = frozenset(
    {JobState.SUCCEEDED, JobState.PARTIAL, JobState.FAILED, JobState.CANCELLED}
)
# The same states as the wire's numbers, for code that holds cuebridge.v1 messages (the bridge).
FINAL_WIRE_JOB_STATES = frozenset(s.to_pb() for s in FINAL_JOB_STATES)


def cue_file_stem(segment_id: str) -> str:
    """Cue files are named after their segment: `<stem>.wav`, `<stem>.mid` in the cue folder.

    Shared so a caller can tell which files a job would replace before it sends the job.
    """
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", segment_id).strip("._")
    return stem or "segment"


# -- markers ----------------------------------------------------------------------------------
# One rule for what a timeline marker is, used by the bridge when it reads a timeline and reported
# to the plugins in every placement plan (PlacementPlan.hit_point_max_frames).
HIT_POINT_MAX_FRAMES = 1  # no duration, or one frame (Resolve's plain markers last one frame)
PLACED_MARKER_PREFIX = "Score: "  # the marker a plugin writes on a placed cue


def marker_kind(name: str, duration_frames: int) -> int:
    """MARKER_KIND_PLACED for a plugin's record of a placed cue (never scored, never accented),
    MARKER_KIND_HIT_POINT for a marker of at most one frame, MARKER_KIND_CUE for a longer one."""
    if (name or "").startswith(PLACED_MARKER_PREFIX):
        return bpb.MARKER_KIND_PLACED
    if duration_frames <= HIT_POINT_MAX_FRAMES:
        return bpb.MARKER_KIND_HIT_POINT
    return bpb.MARKER_KIND_CUE
