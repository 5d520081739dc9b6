"""The few rules both halves share, beside the messages of cuebridge.v1.

The bridge and the engine meet only here and in the .proto files: neither imports the other.
"""

from __future__ import annotations

import re

from cuebridge.v1 import bridge_pb2 as bpb
from cuebridge.v1 import engine_pb2 as pb

CUE_SAMPLE_RATE = 48_000  # every cue leaves the engine at the NLE standard rate

# A job in one of these states is over: no segment of it changes again.
FINAL_JOB_STATES = frozenset(
    {pb.JOB_STATE_SUCCEEDED, pb.JOB_STATE_PARTIAL, pb.JOB_STATE_FAILED, pb.JOB_STATE_CANCELLED}
)


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
