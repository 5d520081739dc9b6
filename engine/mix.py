"""The mix around dialogue: every cue dips gently where people speak (both models use it).

The depth is DUCK_DB (-6 dB) unless the options say otherwise (`duck_off`, or `duck_db` such
as -9); the level moves along raised-cosine ramps of RAMP_S (150 ms), reaching the full
dip as a line starts and rising from its end. Pauses shorter than HOLD_S stay down, so the music
does not pump between words; longer ones let it come back and answer.

Under the lines the voice's own band (SPEECH_BAND_HZ, 300 Hz-3.4 kHz) dips BAND_EXTRA_DB further
(-3 dB: -9 dB in all at the default depth), as a dialogue mixer carves the music's midrange
rather than only pulling its fader: the bass and the air of the cue stay, the words get room.
The band is split off with a zero-phase FFT filter whose edges are raised-cosine slopes, and the
split is exact (band + rest = the cue), so away from speech the cue is untouched.

Order (engine/cue_writer.py, for every model): shape (rate, hall, fades) -> set the level ->
duck. The ducking comes AFTER the level is set, and the level is measured on the cue as it would
be without dialogue (the composer renders its no-speech version for that when it wrote the
speech version differently; musicgen's take is the same either way), so the music between lines
sits exactly where it would without dialogue handling, the dip under the lines is exactly the
depth asked for (normalisation cannot undo it), and since the duck only lowers, the peak ceiling
still holds. `--duck off` means no dip at all: it also stops the composer thinning its parts
under the lines, unless the job asks for that on its own (`thin_under_dialogue`).

`level_keyframes` lists the same shape as (seconds, dB) points for formats that can carry
clip-gain keyframes, so an editor can adjust the dip rather than fight it. They travel as the
cue's typed fields (speech_s, duck_db, duck_keyframes), never as JSON in its metadata.
"""

from __future__ import annotations

import numpy as np

from cuebridge.engine.cue import SAMPLE_RATE
from cuebridge.engine.errors import CueError
from cuebridge.engine.segment import GenerationOptions, Segment

DUCK_DB = -6.0
RAMP_S = 0.15
SPEECH_BAND_HZ = (300.0, 3400.0)
BAND_EXTRA_DB = -3.0
BAND_SLOPE = 1.25  # each band edge fades over this frequency ratio (about a third of an octave)
HOLD_S = 0.5
MAX_DUCK_DB = -40.0

Spans = list[tuple[float, float]]


def thin_under_dialogue(options: GenerationOptions) -> bool:
    """Whether a model that writes its own parts thins them under the lines (the composer rests
    its melody and quietens its texture there; `--thin-under-dialogue/--no-...`). Unset, it
    follows the duck: on, except with `--duck off`, which means the music does not dip at all."""
    if options.thin_under_dialogue is not None:
        return options.thin_under_dialogue
    return not options.duck_off


def duck_depth(segment: Segment, options: GenerationOptions) -> float:
    """The dip in dB (<= 0); 0 when ducking is off."""
    if options.duck_off:
        return 0.0
    value = options.duck_db
    if value == 0:
        return DUCK_DB
    if not MAX_DUCK_DB <= -abs(value) <= 0:  # NaN fails too: an old client's "duck=loud"
        raise CueError(
            f"segment {segment.id!r}: duck {value:g} dB is not a level; give a dB amount "
            f"between 0 and {MAX_DUCK_DB:g} (e.g. -6), or off"
        )
    return -abs(value)


