"""Finish a cue: a hall around the dry instruments, then a delivered level.

Every effect is Spotify's pedalboard (JUCE's Freeverb-style Reverb and Limiter, with wheels for
Linux, macOS and Windows); loudness is ITU-R BS.1770-4 / EBU R128 integrated loudness with
pyloudnorm's K-weighting coefficients, run as one float32 `sosfilt` pass over both channels
(block by block, so a long cue is metered as it is made; it matches pyloudnorm within 0.01 LU);
true peak is measured on a 4x oversampled signal (BS.1770-4 annex 2) with scipy's polyphase
resampler. None of these add latency, so a cue stays frame-exact.

The level is set on a `Tape`: the finished cue in memory (`ArrayTape`) or in a raw float32 file
beside the cue for long ones (`FileTape`); `deliver` works on either, so a short and a long cue
get the same chain (engine/cue_writer.py runs it).

The delivered level: every cue at one integrated loudness (default -24 LUFS, the programme level
of ATSC A/85 and of most streaming dialogue specs, so a cue laid at unity gain sits level with
normalised dialogue and the editor pulls it down under speech by the same fader move for every
cue), with true peaks held at or below -1 dBTP by a limiter.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np
import pyloudnorm
from pedalboard import Limiter, Reverb
from scipy.signal import resample_poly, sosfilt

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
    """BS.1770-4 integrated loudness in LUFS (-200 for silence). A cue shorter than one 400 ms
    gating block is measured as if padded with silence to one block."""
    audio = _as_2d(audio)
    meter = LoudnessStream(sample_rate, audio.shape[1])
    meter.add(audio)
    block = int(0.4 * sample_rate)
    if len(audio) < block:
        meter.add(np.zeros((block - len(audio), audio.shape[1]), np.float32))
    return meter.integrated()


def true_peak_dbtp(audio: np.ndarray) -> float:
    """True peak in dBTP: the sample peak of a 4x oversampled copy (BS.1770-4 annex 2)."""
    audio = _as_2d(audio)
    return true_peak(ArrayTape(audio))


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


def _as_2d(audio: np.ndarray) -> np.ndarray:
    audio = np.asarray(audio, dtype=np.float32)
    return audio[:, None] if audio.ndim == 1 else audio


# ---- the meter ------------------------------------------------------------------------------

_G = (1.0, 1.0, 1.0, 1.41, 1.41)  # BS.1770 channel weights (L, R, C, Ls, Rs)


class LoudnessStream:
    """BS.1770-4 integrated loudness fed block by block (pyloudnorm measures whole arrays only).

    The K-weighting is pyloudnorm's own two biquads (high shelf, then high pass) as one
    second-order-sections filter run over all channels at once in float32, its state carried
    across blocks; the mean squares go into 100 ms steps, and the 400 ms gating blocks (75 %
    overlap) and the two gates are BS.1770-4's, as pyloudnorm does."""

    def __init__(self, sample_rate: int = SAMPLE_RATE, channels: int = 2):
        self.rate = sample_rate
        self.step = round(0.1 * sample_rate)
        stages = list(pyloudnorm.Meter(sample_rate)._filters.values())  # shelf, then high pass
        sos = np.array([np.concatenate([f.b / f.a[0], f.a / f.a[0]]) for f in stages])
        sos[0, :3] *= math.prod(f.passband_gain for f in stages)
        self.sos = sos.astype(np.float32)
        self.state = np.zeros((len(stages), 2, channels), np.float32)
        self.steps: list[np.ndarray] = []  # per 100 ms step: sum of squares per channel
        self.carry = np.zeros((0, channels), np.float32)

    def add(self, block: np.ndarray) -> None:
        block = _as_2d(block)
        weighted, self.state = sosfilt(self.sos, block, axis=0, zi=self.state)
        data = np.concatenate([self.carry, weighted]) if len(self.carry) else weighted
        whole = len(data) // self.step * self.step
        if whole:
            steps = data[:whole].reshape(-1, self.step, data.shape[1])
            self.steps.extend(np.einsum("sij,sij->sj", steps, steps, dtype=np.float64))
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


# ---- the finished cue, in memory or in a file ------------------------------------------------

_CHUNK = 1 << 18  # frames per pass over a tape (5.5 s)


class Tape(Protocol):
    """The finished cue being levelled: read and rewritten in place, chunk by chunk."""

    num_samples: int
    channels: int

    def read(self, start: int, stop: int) -> np.ndarray: ...

    def write(self, start: int, block: np.ndarray) -> None: ...


class ArrayTape:
    def __init__(self, audio: np.ndarray):
        self.audio = np.ascontiguousarray(_as_2d(audio))
        self.num_samples, self.channels = self.audio.shape

    def read(self, start: int, stop: int) -> np.ndarray:
        return self.audio[start:stop]

    def write(self, start: int, block: np.ndarray) -> None:
        self.audio[start : start + len(block)] = block


