"""Measures of a written score (a PrettyMIDI) and its audio, for the bench and the tests.

Parts are found by the first word of the instrument name ("Melody", "Melody: Oboe"), so the
same measures read this composer's files and the previous version's.
"""

from __future__ import annotations

import numpy as np
import pretty_midi

from cuebridge.engine.audio import onset_envelope

CRASHES = (49, 57)


def part(midi: pretty_midi.PrettyMIDI, name: str) -> pretty_midi.Instrument | None:
    for inst in midi.instruments:
        if inst.name.split(":")[0].strip() == name:
            return inst
    return None


def tempo_stats(midi: pretty_midi.PrettyMIDI) -> dict[str, float]:
    """Mean tempo, max/min ratio, share of tempo changes above 5 %, counts of changes."""
    _, tempi = midi.get_tempo_changes()
    tempi = np.asarray(tempi, float)
    steps = np.abs(np.diff(tempi) / tempi[:-1]) if len(tempi) > 1 else np.zeros(0)
    return {
        "bpm": float(np.mean(tempi)),
        "tempo_ratio": float(tempi.max() / tempi.min()),
        "jumps_gt5": float(np.mean(steps > 0.05)) if len(steps) else 0.0,
        "tempo_changes": float(len(tempi) - 1),
        "meter_changes": float(max(0, len(midi.time_signature_changes) - 1)),
    }


def notes_per_second(midi: pretty_midi.PrettyMIDI, duration_s: float) -> float:
    return sum(len(i.notes) for i in midi.instruments) / duration_s


def mean_register(midi: pretty_midi.PrettyMIDI) -> float:
    pitches = [n.pitch for i in midi.instruments if not i.is_drum for n in i.notes]
    return float(np.mean(pitches)) if pitches else 0.0


def instrumentation(midi: pretty_midi.PrettyMIDI) -> frozenset[str]:
    """The GM programs that play (and "drums" when a kit does)."""
    found = set()
    for inst in midi.instruments:
        if inst.notes:
            found.add("drums" if inst.is_drum else f"p{inst.program}")
    return frozenset(found)


def has_percussion(midi: pretty_midi.PrettyMIDI) -> bool:
    """A kit that keeps time (a pulse part), not only accents."""
    perc = part(midi, "Percussion")
    return bool(perc and perc.notes)


def crashes_per_minute(midi: pretty_midi.PrettyMIDI, duration_s: float) -> float:
    n = sum(1 for i in midi.instruments if i.is_drum for x in i.notes if x.pitch in CRASHES)
    return 60.0 * n / duration_s


def chord_changes(midi: pretty_midi.PrettyMIDI) -> list[float]:
    """Times where the pad's pitch-class set changes."""
    pad = part(midi, "Pad")
    if pad is None:
        return []

    def at(t: float) -> frozenset[int]:
        return frozenset(n.pitch % 12 for n in pad.notes if n.start <= t < n.end)

    starts = sorted({round(n.start, 4) for n in pad.notes})
    return [t for t in starts if t > 0 and at(t - 0.01) != at(t + 0.01)]


def _beat_positions(midi: pretty_midi.PrettyMIDI, times: np.ndarray) -> np.ndarray:
    beats = midi.get_beats()
    if len(beats) < 2:
        return times
    idx = np.arange(len(beats), dtype=float)
    # extrapolate past the last beat at the last beat length
    last = beats[-1] - beats[-2]
    beats = np.append(beats, beats[-1] + last * 64)
    idx = np.append(idx, idx[-1] + 64)
    return np.interp(times, beats, idx)


def melody_bars(midi: pretty_midi.PrettyMIDI) -> tuple[float, int, int]:
    """(share of distinct melody bars, distinct bar rhythms, bars with melody)."""
    mel = part(midi, "Melody")
    if mel is None or not mel.notes:
        return 0.0, 0, 0
    downbeats = midi.get_downbeats()
    starts = np.array([n.start for n in mel.notes])
    ends = np.array([n.end for n in mel.notes])
    sb = _beat_positions(midi, starts)
    eb = _beat_positions(midi, ends)
    db = _beat_positions(midi, np.asarray(downbeats))
    bars: dict[int, list[tuple[float, float, int]]] = {}
    for s, e, n in zip(sb, eb, mel.notes, strict=True):
        i = int(np.searchsorted(db, s + 1e-6) - 1)
        if i < 0:
            continue
        onset = round((s - db[i]) * 4) / 4
        bars.setdefault(i, []).append((onset, round((e - s) * 4) / 4, n.pitch))
    shapes = [tuple(v) for v in bars.values()]
    rhythms = {tuple((o, d) for o, d, _ in v) for v in shapes}
    return len(set(shapes)) / len(shapes), len(rhythms), len(shapes)


def outer_voice_parallels(midi: pretty_midi.PrettyMIDI) -> tuple[int, int]:
    """(parallel perfect 5ths/8ves, co-moving moments) between bass and melody: moments where
    both start a note together, compared with the previous such moment."""
    mel, bass = part(midi, "Melody"), part(midi, "Bass")
    if mel is None or bass is None:
        return 0, 0
    bass_notes = sorted(bass.notes, key=lambda n: n.start)
    bass_starts = np.array([n.start for n in bass_notes])
    moments = []
    for n in sorted(mel.notes, key=lambda n: n.start):
        if not len(bass_starts):
            break
        i = int(np.argmin(np.abs(bass_starts - n.start)))
        if abs(bass_starts[i] - n.start) <= 0.025:  # together, allowing a player's looseness
            moments.append((n.pitch, bass_notes[i].pitch))
    parallels = 0
    pairs = 0
    for (m0, b0), (m1, b1) in zip(moments, moments[1:], strict=False):
        if m0 == m1 and b0 == b1:
            continue
        pairs += 1
        same = (m1 - m0) * (b1 - b0) > 0
        if same and (m0 - b0) % 12 == (m1 - b1) % 12 and (m1 - b1) % 12 in (0, 7):
            parallels += 1
    return parallels, pairs


