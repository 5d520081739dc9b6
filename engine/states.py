"""The engine's job and segment states: the contract's one list (cuebridge.contract), here so
engine modules keep one import. The store writes their names, so renumbering the wire never
rewrites history."""

from __future__ import annotations

from cuebridge.contract import FINAL_JOB_STATES, JobState, SegmentState

__all__ = ["FINAL_JOB_STATES", "JobState", "SegmentState"]