class FileTape:
    """A raw float32 (samples, channels) file, open for reading and writing."""

    def __init__(self, fh, channels: int):
        self.fh, self.channels, self.num_samples = fh, channels, 0

    def append(self, block: np.ndarray) -> None:
        self.fh.seek(self.num_samples * self.channels * 4)
        self.fh.write(np.ascontiguousarray(block, np.float32).data.cast("B"))  # no bytes copy
        self.num_samples += len(block)

    def read(self, start: int, stop: int) -> np.ndarray:
        stop = min(stop, self.num_samples)
        self.fh.seek(start * self.channels * 4)
        raw = self.fh.read(max(0, stop - start) * self.channels * 4)
        return np.frombuffer(raw, np.float32).reshape(-1, self.channels)

    def write(self, start: int, block: np.ndarray) -> None:
        self.fh.seek(start * self.channels * 4)
        self.fh.write(np.ascontiguousarray(block, np.float32).tobytes())


def chunks(tape: Tape, chunk: int = _CHUNK):
    """(start, block) over the whole tape."""
    for start in range(0, tape.num_samples, chunk):
        yield start, tape.read(start, start + chunk)


def true_peak(tape: Tape) -> float:
    """True peak of a tape in dBTP (BS.1770-4 annex 2: 4x oversampled).

    Only the 100 ms blocks whose sample peak comes within 2 dB of the loudest sample are
    oversampled: between samples, band-limited music at 48 kHz overshoots its sample peak by
    well under that (typically < 0.5 dB; a full-scale square wave at fs/4 is the textbook worst,
    3 dB), so no other block can hold the true peak. Bounded memory, and fast on long cues."""
    n = tape.num_samples
    peaks: list[float] = []
    for _, block in chunks(tape, _BLOCK * 50):
        pad = (-len(block)) % _BLOCK
        a = np.abs(block)
        if pad:
            a = np.concatenate([a, np.zeros((pad, tape.channels), np.float32)])
        peaks.extend(a.reshape(-1, _BLOCK * tape.channels).max(axis=1))
    top = max(peaks, default=0.0)
    if top <= 0:
        return _SILENCE_DB
    peak = float(top)
    for i in np.flatnonzero(np.array(peaks) >= top * _CANDIDATE):
        start = int(i) * _BLOCK
        lo, hi = max(0, start - _PAD), min(n, start + _BLOCK + _PAD)
        up = resample_poly(tape.read(lo, hi), _OVERSAMPLE, 1, axis=0)
        a = (start - lo) * _OVERSAMPLE
        b = a + (min(n, start + _BLOCK) - start) * _OVERSAMPLE
        peak = max(peak, float(np.max(np.abs(up[a:b]))))
    return 20 * math.log10(peak)


def deliver(
    tape: Tape,
    loudness: float,
    target_lufs: float = DEFAULT_LOUDNESS_LUFS,
    ceiling_dbtp: float = TRUE_PEAK_CEILING_DBTP,
    limit: bool = True,
    sample_rate: int = SAMPLE_RATE,
) -> dict[str, float]:
    """Bring the tape to `target_lufs` integrated, true peaks at or below `ceiling_dbtp`.

    `loudness` is what the cue measures as made (or the same cue written without room for
    dialogue, so that what the composer leaves out under the lines only takes away). Where a
    plain gain keeps the peaks under the ceiling, the tape is left as it is and that gain comes
    back as "gain_db", for the writer to apply as it writes. Otherwise, with `limit`, the gain
    and a limiter are run over the tape (its state carried across chunks) and a last plain gain
    brings the cue to the target or as near as the ceiling allows, up to three rounds; without
    `limit` (stems must sum to the mix, a dialogue reference must keep its room) only plain gain
    is used and a cue too peaky for the target comes out quieter. Returns what the delivered
    cue measures ("loudness_lufs", "true_peak_dbtp") and "gain_db" still to apply."""
    if loudness <= _SILENCE_DB:
        return {"loudness_lufs": loudness, "true_peak_dbtp": _SILENCE_DB, "gain_db": 0.0}
    gain = round(target_lufs - loudness, 3)
    raw_peak = true_peak(tape)
    if raw_peak + gain > ceiling_dbtp and not limit:
        gain = round(ceiling_dbtp - 0.05 - raw_peak, 3)
    if raw_peak + gain <= ceiling_dbtp:  # one plain gain: loudness and peak move by its dB
        return {
            "loudness_lufs": loudness + gain,
            "true_peak_dbtp": raw_peak + gain,
            "gain_db": gain,
        }
    threshold = ceiling_dbtp - 1.0
    level = loudness
    for _ in range(3):
        limiter = Limiter(threshold_db=threshold, release_ms=120.0)
        meter = LoudnessStream(sample_rate, tape.channels)
        for start, block in chunks(tape):
            out = np.ascontiguousarray((block * gain_factor(gain)).T)
            out = np.ascontiguousarray(limiter.process(out, sample_rate, reset=start == 0).T)
            meter.add(out)
            tape.write(start, out)
        level, peak = meter.integrated(), true_peak(tape)
        # pedalboard's Limiter adds make-up gain after it limits: a last plain gain brings the
        # cue to the target, or as near as the ceiling allows.
        gain = round(min(target_lufs - level, ceiling_dbtp - 0.05 - peak), 3)
        short = target_lufs - (level + gain)
        if short < 0.3:
            break
        threshold -= short  # still too peaky for the target: limit harder
    return {"loudness_lufs": level + gain, "true_peak_dbtp": peak + gain, "gain_db": gain}
