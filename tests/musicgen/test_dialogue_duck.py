"""The neural model gets the dialogue as a mix-time treatment: its take, dipped under speech."""

from __future__ import annotations

import numpy as np
import pytest

from cuebridge.engine.audio import read_wav
from cuebridge.engine.mix import gain_curve
from cuebridge.engine.segment import GenerationOptions, Rate, Segment
from tests.musicgen.tiny import tiny_cue_model


@pytest.fixture(scope="module")
def cue_model():
    return tiny_cue_model(seed=0, window_s=1.0, stride_s=0.6)


def test_musicgen_cue_dips_under_speech_only(cue_model, tmp_path):
    speech = Segment("s", Rate(24), 60, seed=7, mood="calm", speech=((12, 30),))
    plain = Segment("s", Rate(24), 60, seed=7, mood="calm")
    options = GenerationOptions(top_k=20)
    on = cue_model.generate(speech, options, tmp_path / "on")
    off = cue_model.generate(plain, options, tmp_path / "off")
    a, rate = read_wav(on.audio_path)
    b, _ = read_wav(off.audio_path)
    free = gain_curve(len(b), speech.speech_times_s(), -6.0) == 1.0
    assert np.allclose(a[free], b[free], atol=1e-6)  # the same take, untouched between lines
    piece = slice(round(0.5 * rate), round(1.25 * rate))
    dip = 10 * np.log10(np.mean(a[piece] ** 2) / np.mean(b[piece] ** 2))
    assert -9.2 <= dip <= -5.8
    assert on.speech_s == [(0.5, 1.25)] and on.duck_db == -6.0
