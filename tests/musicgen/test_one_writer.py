"""Both models' cues leave through the one cue writer: the loudness asked for, the true-peak
ceiling, the contract's file names, the same dip under speech."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
from scipy.signal import resample_poly

from cuebridge.contract import cue_file_stem
from cuebridge.engine import cue_writer
from cuebridge.engine.audio import read_wav
from cuebridge.engine.mix import duck_under_speech
from cuebridge.engine.models.composer import model as composer_model
from cuebridge.engine.models.composer.model import ComposerModel
from cuebridge.engine.models.musicgen import model as musicgen_model
from cuebridge.engine.models.musicgen.checkpoints import load_musicgen_video
from cuebridge.engine.models.musicgen.model import MusicgenVideoModel, MusicgenVideoSettings
from cuebridge.engine.segment import GenerationOptions, Rate, Segment
from tests.musicgen.tiny import tiny_musicgen, tiny_tokenizer

TARGET = -20.0


@pytest.fixture(scope="module")
def musicgen(tmp_path_factory):
    """musicgen-video over tiny random weights saved in the hub layout and loaded from there."""
    folder = tmp_path_factory.mktemp("musicgen-tiny")
    tiny_musicgen(seed=3).save_pretrained(folder)
    tiny_tokenizer().save_pretrained(folder)
    loaded = load_musicgen_video(str(folder), "", "cpu")
    settings = MusicgenVideoSettings(musicgen=str(folder), device="cpu", window_s=1.0,
                                     stride_s=0.6)  # fmt: skip
    return MusicgenVideoModel(settings, model=loaded.model, tokenizer=loaded.tokenizer,
                              identity=loaded.identity)  # fmt: skip


def _true_peak_dbtp(audio: np.ndarray) -> float:
    """BS.1770-4 annex 2, done plainly here: the peak of a 4x oversampled copy."""
    return 20 * math.log10(np.abs(resample_poly(audio.astype(np.float64), 4, 1, axis=0)).max())


def test_both_models_deliver_through_the_one_writer(musicgen, tmp_path, monkeypatch):
    writes = []
    real = cue_writer.write_cue

    def spy(model, *args, **kwargs):
        writes.append(model)
        return real(model, *args, **kwargs)

    monkeypatch.setattr(composer_model, "write_cue", spy)
    monkeypatch.setattr(musicgen_model, "write_cue", spy)
    seg = Segment("reel 1/sc 4", Rate(24), 96, cut_frames=(40,), mood="tense", seed=3)
    talk = Segment(seg.id, seg.rate, 96, cut_frames=(40,), mood="tense", seed=3,
                   speech=((30, 66),))  # fmt: skip
    # Without thinning, the only difference the speech makes is the writer's dip.
    options = GenerationOptions(top_k=20, loudness_lufs=TARGET, thin_under_dialogue=False)
    dips = {}
    for model in (ComposerModel(), musicgen):
        plain = model.generate(seg, options, tmp_path / model.name / "plain")
        ducked = model.generate(talk, options, tmp_path / model.name / "talk")
        assert Path(plain.audio_path).name == f"{cue_file_stem(seg.id)}.wav"
        audio, rate = read_wav(plain.audio_path)
        assert rate == 48000 and len(audio) == 4 * 48000
        measured = pyloudnorm.Meter(rate).integrated_loudness(audio.astype(np.float64))
        assert abs(measured - TARGET) <= 0.5, (model.name, measured)
        assert _true_peak_dbtp(audio) <= -1.0 + 0.05, model.name  # 24-bit rounding
        assert abs(float(plain.metadata["loudness_lufs"]) - measured) < 0.1
        assert float(plain.metadata["true_peak_dbtp"]) <= -1.0
        assert plain.metadata["loudness_target_lufs"] == "-20.0"
        a, _ = read_wav(ducked.audio_path)
        under = slice(round(1.4 * rate), round(2.6 * rate))
        dips[model.name] = 10 * np.log10(np.mean(a[under] ** 2) / np.mean(audio[under] ** 2))
        # The rule's own dip of this model's music: how deep the voice band's extra 3 dB takes
        # it depends on how much of the music is in that band, so each model has its own figure.
        rule, _, _ = duck_under_speech(audio, talk, options)
        expected = 10 * np.log10(np.mean(rule[under] ** 2) / np.mean(audio[under] ** 2))
        assert abs(dips[model.name] - expected) < 0.5, (model.name, dips[model.name], expected)
        assert ducked.duck_db == -6.0 and plain.duck_db == 0.0
        assert np.allclose(a[:rate], audio[:rate], atol=1e-6)  # untouched before the line
    assert writes == ["composer", "composer", "musicgen-video", "musicgen-video"]
    for name, dip in dips.items():  # -6 dB broadband, the voice band 3 dB more
        assert -9.2 <= dip <= -5.8, (name, dip)
    assert all(dip <= -6.0 + 0.2 for dip in dips.values())  # never less than the broadband dip
