"""The dip under dialogue: its shape, its options, and that it survives the level setting."""

from __future__ import annotations

import numpy as np
import pytest

from cuebridge.engine.audio import read_wav
from cuebridge.engine.cue import SAMPLE_RATE
from cuebridge.engine.errors import CueError
from cuebridge.engine.mix import (
    BAND_EXTRA_DB,
    DUCK_DB,
    HOLD_S,
    RAMP_S,
    duck_depth,
    gain_curve,
    level_keyframes,
    speech_band,
)
from cuebridge.engine.models.composer.model import ComposerModel
from cuebridge.engine.segment import GenerationOptions, Rate, Segment, options_from_legacy_extra


def _db(gain: np.ndarray, t: float) -> float:
    return float(20 * np.log10(gain[round(t * SAMPLE_RATE)]))


def test_gain_curve_dips_by_the_depth_with_smooth_ramps():
    gain = gain_curve(6 * SAMPLE_RATE, [(2.0, 4.0)], DUCK_DB)
    assert _db(gain, 1.0) == pytest.approx(0.0, abs=1e-6)
    assert _db(gain, 5.0) == pytest.approx(0.0, abs=1e-6)
    assert _db(gain, 2.0) == pytest.approx(-6.0, abs=0.01)  # fully down as the line starts
    assert _db(gain, 3.9) == pytest.approx(-6.0, abs=1e-6)
    ramp_down = gain[round((2.0 - RAMP_S) * SAMPLE_RATE) : 2 * SAMPLE_RATE]
    assert np.all(np.diff(ramp_down) <= 1e-7) and ramp_down[0] == pytest.approx(1.0, abs=1e-3)
    assert _db(gain, 4.0 + RAMP_S + 0.01) == pytest.approx(0.0, abs=1e-6)
    # No step anywhere: the largest sample-to-sample move is tiny.
    assert np.max(np.abs(np.diff(gain))) < 1e-3


def test_short_pauses_stay_down_and_long_ones_come_back():
    gain = gain_curve(8 * SAMPLE_RATE, [(1.0, 2.0), (2.0 + HOLD_S / 2, 3.0), (5.0, 6.0)], -6.0)
    assert _db(gain, 2.0 + HOLD_S / 4) == pytest.approx(-6.0, abs=1e-6)  # between words
    assert _db(gain, 4.0) == pytest.approx(0.0, abs=1e-6)  # between lines: the music answers


@pytest.mark.parametrize(
    ("text", "depth"), [("", -6.0), ("off", 0.0), ("-9", -9.0), ("9", -9.0), ("-3 dB", -3.0)]
)
def test_duck_option_of_an_older_client(text, depth):
    # An older client's extra["duck"] string, as engine/wire.py maps it onto the typed fields.
    seg = Segment("c", Rate(24), 24)
    options = GenerationOptions(**options_from_legacy_extra({"duck": text} if text else {}))
    assert duck_depth(seg, options) == depth


def test_typed_duck_option():
    seg = Segment("c", Rate(24), 24)
    assert duck_depth(seg, GenerationOptions(duck_db=-12.0)) == -12.0
    assert duck_depth(seg, GenerationOptions(duck_off=True)) == 0.0
    assert duck_depth(seg, GenerationOptions()) == DUCK_DB


@pytest.mark.parametrize("text", ["loud", "-80", "nan"])
def test_bad_duck_option_names_the_segment(text):
    options = GenerationOptions(**options_from_legacy_extra({"duck": text}))
    with pytest.raises(CueError, match=r"'c'.*duck"):
        duck_depth(Segment("c", Rate(24), 24), options)


def test_keyframes_follow_the_curve():
    points = level_keyframes([(2.0, 4.0)], -6.0, 6.0)
    assert points == [[0.0, 0.0], [1.85, 0.0], [2.0, -6.0], [4.0, -6.0], [4.15, 0.0]]
    assert level_keyframes([(0.0, 1.0)], -6.0, 3.0)[:2] == [[0.0, -6.0], [1.0, -6.0]]


def test_composer_cue_dips_exactly_under_speech_and_nowhere_else(tmp_path):
    """The dip comes after the level is set: against the same cue with the dip off (the
    arrangement still thinned under the lines), the music between lines is the same, under
    speech it is the depth lower, the voice band more."""
    seg = Segment("cue-001", Rate(24), 12 * 24, mood="warm", seed=5, speech=((48, 96), (168, 216)))
    model = ComposerModel()
    on = model.generate(seg, GenerationOptions(), tmp_path / "on")
    off = model.generate(
        seg, GenerationOptions(duck_off=True, thin_under_dialogue=True), tmp_path / "off"
    )
    a, _ = read_wav(on.audio_path)
    b, _ = read_wav(off.audio_path)
    gain = gain_curve(len(b), seg.speech_times_s(), DUCK_DB)
    free = gain == 1.0
    assert free.sum() > 4 * SAMPLE_RATE
    assert np.allclose(a[free], b[free], atol=1e-6)  # untouched between lines (24-bit exact)
    for start, end in seg.speech_times_s():
        piece = slice(round(start * SAMPLE_RATE), round(end * SAMPLE_RATE))
        broad = 10 * np.log10(np.mean(a[piece] ** 2) / np.mean(b[piece] ** 2))
        band = 10 * np.log10(
            np.mean(speech_band(a)[piece] ** 2) / np.mean(speech_band(b)[piece] ** 2)
        )
        assert DUCK_DB + BAND_EXTRA_DB - 0.2 <= broad <= DUCK_DB + 0.2
        # the voice band 3 dB further, within what the band split leaves of the music (which
        # depends on the style the mood reads as)
        assert DUCK_DB + BAND_EXTRA_DB - 0.5 <= band <= DUCK_DB + BAND_EXTRA_DB + 0.5, band
    assert on.speech_s == [(2.0, 4.0), (7.0, 9.0)] == off.speech_s
    assert on.duck_db == -6.0 and on.metadata["dialogue.band_db"] == "-9"
    assert on.duck_keyframes[2] == (2.0, -6.0)
    assert off.duck_db == 0.0 and not off.duck_keyframes


def test_speech_band_split_is_exact_and_in_band():
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    low, mid, high = (np.sin(2 * np.pi * f * t) for f in (100.0, 1000.0, 8000.0))
    mix = (low + mid + high).astype(np.float32)
    band = speech_band(mix)
    assert np.allclose(band, mid, atol=1e-3)
    assert np.allclose(speech_band(mix[:, None].repeat(2, 1))[:, 1], band, atol=1e-6)
