"""Finish a cue: a hall around the dry instruments, then a delivered level.

Every effect is Spotify's pedalboard (JUCE's Freeverb-style Reverb and Limiter, with wheels for
Linux, macOS and Windows); loudness is ITU-R BS.1770-4 / EBU R128 integrated loudness
measured with pyloudnorm; true peak is measured on a 4x oversampled signal (BS.1770-4 annex 2)
with scipy's polyphase resampler. None of these add latency, so a cue stays frame-exact.

The delivered level: every cue at one integrated loudness (default -24 LUFS, the programme level
of ATSC A/85 and of most streaming dialogue specs, so a cue laid at unity gain sits level with
normalised dialogue and the editor pulls it down under speech by the same fader move for every
cue), with true peaks held at or below -1 dBTP by a limiter.
"""

from __future__ import annotations

import math

import numpy as np
import pyloudnorm
from pedalboard import Limiter, Reverb
from scipy.signal import resample_poly

from cuebridge.engine.cue import SAMPLE_RATE

DEFAULT_LOUDNESS_LUFS = -24.0
TRUE_PEAK_CEILING_DBTP = -1.0
LOUDNESS_RANGE_LUFS = (-40.0, -9.0)  # what --loudness accepts
_OVERSAMPLE = 4
_BLOCK = 4800  # true peak is measured in 100 ms blocks
_PAD = 128  # the resampling filter's reach either side of a block
_CANDIDATE = 10 ** (-2 / 20)  # blocks this close to the sample peak may hold the true peak
_SILENCE_DB = -200.0


def hall(arousal: float) -> Reverb:
    """The room for a cue's style: still, sad music gets a long, wet hall; driving music a
    shorter, drier stage so its rhythm stays clear. `arousal` is in [-1, 1]."""
    calm = (1.0 - max(-1.0, min(1.0, arousal))) / 2.0  # 1 = still, 0 = driving
    return Reverb(
        room_size=0.72 + 0.2 * calm,  # Freeverb feedback: the tail's length
        damping=0.45,  # darker tail, like air and seats absorbing the highs
        wet_level=0.06 + 0.03 * calm,
        dry_level=0.45,
        width=1.0,  # decorrelated left/right tail: the stage gets width
    )


