"""Long cues are rendered and finished in blocks: the same sound as the whole-array chain, at
the same level, with memory bounded whatever the length."""

from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest

from cuebridge.engine.audio import read_wav
from cuebridge.engine.models.composer import fonts
from cuebridge.engine.models.composer import model as composer_model
from cuebridge.engine.models.composer.model import ComposerModel
from cuebridge.engine.segment import GenerationOptions, Rate, Segment


@pytest.mark.parametrize("loudness", [0.0, -10.0])  # the default, and one that needs the limiter
def test_a_cue_made_in_blocks_sounds_like_one_made_whole(tmp_path, monkeypatch, loudness):
    segment = Segment("long", Rate(24), 24 * 20, cut_frames=(120, 300), mood="epic", seed=2)
    model = ComposerModel(fonts.BUNDLED_SOUNDFONT)
    options = GenerationOptions(loudness_lufs=loudness)
    whole = model.generate(segment, options, tmp_path / "whole")
    monkeypatch.setattr(composer_model, "LONG_CUE_S", 5)
    monkeypatch.setattr(composer_model, "_BLOCK", 48000 * 3 + 17)  # blocks that cut anywhere
    blocks = model.generate(segment, options, tmp_path / "blocks")
    a, rate = read_wav(whole.audio_path)
    b, _ = read_wav(blocks.audio_path)
    assert a.shape == b.shape == (24 * 20 * 2000, 2)
    target = loudness or -24.0
    meter = pyloudnorm.Meter(rate)
    assert meter.integrated_loudness(b.astype(np.float64)) == pytest.approx(target, abs=0.5)
    assert float(blocks.metadata["loudness_lufs"]) == pytest.approx(
        meter.integrated_loudness(b.astype(np.float64)), abs=0.1
    )
    assert float(blocks.metadata["true_peak_dbtp"]) <= -1.0
    if not loudness:  # no limiter: the two chains agree to the last bits of 24-bit PCM
        residual = np.sqrt(np.mean((a.astype(float) - b) ** 2)) / np.sqrt(
            np.mean(a.astype(float) ** 2)
        )
        assert 20 * np.log10(residual + 1e-12) < -60
    assert not list((tmp_path / "blocks").glob(".*.tmp"))  # the raw block file is gone
