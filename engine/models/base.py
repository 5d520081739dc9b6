"""The one interface every cue model implements, so the engine can host several."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cuebridge.engine.cue import Cue
from cuebridge.engine.segment import GenerationOptions, Segment


@dataclass(frozen=True)
class ModelStatus:
    name: str
    description: str
    ready: bool
    reason: str = ""  # when not ready: what is missing and how to provide it
    device: str = "cpu"


class CueModel(Protocol):
    name: str

    def status(self) -> ModelStatus: ...

    def generate(self, segment: Segment, options: GenerationOptions, out_dir: Path) -> Cue:
        """Write the cue's files into out_dir and describe them. Raise CueError on bad input."""
        ...
