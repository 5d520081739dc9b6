"""The offline composer: a segment's feel, cuts, hit points and dialogue -> a piece of film music.

EMSYNC's pipeline shape (mood -> valence/arousal -> symbolic music whose chords change on the
cuts), written the way a film composer works, with rules in place of a trained transformer:

1. **Feel and style.** Valence and arousal in [-1, 1] and a style (`words.py` reads the words;
   a picture analysis may pass its own `Feel`). The style is one of ten archetypes
   (`styles.py`): suspense, horror, action, comedy, romance, grief, wonder, triumph, pastoral,
   mystery, each with its own orchestra, register, pulse, texture, harmony, accents and shape.
2. **Key, tempo, meter.** The style names its mode and favoured tonics (the seed picks one),
   its tempo (arousal and the seed nudge it) and meters.
3. **Cuts ranked by strength.** A cut is as strong as the shot it opens is long. Cuts opening a
   shot of at least the style's `strong_shot_s` get a harmonic change, at least `min_cut_gap_s`
   apart; of two cuts too close, the one opening the longer shot is kept. The rest pass under
   the music (calm styles hold their chord across them).
4. **A steady pulse.** One tempo for the cue, bent only in small steps (each stretch between
   anchored cuts within 7 % of the tempo and 5 % of the stretch before) where that puts a strong
   cut on a beat; the bar before such a cut may change meter. A cut the beat cannot reach is
   landed by the harmony itself: the chord changes exactly on the cut, off the beat.
5. **Form.** Bars group into 4-bar phrases (antecedent ending on the dominant, consequent on the
   tonic) restarting only at anchored strong cuts; phrases group into sections A / B / A' in long
   cues. Two motifs (A and B), varied by sequence, rhythm changes, inversion and fragmentation.
   An intensity curve (the style's dynamic shape) decides which layers play (motion, percussion,
   counter-line enter and leave), velocities and CC11 expression, so a long cue builds and
   releases.
6. **Clean writing.** The melody's long notes and strong beats are chord tones, its scale follows
   borrowed chords, notes crossing a chord change are cut at it, and parallel fifths/octaves
   against the bass are re-voiced.
7. **Accents.** Hit points get the style's accent set; every honoured cut is an attack a
   listener hears: the sustained parts lift just before it, the pad and a stab chord (its root
   low) strike the new chord on the frame, the bass takes a new, accented note, and an accent
   in the style's colour marks it (a gesture or a hit in energetic styles, a harp or celesta
   roll over soft timpani in calm ones); at most 4 crash cymbals a minute.
8. **Dialogue.** Under speech (`speech.py`) the melody rests, the texture thins, the dynamics
   drop and percussion keeps out of the voice band.
9. **Ending.** The final tonic arrives on a bar line; a swelling style grows into a short
   button chord on a beat, a decaying one fades (CC11); either way every note has stopped
   `RING_S` before the out point, so the instruments' release and the hall have died away (to
   30 dB under the cue's level) by the last frame: nothing is cut off.
   The mix keeps the tune over the pad (the pad voiced below it and softer while it sings,
   channel volumes per style), and each seed is another take: its own orchestration within
   the style (tune, pad, bass and moving part, `styles.take_of`), key, motif and tempo
   (any two takes within 10 %).
10. **MIDI.** Written in beats at 60 bpm, warped onto the tempo map with
   `PrettyMIDI.adjust_times`; a light humanising of timing and velocity (never on cut and hit
   accents or chord changes).

Everything random comes from `random.Random` streams seeded from the segment's seed.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from dataclasses import dataclass, field

import numpy as np
import pretty_midi

from cuebridge.engine.models.composer.speech import (
    SPEECH_MARGIN_BEATS,
    make_room_for_speech,
    speech_gain,
)
from cuebridge.engine.models.composer.styles import STYLES, Style, nearest_style, take_of
from cuebridge.engine.segment import Segment

COMPOSER_VERSION = "6h"  # bump when a rule change alters the music (cached cues are keyed on it)
MIN_CHORD_S = 1.0  # no honoured cut this close to the start or the end
SOFT_ACCENT_GAP_S = 2.0  # picture-detected accents are thinned to this spacing
NOMINAL_BPM = 60.0  # composition time: one beat = one second, warped afterwards
TEMPO_SPREAD = 0.07  # every local tempo within this fraction of the cue's tempo
TEMPO_STEP = 0.05  # ... and within this fraction of the stretch before
CRASH_GAP_S = 15.0  # at most 4 crash cymbals a minute
GESTURE_S = 4.0  # an energetic style marks a cut with a gesture when its shot lasts this long
# After the last note the instruments' release and the hall need this long to die away (to
# 30 dB under the cue's level) before the out point; a swell ends on a short button chord.
RING_S = {"swell": 0.7, "decay": 1.0}
BUTTON_BEATS = 0.5
# At an honoured cut the sustained parts lift this long before it and the pad re-strikes the new
# chord on it, so the change is an attack a listener hears, not a crossfade under the hall
# (bench_listen: 0.2 s placed madmom's heard change nearest the cut; 0.1 s and 0.4 s less so).
CUT_LIFT_S = 0.2
CUT_ACCENT = 14  # velocity the pad and bass gain on an honoured cut
TOGETHER_S = 0.025  # two notes this close start together, to a listener
HUMANISE_S = 0.01  # the most the humanising moves a note
# ...and the stabs strike the new chord on the frame, root below, held this long: the pads'
# slow attacks (MuseScore General's strings, choir and warm pad reach -6 dB only 0.1-0.45 s
# in) left a listener hearing the old chord a frame or two past the cut.
CUT_CHORD_S = 1.0

# --------------------------------------------------------------------------------------------
# 1. Feel
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Feel:
    """What the music should feel like, on Russell's circumplex: both axes in [-1, 1]."""

    valence: float = 0.0  # -1 sad/dark .. +1 happy/bright
    arousal: float = 0.0  # -1 calm/still .. +1 excited/driving
    accent_times_s: tuple[float, ...] = ()  # moments the picture suggests; lightly accented
    extra_cut_times_s: tuple[float, ...] = ()  # cuts found inside clips, seconds from the start
    style: str = ""  # a style the words named ("" = the nearest to valence/arousal)
    # (cut time, factor) from the picture: how much the picture changes across a cut (1 = as
    # much as the edit alone says); a cut's strength is the shot it opens times this factor
    cut_weights: tuple[tuple[float, float], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "valence", _clamp(self.valence))
        object.__setattr__(self, "arousal", _clamp(self.arousal))


def _clamp(x: float) -> float:
    return max(-1.0, min(1.0, float(x)))


NEUTRAL = Feel(0.0, 0.0)


def feel_from_words(prompt: str = "", mood: str = "") -> Feel:
    """The feel of the editor's words (see `words.py` for how); neutral when none is known."""
    from cuebridge.engine.models.composer.words import analyse_words

    found = analyse_words(prompt, mood)
    if found is None:
        return NEUTRAL
    valence, arousal, style = found
    return Feel(valence, arousal, style=style)


def choose_style(feel: Feel) -> Style:
    return STYLES.get(feel.style) or nearest_style(feel.valence, feel.arousal)


# --------------------------------------------------------------------------------------------
# 2. Key, tempo, meter
# --------------------------------------------------------------------------------------------

NOTE_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)  # natural minor; the dominant chord raises the 7th


@dataclass(frozen=True)
class Key:
    tonic: int  # pitch class, 0 = C
    mode: str  # "major" or "minor"

    @property
    def name(self) -> str:
        return f"{NOTE_NAMES[self.tonic]} {self.mode}"

    @property
    def scale(self) -> tuple[int, ...]:
        return MAJOR_SCALE if self.mode == "major" else MINOR_SCALE

    @property
    def key_number(self) -> int:
        """pretty_midi's key numbering: 0-11 major, 12-23 minor."""
        return self.tonic + (12 if self.mode == "minor" else 0)


def choose_key(feel: Feel, style: Style, seed: int) -> Key:
    """The style's mode (valence decides for a neutral style) and one of its favoured tonics:
    consecutive seeds (another take) in another key."""
    mode = style.mode
    if mode == "either":
        mode = "major" if feel.valence >= 0 else "minor"
    return Key(style.tonics[seed % len(style.tonics)], mode)


def choose_tempo(feel: Feel, style: Style) -> float:
    """The style's tempo (the take's, `styles.take_of`), nudged by how far the feel's arousal
    sits from the style's own."""
    scale = 1 + 0.2 * max(-1.0, min(1.0, feel.arousal - style.arousal))
    return round(style.bpm * scale, 1)


def choose_meter(style: Style, rng: random.Random) -> int:
    return rng.choice(style.meters)


# --------------------------------------------------------------------------------------------
# 3. Cuts ranked by strength
# --------------------------------------------------------------------------------------------


def cut_strengths(
    duration_s: float, cut_times_s: list[float], weights: dict[float, float] | None = None
) -> list[tuple[float, float]]:
    """(cut, strength) for each cut inside the cue: the length of the shot it opens, times the
    picture's change across it where the picture was analysed."""
    cuts = sorted({float(c) for c in cut_times_s if 0.0 < c < duration_s})
    ends = [*cuts[1:], duration_s][: len(cuts)]
    weights = weights or {}

    def weight(c: float) -> float:
        near = [w for t, w in weights.items() if abs(t - c) < 1e-3]
        return near[0] if near else 1.0

    return [(c, (e - c) * weight(c)) for c, e in zip(cuts, ends, strict=True)]