def duck_spans(speech_s: Spans, duration_s: float) -> Spans:
    """Speech lines clipped to the cue, with pauses shorter than HOLD_S held down."""
    out: Spans = []
    for a, b in sorted(speech_s):
        a, b = max(0.0, a), min(duration_s, b)
        if b <= a:
            continue
        if out and a - out[-1][1] < HOLD_S:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def gain_curve(
    num_samples: int, speech_s: Spans, depth_db: float, sample_rate: int = SAMPLE_RATE
) -> np.ndarray:
    """Linear gain per sample: 1 away from speech, 10^(depth/20) under it, cosine ramps."""
    gain_db = np.zeros(num_samples, np.float64)
    if depth_db >= 0 or not speech_s:
        return np.ones(num_samples, np.float32)
    ramp = max(1, round(RAMP_S * sample_rate))
    shape = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, ramp))  # 0 -> 1
    for a, b in duck_spans(speech_s, num_samples / sample_rate):
        lo, hi = round(a * sample_rate), round(b * sample_rate)
        depth = np.zeros(num_samples, np.float64)
        depth[lo:hi] = 1.0
        down = np.arange(lo - ramp, lo)
        keep = down >= 0
        depth[down[keep]] = shape[keep]
        up = np.arange(hi, hi + ramp)
        keep = up < num_samples
        depth[up[keep]] = shape[::-1][keep]
        gain_db = np.minimum(gain_db, depth * depth_db)
    return (10.0 ** (gain_db / 20.0)).astype(np.float32)


def duck_under_speech(
    audio: np.ndarray, segment: Segment, options: GenerationOptions
) -> tuple[np.ndarray, dict[str, str], dict]:
    """The cue dipped under the segment's speech, the metadata that records how (provenance),
    and the Cue's typed dialogue fields (speech_s, duck_db, duck_keyframes)."""
    speech = segment.speech_times_s()
    depth = duck_depth(segment, options)
    meta: dict[str, str] = {}
    fields: dict = {"speech_s": [(round(a, 3), round(b, 3)) for a, b in speech]}
    if not speech or not depth:
        return audio, meta, fields
    gain = gain_curve(len(audio), speech, depth)
    band_gain = gain_curve(len(audio), speech, depth + BAND_EXTRA_DB)
    shape = (slice(None), None) if audio.ndim == 2 else slice(None)
    out = audio * gain[shape] + speech_band(audio) * (band_gain - gain)[shape]
    meta["dialogue.band_db"] = f"{depth + BAND_EXTRA_DB:g}"
    duration = len(audio) / SAMPLE_RATE
    fields["duck_db"] = depth
    fields["duck_keyframes"] = [tuple(p) for p in level_keyframes(speech, depth, duration)]
    return out.astype(np.float32), meta, fields


def speech_band(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """The part of the audio in SPEECH_BAND_HZ (zero phase; audio - band is the rest exactly)."""
    n = len(audio)
    freqs = np.fft.rfftfreq(n, 1 / sample_rate)
    lo, hi = SPEECH_BAND_HZ
    mask = np.ones_like(freqs)
    for edge, rising in ((lo, True), (hi, False)):
        a, b = edge / np.sqrt(BAND_SLOPE), edge * np.sqrt(BAND_SLOPE)
        x = np.clip((np.log(np.maximum(freqs, 1e-9)) - np.log(a)) / np.log(b / a), 0.0, 1.0)
        ramp = 0.5 - 0.5 * np.cos(np.pi * x)
        mask *= ramp if rising else 1.0 - ramp
    spectrum = np.fft.rfft(np.asarray(audio, np.float64), axis=0)
    spectrum *= mask[:, None] if audio.ndim == 2 else mask
    return np.fft.irfft(spectrum, n, axis=0).astype(np.float32)


def level_keyframes(speech_s: Spans, depth_db: float, duration_s: float) -> list[list[float]]:
    """(seconds, dB) points of the dip: flat at 0 dB, down by each line, up after it."""
    points: list[list[float]] = [[0.0, 0.0]]
    for a, b in duck_spans(speech_s, duration_s):
        for t, db in ((a - RAMP_S, 0.0), (a, depth_db), (b, depth_db), (b + RAMP_S, 0.0)):
            t = min(max(t, 0.0), duration_s)
            if points and t <= points[-1][0]:
                points[-1] = [points[-1][0], min(points[-1][1], db)]
            else:
                points.append([round(t, 4), db])
    return points