def add_space(audio: np.ndarray, arousal: float, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """`audio` (samples, 2) in a hall suited to its style. Linear and time-invariant (no
    compressor here): stems put through it one by one still sum to the mix."""
    out = hall(arousal)(np.ascontiguousarray(audio.T, dtype=np.float32), sample_rate)
    return np.ascontiguousarray(out.T)


def integrated_loudness(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> float:
    """BS.1770-4 integrated loudness in LUFS (-200 for silence or a cue shorter than 0.4 s
    that is silent)."""
    meter = pyloudnorm.Meter(sample_rate)
    block = int(0.4 * sample_rate)
    if len(audio) < block:  # the gated measure needs one 400 ms block
        audio = np.concatenate([audio, np.zeros((block - len(audio), audio.shape[1]), audio.dtype)])
    with np.errstate(divide="ignore"):
        value = float(meter.integrated_loudness(audio.astype(np.float64)))
    return value if math.isfinite(value) else _SILENCE_DB


def true_peak_dbtp(audio: np.ndarray) -> float:
    """True peak in dBTP: the sample peak of a 4x oversampled copy (BS.1770-4 annex 2).

    Only the blocks whose sample peak comes within 2 dB of the loudest sample are oversampled:
    between samples, band-limited music at 48 kHz overshoots its sample peak by well under
    that (typically < 0.5 dB; a full-scale square wave at fs/4 is the textbook worst, 3 dB), so
    no other block can hold the true peak. Bounded memory, and fast on long cues."""
    n = len(audio)
    if n == 0:
        return _SILENCE_DB
    blocks = -(-n // _BLOCK)
    padded = np.zeros((blocks * _BLOCK, audio.shape[1]), np.float32)
    padded[:n] = np.abs(audio)
    block_peaks = padded.reshape(blocks, -1).max(axis=1)
    del padded
    top = float(block_peaks.max())
    if top <= 0:
        return _SILENCE_DB
    peak = top
    for i in np.flatnonzero(block_peaks >= top * _CANDIDATE):
        start = int(i) * _BLOCK
        lo, hi = max(0, start - _PAD), min(n, start + _BLOCK + _PAD)
        up = resample_poly(audio[lo:hi].astype(np.float32), _OVERSAMPLE, 1, axis=0)
        a = (start - lo) * _OVERSAMPLE
        b = a + (min(n, start + _BLOCK) - start) * _OVERSAMPLE
        peak = max(peak, float(np.max(np.abs(up[a:b]))))
    return 20 * math.log10(peak)


def deliver(
    audio: np.ndarray,
    target_lufs: float = DEFAULT_LOUDNESS_LUFS,
    ceiling_dbtp: float = TRUE_PEAK_CEILING_DBTP,
    sample_rate: int = SAMPLE_RATE,
    limit: bool = True,
    reference: np.ndarray | None = None,
) -> tuple[np.ndarray, dict[str, float]]:
    """`audio` at `target_lufs` integrated, true peaks at or below `ceiling_dbtp`.

    Gain to the target, then a limiter where the peaks poke above the ceiling (its threshold
    set below the ceiling by the inter-sample overshoot it measured), then make-up for what the
    limiter took, at most three rounds; a last plain gain guarantees the ceiling. With `limit`
    off (stems must follow the mix exactly) only plain gain is used: the ceiling holds, and a
    cue too peaky for the target comes out quieter. `reference` (the same cue written without
    room for dialogue) sets the gain instead of `audio` itself, so what the composer leaves out
    under the lines only takes away. Returns the audio and the measured loudness and true peak
    of what is delivered, and the plain gain applied ("gain_db", without limit)."""
    audio = np.asarray(audio, dtype=np.float32)
    loudness = integrated_loudness(reference if reference is not None else audio, sample_rate)
    if loudness <= _SILENCE_DB:
        return audio, {"loudness_lufs": loudness, "true_peak_dbtp": _SILENCE_DB, "gain_db": 0.0}
    if not limit or reference is not None:  # plain gain only (a limiter's make-up would undo
        # the room left for dialogue, and would break stems' sum)
        gain = target_lufs - loudness
        peak = true_peak_dbtp(audio) + gain
        gain = round(gain - max(0.0, peak - ceiling_dbtp + 0.05), 3)
        audio = audio * gain_factor(gain)
        delivered = integrated_loudness(audio, sample_rate) if reference is not None else None
        level = {
            "loudness_lufs": delivered if delivered is not None else loudness + gain,
            "true_peak_dbtp": true_peak_dbtp(audio),
        }
        return audio, {**level, "gain_db": gain}
    for _ in range(3):
        audio = audio * gain_factor(target_lufs - loudness)
        loudness = target_lufs  # a plain gain moves the loudness by exactly its decibels
        peak = true_peak_dbtp(audio)
        if peak <= ceiling_dbtp:
            break
        overshoot = max(0.0, peak - 20 * math.log10(max(float(np.max(np.abs(audio))), 1e-9)))
        limiter = Limiter(threshold_db=ceiling_dbtp - overshoot - 0.3, release_ms=120.0)
        audio = np.ascontiguousarray(limiter(np.ascontiguousarray(audio.T), sample_rate).T)
        loudness = integrated_loudness(audio, sample_rate)
        if abs(loudness - target_lufs) < 0.3:
            break
    peak = true_peak_dbtp(audio)
    if peak > ceiling_dbtp:  # the limiter's last word is a plain gain, never a clip
        audio = audio * np.float32(10 ** ((ceiling_dbtp - peak - 0.05) / 20))
        loudness, peak = integrated_loudness(audio, sample_rate), true_peak_dbtp(audio)
    return audio, {"loudness_lufs": loudness, "true_peak_dbtp": peak, "gain_db": 0.0}


def measure(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> dict[str, float]:
    """Integrated loudness and true peak of what is delivered, for the metadata."""
    return {
        "loudness_lufs": integrated_loudness(audio, sample_rate),
        "true_peak_dbtp": true_peak_dbtp(audio),
    }


def gain_factor(db: float) -> np.float32:
    """A gain in decibels, rounded to 0.001 dB: a measurement that differs in its last bits
    (numpy's sums vary with memory alignment) must not change the cue's bytes."""
    return np.float32(10 ** (round(db, 3) / 20))


def check_loudness(value: float) -> str:
    """Why `value` cannot be a loudness target, or ""."""
    lo, hi = LOUDNESS_RANGE_LUFS
    if not (math.isfinite(value) and lo <= value <= hi):
        return (
            f"loudness {value} LUFS is outside {lo:g}..{hi:g}; give an integrated loudness "
            f"such as {DEFAULT_LOUDNESS_LUFS:g} (music under dialogue) or -16 (louder)."
        )
    return ""


# ---- long cues: the same chain over blocks, memory bounded by the block ----------------------

_STEP = 4800  # 100 ms at 48 kHz: the hop of BS.1770's 400 ms gating blocks
_G = (1.0, 1.0)  # BS.1770 channel weights for left and right


class LoudnessStream:
    """BS.1770-4 integrated loudness fed block by block (pyloudnorm measures whole arrays only).

    The K-weighting filters are pyloudnorm's own (their coefficients, run with scipy's lfilter
    carrying the filter state across blocks); the mean squares go into 100 ms steps, and the
    400 ms gating blocks (75 % overlap) and the two gates are BS.1770-4's, as pyloudnorm does."""

    def __init__(self, sample_rate: int = SAMPLE_RATE, channels: int = 2):
        from scipy.signal import lfilter_zi

        self.rate = sample_rate
        self.step = round(0.1 * sample_rate)
        stages = pyloudnorm.Meter(sample_rate)._filters.values()  # high shelf, then high pass
        self.filters = [(f.b, f.a, f.passband_gain) for f in stages]
        self.state = [[lfilter_zi(b, a) * 0.0 for b, a, _ in self.filters] for _ in range(channels)]
        self.steps: list[np.ndarray] = []  # per step: sum of squares per channel
        self.carry = np.zeros((0, channels))

    def add(self, block: np.ndarray) -> None:
        from scipy.signal import lfilter

        weighted = np.empty(block.shape, np.float64)
        for ch in range(block.shape[1]):
            x = block[:, ch].astype(np.float64)
            for k, (b, a, gain) in enumerate(self.filters):
                x, self.state[ch][k] = lfilter(b, a, x, zi=self.state[ch][k])
                x = x * gain
            weighted[:, ch] = x
        data = np.concatenate([self.carry, weighted]) if len(self.carry) else weighted
        whole = len(data) // self.step * self.step
        if whole:
            squares = (data[:whole] ** 2).reshape(-1, self.step, data.shape[1]).sum(axis=1)
            self.steps.extend(squares)
        self.carry = data[whole:]

    def integrated(self) -> float:
        if len(self.steps) < 4:
            return _SILENCE_DB
        steps = np.array(self.steps)
        window = np.lib.stride_tricks.sliding_window_view(steps, 4, axis=0)  # (blocks, ch, 4)
        z = window.sum(axis=2) / (4 * self.step)  # mean square per block and channel
        weights = np.array(_G[: z.shape[1]])
        with np.errstate(divide="ignore"):
            blocks = -0.691 + 10 * np.log10(z @ weights)
        gated = z[blocks >= -70.0]
        if not len(gated):
            return _SILENCE_DB
        relative = -0.691 + 10 * np.log10(gated.mean(axis=0) @ weights) - 10.0
        keep = z[(blocks >= -70.0) & (blocks > relative)]
        return float(-0.691 + 10 * np.log10(keep.mean(axis=0) @ weights))


def file_chunks(fh, num_samples: int, channels: int = 2, chunk: int = 1 << 18):
    """(start, block) over a raw float32 (samples, channels) file, in chunks."""
    for start in range(0, num_samples, chunk):
        n = min(chunk, num_samples - start)
        fh.seek(start * channels * 4)
        yield start, np.frombuffer(fh.read(n * channels * 4), np.float32).reshape(n, channels)


def true_peak_file(fh, num_samples: int, channels: int = 2) -> float:
    """`true_peak_dbtp` of a raw float32 file, reading it in chunks (same candidate blocks)."""
    peaks = []
    for _, block in file_chunks(fh, num_samples, channels, chunk=_BLOCK * 50):
        pad = (-len(block)) % _BLOCK
        a = np.abs(np.concatenate([block, np.zeros((pad, channels), np.float32)]))
        peaks.extend(a.reshape(-1, _BLOCK * channels).max(axis=1))
    top = max(peaks, default=0.0)
    if top <= 0:
        return _SILENCE_DB
    peak = float(top)
    for i in np.flatnonzero(np.array(peaks) >= top * _CANDIDATE):
        start = int(i) * _BLOCK
        lo, hi = max(0, start - _PAD), min(num_samples, start + _BLOCK + _PAD)
        fh.seek(lo * channels * 4)
        x = np.frombuffer(fh.read((hi - lo) * channels * 4), np.float32).reshape(-1, channels)
        up = resample_poly(x, _OVERSAMPLE, 1, axis=0)
        a = (start - lo) * _OVERSAMPLE
        b = a + (min(num_samples, start + _BLOCK) - start) * _OVERSAMPLE
        peak = max(peak, float(np.max(np.abs(up[a:b]))))
    return 20 * math.log10(peak)


def deliver_file(
    fh,
    num_samples: int,
    loudness: float,
    target_lufs: float = DEFAULT_LOUDNESS_LUFS,
    ceiling_dbtp: float = TRUE_PEAK_CEILING_DBTP,
    sample_rate: int = SAMPLE_RATE,
) -> dict[str, float]:
    """`deliver` for a long cue kept in a raw float32 file (changed in place, chunk by chunk):
    gain to the target, the limiter where needed (one round, its state carried across
    chunks), then one plain gain to the target or as near as the ceiling allows. Returns what
    the delivered cue measures; when no limiter is needed the file is left as it is and the
    plain gain comes back as "pending_gain_db", for the writer to apply as it writes."""
    silent = {"loudness_lufs": loudness, "true_peak_dbtp": _SILENCE_DB, "gain_db": 0.0}
    if loudness <= _SILENCE_DB:
        return {**silent, "pending_gain_db": 0.0}
    gain = round(target_lufs - loudness, 3)
    peak = true_peak_file(fh, num_samples) + gain
    if peak <= ceiling_dbtp:  # one plain gain: loudness and true peak move by its decibels
        level = {"loudness_lufs": loudness + gain, "true_peak_dbtp": peak, "gain_db": gain}
        return {**level, "pending_gain_db": gain}
    limiter = Limiter(threshold_db=ceiling_dbtp - 1.0, release_ms=120.0)
    meter = LoudnessStream(sample_rate)
    first = True
    for start, block in file_chunks(fh, num_samples):
        out = block * gain_factor(gain)
        out = limiter.process(np.ascontiguousarray(out.T), sample_rate, reset=first).T
        first = False
        out = np.ascontiguousarray(out, dtype=np.float32)
        meter.add(out)
        fh.seek(start * 8)
        fh.write(out.tobytes())
    level = meter.integrated()
    peak = true_peak_file(fh, num_samples)
    # pedalboard's Limiter adds make-up gain after it limits: a last plain gain brings the cue
    # to the target, or as near as the ceiling allows.
    fix = round(min(target_lufs - level, ceiling_dbtp - 0.05 - peak), 3)
    if abs(fix) >= 0.001:
        for start, block in file_chunks(fh, num_samples):
            fh.seek(start * 8)
            fh.write((block * gain_factor(fix)).astype(np.float32).tobytes())
        level, peak = level + fix, true_peak_file(fh, num_samples)
    return {"loudness_lufs": level, "true_peak_dbtp": peak, "gain_db": gain, "pending_gain_db": 0.0}