def honoured_cuts(
    duration_s: float,
    cut_times_s: list[float],
    min_gap_s: float = MIN_CHORD_S,
    strong_shot_s: float = 0.0,
    weights: dict[float, float] | None = None,
) -> tuple[list[float], list[float]]:
    """Split cuts into those that get a harmonic change and those the music lets pass.

    Strongest first (the longest shot opened), a cut is honoured when its shot lasts at least
    `strong_shot_s`, it is at least MIN_CHORD_S from the start and the end, and at least
    `min_gap_s` from every cut already honoured: of two close cuts the one opening the longer
    shot wins (the earlier one on a tie)."""
    strengths = cut_strengths(duration_s, cut_times_s, weights)
    ranked = sorted(strengths, key=lambda cs: (-cs[1], cs[0]))
    kept: list[float] = []
    for cut, strength in ranked:
        if strength < strong_shot_s or cut < MIN_CHORD_S or duration_s - cut < MIN_CHORD_S:
            continue
        if all(abs(cut - k) >= min_gap_s for k in kept):
            kept.append(cut)
    kept.sort()
    passed = [c for c, _ in strengths if c not in kept]
    return kept, passed


# --------------------------------------------------------------------------------------------
# 4. Time grid: one tempo, gently bent towards strong cuts
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    start: float  # beat index from the cue start
    beats: int
    span: int  # index of the anchor-to-anchor stretch the bar lies in


@dataclass
class TimeGrid:
    """Where each beat falls in seconds: constant tempo between anchors."""

    anchor_beats: list[float]
    anchor_times_s: list[float]
    bars: list[Bar]
    on_beat_cuts: list[float]  # the honoured cuts that fall on a bar line

    @property
    def total_beats(self) -> float:
        return self.anchor_beats[-1]

    def time_of(self, beat: float) -> float:
        return float(np.interp(beat, self.anchor_beats, self.anchor_times_s))

    def beat_of(self, seconds: float) -> float:
        return float(np.interp(seconds, self.anchor_times_s, self.anchor_beats))

    def local_bpm(self) -> list[float]:
        return [
            60.0 * (b1 - b0) / (t1 - t0)
            for b0, b1, t0, t1 in zip(
                self.anchor_beats,
                self.anchor_beats[1:],
                self.anchor_times_s,
                self.anchor_times_s[1:],
                strict=False,
            )
        ]


def plan_time_grid(duration_s: float, cuts_s: list[float], bpm: float, meter: int) -> TimeGrid:
    """Bars at one tempo; a strong cut becomes a bar line when a small, smooth tempo step (and
    at most one bar of another meter) gets it there; otherwise the grid runs on past it."""
    beat_s = 60.0 / bpm
    strength = dict(cut_strengths(duration_s, cuts_s))
    last_odd = -math.inf
    anchor_beats, anchor_times = [0.0], [0.0]
    spans: list[int] = []  # beats per anchored stretch
    ratio_before = 1.0
    on_beat: list[float] = []
    for cut in cuts_s:
        ideal = (cut - anchor_times[-1]) / beat_s
        best = None
        for n in range(max(1, math.floor(ideal * 0.9)), math.ceil(ideal * 1.1) + 1):
            ratio = n / ideal  # local tempo against the cue's tempo
            if abs(ratio - 1) > TEMPO_SPREAD or abs(ratio / ratio_before - 1) > TEMPO_STEP:
                continue
            if n % meter and (strength.get(cut, 0.0) < 6.0 or cut - last_odd < 40.0):
                continue  # an occasional meter change, only for a cut opening a long shot
            cost = abs(math.log(ratio)) + (0.02 if n % meter else 0.0)
            if best is None or cost < best[0]:
                best = (cost, n, ratio)
        if best is None or best[1] < meter:
            continue  # the harmony lands this cut off the beat
        _, n, ratio_before = best
        if n % meter:
            last_odd = cut
        spans.append(n)
        anchor_beats.append(anchor_beats[-1] + n)
        anchor_times.append(cut)
        on_beat.append(cut)
    # After the last anchor: the cue's own tempo on to (past) the out point.
    tail_beat_s = beat_s / ratio_before  # the last stretch keeps its tempo: no step at the end
    remaining = (duration_s - anchor_times[-1]) / tail_beat_s
    tail = max(meter, math.ceil(remaining / meter) * meter)
    bars: list[Bar] = []
    start = 0.0
    for index, n in enumerate([*spans, tail]):
        for offset, length in _bar_lengths(n, meter):
            bars.append(Bar(start + offset, length, index))
        start += n
    anchor_beats.append(anchor_beats[-1] + tail)
    anchor_times.append(anchor_times[-1] + tail * tail_beat_s)
    grid = TimeGrid(anchor_beats, anchor_times, bars, on_beat)
    grid.bars = [b for b in bars if grid.time_of(b.start) < duration_s - 1e-9]
    return grid


