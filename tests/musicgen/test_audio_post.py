"""From 32 kHz EnCodec audio to a placed cue: resampling, the ending, take ranking."""

from __future__ import annotations

import numpy as np

from cuebridge.engine.audio import beat_times, musical_ending, resample, sync_score


def clicks(times_s, seconds, rate):
    out = np.zeros(int(seconds * rate), np.float32)
    burst = np.random.default_rng(0).standard_normal(int(0.01 * rate)).astype(np.float32)
    burst *= np.exp(-np.linspace(0, 8, len(burst))).astype(np.float32)
    for t in times_s:
        i = int(t * rate)
        out[i : i + len(burst)] += burst[: len(out) - i]
    return out


def test_resample_32k_to_48k_keeps_pitch_and_level():
    rate = 32000
    t = np.arange(rate) / rate
    tone = 0.5 * np.sin(2 * np.pi * 1000.0 * t)
    out = resample(tone, rate, 48000)
    assert len(out) == 48000
    spectrum = np.abs(np.fft.rfft(out[4800:-4800] * np.hanning(38400)))
    peak_hz = np.argmax(spectrum) * 48000 / 38400
    assert abs(peak_hz - 1000.0) < 2.0
    assert abs(np.abs(out[4800:-4800]).max() - 0.5) < 0.01


def test_resample_in_blocks_equals_one_pass():
    audio = np.random.default_rng(1).standard_normal(10_001)
    whole = resample(audio, 32000, 48000, block=1 << 20)
    blocks = resample(audio, 32000, 48000, block=1000)
    assert len(whole) == len(blocks) == 15_002
    assert np.abs(whole - blocks).max() < 1e-5


def test_beats_found_in_a_click_track():
    rate = 48000
    beats = beat_times(clicks(np.arange(0, 8, 0.5), 8.0, rate), rate)
    assert len(beats) >= 12
    assert abs(np.median(np.diff(beats)) - 0.5) < 0.03


def test_ending_is_exact_and_fades_from_the_last_beat():
    rate = 48000
    music = clicks(np.arange(0.1, 10, 0.5), 10.0, rate) + 0.05
    out, fade = musical_ending(music, rate, 7 * rate + 123)
    assert len(out) == 7 * rate + 123
    assert abs(out[-1]) < 1e-6
    start = 7 + 123 / rate - fade
    assert min(abs(start - b) for b in np.arange(0.1, 10, 0.5)) < 0.03  # the fade starts on a beat
    assert 0.5 <= fade <= 3.0
    short, _ = musical_ending(music[: rate // 2], rate, rate)  # too short: padded to length
    assert len(short) == rate


def test_sync_score_prefers_onsets_on_the_cuts():
    rate = 48000
    cuts = [1.0, 2.3, 3.7]
    on = clicks(cuts + [0.4, 3.0], 5.0, rate)
    off = clicks([c + 0.25 for c in cuts] + [0.4, 3.0], 5.0, rate)
    assert sync_score(on, rate, cuts) > sync_score(off, rate, cuts) + 1.0
    assert sync_score(on, rate, []) == 0.0
