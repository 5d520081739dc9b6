"""The one interface every cue model implements, so the engine can host several.

Optional capabilities are declared here with their defaults (a model overrides what it has),
so the job queue reads attributes instead of probing for them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cuebridge.engine.cue import Cue
from cuebridge.engine.errors import CueError
from cuebridge.engine.segment import GenerationOptions, Segment

ShouldStop = Callable[[], bool]


@dataclass(frozen=True)
class ModelStatus:
    name: str
    description: str
    ready: bool
    reason: str = ""  # when not ready: what is missing and how to provide it
    device: str = "cpu"


class CueModel(ABC):
    name: str
    # Segments the job queue hands over at once (generate_batch); a cancel lands between batches.
    batch_size: int = 1
    # Jobs the queue runs on this model at once: 1 for a model on this machine's device; a model
    # whose batches fan out over a cluster takes several, so one short job never idles it.
    concurrent_jobs: int = 1

    @abstractmethod
    def status(self) -> ModelStatus: ...

    @abstractmethod
    def generate(
        self,
        segment: Segment,
        options: GenerationOptions,
        out_dir: Path,
        should_stop: ShouldStop | None = None,
    ) -> Cue:
        """Write the cue's files into out_dir and describe them. Raise CueError on bad input.

        A model that can stop mid-cue checks `should_stop()` while it works and raises
        CueCancelled once it is true; a fast model may ignore it and finish the cue."""

    def wants_batch(self, segments: list[Segment]) -> bool:
        """Whether these segments are better made together (generate_batch) than one by one;
        one by one, each cue is recorded the moment it is made."""
        return len(segments) > 1

    def generate_batch(
        self,
        segments: list[Segment],
        options: GenerationOptions,
        out_dir: Path,
        should_stop: ShouldStop | None = None,
    ) -> list[Cue | Exception]:
        """One result per segment, in order: a Cue, or the CueError that segment met (one bad
        segment never loses the others). Models that batch on the device override this."""
        results: list[Cue | Exception] = []
        for segment in segments:
            try:
                results.append(self.generate(segment, options, out_dir, should_stop))
            except CueError as exc:
                results.append(exc)
        return results

    def generate_each(
        self,
        segments: list[Segment],
        options: GenerationOptions,
        out_dir: Path,
        should_stop: ShouldStop | None = None,
    ) -> Iterator[tuple[int, Cue | Exception]]:
        """(index into `segments`, result) for every segment, in the order they are finished,
        so the queue records each cue the moment it is made. By default the batch's results,
        in order, once it is done; a model whose workers finish cues apart overrides this."""
        yield from enumerate(self.generate_batch(segments, options, out_dir, should_stop))

    def warm_up(self) -> None:
        """Do now, once, what every cue would otherwise wait for (a font decode): a serving
        engine calls it in the background at start. Most models have nothing to warm."""
        return None

    def close(self) -> None:
        """Let go of what the model holds outside this process (worker processes, a cluster's
        replicas) when the engine stops. Most models hold nothing there."""
        return None

    def identity(self) -> str:
        """What distinguishes this model's cues beyond its name (weights, rules version): part of
        the cue cache key, so a change here makes cues again."""
        return ""