def _bar_lengths(beats: int, meter: int) -> list[tuple[int, int]]:
    """(offset, beats) of the bars filling `beats`: whole bars, the odd one last before the cut."""
    lengths = [meter] * (beats // meter)
    rest = beats % meter
    if rest and lengths and rest + meter <= 6:
        lengths[-1] += rest  # one longer bar (5/4, 6/4) rather than a lone short one
    elif rest:
        lengths.append(rest)
    offsets = [0, *itertools.accumulate(lengths)][:-1]
    return list(zip(offsets, lengths, strict=True))


# --------------------------------------------------------------------------------------------
# 5. Harmony
# --------------------------------------------------------------------------------------------

MAJ, MIN, DIM = (0, 4, 7), (0, 3, 7), (0, 3, 6)
CHORDS = {
    "major": {
        "I": (0, MAJ),
        "ii": (2, MIN),
        "iii": (4, MIN),
        "IV": (5, MAJ),
        "V": (7, MAJ),
        "vi": (9, MIN),
        "iv": (5, MIN),
        "bVI": (8, MAJ),
        "bVII": (10, MAJ),
        "II": (2, MAJ),
    },
    "minor": {
        "i": (0, MIN),
        "ii°": (2, DIM),
        "III": (3, MAJ),
        "iv": (5, MIN),
        "v": (7, MIN),
        "V": (7, MAJ),
        "VI": (8, MAJ),
        "VII": (10, MAJ),
        "bII": (1, MAJ),
        "#iv°": (6, DIM),
        "IV": (5, MAJ),
    },
}
# Each style's harmonic language as a Markov table: weights of the next chord given this one.
LANGUAGES: dict[tuple[str, str], dict[str, dict[str, float]]] = {
    ("functional", "major"): {
        "I": {"IV": 2.5, "V": 2, "vi": 3, "ii": 1.5, "iii": 0.7},
        "ii": {"V": 4, "IV": 1, "vi": 0.5},
        "iii": {"vi": 3, "IV": 2},
        "IV": {"I": 1, "V": 3, "ii": 1.5, "vi": 1},
        "V": {"I": 4, "vi": 2.5, "IV": 1},
        "vi": {"IV": 3, "ii": 2, "V": 1.5, "iii": 0.5},
    },
    ("functional", "minor"): {
        "i": {"iv": 3, "VI": 3, "VII": 2, "III": 1.5, "ii°": 0.5},
        "ii°": {"V": 4, "i": 1},
        "III": {"VI": 2, "iv": 2, "VII": 2},
        "iv": {"V": 2.5, "i": 2, "VII": 1.5},
        "V": {"i": 4, "VI": 2},
        "VI": {"VII": 2.5, "iv": 2, "III": 1.5},
        "VII": {"III": 3, "i": 2, "VI": 1},
    },
    ("epic", "major"): {
        "I": {"bVI": 2, "IV": 2, "vi": 1.5, "bVII": 1.5, "V": 1},
        "bVI": {"bVII": 3, "IV": 1},
        "bVII": {"I": 3, "IV": 1},
        "IV": {"I": 1.5, "V": 2, "bVII": 1},
        "vi": {"IV": 2, "bVI": 1, "V": 1},
        "V": {"I": 2, "vi": 1},
    },
    ("epic", "minor"): {
        "i": {"VI": 3, "VII": 2, "iv": 1.5, "III": 1},
        "VI": {"VII": 3, "III": 1, "iv": 1},
        "VII": {"i": 2, "III": 2},
        "III": {"VI": 1.5, "VII": 1.5, "iv": 1},
        "iv": {"VI": 1, "V": 1.5, "i": 1},
        "V": {"i": 3, "VI": 1},
    },
    ("modal", "major"): {
        "I": {"IV": 2, "vi": 2, "II": 1, "iii": 1, "ii": 1},
        "II": {"IV": 1, "I": 2},
        "IV": {"I": 2, "vi": 1, "ii": 1},
        "vi": {"IV": 2, "ii": 1, "iii": 1},
        "iii": {"vi": 2, "IV": 1},
        "ii": {"IV": 1, "V": 2},
        "V": {"I": 2, "vi": 1},
    },
    ("modal", "minor"): {
        "i": {"iv": 2, "VI": 2, "III": 1.5, "VII": 1, "v": 1},
        "iv": {"i": 2, "VI": 1, "v": 1},
        "VI": {"III": 1.5, "iv": 1.5, "VII": 1},
        "III": {"VI": 1, "iv": 1, "VII": 1},
        "VII": {"III": 2, "i": 1},
        "v": {"VI": 1.5, "i": 1, "iv": 1},
        "V": {"i": 3},
    },
    ("pedal", "minor"): {
        "i": {"VI": 2, "iv": 2, "v": 1, "VII": 1},
        "VI": {"i": 2, "iv": 1},
        "iv": {"i": 2, "VI": 1},
        "v": {"i": 2, "VI": 1},
        "VII": {"i": 2},
        "V": {"i": 3},
    },
    ("chromatic", "minor"): {
        "i": {"bII": 2, "#iv°": 1.5, "VI": 1.5, "iv": 1.5, "ii°": 1},
        "bII": {"i": 2, "V": 1},
        "#iv°": {"i": 2, "V": 1},
        "VI": {"bII": 1, "iv": 1, "V": 1},
        "iv": {"i": 1, "bII": 1, "V": 1},
        "ii°": {"V": 2, "i": 1},
        "V": {"i": 3},
    },
}


def _language(style: Style, key: Key) -> dict[str, dict[str, float]]:
    table = LANGUAGES.get((style.harmony, key.mode))
    return table or LANGUAGES[("functional", key.mode)]


@dataclass(frozen=True)
class Chord:
    symbol: str  # Roman numeral in the key, e.g. "V"
    root: int  # pitch class
    pitch_classes: tuple[int, ...]


@dataclass(frozen=True)
class ChordSlot:
    start: float  # beat
    end: float  # beat
    chord: Chord
    at_cut: bool  # starts on an honoured cut


def chord_in_key(key: Key, symbol: str) -> Chord:
    offset, quality = CHORDS[key.mode][symbol]
    root = (key.tonic + offset) % 12
    return Chord(symbol, root, tuple((root + i) % 12 for i in quality))


def _next_chord(
    table: dict[str, dict[str, float]], current: str, avoid: set[str], rng: random.Random
) -> str:
    options = {c: w for c, w in table.get(current, {}).items() if c not in avoid}
    if not options:
        options = {c: 1.0 for c in table if c not in avoid}
    names = sorted(options)
    return rng.choices(names, weights=[options[n] for n in names])[0]


# --------------------------------------------------------------------------------------------
# The plan: phrases, sections, chords, intensity
# --------------------------------------------------------------------------------------------


@dataclass
class Phrase:
    bars: list[Bar]
    section: str  # "A", "B", "A'" ...
    role: str  # "antecedent" or "consequent"
    index: int  # phrase number in the cue
    tune: bool  # the melody plays (else it rests: space, or a layer leaving)

    @property
    def start(self) -> float:
        return self.bars[0].start

    @property
    def end(self) -> float:
        return self.bars[-1].start + self.bars[-1].beats


@dataclass
class CuePlan:
    """Every musical decision about one cue, before any note is written."""

    duration_s: float
    seed: int
    feel: Feel
    style: Style
    key: Key
    tempo_bpm: float
    meter: int
    grid: TimeGrid
    phrases: list[Phrase]
    chords: list[ChordSlot]
    final_start: float  # beat where the final tonic arrives
    end_beat: float  # the out point, in beats
    cuts_s: list[float]  # honoured: a harmonic change lands on each
    merged_cuts_s: list[float]  # cuts the music lets pass (weak or too close)
    hits_s: list[float]
    soft_accents_s: list[float]
    speech_s: list[tuple[float, float]]
    strengths: dict[float, float]  # cut -> the length of the shot it opens
    fade_s: float  # the audio fades out over this many seconds at the very end
    release_beat: float = 0.0  # every note has ended by this beat: the tail rings to the end
    button_beat: float | None = None  # a swell's short final chord, on a beat
    notes: dict[str, int] = field(default_factory=dict)

    @property
    def meter_name(self) -> str:
        return f"{self.meter}/4"

    @property
    def release_s(self) -> float:
        """How long before the out point the last note stops (the tail rings in the rest)."""
        return self.duration_s - self.grid.time_of(self.release_beat)

    @property
    def orchestra(self) -> Style:
        return self.style

    def seconds(self, beat: float) -> float:
        return self.grid.time_of(beat)

    def intensity(self, beat: float) -> float:
        """0..1: how much is going on at this beat (the style's dynamic shape over the cue)."""
        return _intensity(self, beat)


def plan_cue(
    duration_s: float,
    cut_times_s: list[float],
    hit_times_s: list[float],
    feel: Feel,
    seed: int,
    speech_s: list[tuple[float, float]] = (),
) -> CuePlan:
    if duration_s <= 0:
        raise ValueError(f"a cue needs a positive duration, got {duration_s} s")
    rng = random.Random(f"cuebridge-composer:{seed}")
    style = take_of(choose_style(feel), seed)  # another take, another orchestration
    key = choose_key(feel, style, seed)
    bpm = choose_tempo(feel, style)
    meter = choose_meter(style, rng)
    cuts, passed = honoured_cuts(
        duration_s,
        [*cut_times_s, *feel.extra_cut_times_s],  # cuts inside clips rank with the rest
        max(MIN_CHORD_S, style.min_cut_gap_s),
        style.strong_shot_s,
        dict(feel.cut_weights),
    )
    hits = sorted({t for t in hit_times_s if 0 <= t < duration_s})
    soft = _thin_accents(feel.accent_times_s, hits, duration_s)
    grid = plan_time_grid(duration_s, cuts, bpm, meter)
    end_beat = grid.beat_of(duration_s)
    final_start = _final_bar(grid, duration_s)
    late = [grid.beat_of(c) for c in cuts if grid.beat_of(c) > final_start + 1e-6]
    if late:  # the final tonic arrives on the last strong cut rather than being split by it
        final_start = max(late)
    phrases = _plan_phrases(grid, final_start, duration_s, style, rng)
    chords = _plan_chords(grid, phrases, final_start, end_beat, cuts, key, style, feel, rng)
    speech = sorted((max(0.0, a), min(duration_s, b)) for a, b in speech_s if b > a)
    final_s = duration_s - grid.time_of(final_start)
    release_beat, button_beat = _ending(grid, style, final_start, duration_s)
    return CuePlan(
        duration_s=duration_s,
        seed=seed,
        feel=feel,
        style=style,
        key=key,
        tempo_bpm=bpm,
        meter=meter,
        grid=grid,
        phrases=phrases,
        chords=chords,
        final_start=final_start,
        end_beat=end_beat,
        cuts_s=cuts,
        merged_cuts_s=passed,
        hits_s=hits,
        soft_accents_s=soft,
        speech_s=speech,
        strengths=dict(
            cut_strengths(
                duration_s, [*cut_times_s, *feel.extra_cut_times_s], dict(feel.cut_weights)
            )
        ),
        fade_s=min(0.5, 0.3 * final_s),
        release_beat=release_beat,
        button_beat=button_beat,
    )


def _ending(
    grid: TimeGrid, style: Style, final_start: float, duration_s: float
) -> tuple[float, float | None]:
    """(the beat every note has ended by, the swell's button beat or None). The ring is the
    style's, shortened in a short final so the final chord still sounds at least half of it."""
    final_s = duration_s - grid.time_of(final_start)
    ring = min(RING_S[style.ending], 0.5 * final_s)
    last = grid.beat_of(duration_s - ring)
    if style.ending != "swell":
        return max(final_start, last), None
    # The button: on the last whole beat that leaves it its length and the ring.
    button = math.floor(last - BUTTON_BEATS + 1e-9)
    if button <= final_start + 1e-9:
        return max(final_start, last), None
    return button + BUTTON_BEATS, float(button)


def _final_bar(grid: TimeGrid, duration_s: float) -> float:
    """The bar line where the final tonic arrives: the last one leaving it time to ring."""
    ring = min(4.0, max(1.5, 0.15 * duration_s))
    starts = [b.start for b in grid.bars if grid.time_of(b.start) <= duration_s - ring + 1e-9]
    if len(starts) >= 2:
        return starts[-1]
    # A very short cue: the final chord takes the second half.
    return grid.beat_of(duration_s / 2) if duration_s < 3.0 or not starts else starts[-1]


def _plan_phrases(
    grid: TimeGrid, final_start: float, duration_s: float, style: Style, rng: random.Random
) -> list[Phrase]:
    bars = [b for b in grid.bars if b.start < final_start - 1e-9]
    groups: list[list[Bar]] = []
    for bar in bars:
        # A phrase runs four bars across weak cuts; an anchored strong cut starts a new one
        # once the current phrase has had three bars (else it extends through the cut).
        anchored = groups and bar.span != groups[-1][-1].span
        if not groups or len(groups[-1]) >= 4 or (anchored and len(groups[-1]) >= 3):
            groups.append([bar])
        else:
            groups[-1].append(bar)
    if len(groups) >= 2 and len(groups[-1]) <= 1:
        groups[-2].extend(groups.pop())
    phrases: list[Phrase] = []
    section_names = _sections(len(groups), duration_s)
    role_counter = 0
    previous_section = None
    for index, (group, section) in enumerate(zip(groups, section_names, strict=True)):
        if section != previous_section:
            role_counter = 0
            previous_section = section
        role = "antecedent" if role_counter % 2 == 0 else "consequent"
        role_counter += 1
        # Space: the opening phrase of a longer cue sets the scene without the tune, and the
        # style leaves some phrases to the accompaniment.
        tune = not (index == 0 and len(groups) >= 4) and rng.random() >= style.melody_rest
        if index == len(groups) - 1:
            role, tune = "consequent", True
        phrases.append(Phrase(group, section, role, index, tune))
    if phrases and not any(p.tune for p in phrases):
        phrases[-1].tune = True
    return phrases


def _sections(count: int, duration_s: float) -> list[str]:
    """Section of each phrase: A in short cues, A B in medium ones, A B A' in long ones."""
    if count == 0:
        return []
    if duration_s < 45 or count < 3:
        names = ["A"]
    elif duration_s < 100 or count < 5:
        names = ["A", "B"]
    elif duration_s < 200:
        names = ["A", "B", "A'"]
    else:
        names = ["A", "B", "A'", "B'", "A''"]
    per = count / len(names)
    return [names[min(len(names) - 1, int(i / per))] for i in range(count)]


def _plan_chords(
    grid: TimeGrid,
    phrases: list[Phrase],
    final_start: float,
    end_beat: float,
    cuts: list[float],
    key: Key,
    style: Style,
    feel: Feel,
    rng: random.Random,
) -> list[ChordSlot]:
    table = _language(style, key)
    tonic = "I" if key.mode == "major" else "i"
    dominant = "V"
    plagal = style.ending == "decay" and style.harmony in ("modal", "functional")
    plagal = plagal and rng.random() < 0.5
    final_cadence = ("IV" if key.mode == "major" else "iv") if plagal else dominant
    slots: list[tuple[float, float, str]] = []
    previous = ""
    for p_index, phrase in enumerate(phrases):
        per = style.bars_per_chord
        if _bar_seconds(grid, phrase.bars[0]) > 4.5:
            per = 1  # slow bars already hold a chord long enough
        groups = [phrase.bars[i : i + per] for i in range(0, len(phrase.bars), per)]
        symbols: list[str] = []
        last_phrase = p_index == len(phrases) - 1
        for g_index in range(len(groups)):
            if g_index == 0:
                if phrase.section.startswith("B"):
                    symbol = _next_chord(table, tonic, {tonic}, rng)
                else:
                    symbol = tonic if previous != tonic else _next_chord(table, tonic, set(), rng)
            elif g_index == len(groups) - 1:
                if last_phrase:
                    symbol = final_cadence
                elif phrase.role == "antecedent":
                    symbol = dominant if style.harmony != "modal" else _modal_half(key)
                else:
                    symbol = tonic
            else:
                symbol = _next_chord(table, symbols[-1], {symbols[-1]}, rng)
            symbols.append(symbol)
            previous = symbol
        for group, symbol in zip(groups, symbols, strict=True):
            end = group[-1].start + group[-1].beats
            slots.append((group[0].start, end, symbol))
    slots.append((final_start, end_beat, tonic))
    # Harmonic changes on the honoured cuts: a new chord exactly there, on or off the beat.
    cut_beats = [grid.beat_of(c) for c in cuts]
    chords = _split_at(slots, cut_beats, table, tonic, rng)
    chords = _contrast_at_cuts(chords, cut_beats, table, key, rng)
    return [
        ChordSlot(s, e, chord_in_key(key, sym), any(abs(s - cb) < 1e-6 for cb in cut_beats))
        for s, e, sym in chords
    ]


def _modal_half(key: Key) -> str:
    return "V" if key.mode == "major" else "v"


def _split_at(
    slots: list[tuple[float, float, str]],
    cut_beats: list[float],
    table: dict[str, dict[str, float]],
    tonic: str,
    rng: random.Random,
) -> list[tuple[float, float, str]]:
    """Every honoured cut starts a chord that differs from the one before it."""
    merged: list[tuple[float, float, str]] = []
    for s, e, sym in slots:  # merge repeats first so "a change" means a new chord
        if merged and merged[-1][2] == sym and not any(abs(s - c) < 1e-6 for c in cut_beats):
            merged[-1] = (merged[-1][0], e, sym)
        else:
            merged.append((s, e, sym))
    out = merged
    for cut in cut_beats:
        result = []
        for s, e, sym in out:
            if s < cut - 1e-6 < e - 2e-6:
                result.append((s, cut, sym))
                result.append((cut, e, sym))
            else:
                result.append((s, e, sym))
        out = result
    out = _merge_short(out, cut_beats)
    is_cut = [any(abs(s - c) < 1e-6 for c in cut_beats) for s, _, _ in out]
    final = len(out) - 1
    for i in range(final, 0, -1):  # backwards: the final tonic stays, the chord before yields
        s, e, sym = out[i]
        if not (is_cut[i] or i == final) or out[i - 1][2] != sym:
            continue
        if i == final:
            ps, pe, _ = out[i - 1]
            avoid = {sym} | ({out[i - 2][2]} if i >= 2 and is_cut[i - 1] else set())
            choice = "V" if "V" not in avoid else _next_chord(table, sym, avoid, rng)
            out[i - 1] = (ps, pe, choice)
        else:
            avoid = {sym} | ({out[i + 1][2]} if i + 1 < len(out) else set())
            out[i] = (s, e, _next_chord(table, out[i - 1][2], avoid, rng))
    return out


def _contrast_at_cuts(
    slots: list[tuple[float, float, str]],
    cut_beats: list[float],
    table: dict[str, dict[str, float]],
    key: Key,
    rng: random.Random,
) -> list[tuple[float, float, str]]:
    """A cut's new chord keeps at most one note of the old one and moves the root: a listener
    (madmom's recogniser in bench_listen) heard I -> vi or I -> iii, two notes held, as no
    change at all. The final cadence and the chord after the cut's stay."""
    out = list(slots)

    def shared(a: str, b: str) -> int:
        x, y = chord_in_key(key, a), chord_in_key(key, b)
        return len(set(x.pitch_classes) & set(y.pitch_classes)) + 3 * (x.root == y.root)

    for i in range(1, len(out) - 2):  # the cadence before the final tonic stays too
        s, e, sym = out[i]
        if not any(abs(s - c) < 1e-6 for c in cut_beats):
            continue
        before, after = out[i - 1][2], out[i + 1][2]
        if shared(before, sym) <= 1:
            continue
        options = [c for c in table.get(before, {}) if c != after and shared(before, c) <= 1]
        options = options or [c for c in table if c != after and shared(before, c) <= 1]
        if options:
            weights = [table.get(before, {}).get(c, 0.2) for c in sorted(options)]
            out[i] = (s, e, rng.choices(sorted(options), weights=weights)[0])
    return out


def _merge_short(
    slots: list[tuple[float, float, str]], cut_beats: list[float]
) -> list[tuple[float, float, str]]:
    """No chord shorter than a beat: a change of the harmonic rhythm that falls just before or
    after a cut's change gives way to it."""
    out = list(slots)
    i = 1
    while i < len(out) - 1:
        s, e, sym = out[i]
        at_cut = any(abs(s - c) < 1e-6 for c in cut_beats)
        if e - s < 1.0 - 1e-6:
            if not at_cut:  # the chord before holds until the cut's change
                out[i - 1] = (out[i - 1][0], e, out[i - 1][2])
                del out[i]
                continue
            nxt = out[i + 1]
            if i + 1 < len(out) - 1 and not any(abs(nxt[0] - c) < 1e-6 for c in cut_beats):
                out[i] = (s, nxt[1], sym)  # the cut's chord holds through the next one
                del out[i + 1]
                continue
        i += 1
    return out


def _bar_seconds(grid: TimeGrid, bar: Bar) -> float:
    return grid.time_of(bar.start + bar.beats) - grid.time_of(bar.start)


def _intensity(plan: CuePlan, beat: float) -> float:
    style = plan.style
    t = plan.grid.time_of(min(beat, plan.end_beat))
    u = t / plan.duration_s if plan.duration_s > 0 else 0.0
    lo, hi = style.dyn_low, style.dyn_high
    if plan.duration_s < 20:  # a short cue sits in the middle of its style's range
        lo, hi = lo + 0.3 * (hi - lo), hi - 0.2 * (hi - lo)
    if style.shape == "build":
        x = min(1.0, u / 0.85)
        level = x * x * (3 - 2 * x)
    elif style.shape == "arch":
        level = math.sin(math.pi * min(1.0, u / 0.9)) ** 1.2
    elif style.shape == "waves":
        cycles = max(1, round(plan.duration_s / 55))
        level = (0.5 - 0.5 * math.cos(2 * math.pi * cycles * u)) * (0.6 + 0.4 * u)
    else:  # flat with a gentle swell
        level = 0.4 + 0.4 * math.sin(math.pi * u)
    section = _section_at(plan, beat)
    if section.startswith("B"):
        level = min(1.0, level + 0.1)
    return lo + (hi - lo) * level


def _section_at(plan: CuePlan, beat: float) -> str:
    for phrase in plan.phrases:
        if phrase.start <= beat < phrase.end:
            return phrase.section
    return "A"


def _thin_accents(times: tuple[float, ...], hits: list[float], duration_s: float) -> list[float]:
    """Picture accents at least SOFT_ACCENT_GAP_S apart and clear of the editor's hits."""
    kept: list[float] = []
    for t in sorted(times):
        clear = all(abs(t - other) >= SOFT_ACCENT_GAP_S for other in (*hits, *kept))
        if 0 <= t < duration_s and clear:
            kept.append(t)
    return kept


# --------------------------------------------------------------------------------------------
# 6. Voices (notes in beats)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteB:
    """A note in beats, before the tempo map turns beats into seconds."""

    start: float
    end: float
    pitch: int
    velocity: int
    exact: bool = False  # on a cut or a hit: never humanised


def _vel(v: float) -> int:
    return max(1, min(127, round(v)))


def _chord_at(chords: list[ChordSlot], beat: float) -> ChordSlot:
    i = bisect.bisect_right([c.start for c in chords], beat + 1e-9) - 1
    return chords[max(0, i)]


def _nearest(pitch_class: int, near: int, lo: int, hi: int) -> int:
    candidates = [p for p in range(lo, hi + 1) if p % 12 == pitch_class]
    if not candidates:
        return near
    return min(candidates, key=lambda p: (abs(p - near), p))


def _voice_lead(chord: Chord, previous: tuple[int, ...], lo: int = 50, hi: int = 76) -> tuple:
    """The voicing of `chord` within [lo, hi], as many notes as `previous`, closest to it:
    compact, no low inversion muddying the bass; the range widens if nothing fits."""
    for widen, strict in ((0, True), (0, False), (5, False), (12, False)):
        pool = [p for p in range(lo - widen, hi + widen + 1) if p % 12 in chord.pitch_classes]
        best, best_cost = None, math.inf
        for voicing in itertools.combinations(pool, len(previous)):
            if set(p % 12 for p in voicing) != set(chord.pitch_classes):
                continue
            if voicing[-1] - voicing[0] > 19:
                continue
            if strict and voicing[0] % 12 != chord.root and voicing[0] < 52:
                continue
            cost = sum(abs(a - b) for a, b in zip(voicing, previous, strict=True))
            if cost < best_cost:
                best, best_cost = voicing, cost
        if best is not None:
            return best
    return tuple(sorted(_nearest(pc, lo + 7, lo, hi + 12) for pc in chord.pitch_classes))


def pad_voice(plan: CuePlan) -> list[NoteB]:
    """Sustained chords, voice-led; common tones held across; four voices when it carries the
    cue alone, three under a busy texture."""
    style = plan.style
    notes: list[NoteB] = []
    held: dict[int, tuple[float, int]] = {}
    # Voiced below the tune, so it never covers it.
    high = min(style.pad_high, style.melody_centre - 3)
    low = min(style.pad_low, high - 14)
    mid = (low + high) // 2
    size = 4 if style.name in ("grief", "pastoral", "romance") else 3  # triads under a busy top
    previous = tuple(range(mid - 7, mid + 8, 14 // (size - 1)))[:size]
    for slot in plan.chords:
        voicing = _voice_lead(slot.chord, previous, low, high)
        sings = any(p.tune and p.start <= slot.start < p.end for p in plan.phrases)
        velocity = _vel(
            40 + 50 * plan.intensity(slot.start) + CUT_ACCENT * slot.at_cut - 10 * sings
        )
        lift = _lift_beats(plan, slot.start) if slot.at_cut else 0.0
        for pitch in list(held):
            if pitch not in voicing or slot.at_cut:
                start, v = held.pop(pitch)
                notes.append(NoteB(start, max(start + 0.25, slot.start - lift), pitch, v))
        for pitch in voicing:
            held.setdefault(pitch, (slot.start, velocity))
        previous = voicing
    notes.extend(NoteB(s, plan.release_beat, p, v) for p, (s, v) in held.items())
    return [NoteB(n.start, n.end, n.pitch, n.velocity, exact=True) for n in notes]


def _lift_beats(plan: CuePlan, beat: float) -> float:
    """CUT_LIFT_S before `beat`, in beats of the local tempo."""
    t = plan.grid.time_of(beat)
    return beat - plan.grid.beat_of(max(0.0, t - CUT_LIFT_S))


def _bass_pitch(plan: CuePlan, slot: ChordSlot, near: int) -> int:
    style, key = plan.style, plan.key
    pc = slot.chord.root
    if style.harmony == "pedal" and key.tonic in slot.chord.pitch_classes and not slot.at_cut:
        pc = key.tonic  # the tonic pedal under every chord that holds it; a cut leaves it
    return _nearest(pc, near, style.bass_low, style.bass_low + 17)


def bass_voice(plan: CuePlan, rng: random.Random) -> list[NoteB]:
    style = plan.style
    notes: list[NoteB] = []
    last = style.bass_low + 7
    for slot in plan.chords:
        root = _bass_pitch(plan, slot, last)
        last = root
        level = plan.intensity(slot.start)
        base = 55 + 45 * level + CUT_ACCENT * slot.at_cut
        final = slot.start >= plan.final_start - 1e-9
        pattern = style.bass_pattern
        if final or pattern in ("drone", "held") or level < 0.2:
            notes.append(NoteB(slot.start, slot.end, root, _vel(base), exact=True))
            continue
        fifth = _nearest((slot.chord.root + 7) % 12, root + 7, style.bass_low, style.bass_low + 19)
        beat = slot.start
        steps = {"pulse": 1.0 if level < 0.7 else 0.5, "drive": 0.5, "walk": 1.0, "oompah": 1.0}
        step = steps.get(pattern, 1.0)
        i = 0
        while beat < slot.end - 1e-9:
            length = min(step, slot.end - beat)
            pitch = root
            if pattern == "drive" and i % 4 == 3 and root + 12 <= style.bass_low + 24:
                pitch = root + 12
            elif pattern == "walk" and i % 4:
                tones = sorted(
                    _nearest(pc, root + 4, style.bass_low, style.bass_low + 19)
                    for pc in slot.chord.pitch_classes
                )
                pitch = tones[i % len(tones)]
            elif pattern == "oompah" and i % 2:
                pitch = fifth
            accent = 10 if abs(beat - round(beat)) < 1e-9 and i % 2 == 0 else 0
            gate = 0.9 if pattern in ("pulse", "walk") else 0.6
            notes.append(
                NoteB(beat, beat + length * gate, pitch, _vel(base - 8 + accent), exact=i == 0)
            )
            beat += step
            i += 1
    return notes


def motion_voice(plan: CuePlan) -> list[NoteB]:
    """Arpeggios, ostinati, pizzicato afterbeats or tremolo, entering and leaving with the
    intensity of the cue."""
    style = plan.style
    if style.motion is None or style.motion_pattern == "none":
        return []
    threshold = style.motion_from
    notes: list[NoteB] = []
    low = {"ostinato": 48, "tremolo": 60, "pizz": 55}.get(style.motion_pattern, 52)
    for slot in plan.chords:
        if slot.start >= plan.final_start - 1e-9:
            break
        tones = [p for p in range(low, low + 25) if p % 12 in slot.chord.pitch_classes][:6]
        if style.motion_pattern == "tremolo":
            if plan.intensity(slot.start) >= threshold:
                v = _vel(30 + 50 * plan.intensity(slot.start))
                notes += [NoteB(slot.start, slot.end, p, v) for p in tones[1:3]]
            continue
        step = style.motion_step
        if style.motion_pattern == "ostinato" and plan.tempo_bpm > 130:
            step = max(step, 0.5)
        shape = (
            (0, 2, 1, 2, 0, 2, 1, 3)
            if style.motion_pattern == "ostinato"
            else (0, 1, 2, 3, 4, 3, 2, 1)
        )
        beat = math.ceil(slot.start / step - 1e-9) * step
        i = 0
        while beat < slot.end - 1e-9:
            level = plan.intensity(beat)
            if level >= threshold:
                if style.motion_pattern == "pizz":
                    if round(beat) % 2 == 1 and abs(beat - round(beat)) < 1e-9:
                        v = _vel(45 + 45 * level)
                        notes += [NoteB(beat, beat + 0.3, p, v) for p in tones[1:3]]
                else:
                    pitch = tones[shape[i % len(shape)] % len(tones)]
                    on_beat = abs(beat - round(beat)) < 1e-9
                    v = _vel(35 + 45 * level + (8 if on_beat else 0))
                    gate = 0.9 if style.motion_pattern == "arp" else 0.55
                    notes.append(NoteB(beat, min(slot.end, beat + step * gate), pitch, v))
            beat += step
            i += 1
    return notes


# --- melody ----------------------------------------------------------------------------------


def _scale_for(key: Key, chord: Chord) -> list[int]:
    """The key's scale, altered to the chord's tones: melodies follow borrowed chords."""
    scale = [(key.tonic + s) % 12 for s in key.scale]
    for pc in chord.pitch_classes:
        if pc in scale:
            continue
        for i in sorted(range(7), key=lambda i: (i in (0, 4), i)):
            if (scale[i] - pc) % 12 in (1, 11) and scale[i] not in chord.pitch_classes:
                scale[i] = pc
                break
    return [(pc - key.tonic) % 12 for pc in scale]


def _pitch(key: Key, chord: Chord, degree: int) -> int:
    return key.tonic + 12 * (degree // 7) + _scale_for(key, chord)[degree % 7]


def _degree_near(key: Key, pitch: int) -> int:
    return min(
        range(0, 80), key=lambda d: abs(key.tonic + 12 * (d // 7) + key.scale[d % 7] - pitch)
    )


def _snap_to_chord(key: Key, chord: Chord, degree: int) -> int:
    for delta in (0, -1, 1, -2, 2, 3):
        if _pitch(key, chord, degree + delta) % 12 in chord.pitch_classes:
            return degree + delta
    return degree


def _motif(style: Style, meter: int, rng: random.Random, contrast: list[float] | None) -> tuple:
    """A one-bar motif: rhythm (beats) and contour (scale steps). Motif B contrasts with A."""
    palette = list(style.melody_palette)
    if contrast is not None:  # B: longer notes if A is busy, busier if A is slow
        busy = len(contrast) >= 3
        palette = [d * (2 if busy else 0.5) for d in palette if d * (2 if busy else 0.5) <= meter]
        palette = palette or [meter / 2]
    rhythm: list[float] = []
    while sum(rhythm) < meter - 1e-9:
        rhythm.append(min(rng.choice(palette), meter - sum(rhythm)))
    if len(rhythm) == 1:
        rhythm = [meter / 2, meter / 2]
    contour = [0] + [rng.choice((-2, -1, -1, 1, 1, 2, 3)) for _ in rhythm[1:]]
    return rhythm, contour


def _vary_rhythm(rhythm: list[float], k: int, beats: int) -> list[float]:
    r = list(rhythm)
    kind = k % 4
    if kind == 1:  # split the longest note
        i = max(range(len(r)), key=lambda j: (r[j], -j))
        if r[i] >= 1.0:
            r[i : i + 1] = [r[i] / 2, r[i] / 2]
    elif kind == 2 and len(r) >= 3:  # merge the first two
        r[0:2] = [r[0] + r[1]]
    elif kind == 3 and len(r) >= 2 and r[0] == r[1]:  # dotted
        r[0:2] = [r[0] * 1.5, r[1] * 0.5]
    return _fit(r, beats)


def _fit(rhythm: list[float], beats: int) -> list[float]:
    """The rhythm cut or stretched to fill `beats`."""
    out: list[float] = []
    for d in itertools.cycle(rhythm):
        if sum(out) >= beats - 1e-9:
            break
        out.append(min(d, beats - sum(out)))
        if len(out) > 32:
            break
    return out


def melody_voice(plan: CuePlan, rng: random.Random) -> list[NoteB]:
    """Two motifs, phrases of statement - sequence - development - cadence, sections A B A'."""
    key, style, meter = plan.key, plan.style, plan.meter
    motif_a = _motif(style, meter, rng, None)
    motif_b = _motif(style, meter, rng, motif_a[0])
    centre = style.melody_centre
    home = _degree_near(key, centre)
    notes: list[NoteB] = []
    k = 0
    degree = home
    sung = 0  # phrases with the tune so far
    for phrase in plan.phrases:
        if not phrase.tune:
            continue
        sung += 1
        rhythm, contour = motif_b if phrase.section.startswith("B") else motif_a
        lift = {"A": 0, "B": -2, "A'": 2, "B'": 0, "A''": 3}.get(phrase.section, 0)
        invert = phrase.section == "A'" and k % 2 == 1
        n = len(phrase.bars)
        roles = ["stmt", "seq", "dev", "dev2", "dev", "dev2"][: max(0, n - 1)] + ["cad"]
        roles = roles[-n:] if n < 2 else roles
        for bar, role in zip(phrase.bars, roles, strict=False):
            chord = _chord_at(plan.chords, bar.start).chord
            if role == "cad":
                target = home + lift + (0 if phrase.role == "consequent" else 1)
                pitches_deg = _snap_to_chord(key, chord, target)
                # A pickup into the next phrase: two eighths, or in a short bar one or two
                # (phrase by phrase, so the short bars' cadences are not all one shape).
                pickup = 1.0 if bar.beats >= 3 or sung % 2 else 0.5
                long = max(1.0, bar.beats - 1.0) if bar.beats >= 3 else bar.beats - pickup
                notes.append(_mnote(plan, bar.start, long, key, chord, pitches_deg, 4))
                if bar.beats >= 2:
                    step = 1 if rng.random() < 0.5 else -1
                    offsets = (bar.beats - 1.0, bar.beats - 0.5)[2 - round(2 * pickup) :]
                    for j, off in enumerate(offsets):
                        d = pitches_deg + step * (j + 1)
                        ch = _chord_at(plan.chords, bar.start + off).chord
                        notes.append(_mnote(plan, bar.start + off, 0.5, key, ch, d, -4))
                degree = pitches_deg
                continue
            if role == "stmt":
                r = _fit(rhythm, bar.beats) if k % 3 == 0 else _vary_rhythm(rhythm, k, bar.beats)
                c = contour
                degree = home + lift + (k % 3 == 2) * 2
                if meter <= 2:  # a short bar holds half a motif: each phrase starts higher
                    degree += sung % 3
            elif role == "seq":
                r = _vary_rhythm(rhythm, k + 1, bar.beats)
                c = contour
                degree = degree + (2 if k % 2 == 0 else 1)
            else:  # development: fragment the motif and turn it around
                half = rhythm[: max(1, len(rhythm) // 2 + (role == "dev2"))]
                r = _fit(half, bar.beats)
                c = [-x for x in contour] if (k + (role == "dev2")) % 2 == 0 else contour[::-1]
            if invert:
                c = [-x for x in c]
            onset = 0.0
            for i, d in enumerate(r):
                move = c[i % len(c)] if i else (c[0] if role != "stmt" else 0)
                start = bar.start + onset
                chord = _chord_at(plan.chords, start).chord
                degree += move
                p = _pitch(key, chord, degree)
                if p > centre + 9 or p < centre - 9:
                    degree -= 2 * move
                strong = abs(onset - round(onset)) < 1e-9 and round(onset) % 2 == 0
                if strong or d >= 1.0:
                    degree = _snap_to_chord(key, chord, degree)
                accent = 8 if onset == 0 else 0
                notes.append(_mnote(plan, start, d * 0.92, key, chord, degree, accent))
                onset += d
            k += 1
    # The cadence: home to the tonic, held into the out point.
    # It arrives with the final bar: the last chord may hold the tonic from earlier, under the
    # last phrase, and a tonic sounding over that phrase doubles the bass's arrival.
    final = plan.chords[-1]
    arrival = max(final.start, plan.final_start)
    degree = _snap_to_chord(key, final.chord, degree)
    pitch = _nearest(key.tonic, _pitch(key, final.chord, degree), centre - 9, centre + 9)
    level = plan.intensity(arrival)
    notes.append(NoteB(arrival, plan.release_beat, pitch, _vel(60 + 40 * level), exact=True))
    return _clean_melody(plan, notes)


def _mnote(plan, start, length, key, chord, degree, accent) -> NoteB:
    v = 55 + 45 * plan.intensity(start) + accent
    return NoteB(start, start + length, _pitch(key, chord, degree), _vel(v))


def _clean_melody(plan: CuePlan, notes: list[NoteB]) -> list[NoteB]:
    """Notes crossing a chord change end at it (unless they belong to the new chord too); long
    notes are chord tones."""
    out: list[NoteB] = []
    starts = [c.start for c in plan.chords]
    for n in sorted(notes, key=lambda n: n.start):
        end = n.end
        i = bisect.bisect_right(starts, n.start + 1e-9)
        while i < len(starts) and starts[i] < end - 1e-9:
            if n.pitch % 12 not in plan.chords[i].chord.pitch_classes:
                end = starts[i]
                break
            i += 1
        if end - n.start >= 1.0:
            chord = _chord_at(plan.chords, n.start).chord
            if n.pitch % 12 not in chord.pitch_classes:
                pitch = min(
                    (p for p in range(n.pitch - 4, n.pitch + 5) if p % 12 in chord.pitch_classes),
                    key=lambda p: (abs(p - n.pitch), p),
                )
                n = NoteB(n.start, end, pitch, n.velocity, n.exact)
        if end - n.start > 0.05:
            out.append(NoteB(n.start, end, n.pitch, n.velocity, n.exact))
    return out


def fix_parallels(melody: list[NoteB], bass: list[NoteB], plan: CuePlan) -> list[NoteB]:
    """Re-voice melody notes that move in parallel fifths or octaves with the bass: compared at
    the moments where both voices start a note together."""
    bass_notes = sorted(bass, key=lambda n: n.start)
    bass_starts = [n.start for n in bass_notes]

    def bass_at(beat: float, window_s: float) -> int | None:
        """The bass note starting with this one, within `window_s`."""
        j = bisect.bisect_left(bass_starts, beat - 0.1)
        t = plan.grid.time_of(beat)
        for k in range(j, min(j + 3, len(bass_starts))):
            if abs(plan.grid.time_of(bass_starts[k]) - t) <= window_s:
                return bass_notes[k].pitch
        return None

    # A listener's "together" is 25 ms (as metrics.outer_voice_parallels counts it), and the
    # humanising moves the tune up to HUMANISE_S afterwards: a note near that edge may or may
    # not be heard together with the bass, so it is checked both ways.
    windows = (TOGETHER_S - HUMANISE_S, TOGETHER_S + HUMANISE_S)
    out = sorted(melody, key=lambda n: n.start)
    previous: dict[float, tuple[int, int] | None] = dict.fromkeys(windows)
    for i, cur in enumerate(out):
        found = {w: bass_at(cur.start, w) for w in windows}
        for w, b1 in found.items():
            if b1 is not None and previous[w] is not None:
                cur = _off_parallel(cur, previous[w], b1, plan)
        out[i] = cur
        for w, b1 in found.items():
            if b1 is not None:
                previous[w] = (cur.pitch, b1)
    return out


def _off_parallel(cur: NoteB, previous: tuple[int, int], b1: int, plan: CuePlan) -> NoteB:
    """`cur` re-voiced to the nearest chord tone when it moves in parallel fifths or octaves
    with the bass from `previous` (melody, bass)."""
    m0, b0 = previous
    same_dir = (cur.pitch - m0) * (b1 - b0) > 0
    i0, i1 = (m0 - b0) % 12, (cur.pitch - b1) % 12
    if not (same_dir and i0 == i1 and i1 in (0, 7)):
        return cur
    chord = _chord_at(plan.chords, cur.start).chord
    options = [
        p
        for p in range(cur.pitch - 7, cur.pitch + 8)  # a fourth away may be all
        if p % 12 in chord.pitch_classes and (p - b1) % 12 not in (0, 7)
    ]
    if not options:  # no other chord tone: stay put (oblique motion)
        options = [m0] if (m0 - b1) % 12 not in (0, 7) or m0 == cur.pitch else []
    if not options:
        return cur
    pitch = min(options, key=lambda p: (abs(p - cur.pitch), p))
    return NoteB(cur.start, cur.end, pitch, cur.velocity, cur.exact)


def counter_voice(plan: CuePlan, melody: list[NoteB]) -> list[NoteB]:
    """At the climax a second line: the tune in sixths (or thirds) below, a different colour."""
    style = plan.style
    if style.counter is None:
        return []
    notes: list[NoteB] = []
    for n in melody:
        if plan.intensity(n.start) < 0.7 or n.start >= plan.final_start - 1e-9:
            continue
        chord = _chord_at(plan.chords, n.start).chord
        below = [p for p in range(n.pitch - 9, n.pitch - 2) if p % 12 in chord.pitch_classes]
        if below:
            notes.append(NoteB(n.start, n.end, max(below), _vel(n.velocity - 12)))
    return notes


# --- percussion and accents ------------------------------------------------------------------

KICK, LOW_TOM, MID_TOM, FLOOR_TOM, SNARE, HAT, CRASH, WOODBLOCK, TRIANGLE = (
    36,
    41,
    45,
    43,
    38,
    42,
    49,
    76,
    81,
)


def percussion_voice(plan: CuePlan, rng: random.Random) -> list[NoteB]:
    """The style's pulse, entering when the cue's intensity rises."""
    style = plan.style
    kind = style.percussion
    if kind in ("none", "hits"):
        return []
    threshold = {"taiko": 0.3, "march": 0.45, "heartbeat": 0.3, "light": 0.4}[kind]
    notes: list[NoteB] = []
    for index, bar in enumerate(plan.grid.bars):
        if bar.start >= plan.final_start - 1e-9:
            break
        level = plan.intensity(bar.start)
        if level < threshold:
            continue
        v = 50 + 55 * level
        b = bar.start
        if kind == "heartbeat":
            notes += [NoteB(b, b + 0.3, KICK, _vel(v)), NoteB(b + 0.5, b + 0.8, KICK, _vel(v - 15))]
            if level > 0.6 and bar.beats >= 4:
                notes.append(NoteB(b + 2, b + 2.4, LOW_TOM, _vel(v - 10)))
        elif kind == "taiko":
            for off, pitch, dv in (
                (0, KICK, 10),
                (1.5, KICK, 0),
                (2, FLOOR_TOM, 0),
                (3.5, LOW_TOM, -5),
            ):
                if off < bar.beats:
                    notes.append(NoteB(b + off, b + off + 0.4, pitch, _vel(v + dv)))
            if level > 0.55:
                notes += [
                    NoteB(b + o, b + o + 0.3, SNARE, _vel(v - 5)) for o in range(1, bar.beats, 2)
                ]
            if level > 0.75:
                notes += [
                    NoteB(b + o / 2, b + o / 2 + 0.2, HAT, _vel(v - 25 + 6 * (o % 2 == 0)))
                    for o in range(bar.beats * 2)
                ]
        elif kind == "march":
            notes += [NoteB(b + o, b + o + 0.4, KICK, _vel(v)) for o in range(0, bar.beats, 2)]
            figure = (0, 1, 1.5, 2, 3, 3.25, 3.5) if level > 0.7 else (1, 3)
            notes += [
                NoteB(b + o, b + o + 0.2, SNARE, _vel(v - 12 + 8 * (o % 1 == 0)))
                for o in figure
                if o < bar.beats
            ]
        elif kind == "light":
            # On the beats, the downbeat strongest: on the off-beats a listener tapped along
            # with the woodblock, half a beat from the written pulse.
            notes += [
                NoteB(b + o, b + o + 0.2, WOODBLOCK, _vel(v - 10 + 10 * (o == 0)))
                for o in range(bar.beats)
            ]
            if index % 2 == 0:
                notes.append(NoteB(b, b + 1, TRIANGLE, _vel(v - 15)))
    return notes


def accent_voices(plan: CuePlan, crashes: list[float]) -> dict[str, list[NoteB]]:
    """Hit points and strong-cut gestures, each in the style's own accent set."""
    style = plan.style
    energetic = style.gesture and style.arousal >= 0.3
    drums: list[NoteB] = []
    timpani: list[NoteB] = []
    stabs: list[NoteB] = []
    loud = 100 if energetic or style.name in ("horror", "suspense") else 70

    def crash_ok(t: float) -> bool:
        if not style.crash or any(abs(t - c) < CRASH_GAP_S for c in crashes):
            return False
        crashes.append(t)
        return True

    def hit(beat: float, t: float, velocity: int, gesture: bool) -> None:
        chord = _chord_at(plan.chords, beat).chord
        root = _nearest(chord.root, 43, 38, 50)
        if style.name in ("action", "triumph"):
            drums.append(NoteB(beat, beat + 0.5, KICK, velocity, True))
            if crash_ok(t):
                drums.append(NoteB(beat, beat + 1.5, CRASH, velocity, True))
            timpani.append(NoteB(beat, beat + 1, root, velocity, True))
            voicing = _voice_lead(chord, (60, 64, 67), 55, 76)
            stabs.extend(NoteB(beat, beat + 0.5, p, _vel(velocity - 10), True) for p in voicing)
        elif style.name in ("suspense", "horror"):
            drums.append(NoteB(beat, beat + 1, KICK, velocity, True))
            drums.append(NoteB(beat, beat + 1, LOW_TOM, _vel(velocity - 10), True))
            timpani.append(NoteB(beat, beat + 2, root, velocity, True))
            if gesture:
                cut_chord(beat, velocity)
            elif style.name == "horror":  # a low cluster stab: root, minor second, tritone
                r = _nearest(chord.root, 50, 44, 56)
                stabs.extend(NoteB(beat, beat + 0.75, p, velocity, True) for p in (r, r + 1, r + 6))
            elif gesture or velocity > 90:
                stabs.extend(
                    NoteB(beat, beat + 0.5, p, _vel(velocity - 15), True)
                    for p in _voice_lead(chord, (50, 55, 58), 45, 64)
                )
        elif style.name == "comedy":
            drums.append(NoteB(beat, beat + 0.3, WOODBLOCK + 1, velocity, True))
            if gesture:
                cut_chord(beat, velocity)
            else:
                top = _nearest(chord.root, 84, 79, 91)
                stabs.append(NoteB(beat, beat + 0.5, top, velocity, True))
        elif style.name == "wonder":
            voicing = _voice_lead(chord, (67, 71, 74, 79), 60, 88)
            stabs.extend(NoteB(beat, beat + 2, p, _vel(velocity - 10), True) for p in voicing)
            timpani.append(NoteB(beat, beat + 1, root, _vel(velocity - 25), True))
        else:  # calm styles: a rolled chord and a soft timpani note, never a cymbal
            voicing = _voice_lead(chord, (55, 60, 64, 67), 48, 76)
            stabs.extend(
                NoteB(beat + 0.08 * j, beat + 2, p, _vel(velocity - 10), j == 0)
                for j, p in enumerate(voicing)
            )
            timpani.append(NoteB(beat, beat + 1.5, root, _vel(velocity - 20), True))

    def cut_chord(beat: float, velocity: int) -> None:
        """The cut's new chord struck on the frame: its root low, the triad in two octaves
        above, held CUT_CHORD_S so the recogniser hears it before the pad has swelled in."""
        chord = _chord_at(plan.chords, beat).chord
        t = plan.grid.time_of(beat)
        length = max(0.75, plan.grid.beat_of(t + CUT_CHORD_S) - beat)
        triad = _voice_lead(chord, (57, 60, 64), 53, 72)
        for p in (_nearest(chord.root, 45, 40, 52), *triad, *(q + 12 for q in triad)):
            stabs.append(NoteB(beat, beat + length, p, _vel(velocity + 10), True))

    def cut_accent(beat: float) -> None:
        """An honoured cut's own attack, in the style's colour: a hit in energetic styles, a
        quick harp (or celesta) roll over a soft timpani note in calm ones."""
        chord = _chord_at(plan.chords, beat).chord
        root = _nearest(chord.root, 43, 38, 50)
        v = _vel(70 + 30 * plan.intensity(beat))
        if energetic or style.name in ("suspense", "horror"):
            timpani.append(NoteB(beat, beat + 1, root, v, True))
            cut_chord(beat, v)
            if style.percussion not in ("none", "light"):
                drums.append(NoteB(beat, beat + 0.5, KICK, v, True))
            elif style.name == "comedy":
                drums.append(NoteB(beat, beat + 0.3, WOODBLOCK + 1, v, True))
            return
        voicing = _voice_lead(chord, (55, 60, 64, 67, 72), 48, 84)
        stabs.extend(  # struck together on the frame: a roll spread the new chord over 0.1 s
            NoteB(beat, beat + 2, p, _vel(v + 5 - 3 * j), True) for j, p in enumerate(voicing)
        )
        timpani.append(NoteB(beat, beat + 1.5, root, _vel(v - 15), True))

    for t in plan.hits_s:
        hit(plan.grid.beat_of(t), t, _vel(loud + 15), False)
    for t in plan.cuts_s:
        if any(abs(t - h) < 1.0 for h in plan.hits_s):
            continue  # the hit point's accent marks it
        if style.gesture and plan.strengths.get(t, 0) >= GESTURE_S:
            hit(plan.grid.beat_of(t), t, _vel(loud - 10), True)
        else:
            cut_accent(plan.grid.beat_of(t))
    for t in plan.soft_accents_s:
        beat = plan.grid.beat_of(t)
        root = _nearest(_chord_at(plan.chords, beat).chord.root, 43, 38, 50)
        drums.append(NoteB(beat, beat + 1, KICK if energetic else LOW_TOM, _vel(loud - 40), True))
        timpani.append(NoteB(beat, beat + 1, root, _vel(loud - 35), True))
    if style.ending == "swell" and style.crash and crash_ok(plan.grid.time_of(plan.final_start)):
        drums.append(NoteB(plan.final_start, plan.final_start + 2, CRASH, 100, True))
    return {"Hit accents": drums, "Timpani": timpani, "Stabs": stabs}


# --------------------------------------------------------------------------------------------
# 7. MIDI
# --------------------------------------------------------------------------------------------

_DRUM_PARTS = ("Percussion", "Hit accents")
_EXACT_PARTS = ("Hit accents", "Timpani", "Stabs")
# MIDI channel volume (CC7) and pan (CC10) of each part
_MIX = {
    "Pad": (88, 64),
    "Bass": (100, 60),
    "Motion": (80, 86),
    "Melody": (110, 52),
    "Counter": (92, 76),
    "Percussion": (92, 64),
    "Hit accents": (105, 64),
    "Timpani": (100, 72),
    "Stabs": (95, 44),
}


# Comedy's cut chord on pizzicato strings, not a glockenspiel: the bells' partials read as no
# chord to a listener (bench_listen: madmom heard comedy's changes 0.2-0.4 s late, or not).
def _programs(style: Style) -> dict[str, int]:
    stab = {"action": 61, "triumph": 61, "suspense": 48, "horror": 48, "comedy": 45, "wonder": 8}
    return {
        "Pad": style.pad,
        "Bass": style.bass,
        "Motion": style.motion or 0,
        "Melody": style.melody,
        "Counter": style.counter if style.counter is not None else 0,
        "Percussion": 0,
        "Hit accents": 0,
        "Timpani": 47,
        "Stabs": stab.get(style.name, 46),
    }


def part_name(part: str, program: int, drum: bool) -> str:
    """An instrument name that says the part: "Melody: Cello", "Percussion: drum kit"."""
    what = "drum kit" if drum else pretty_midi.program_to_instrument_name(program)
    return f"{part}: {what}"


def compose_segment(
    segment: Segment, feel: Feel | None = None
) -> tuple[pretty_midi.PrettyMIDI, CuePlan]:
    """Score a segment: its exact cut and hit times, its dialogue, its seed and a feel."""
    feel = feel if feel is not None else feel_from_words(segment.prompt, segment.mood)
    speech = segment.speech_times_s() if hasattr(segment, "speech_times_s") else []
    return compose(
        float(segment.rate.seconds(segment.duration_frames)),
        segment.cut_times_s(),
        segment.hit_times_s(),
        feel,
        segment.seed,
        speech,
    )


def compose(
    duration_s: float,
    cut_times_s: list[float] = (),
    hit_times_s: list[float] = (),
    feel: Feel = NEUTRAL,
    seed: int = 0,
    speech_s: list[tuple[float, float]] = (),
) -> tuple[pretty_midi.PrettyMIDI, CuePlan]:
    """The composer's entry point: timing, dialogue and feel in, a MIDI score and its plan out."""
    plan = plan_cue(duration_s, list(cut_times_s), list(hit_times_s), feel, seed, list(speech_s))
    return score_from_plan(plan), plan


def score_from_plan(plan: CuePlan) -> pretty_midi.PrettyMIDI:
    bass = bass_voice(plan, random.Random(f"bass:{plan.seed}"))
    melody = fix_parallels(melody_voice(plan, random.Random(f"melody:{plan.seed}")), bass, plan)
    voices = {
        "Pad": pad_voice(plan),
        "Bass": bass,
        "Motion": motion_voice(plan),
        "Melody": melody,
        "Counter": counter_voice(plan, melody),
        "Percussion": percussion_voice(plan, random.Random(f"drums:{plan.seed}")),
        **accent_voices(plan, []),
    }
    grid = plan.grid
    speech_beats = [(grid.beat_of(a), grid.beat_of(b)) for a, b in plan.speech_s]
    voices = make_room_for_speech(voices, speech_beats, plan.style.speech_safe_perc)
    voices = _clear_before_cuts(plan, voices)
    voices = _button(plan, voices)
    programs = _programs(plan.style)
    midi = pretty_midi.PrettyMIDI(resolution=960, initial_tempo=NOMINAL_BPM)
    end = plan.release_beat  # no note sounds into the out point: the tail does
    # ...except an editor's hit point inside the ring: its accent is a promise, so it sounds,
    # released by the out point.
    late_hits = [grid.beat_of(t) for t in plan.hits_s if grid.beat_of(t) >= end - 1e-6]
    for name, notes in voices.items():
        notes = [
            NoteB(n.start, min(n.end, end), n.pitch, n.velocity, n.exact)
            if n.start < end - 1e-6
            else NoteB(n.start, min(n.end, plan.end_beat), n.pitch, n.velocity, n.exact)
            for n in notes
            if n.start < end - 1e-6
            or (name in _EXACT_PARTS and any(abs(n.start - h) <= 1e-6 for h in late_hits))
        ]
        notes = [n for n in notes if n.end > n.start]
        if not notes:
            continue
        drum = name in _DRUM_PARTS
        inst = pretty_midi.Instrument(
            programs[name], is_drum=drum, name=part_name(name, programs[name], drum)
        )
        for n in sorted(notes, key=lambda n: (n.start, n.pitch)):
            inst.notes.append(pretty_midi.Note(_vel(n.velocity), n.pitch, n.start, n.end))
        midi.instruments.append(inst)
        plan.notes[name] = len(inst.notes)

    midi.key_signature_changes.append(pretty_midi.KeySignature(plan.key.key_number, 0.0))
    meter = None
    for bar in grid.bars:
        if bar.beats != meter:
            midi.time_signature_changes.append(pretty_midi.TimeSignature(bar.beats, 4, bar.start))
            meter = bar.beats
    midi.adjust_times(np.array(grid.anchor_beats, float), np.array(grid.anchor_times_s, float))
    exact = _exact_times(plan)
    _humanise(midi, exact, plan)
    for inst in midi.instruments:
        part = inst.name.split(":")[0]
        volume, pan = _MIX[part]
        volume = {"Melody": plan.style.melody_level, "Pad": plan.style.pad_level}.get(part, volume)
        inst.control_changes += [
            pretty_midi.ControlChange(7, volume, 0.0),
            pretty_midi.ControlChange(10, pan, 0.0),
        ]
        if not inst.is_drum and part not in _EXACT_PARTS:
            inst.control_changes += _expression(plan, part, speech_beats)
    return midi


# The parts that sustain across a cut: each lets go CUT_LIFT_S before an honoured cut, so the
# old chord (and its release) has gone when the new one strikes on the frame.
_LIFTED_PARTS = ("Pad", "Bass", "Motion", "Melody", "Counter")


def _clear_before_cuts(plan: CuePlan, voices: dict[str, list[NoteB]]) -> dict[str, list[NoteB]]:
    """A breath before each honoured cut: notes sounding into it end CUT_LIFT_S early, notes
    that would start in that breath are left out. A listener (madmom's chord recogniser in
    bench_listen) placed the new chord 0.2-0.4 s after the cut while the old one rang on."""
    lifts = [(c - _lift_beats(plan, c), c) for c in map(plan.grid.beat_of, plan.cuts_s)]
    if not lifts:
        return voices
    out = dict(voices)
    for name in _LIFTED_PARTS:
        kept = []
        for n in voices.get(name, []):
            for lift, cut in lifts:
                if n.start < cut - 1e-6 and n.end > lift + 1e-6:
                    n = NoteB(n.start, lift, n.pitch, n.velocity, n.exact)
            if n.end - n.start > 0.05:
                kept.append(n)
        out[name] = kept
    return out


def _button(plan: CuePlan, voices: dict[str, list[NoteB]]) -> dict[str, list[NoteB]]:
    """A swell ends on a short, accented tonic on a beat (pad, bass, melody, timpani, a stab),
    everything held stopping with it; its decay completes before the out point."""
    if plan.button_beat is None:
        return voices
    b, end = plan.button_beat, plan.release_beat
    tonic = plan.chords[-1].chord
    hits = [plan.grid.beat_of(t) for t in plan.hits_s]

    def kept(name: str, n: NoteB) -> bool:  # a hit point's accent outlives the button
        return name in _EXACT_PARTS and any(abs(n.start - h) <= 1e-6 for h in hits)

    out = {
        name: [n for n in notes if n.start < b - 1e-6 or kept(name, n)]
        for name, notes in voices.items()
    }
    for name, notes in out.items():
        out[name] = [
            n if kept(name, n) else NoteB(n.start, min(n.end, b), n.pitch, n.velocity, n.exact)
            for n in notes
        ]

    def last_pitches(name: str) -> list[int]:
        held = [n for n in voices.get(name, []) if n.start <= plan.final_start + 1e-6 <= n.end]
        return sorted({n.pitch for n in held}) or [_nearest(tonic.root, 60, 55, 67)]

    for name, v in (("Pad", 100), ("Bass", 110), ("Melody", 110)):
        out.setdefault(name, []).extend(NoteB(b, end, p, v, True) for p in last_pitches(name))
    root = _nearest(tonic.root, 43, 38, 50)
    out.setdefault("Timpani", []).append(NoteB(b, end, root, 110, True))
    voicing = _voice_lead(tonic, (60, 64, 67), 55, 76)
    out.setdefault("Stabs", []).extend(NoteB(b, end, p, 105, True) for p in voicing)
    if plan.style.percussion != "none":
        out.setdefault("Hit accents", []).append(NoteB(b, end, KICK, 110, True))
    return out


def _exact_times(plan: CuePlan) -> list[float]:
    times = [0.0, *plan.cuts_s, *plan.hits_s, *plan.soft_accents_s]
    if plan.button_beat is not None:
        times.append(plan.grid.time_of(plan.button_beat))
    times += [plan.grid.time_of(c.start) for c in plan.chords]
    return sorted(times)


def _humanise(midi: pretty_midi.PrettyMIDI, exact: list[float], plan: CuePlan) -> None:
    """A player's looseness: up to ~10 ms of timing and a few steps of velocity on the tune and
    the moving parts; chord changes, cut and hit accents and the drums' grid stay exact."""
    rng = random.Random(f"humanise:{plan.seed}")
    for inst in midi.instruments:
        part = inst.name.split(":")[0]
        loose_time = part in ("Melody", "Counter", "Motion")
        for note in inst.notes:
            on_mark = any(
                abs(note.start - t) < 1e-4
                for t in exact[bisect.bisect_left(exact, note.start - 1e-3) :][:3]
            )
            if part in _EXACT_PARTS or on_mark:
                continue
            note.velocity = _vel(note.velocity + rng.randint(-4, 4))
            if loose_time:
                shift = max(-HUMANISE_S, min(HUMANISE_S, rng.gauss(0.0, 0.005)))
                length = note.end - note.start
                note.start = max(0.0, note.start + shift)
                note.end = min(plan.duration_s, note.start + length)
                if note.end <= note.start:
                    note.end = min(plan.duration_s, note.start + 0.02)


def _expression(
    plan: CuePlan, part: str, speech_beats: list[tuple[float, float]]
) -> list[pretty_midi.ControlChange]:
    """CC11 each half beat: the cue's intensity, dips under dialogue, and the ending's swell or
    decay into the out point."""
    changes: list[pretty_midi.ControlChange] = []
    last = None
    steps = np.arange(0.0, plan.end_beat + 1e-9, 0.5).tolist()
    # The dip starts and ends exactly with each line, not at the next half beat.
    edges = [x for a, b in speech_beats for x in (a - SPEECH_MARGIN_BEATS, b)]
    final = plan.final_start
    for beat in sorted({round(x, 6) for x in [*steps, *edges] if 0 <= x <= plan.end_beat}):
        level = 0.45 + 0.55 * plan.intensity(beat)
        if beat >= final and plan.release_beat > final:
            x = min(1.0, (beat - final) / (plan.release_beat - final))
            # a swell: the final chord drops back and grows into the out point; a decay: it
            # fades towards it
            level *= 0.8 + 0.2 * x if plan.style.ending == "swell" else 1.0 - 0.6 * x
        level *= speech_gain(beat, speech_beats, part)
        value = max(1, min(127, round(127 * min(1.0, level))))
        if value != last:
            changes.append(pretty_midi.ControlChange(11, value, plan.grid.time_of(beat)))
            last = value
    return changes
