"""A feature's long batch is made in worker processes (a cue's synthesis holds the GIL): the
cues are byte for byte those made in this process, and short batches stay one by one."""

from __future__ import annotations

import hashlib
from pathlib import Path

from cuebridge.engine.cue import Cue
from cuebridge.engine.models.composer.fonts import BUNDLED_SOUNDFONT
from cuebridge.engine.models.composer.model import ComposerModel
from cuebridge.engine.segment import GenerationOptions, Rate, Segment


def _sha(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_a_long_batch_is_made_in_worker_processes_byte_identical(tmp_path):
    model = ComposerModel(soundfont=BUNDLED_SOUNDFONT)
    segments = [
        Segment(id=f"cue-{n}", rate=Rate(24), duration_frames=24 * 3, cut_frames=(36,),
                prompt=prompt, seed=n)
        for n, prompt in enumerate(["tense", "tender", "chase", "grief"])
    ]  # fmt: skip
    assert not model.wants_batch(segments)  # 12 s of music: one by one, recorded as made
    model.PARALLEL_MIN_MUSIC_S = 0.0
    assert model.wants_batch(segments)
    together = model.generate_batch(segments, GenerationOptions(), tmp_path / "pool")
    assert model._pool is not None  # the workers made them
    alone = [model.generate(s, GenerationOptions(), tmp_path / "here") for s in segments]
    assert all(isinstance(c, Cue) for c in together)
    assert [_sha(c.audio_path) for c in together] == [_sha(c.audio_path) for c in alone]
    assert [_sha(c.midi_path) for c in together] == [_sha(c.midi_path) for c in alone]
    model._pool.shutdown()
