"""Cue audio on disk and its level: 48 kHz 24-bit PCM WAV, fades, peak and loudness helpers.

Audio arrays are float32, shaped (samples, channels), full scale = 1.0. WAV files are written
with the standard library's `wave` module (24-bit PCM is plain little-endian 3-byte integers), and
atomically: a temporary file in the same folder is renamed over the target, so an editor never
sees half a cue and a failed write never destroys the previous one.
"""

from __future__ import annotations

import math
import wave
from fractions import Fraction
from pathlib import Path

import numpy as np

from cuebridge.engine.cue import SAMPLE_RATE, SAMPLE_WIDTH_BYTES
from cuebridge.safe_files import replacing

_FULL_SCALE_24 = 2**23 - 1
_PCM24_IN_INT32 = np.dtype([("low", "V3"), ("high", "V1")])  # a little-endian int32's bytes
_SILENCE_DB = -200.0  # what the meters report for digital silence


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write `data` to `path` via a fresh temporary file in the same folder and os.replace."""
    with replacing(path) as (fh, _):
        fh.write(data)


def to_pcm24(audio: np.ndarray) -> bytes:
    """Float samples -> interleaved little-endian 24-bit PCM bytes (rounded, clipped)."""
    scaled = np.multiply(audio, _FULL_SCALE_24)  # a fresh array: rounded and clipped in place
    np.rint(scaled, out=scaled)
    np.clip(scaled, -_FULL_SCALE_24 - 1, _FULL_SCALE_24, out=scaled)
    ints = np.ascontiguousarray(scaled, dtype="<i4").reshape(-1)
    # Keep the three low bytes of each little-endian int32 (one 3-byte field per sample: a
    # quarter faster than slicing the bytes).
    return ints.view(_PCM24_IN_INT32)["low"].tobytes()


def write_wav(path: str | Path, audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> None:
    """Write (samples, channels) float audio as 24-bit PCM WAV, atomically."""
    audio = _as_2d(audio)
    path = Path(path)
    with replacing(path) as (fh, _):
        with wave.open(fh, "wb") as w:
            w.setnchannels(audio.shape[1])
            w.setsampwidth(SAMPLE_WIDTH_BYTES)
            w.setframerate(sample_rate)
            w.writeframes(to_pcm24(audio))


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Read a PCM WAV (16/24/32-bit) -> ((samples, channels) float32, sample_rate)."""
    with wave.open(str(path), "rb") as w:
        channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
        raw = w.readframes(w.getnframes())
    if width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3)
        # Sign-extend: put the 3 bytes in the top of an int32, then shift back down.
        ints = (
            b[:, 0].astype(np.int32) << 8
            | b[:, 1].astype(np.int32) << 16
            | b[:, 2].astype(np.int32) << 24
        ) >> 8
        audio = ints.astype(np.float32) / (_FULL_SCALE_24 + 1)
    elif width in (2, 4):
        dtype = "<i2" if width == 2 else "<i4"
        audio = np.frombuffer(raw, dtype).astype(np.float32) / float(2 ** (8 * width - 1))
    else:
        raise ValueError(f"{path}: unsupported WAV sample width {width * 8} bits")
    return audio.reshape(-1, channels), rate


def peak_dbfs(audio: np.ndarray) -> float:
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    return 20.0 * np.log10(peak) if peak > 0 else _SILENCE_DB


def rms_dbfs(audio: np.ndarray) -> float:
    """Plain RMS over all samples and channels, in dBFS (a loudness proxy, not LUFS)."""
    if not audio.size:
        return _SILENCE_DB
    flat = np.ascontiguousarray(audio, dtype=np.float32).reshape(-1)
    # einsum sums the squares in one pass without a float64 copy of the whole cue.
    rms = float(np.sqrt(np.einsum("i,i->", flat, flat) / flat.size))
    return 20.0 * np.log10(rms) if rms > 0 else _SILENCE_DB


def normalise_peak(audio: np.ndarray, peak_db: float = -1.0) -> np.ndarray:
    """Scale so the highest sample peak sits at `peak_db` dBFS (silence stays silence)."""
    current = peak_dbfs(audio)
    if current <= _SILENCE_DB:
        return audio
    return (audio * np.float32(10 ** ((peak_db - current) / 20))).astype(np.float32)


def normalise_loudness(
    audio: np.ndarray,
    target_rms_db: float = -20.0,
    peak_ceiling_db: float = -1.0,
    measure: np.ndarray | None = None,
) -> np.ndarray:
    """Scale towards an RMS target, but never past the peak ceiling (no clipping, no limiter).
    `measure`: the audio whose level decides the gain (e.g. the same cue written without the
    dialogue, so that making room only takes away); the audio's own peak still caps it."""
    ref = audio if measure is None else measure
    rms = rms_dbfs(ref)
    peak = max(peak_dbfs(ref), peak_dbfs(audio))
    if rms <= _SILENCE_DB:
        return audio
    gain_db = min(target_rms_db - rms, peak_ceiling_db - peak)
    return (audio * np.float32(10 ** (gain_db / 20))).astype(np.float32)