def melody_clashes(midi: pretty_midi.PrettyMIDI) -> tuple[int, int]:
    """(clashing, counted) melody notes of a beat or longer: a semitone, minor ninth or major
    seventh against a pad or bass note sounding through most of it."""
    mel = part(midi, "Melody")
    if mel is None:
        return 0, 0
    under = [n for name in ("Pad", "Bass") if (p := part(midi, name)) for n in p.notes]
    starts = np.array([n.start for n in mel.notes])
    ends = np.array([n.end for n in mel.notes])
    sb, eb = _beat_positions(midi, starts), _beat_positions(midi, ends)
    clashes = counted = 0
    for n, b0, b1 in zip(mel.notes, sb, eb, strict=True):
        if b1 - b0 < 0.95:
            continue
        counted += 1
        length = n.end - n.start
        for u in under:
            overlap = min(u.end, n.end) - max(u.start, n.start)
            if overlap >= 0.5 * length and (n.pitch - u.pitch) % 12 in (1, 11):
                clashes += 1
                break
    return clashes, counted


def ending_gap_s(midi: pretty_midi.PrettyMIDI, duration_s: float) -> float:
    """How long before the out point the last note stops."""
    ends = [n.end for i in midi.instruments for n in i.notes]
    return duration_s - max(ends) if ends else duration_s


def short_term_loudness(audio: np.ndarray, rate: int) -> np.ndarray:
    """EBU R128 short-term loudness (3 s windows, 1 s hop), LUFS, K-weighted by pyloudnorm."""
    import pyloudnorm

    meter = pyloudnorm.Meter(rate, block_size=0.4)
    win, hop = 3 * rate, rate
    values = []
    for start in range(0, max(1, len(audio) - win + 1), hop):
        block = audio[start : start + win]
        with np.errstate(divide="ignore"):
            values.append(meter.integrated_loudness(block))
    return np.array(values)


def loudness_range(audio: np.ndarray, rate: int) -> float:
    """EBU Tech 3342 loudness range: 10th-95th percentile of short-term loudness, gated
    absolutely at -70 LUFS and relatively at -20 LU below the mean."""
    st = short_term_loudness(audio, rate)
    st = st[np.isfinite(st) & (st > -70)]
    if len(st) < 2:
        return 0.0
    mean = 10 * np.log10(np.mean(10 ** (st / 10)))
    st = st[st > mean - 20]
    return float(np.percentile(st, 95) - np.percentile(st, 10))


def integrated_loudness(audio: np.ndarray, rate: int) -> float:
    import pyloudnorm

    return float(pyloudnorm.Meter(rate).integrated_loudness(audio))


def speech_band_db(
    audio: np.ndarray, rate: int, speech: list[tuple[float, float]], inside: bool
) -> float:
    """Energy in the speech band (300 Hz-3.4 kHz) during the lines, or outside them (the last
    second, the ending, left out), in dB."""
    mono = audio.mean(axis=1) if audio.ndim == 2 else audio
    mask = np.zeros(len(mono), bool)
    for a, b in speech:
        mask[int(a * rate) : int(b * rate)] = True
    if not inside:
        mask = ~mask
        mask[-rate:] = False
    spec = np.abs(np.fft.rfft(mono[mask])) ** 2
    freqs = np.fft.rfftfreq(int(mask.sum()), 1 / rate)
    return float(10 * np.log10(spec[(freqs > 300) & (freqs < 3400)].sum() + 1e-20))


def _frame_db(audio: np.ndarray, rate: int, frame_s: float = 0.05) -> np.ndarray:
    """RMS level of consecutive `frame_s` frames, dB (mono sum)."""
    mono = audio.mean(axis=1) if audio.ndim == 2 else audio
    n = max(1, round(frame_s * rate))
    count = len(mono) // n
    frames = mono[: count * n].astype(np.float64).reshape(count, n)
    return 10 * np.log10(np.mean(frames**2, axis=1) + 1e-20)


def ending_level_db(audio: np.ndarray, rate: int) -> float:
    """The cue's last 50 ms against its median 50 ms level, dB (negative: quieter). An ending
    that resolves has decayed to -30 dB or below by the out point; a chopped one sits near 0."""
    mono = audio.mean(axis=1) if audio.ndim == 2 else audio
    n = round(0.05 * rate)
    tail = mono[-n:].astype(np.float64)
    last = 10 * np.log10(np.mean(tail**2) + 1e-20)
    return float(last - np.median(_frame_db(audio, rate)))


def onset_ratio_at(audio: np.ndarray, rate: int, times_s: list[float]) -> list[float]:
    """The onset strength at each moment (the peak within 50 ms) over the cue's median."""
    mono = audio.mean(axis=1) if audio.ndim == 2 else audio
    flux, fps = onset_envelope(mono, rate)
    times = np.arange(len(flux)) / fps
    median = float(np.median(flux)) or 1e-9
    out = []
    for t in times_s:
        near = flux[np.abs(times - t) <= 0.05]
        if len(near):
            out.append(float(np.max(near)) / median)
    return out
