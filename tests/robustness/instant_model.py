"""A cue model that makes a cue at once (a quiet tone of the right length), so tests can score
thousands of cues through the real server in seconds."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from cuebridge.engine.audio import write_wav
from cuebridge.engine.cue import SAMPLE_RATE, Cue, cue_file_stem
from cuebridge.engine.models.base import CueModel, ModelStatus
from cuebridge.engine.registry import ModelEntry, ModelRegistry


class InstantModel(CueModel):
    name = "instant"

    def __init__(self, seconds_per_cue: float = 0.0):
        self.seconds_per_cue = seconds_per_cue  # > 0: a slow model, to keep a score running

    def status(self) -> ModelStatus:
        return ModelStatus(self.name, "a tone at once, for load tests", ready=True)

    def generate(self, segment, options, out_dir: Path, should_stop=None) -> Cue:
        time.sleep(self.seconds_per_cue)
        n = segment.rate.samples(segment.duration_frames, SAMPLE_RATE)
        tone = 0.01 * np.sin(np.arange(n) * (2 * np.pi * 220 / SAMPLE_RATE))
        path = Path(out_dir) / f"{cue_file_stem(segment.id)}.wav"
        write_wav(path, tone.astype(np.float32))
        return Cue(segment.id, str(path), n, model=self.name)


def instant_registry(seconds_per_cue: float = 0.0) -> ModelRegistry:
    model = InstantModel(seconds_per_cue)
    return ModelRegistry((ModelEntry("instant", "instant", lambda settings: model),))
