"""The progress line the plugins show while a score runs, said once for both hosts.

Built from ScoreJob.cues: which cue is being scored, which are done or failed, by the names the
editor gave them (a cue marker's name, or the range's name: "chase" for another take).
"""

from __future__ import annotations

from collections.abc import Sequence

from cuebridge.v1 import bridge_pb2 as bpb
from cuebridge.v1 import engine_pb2 as pb

_SAID = (
    ("scoring", pb.SEGMENT_STATE_RUNNING),
    ("done", pb.SEGMENT_STATE_DONE),
    ("failed", pb.SEGMENT_STATE_FAILED),
)


def progress_line(
    cues: Sequence[bpb.CueProgress], message: str = "", done: int = 0, total: int = 0
) -> str:
    """ "1/3 cues: scoring 'chase'; done 'calm'"; "waiting for ..." before any starts; without
    cues, the job's own message."""
    if not cues:
        return message or "working"
    count = f"{done}/{total} cues: " if total else ""

    def named(wanted: Sequence[bpb.CueProgress]) -> str:
        return ", ".join(repr(c.name or c.segment_id) for c in wanted)

    parts = [
        f"{word} {named([c for c in cues if c.state == state])}"
        for word, state in _SAID
        if any(c.state == state for c in cues)
    ]
    return count + ("; ".join(parts) or "waiting for " + named(cues))
