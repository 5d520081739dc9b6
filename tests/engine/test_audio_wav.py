"""engine.audio: 24-bit WAV written atomically and read back, fades, levels."""

from __future__ import annotations

import wave

import numpy as np

from cuebridge.engine.audio import (
    fade_out,
    normalise_loudness,
    normalise_peak,
    peak_dbfs,
    read_wav,
    rms_dbfs,
    write_bytes_atomic,
    write_wav,
)


def _tone(seconds: float = 0.5, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(round(48_000 * seconds)) / 48_000
    left = amplitude * np.sin(2 * np.pi * 440 * t)
    right = -amplitude * np.sin(2 * np.pi * 330 * t)
    return np.stack([left, right], axis=1).astype(np.float32)


def test_wav_is_48k_24bit_and_round_trips_within_one_lsb(tmp_path):
    audio = _tone()
    path = tmp_path / "cue.wav"
    write_wav(path, audio)
    with wave.open(str(path), "rb") as w:
        assert (w.getframerate(), w.getsampwidth(), w.getnchannels()) == (48_000, 3, 2)
        assert w.getnframes() == len(audio)
    back, rate = read_wav(path)
    assert rate == 48_000
    assert back.shape == audio.shape
    assert np.max(np.abs(back - audio)) <= 1.0 / 2**23
    assert back.min() < -0.49  # negative samples survive the 24-bit sign extension


def test_full_scale_is_clipped_not_wrapped(tmp_path):
    audio = np.array([[1.5, -1.5], [1.0, -1.0]], dtype=np.float32)
    write_wav(tmp_path / "hot.wav", audio)
    back, _ = read_wav(tmp_path / "hot.wav")
    assert np.all(back[:, 0] > 0.999) and np.all(back[:, 1] <= -0.999)


def test_atomic_writes_leave_no_temporary_files_and_replace_old(tmp_path):
    path = tmp_path / "cue.wav"
    write_wav(path, _tone(amplitude=0.1))
    write_wav(path, _tone(amplitude=0.4))
    write_bytes_atomic(tmp_path / "cue.mid", b"MThd")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cue.mid", "cue.wav"]
    assert abs(peak_dbfs(read_wav(path)[0]) - 20 * np.log10(0.4)) < 0.01


def test_fade_out_ends_in_silence_and_leaves_the_start_alone():
    audio = _tone(1.0)
    faded = fade_out(audio, 0.25)
    assert np.array_equal(faded[:24_000], audio[:24_000])
    assert np.max(np.abs(faded[-1])) == 0.0
    assert np.max(np.abs(faded[-480:])) < 0.01 * np.max(np.abs(audio))


def test_levels_never_exceed_the_peak_ceiling():
    quiet = _tone(amplitude=0.01)
    louder = normalise_loudness(quiet, target_rms_db=-3.0, peak_ceiling_db=-1.0)
    assert abs(peak_dbfs(louder) - -1.0) < 0.01  # the ceiling, not the RMS target, won
    gentle = normalise_loudness(quiet, target_rms_db=-30.0, peak_ceiling_db=-1.0)
    assert abs(rms_dbfs(gentle) - -30.0) < 0.01
    assert abs(peak_dbfs(normalise_peak(quiet, -6.0)) - -6.0) < 0.01
    silence = np.zeros((100, 2), np.float32)
    assert np.array_equal(normalise_loudness(silence), silence)
