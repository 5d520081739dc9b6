"""The engine's own job and segment states. The gRPC face maps them to the contract's enums; the
store writes their names, so renumbering the wire never rewrites history."""

from __future__ import annotations

from enum import Enum


class JobState(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"  # every segment has a cue
    PARTIAL = "partial"  # some segments failed; the others have cues
    FAILED = "failed"  # no segment has a cue
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        return self in FINAL_JOB_STATES


class SegmentState(str, Enum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINAL_JOB_STATES = frozenset(
    {JobState.SUCCEEDED, JobState.PARTIAL, JobState.FAILED, JobState.CANCELLED}
)
