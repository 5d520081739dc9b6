"""The cue writer's BS.1770 meter (one float32 sosfilt pass, block by block) against pyloudnorm,
the reference implementation it takes its K-weighting from."""

from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest

from cuebridge.engine import mastering


def _music_like(seconds: float, seed: int) -> np.ndarray:
    """Tones, a low drone and noise bursts that come and go (so the gates have work to do)."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * 48000)) / 48000
    swell = 0.5 + 0.5 * np.sin(2 * np.pi * 0.2 * t) ** 8
    left = 0.3 * np.sin(2 * np.pi * 220 * t) * swell + 0.2 * np.sin(2 * np.pi * 55 * t)
    right = 0.25 * np.sin(2 * np.pi * 3300 * t + 1) + 0.05 * rng.standard_normal(len(t)) * swell
    audio = np.stack([left, right], axis=1)
    audio[round(0.3 * len(t)) : round(0.45 * len(t))] *= 0.001  # a near-silent passage
    return audio.astype(np.float32)


@pytest.mark.parametrize(("seconds", "seed"), [(0.7, 0), (12.0, 1), (61.3, 2)])
def test_the_meter_matches_pyloudnorm_within_a_tenth_of_a_lu(seconds, seed):
    audio = _music_like(seconds, seed)
    reference = pyloudnorm.Meter(48000).integrated_loudness(audio.astype(np.float64))
    assert abs(mastering.integrated_loudness(audio) - reference) < 0.1
    stream = mastering.LoudnessStream()  # fed in uneven blocks, as a long cue is
    for start in range(0, len(audio), 7919):
        stream.add(audio[start : start + 7919])
    assert abs(stream.integrated() - reference) < 0.1
    mono = audio[:, :1]
    mono_ref = pyloudnorm.Meter(48000).integrated_loudness(mono[:, 0].astype(np.float64))
    assert abs(mastering.integrated_loudness(mono) - mono_ref) < 0.1


def test_silence_measures_as_silence():
    assert mastering.integrated_loudness(np.zeros((48000, 2), np.float32)) == -200.0