def fade_out(audio: np.ndarray, seconds: float, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Fade the last `seconds` to silence along a raised-cosine curve (the last sample is 0)."""
    n = min(len(audio), round(seconds * sample_rate))
    if n <= 0:
        return audio
    curve = (0.5 + 0.5 * np.cos(np.linspace(0.0, np.pi, n, dtype=np.float64))).astype(np.float32)
    out = audio.copy()
    out[-n:] *= curve[:, None] if out.ndim == 2 else curve
    return out


def fade_in(audio: np.ndarray, seconds: float, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """A short fade-in so the first sample is not a click."""
    n = min(len(audio), round(seconds * sample_rate))
    if n <= 0:
        return audio
    curve = np.linspace(0.0, 1.0, n, dtype=np.float32)
    out = audio.copy()
    out[:n] *= curve[:, None] if out.ndim == 2 else curve
    return out


def _as_2d(audio: np.ndarray) -> np.ndarray:
    audio = np.asarray(audio, dtype=np.float32)
    return audio[:, None] if audio.ndim == 1 else audio


MAX_ENDING_FADE_S = 3.0  # the longest fade a musical ending takes, from the last beat


# Resampling, onsets, beats and musical endings (used by generated-audio models and training) ---


def resample(
    audio: np.ndarray, rate_in: int, rate_out: int = SAMPLE_RATE, block: int = 1 << 18
) -> np.ndarray:
    """Band-limited resampling of 1-D (or (samples, channels)) float audio with libsoxr (soxr's
    high-quality polyphase filter), streamed in blocks of `block` input samples so memory stays
    that of the audio itself. Exactly ceil(len * rate_out / rate_in) samples come back."""
    import soxr

    audio = np.asarray(audio, np.float32)
    if rate_in == rate_out:
        return audio.copy()
    ratio = Fraction(rate_out, rate_in)
    length = math.ceil(len(audio) * ratio)
    channels = 1 if audio.ndim == 1 else audio.shape[1]
    stream = soxr.ResampleStream(rate_in, rate_out, channels, dtype="float32")
    pieces = [
        stream.resample_chunk(audio[start : start + block], last=start + block >= len(audio))
        for start in range(0, max(len(audio), 1), max(1, block))
    ]
    out = np.concatenate(pieces)[:length] if pieces else np.zeros(0, np.float32)
    if len(out) < length:
        pad = np.zeros((length - len(out), *out.shape[1:]), np.float32)
        out = np.concatenate([out, pad])
    return out


def onset_envelope(audio: np.ndarray, rate: int, hop_s: float = 0.01) -> tuple[np.ndarray, float]:
    """Spectral-flux onset strength (log-magnitude, half-wave rectified): a weight-free detector.
    Returns (envelope, frames per second)."""
    hop = max(1, round(rate * hop_s))
    win = 4 * hop
    if len(audio) < win:
        return np.zeros(1), rate / hop
    frames = np.lib.stride_tricks.sliding_window_view(audio, win)[::hop] * np.hanning(win)
    mag = np.log1p(100.0 * np.abs(np.fft.rfft(frames, axis=-1)))
    flux = np.maximum(np.diff(mag, axis=0), 0.0).sum(axis=1)
    return np.concatenate([[0.0], flux]), rate / hop


def beat_times(audio: np.ndarray, rate: int) -> np.ndarray:
    """Beats from the onset envelope: tempo by autocorrelation (40-200 BPM), phase by the comb
    that collects the most onset strength."""
    env, fps = onset_envelope(audio, rate)
    if len(env) < 8 or not np.any(env > 0):
        return np.zeros(0)
    e = env - env.mean()
    ac = np.correlate(e, e, mode="full")[len(e) - 1 :]
    lo, hi = int(fps * 60 / 200), min(len(ac) - 1, int(fps * 60 / 40))
    if hi <= lo:
        return np.zeros(0)
    period = lo + int(np.argmax(ac[lo : hi + 1]))
    phase = int(np.argmax([env[p::period].sum() for p in range(period)]))
    return np.arange(phase, len(env), period) / fps


def ending_fade_s(audio: np.ndarray, rate: int, end_s: float) -> float:
    """The fade that ends a cue at `end_s` musically: from the last beat before the end (at
    most MAX_ENDING_FADE_S before it), else a quarter of the cue up to 2 s."""
    fade_s = min(2.0, end_s / 4)
    beats = beat_times(audio[: round(end_s * rate)], rate)
    before = beats[(beats < end_s - 0.5) & (beats > end_s - MAX_ENDING_FADE_S)]
    if len(before):
        fade_s = end_s - float(before[-1])
    return fade_s


def musical_ending(audio: np.ndarray, rate: int, num_samples: int) -> tuple[np.ndarray, float]:
    """Cut to exactly `num_samples` and fade out from the last beat before the end, so the last
    accent is on the beat and the cue rings out to silence on the segment's final sample.
    Returns (audio, fade length in seconds)."""
    if len(audio) < num_samples:
        audio = np.concatenate([audio, np.zeros(num_samples - len(audio), np.float32)])
    fade_s = ending_fade_s(audio, rate, num_samples / rate)
    return fade_out(audio[:num_samples].astype(np.float32), fade_s, rate), fade_s


def sync_score(audio: np.ndarray, rate: int, targets_s: list[float], tol_s: float = 0.05) -> float:
    """How strongly the music has onsets on the cuts and hit points: the mean, over targets, of
    the strongest onset within +-tol_s, in standard deviations above the take's own mean."""
    env, fps = onset_envelope(audio, rate)
    if not targets_s or env.std() == 0:
        return 0.0
    z = (env - env.mean()) / env.std()
    tol = max(1, round(tol_s * fps))
    hits = []
    for t in targets_s:
        i = round(t * fps)
        if 0 <= i < len(z):
            hits.append(float(z[max(0, i - tol) : i + tol + 1].max()))
    return float(np.mean(hits)) if hits else 0.0
