"""The offline composer: a segment's feel, cuts and hit points -> a short piece of film music.

It follows EMSYNC's pipeline shape (mood -> valence/arousal -> symbolic music whose chords change
on the cuts), with rules in place of a trained transformer, so it needs no downloaded weights:

1. **Feel.** Valence (unhappy .. happy) and arousal (calm .. excited) in [-1, 1], from the mood
   and prompt words now (`feel_from_words`); a picture-analysis step can pass its own `Feel`,
   with extra cuts detected inside clips and extra accent times.
2. **Key, tempo, meter.** Valence picks the mode (major above 0, minor below, the seed decides
   near 0) and the colour chords; arousal picks the tempo (66-150 bpm), note density, loudness
   and instruments. The seed picks the tonic, a small tempo nudge, the waltz option and the
   tunes.
3. **Time grid: a tempo map, not chords off the grid.** Like a film composer's click track, the
   music bends its tempo so that every honoured cut falls *on a downbeat*: each stretch between
   cuts gets a whole number of beats close to the chosen tempo (within about -20 %/+25 %;
   a stretch of only a beat or two between close cuts may bend further), grouped into bars,
   with one shorter (2/4) or longer (5/4) bar before the cut when the count does not divide
   evenly. Hit points pull the nearest beat onto themselves when that keeps
   the local tempo within about 15 %; otherwise the accent lands off the beat, exactly on
   the hit. The written MIDI file carries this as tempo changes and time signatures, so a
   composer opening it in a DAW sees real bars.
4. **Chord plan.** A chord lasts one or more bars (about 4 s when calm, 2 s when excited) and a
   new chord starts at every honoured cut. Cut rule: a cut less than `MIN_CHORD_S` (1 s) after
   the previous honoured cut (or the start), or less than 1 s before the end, is merged into
   the change before it: shorter chords do not read as harmony. EMSYNC thins cuts to >= 4 s
   apart; we honour every cut that leaves room for a chord. Progressions walk a functional-
   harmony Markov table (tonic -> predominant -> dominant), coloured by valence (bVI-bVII for
   epic, the minor iv for bittersweet, the Neapolitan bII for horror), and end on a cadence:
   V-I (authentic) or IV-I / iv-i (plagal, for calm cues), the tonic held to the end.
5. **Voices.** Pad (sustained, smoothly voice-led chords), bass (chord roots; sustained, pulsing
   or driving with arousal), motion (arpeggios or an ostinato), a melody grown from a one-bar
   motif (statement, sequence, variation, breath; restarted at each cut), percussion for
   excited cues (with a tom fill into each cut and a crash on it), and accents at hit points
   (cymbal, bass drum, timpani, a brass stab); moments the picture suggests get a lighter
   touch, at most one per 2 s. Each shot gets a dynamic arc: softer on its
   cut, swelling midway, relaxing into the next.
6. **MIDI.** Everything is written in beats at a nominal 60 bpm (one beat = one second), then
   `PrettyMIDI.adjust_times` warps it onto the tempo map; the notes of the final tonic are
   released shortly before the end so their release decays into the cue's last sample.

Everything random comes from `random.Random` streams seeded from the segment's seed, so the same
seed and segment give the same notes, and different seeds give different music.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
import re
from dataclasses import dataclass, field

import numpy as np
import pretty_midi

from cuebridge.engine.segment import Segment

COMPOSER_VERSION = "1"  # bump when a rule change alters the music (cached cues are keyed on it)
MIN_CHORD_S = 1.0  # cuts closer than this to the previous change (or the end) are merged
SOFT_ACCENT_GAP_S = 2.0  # picture-detected accents are thinned to this spacing
NOMINAL_BPM = 60.0  # composition time: one beat = one second, warped afterwards

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

    def __post_init__(self) -> None:
        object.__setattr__(self, "valence", _clamp(self.valence))
        object.__setattr__(self, "arousal", _clamp(self.arousal))


def _clamp(x: float) -> float:
    return max(-1.0, min(1.0, float(x)))


NEUTRAL = Feel(0.0, 0.0)

# (valence, arousal) per word, after the circumplex model's usual placements.
MOOD_WORDS: dict[str, tuple[float, float]] = {
    "happy": (0.8, 0.5),
    "joyful": (0.85, 0.6),
    "cheerful": (0.8, 0.5),
    "uplifting": (0.75, 0.55),
    "hopeful": (0.6, 0.2),
    "bright": (0.6, 0.3),
    "triumphant": (0.8, 0.8),
    "victorious": (0.8, 0.8),
    "heroic": (0.6, 0.8),
    "epic": (0.4, 0.85),
    "majestic": (0.6, 0.5),
    "grand": (0.5, 0.6),
    "wonder": (0.6, 0.2),
    "action": (0.0, 0.9),
    "chase": (-0.1, 0.95),
    "fight": (-0.3, 0.9),
    "battle": (-0.2, 0.95),
    "energetic": (0.5, 0.8),
    "exciting": (0.5, 0.8),
    "intense": (-0.2, 0.8),
    "aggressive": (-0.5, 0.9),
    "angry": (-0.7, 0.8),
    "tense": (-0.5, 0.6),
    "tension": (-0.5, 0.6),
    "suspense": (-0.4, 0.5),
    "suspenseful": (-0.4, 0.5),
    "thriller": (-0.4, 0.6),
    "anxious": (-0.6, 0.6),
    "nervous": (-0.5, 0.5),
    "fear": (-0.8, 0.7),
    "scary": (-0.8, 0.7),
    "horror": (-0.9, 0.6),
    "terror": (-0.9, 0.8),
    "creepy": (-0.7, 0.3),
    "eerie": (-0.6, 0.0),
    "ominous": (-0.6, 0.3),
    "dark": (-0.6, 0.1),
    "menacing": (-0.7, 0.5),
    "mysterious": (-0.2, -0.1),
    "mystery": (-0.2, -0.1),
    "sad": (-0.75, -0.45),
    "sadness": (-0.75, -0.45),
    "melancholic": (-0.55, -0.45),
    "melancholy": (-0.55, -0.45),
    "grief": (-0.85, -0.5),
    "tragic": (-0.8, -0.2),
    "lonely": (-0.6, -0.4),
    "somber": (-0.6, -0.5),
    "sombre": (-0.6, -0.5),
    "bittersweet": (0.0, -0.3),
    "nostalgic": (0.1, -0.4),
    "reflective": (0.1, -0.5),
    "calm": (0.4, -0.7),
    "peaceful": (0.6, -0.7),
    "serene": (0.6, -0.75),
    "relaxed": (0.5, -0.7),
    "quiet": (0.2, -0.6),
    "gentle": (0.5, -0.5),
    "tender": (0.6, -0.4),
    "dreamy": (0.4, -0.5),
    "romantic": (0.7, -0.1),
    "love": (0.8, 0.0),
    "warm": (0.6, -0.2),
    "playful": (0.7, 0.45),
    "whimsical": (0.6, 0.3),
    "funny": (0.7, 0.5),
    "comedy": (0.7, 0.5),
    "quirky": (0.5, 0.4),
    "neutral": (0.0, 0.0),
    "slow": (0.0, -0.5),
    "fast": (0.0, 0.6),
}
_SUFFIXES = ("ness", "ful", "ly", "ing", "ed", "s")


def feel_from_words(prompt: str = "", mood: str = "") -> Feel:
    """The mean (valence, arousal) of the known words; mood words count twice. Neutral if none."""
    points: list[tuple[float, float]] = []
    for text, weight in ((mood, 2), (prompt, 1)):
        for word in re.findall(r"[a-z]+", text.lower()):
            point = _lookup(word)
            if point is not None:
                points.extend([point] * weight)
    if not points:
        return NEUTRAL
    valence, arousal = np.mean(np.array(points), axis=0)
    return Feel(round(float(valence), 3), round(float(arousal), 3))


def _lookup(word: str) -> tuple[float, float] | None:
    if word in MOOD_WORDS:
        return MOOD_WORDS[word]
    for suffix in _SUFFIXES:  # "tensions" -> "tension", "calmly" -> "calm"
        if word.endswith(suffix) and word[: -len(suffix)] in MOOD_WORDS:
            return MOOD_WORDS[word[: -len(suffix)]]
    return None


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


def choose_key(feel: Feel, rng: random.Random) -> Key:
    if abs(feel.valence) < 0.15:
        mode = rng.choice(("major", "minor"))
    else:
        mode = "major" if feel.valence > 0 else "minor"
    return Key(rng.randrange(12), mode)


def choose_tempo(feel: Feel, rng: random.Random) -> float:
    """66 bpm when still, 150 when driving; sad music a little slower; a small seeded nudge."""
    bpm = 108 + 42 * feel.arousal - 6 * max(0.0, -feel.valence) * (1 - feel.arousal) / 2
    return round(bpm * rng.uniform(0.97, 1.03), 1)


def choose_meter(feel: Feel, rng: random.Random) -> int:
    """Beats per bar (quarter-note beats): 4, or a waltz-like 3 for tender, unhurried cues."""
    lilting = feel.valence > 0.3 and -0.6 < feel.arousal < 0.3
    return 3 if lilting and rng.random() < 0.5 else 4


# --------------------------------------------------------------------------------------------
# 3. Time grid: the tempo map
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    start: int  # beat index from the cue start
    beats: int
    span: int  # index of the cut-to-cut stretch the bar lies in


@dataclass
class TimeGrid:
    """Where each beat falls in seconds: piecewise-constant tempo between anchors."""

    anchor_beats: list[int]
    anchor_times_s: list[float]
    bars: list[Bar]

    @property
    def total_beats(self) -> int:
        return self.anchor_beats[-1]

    def time_of(self, beat: float) -> float:
        return float(np.interp(beat, self.anchor_beats, self.anchor_times_s))

    def beat_of(self, seconds: float) -> float:
        return float(np.interp(seconds, self.anchor_times_s, self.anchor_beats))

    def local_bpm(self) -> list[float]:
        """The tempo between each pair of anchors (cuts, hit points, the end)."""
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


def honoured_cuts(duration_s: float, cut_times_s: list[float]) -> tuple[list[float], list[float]]:
    """Split cuts into those that get a chord change and those merged (see MIN_CHORD_S)."""
    kept: list[float] = []
    merged: list[float] = []
    last = 0.0
    for cut in sorted(set(cut_times_s)):
        if not 0.0 < cut < duration_s:
            continue
        if cut - last >= MIN_CHORD_S and duration_s - cut >= MIN_CHORD_S:
            kept.append(cut)
            last = cut
        else:
            merged.append(cut)
    return kept, merged


def plan_time_grid(
    duration_s: float, cuts_s: list[float], hits_s: list[float], bpm: float, meter: int
) -> TimeGrid:
    beat_s = 60.0 / bpm
    edges = [0.0, *cuts_s, duration_s]
    anchor_beats, anchor_times, bars = [0], [0.0], []
    for span, (t0, t1) in enumerate(itertools.pairwise(edges)):
        beats = _beats_for_stretch(t1 - t0, beat_s, meter)
        start = anchor_beats[-1]
        bars.extend(Bar(start + s, n, span) for s, n in _bar_lengths(beats, meter))
        anchor_beats.append(start + beats)
        anchor_times.append(t1)
    anchor_times[-1] = duration_s
    for hit in sorted(hits_s):
        _pull_beat_onto(hit, anchor_beats, anchor_times, beat_s)
    return TimeGrid(anchor_beats, anchor_times, bars)


def _beats_for_stretch(length_s: float, beat_s: float, meter: int) -> int:
    """A whole number of beats near the tempo; whole bars preferred when the tempo allows."""
    ideal = length_s / beat_s
    lo, hi = max(1, math.floor(ideal / 1.25)), max(1, math.ceil(ideal * 1.25))

    def cost(n: int) -> float:
        uneven = 0.07 if n % meter else 0.0
        return abs(math.log(n / ideal)) + uneven

    return min(range(lo, hi + 1), key=lambda n: (cost(n), n))


def _bar_lengths(beats: int, meter: int) -> list[tuple[int, int]]:
    """(offset, beats) of the bars filling `beats`: whole bars, the odd one last before the cut."""
    lengths = [meter] * (beats // meter)
    rest = beats % meter
    if rest == 1 and lengths:
        lengths[-1] += 1  # a 5/4 (or 4/4 in waltz time) bar rather than a lone 1/4 bar
    elif rest:
        lengths.append(rest)
    offsets = [0, *itertools.accumulate(lengths)][:-1]
    return list(zip(offsets, lengths, strict=True))


def _pull_beat_onto(hit: float, beats: list[int], times: list[float], beat_s: float) -> None:
    """Move the beat nearest a hit point onto it, if the tempo either side stays sensible."""
    i = bisect.bisect_right(times, hit) - 1
    if i < 0 or i >= len(times) - 1 or hit <= times[i]:
        return
    b0, b1, t0, t1 = beats[i], beats[i + 1], times[i], times[i + 1]
    k = round(b0 + (hit - t0) / (t1 - t0) * (b1 - b0))
    if not b0 < k < b1:
        return
    before, after = (hit - t0) / (k - b0), (t1 - hit) / (b1 - k)
    if all(0.87 <= b / beat_s <= 1.15 for b in (before, after)):
        beats.insert(i + 1, k)
        times.insert(i + 1, hit)


# --------------------------------------------------------------------------------------------
# 4. Chord plan
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
    },
}
# Functional harmony as a Markov table: weights of the next chord given this one.
PROGRESSIONS = {
    "major": {
        "I": {"IV": 2.5, "V": 2, "vi": 3, "ii": 1.5, "iii": 0.7},
        "ii": {"V": 4, "IV": 1, "vi": 0.5},
        "iii": {"vi": 3, "IV": 2},
        "IV": {"I": 1, "V": 3, "ii": 1.5, "vi": 1},
        "V": {"I": 4, "vi": 2.5, "IV": 1},
        "vi": {"IV": 3, "ii": 2, "V": 1.5, "iii": 0.5},
        "iv": {"I": 3, "V": 1},
        "bVI": {"bVII": 4, "IV": 1},
        "bVII": {"I": 4, "IV": 1},
    },
    "minor": {
        "i": {"iv": 3, "VI": 3, "VII": 2, "III": 1.5, "v": 1, "ii°": 0.5},
        "ii°": {"V": 4, "i": 1},
        "III": {"VI": 2, "iv": 2, "VII": 2},
        "iv": {"V": 2.5, "i": 2, "VII": 1.5, "ii°": 0.5},
        "v": {"VI": 2, "iv": 2, "i": 1},
        "V": {"i": 4, "VI": 2},
        "VI": {"VII": 2.5, "iv": 2, "III": 1.5, "ii°": 1},
        "VII": {"III": 3, "i": 2, "VI": 1},
        "bII": {"V": 3, "i": 2},
    },
}


@dataclass(frozen=True)
class Chord:
    symbol: str  # Roman numeral in the key, e.g. "V"
    root: int  # pitch class
    pitch_classes: tuple[int, ...]


@dataclass(frozen=True)
class ChordSlot:
    start: int  # beat
    end: int  # beat
    chord: Chord
    at_cut: bool  # starts on an honoured cut


def chord_in_key(key: Key, symbol: str) -> Chord:
    offset, quality = CHORDS[key.mode][symbol]
    root = (key.tonic + offset) % 12
    return Chord(symbol, root, tuple((root + i) % 12 for i in quality))


def plan_chords(grid: TimeGrid, key: Key, feel: Feel, rng: random.Random) -> list[ChordSlot]:
    spans = _chord_spans(grid, feel)
    tonic = "I" if key.mode == "major" else "i"
    plagal = feel.arousal < -0.3 and rng.random() < 0.5
    cadence = ("IV" if key.mode == "major" else "iv") if plagal else "V"
    table = _coloured_table(key, feel)

    symbols: list[str] = [tonic] * len(spans)
    if len(spans) >= 2:
        symbols[-2] = cadence
    for i in range(1, len(spans) - 2):
        avoid = {symbols[i - 1], cadence} if i == len(spans) - 3 else {symbols[i - 1]}
        symbols[i] = _next_chord(table, symbols[i - 1], avoid, rng)
    return [
        ChordSlot(start, end, chord_in_key(key, symbol), at_cut)
        for (start, end, at_cut), symbol in zip(spans, symbols, strict=True)
    ]


def _coloured_table(key: Key, feel: Feel) -> dict[str, dict[str, float]]:
    table = {chord: dict(nexts) for chord, nexts in PROGRESSIONS[key.mode].items()}
    if key.mode == "major" and feel.arousal > 0.4:  # epic: I - bVI - bVII - I
        table["I"]["bVI"] = 2.0
    if key.mode == "major" and feel.valence < 0.4:  # bittersweet: the minor plagal iv
        table["IV"]["iv"] = 1.5
    if key.mode == "minor" and feel.valence < -0.6:  # dread: the Neapolitan and diminished
        table["i"]["bII"] = 2.0
        table["iv"]["ii°"] = 1.5
    return table


def _next_chord(
    table: dict[str, dict[str, float]], current: str, avoid: set[str], rng: random.Random
) -> str:
    options = {c: w for c, w in table[current].items() if c not in avoid}
    if not options:
        options = {c: 1.0 for c in table if c not in avoid}
    names = sorted(options)
    return rng.choices(names, weights=[options[n] for n in names])[0]


def _chord_spans(grid: TimeGrid, feel: Feel) -> list[tuple[int, int, bool]]:
    """(start beat, end beat, at a cut) of each chord: whole bars, a new chord at every cut."""
    target_s = 3.0 - feel.arousal  # a chord every ~4 s when still, ~2 s when driving
    last_span = grid.bars[-1].span
    spans: list[tuple[int, int, bool]] = []
    for span, bars_iter in itertools.groupby(grid.bars, key=lambda b: b.span):
        bars = list(bars_iter)
        body, tail = bars, []
        if span == last_span:
            # The final tonic: one bar, or two short ones, so it has time to ring.
            final_bars = 1 if _bar_seconds(grid, bars[-1]) >= 2.0 else 2
            body, tail = bars[:-final_bars] if len(bars) > final_bars else [], bars[-final_bars:]
        groups: list[list[Bar]] = []
        for bar in body:
            per_chord = max(1, round(target_s / _bar_seconds(grid, bar)))
            if groups and len(groups[-1]) < per_chord:
                groups[-1].append(bar)
            else:
                groups.append([bar])
        if len(groups) >= 2 and groups[-1][0].beats < max(b.beats for b in bars):
            groups[-2].extend(groups.pop())  # no chord of its own on a short bar before a cut
        if tail:
            groups.append(tail)
        for i, group in enumerate(groups):
            end = group[-1].start + group[-1].beats
            spans.append((group[0].start, end, i == 0 and span > 0))
    return spans


def _bar_seconds(grid: TimeGrid, bar: Bar) -> float:
    return grid.time_of(bar.start + bar.beats) - grid.time_of(bar.start)


# --------------------------------------------------------------------------------------------
# The plan
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Orchestra:
    """General MIDI programs of the voices (0-based)."""

    pad: int
    bass: int
    motion: int | None  # arpeggio / ostinato; None = no motion layer
    melody: int
    melody_centre: int  # MIDI pitch the tune circles around
    drums: bool


@dataclass
class CuePlan:
    """Every musical decision about one cue, before any note is written."""

    duration_s: float
    seed: int
    feel: Feel
    key: Key
    tempo_bpm: float
    meter: int
    grid: TimeGrid
    chords: list[ChordSlot]
    orchestra: Orchestra
    cuts_s: list[float]  # honoured: a chord change lands on each
    merged_cuts_s: list[float]  # too close to a neighbour or the end (see MIN_CHORD_S)
    hits_s: list[float]  # the editor's hit points: full accents, beats pulled onto them
    soft_accents_s: list[float]  # picture-detected moments: lighter accents, thinned
    release_s: float  # the final notes end this long before the end
    fade_s: float  # the audio fades out over this many seconds at the very end
    notes: dict[str, int] = field(default_factory=dict)  # notes per voice, for reports

    @property
    def meter_name(self) -> str:
        return f"{self.meter}/4"


def plan_cue(
    duration_s: float,
    cut_times_s: list[float],
    hit_times_s: list[float],
    feel: Feel,
    seed: int,
) -> CuePlan:
    if duration_s <= 0:
        raise ValueError(f"a cue needs a positive duration, got {duration_s} s")
    rng = random.Random(f"cuebridge-composer:{seed}")
    key = choose_key(feel, rng)
    bpm = choose_tempo(feel, rng)
    meter = choose_meter(feel, rng)
    cuts, merged = honoured_cuts(duration_s, [*cut_times_s, *feel.extra_cut_times_s])
    hits = sorted({t for t in hit_times_s if 0 <= t < duration_s})
    soft = _thin_accents(feel.accent_times_s, hits, duration_s)
    grid = plan_time_grid(duration_s, cuts, hits, bpm, meter)
    chords = plan_chords(grid, key, feel, rng)
    final_s = duration_s - grid.time_of(chords[-1].start)
    return CuePlan(
        duration_s=duration_s,
        seed=seed,
        feel=feel,
        key=key,
        tempo_bpm=bpm,
        meter=meter,
        grid=grid,
        chords=chords,
        orchestra=choose_orchestra(feel, rng),
        cuts_s=cuts,
        merged_cuts_s=merged,
        hits_s=hits,
        soft_accents_s=soft,
        release_s=min(0.5, 0.25 * final_s),
        fade_s=min(1.0, 0.5 * final_s),
    )


def choose_orchestra(feel: Feel, rng: random.Random) -> Orchestra:
    v, a = feel.valence, feel.arousal
    if a >= 0.3:  # excited: choir or string tremolo, an ostinato, brass, drums
        pad = 52 if v >= 0.2 else 44
        melody = rng.choice((56, 61)) if v >= 0 else rng.choice((57, 42))  # brass or cello
        motion = 12 if v > 0.4 and a < 0.6 else 42  # marimba when playful, else cello ostinato
        centre = 55 if melody in (57, 42) else 67
        return Orchestra(pad, 43, motion, melody, centre, drums=True)
    if v >= 0:  # calm and bright: slow strings or a warm pad, harp, a woodwind or violin
        playful = v > 0.5 and a > 0.1
        pad = rng.choice((49, 89))
        melody = rng.choice((73, 68, 40, 71))
        motion = (45 if playful else 46) if a > -0.7 else None
        return Orchestra(pad, 45 if playful else 43, motion, melody, 74, drums=False)
    # calm and dark: slow strings or choir, piano or celesta, a cello or oboe tune
    eerie = v < -0.4 and a > -0.2
    pad = rng.choice((49, 52))
    melody = rng.choice((8, 11)) if eerie else rng.choice((42, 68, 40))
    motion = (8 if eerie else 0) if a > -0.7 else None
    centre = 62 if melody == 42 else 72
    return Orchestra(pad, 43, motion, melody, centre, drums=False)


# --------------------------------------------------------------------------------------------
# 5. Voices (notes in beats)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteB:
    """A note in beats, before the tempo map turns beats into seconds."""

    start: float
    end: float
    pitch: int
    velocity: int


def _level(feel: Feel, quiet: int, loud: int) -> int:
    return round(quiet + (loud - quiet) * (feel.arousal + 1) / 2)


def _vel(v: float) -> int:
    return max(1, min(127, round(v)))


def pad_voice(plan: CuePlan) -> list[NoteB]:
    """Sustained chords, voice-led to the nearest voicing; common tones are held across.
    Four voices when the pad carries a calm cue, three (a triad) under a busy texture."""
    base = _level(plan.feel, 42, 76)
    notes: list[NoteB] = []
    held: dict[int, tuple[float, int]] = {}  # pitch -> (start beat, velocity) still sounding
    previous = (55, 60, 64, 67) if plan.feel.arousal < 0.3 else (55, 60, 64)
    for slot in plan.chords:
        voicing = _voice_lead(slot.chord, previous)
        velocity = base - 6 + round(12 * _swell(plan, slot.start))
        for pitch in list(held):
            if pitch not in voicing:
                start, held_velocity = held.pop(pitch)
                notes.append(NoteB(start, slot.start, pitch, held_velocity))
        for pitch in voicing:
            held.setdefault(pitch, (slot.start, velocity))
        previous = voicing
    end = plan.grid.total_beats
    notes.extend(NoteB(start, end, pitch, vel) for pitch, (start, vel) in held.items())
    return notes


def _swell(plan: CuePlan, beat: float) -> float:
    """The phrase arc of a shot: 0 on its cut, rising to 1 midway, relaxing into the next."""
    edges = [0, *(s.start for s in plan.chords if s.at_cut), plan.grid.total_beats]
    i = max(0, bisect.bisect_right(edges, beat) - 1)
    start, end = edges[i], edges[min(i + 1, len(edges) - 1)]
    return math.sin(math.pi * (beat - start) / (end - start)) if end > start else 0.0


def _voice_lead(chord: Chord, previous: tuple[int, ...], lo: int = 50, hi: int = 76) -> tuple:
    """The voicing of `chord` within [lo, hi], as many notes as `previous`, closest to it."""
    pool = [p for p in range(lo, hi + 1) if p % 12 in chord.pitch_classes]
    best, best_cost = previous, math.inf
    for voicing in itertools.combinations(pool, len(previous)):
        if set(p % 12 for p in voicing) != set(chord.pitch_classes):
            continue
        if voicing[-1] - voicing[0] > 19 or (voicing[0] % 12 != chord.root and voicing[0] < 55):
            continue  # keep it compact; no low inversions muddying the bass
        cost = sum(abs(a - b) for a, b in zip(voicing, previous, strict=True))
        if cost < best_cost:
            best, best_cost = voicing, cost
    return best


def bass_voice(plan: CuePlan, rng: random.Random) -> list[NoteB]:
    """Chord roots: held when calm, pulsing on the half bar in between, driving eighths when
    excited. The last note is the tonic, held under the final chord."""
    a = plan.feel.arousal
    base = _level(plan.feel, 58, 96)
    notes: list[NoteB] = []
    last = 36 + plan.key.tonic
    for slot in plan.chords:
        root = _nearest(slot.chord.root, last, 33, 50)
        last = root
        final = slot is plan.chords[-1]
        if a < -0.3 or final:
            notes.append(NoteB(slot.start, slot.end, root, base + 6))
            continue
        for bar in _bars_in(plan, slot):
            if a < 0.3:
                half = max(1, bar.beats // 2)
                notes.append(NoteB(bar.start, bar.start + half, root, base + 6))
                second = root if rng.random() < 0.6 else _nearest((root + 7) % 12, root, 33, 52)
                if bar.beats > half:
                    notes.append(NoteB(bar.start + half, bar.start + bar.beats, second, base))
            else:
                for i in range(bar.beats * 2):
                    octave = 12 if i % 4 == 3 and root + 12 <= 55 else 0
                    accent = 12 if i % 2 == 0 else 0
                    start = bar.start + i / 2
                    notes.append(NoteB(start, start + 0.4, root + octave, base - 6 + accent))
    return notes


def motion_voice(plan: CuePlan) -> list[NoteB]:
    """Arpeggios (harp, piano, celesta) or a string ostinato on the chord tones."""
    if plan.orchestra.motion is None:
        return []
    a = plan.feel.arousal
    step = 1.0 if a < -0.3 else 0.5
    if a >= 0.3 and plan.tempo_bpm < 125 and plan.orchestra.motion == 42:
        step = 0.25  # a cello ostinato in sixteenths when the tempo leaves room
    shape = (0, 1, 2, 3, 4, 3, 2, 1) if a < 0.3 else (0, 2, 1, 2, 0, 2, 1, 3)
    gate = 0.9 if a < 0.3 else 0.5
    base = _level(plan.feel, 40, 78)
    low = 48 if plan.orchestra.motion == 42 else 55  # the cello ostinato sits lower
    notes: list[NoteB] = []
    for slot in plan.chords[:-1]:
        tones = [p for p in range(low, low + 25) if p % 12 in slot.chord.pitch_classes][:5]
        n = round((slot.end - slot.start) / step)
        for i in range(n):
            start = slot.start + i * step
            on_beat = abs(start - round(start)) < 1e-9
            pitch = tones[shape[i % len(shape)] % len(tones)]
            velocity = base - 4 + 8 * _swell(plan, start) + (8 if on_beat else 0)
            notes.append(NoteB(start, start + step * gate, pitch, _vel(velocity)))
    return notes


def melody_voice(plan: CuePlan, rng: random.Random) -> list[NoteB]:
    """A tune grown from a one-bar motif. Four-bar phrases: statement, sequence a third up,
    variation, then a long note (the breath). A cut restarts the phrase on the new shot."""
    feel, key, grid = plan.feel, plan.key, plan.grid
    rhythm = _motif_rhythm(plan.meter, feel.arousal, rng)
    steps = [0] + [rng.choice((-2, -1, -1, 1, 1, 2, 3)) for _ in rhythm[1:]]
    variation = [0] + [rng.choice((-2, -1, 1, 2)) for _ in rhythm[1:]]
    gate = 0.95 if feel.arousal < 0.3 else 0.75
    base = _level(feel, 56, 100)
    centre = plan.orchestra.melody_centre
    final = plan.chords[-1]

    notes: list[NoteB] = []
    degree = _degree_near(key, centre)
    phrase_start = 0
    bars = [b for b in grid.bars if b.start < final.start]
    intro = 1 if len(bars) >= 6 else 0  # let the harmony set the scene before the tune enters
    for index, bar in enumerate(bars):
        if index == 0 or bar.span != bars[index - 1].span:
            phrase_start = index
        if index < intro:
            continue
        chord = _chord_at(plan.chords, bar.start).chord
        position = (index - phrase_start) % 4
        if position == 3 or (bar.beats < plan.meter // 2 + 1 and bar is not bars[0]):
            degree = _snap_to_chord(key, chord, degree)
            length = max(1.0, bar.beats - 1.0)
            notes.append(NoteB(bar.start, bar.start + length, _pitch(key, chord, degree), base))
            continue
        if position == 0:
            degree = _snap_to_chord(key, chord, _degree_near(key, centre) + rng.choice((0, 2)))
        elif position == 1:
            degree = _snap_to_chord(key, chord, degree + 2)
        moves = variation if position == 2 else steps
        onset = 0.0
        for duration, move in zip(rhythm, moves, strict=True):
            if onset >= bar.beats:
                break
            start = bar.start + onset
            chord = _chord_at(plan.chords, start).chord
            degree += move
            if _pitch(key, chord, degree) > centre + 9 or _pitch(key, chord, degree) < centre - 9:
                degree -= 2 * move  # turn back towards the middle of the range
            if abs(onset - round(onset)) < 1e-9 and round(onset) % 2 == 0:
                degree = _snap_to_chord(key, chord, degree)  # strong beats sit on chord tones
            length = min(duration, bar.beats - onset) * gate
            accent = (8 if onset == 0 else 0) + 10 * _swell(plan, start) - 5
            pitch = _pitch(key, chord, degree)
            velocity = _vel(base + accent + rng.randint(-3, 3))
            notes.append(NoteB(start, start + length, pitch, velocity))
            onset += duration

    # The cadence: the tune comes home to the tonic and holds it.
    degree = _snap_to_chord(key, final.chord, degree)
    home = _nearest(key.tonic, _pitch(key, final.chord, degree), centre - 9, centre + 9)
    notes.append(NoteB(final.start, final.end, home, base))
    return notes


def _motif_rhythm(meter: int, arousal: float, rng: random.Random) -> list[float]:
    """Durations (beats) filling one bar; denser when excited."""
    if arousal < -0.3:
        palette = (2.0, 1.0, 1.5, 3.0)
    elif arousal < 0.3:
        palette = (1.0, 0.5, 1.5, 2.0, 1.0)
    else:
        palette = (0.5, 0.5, 1.0, 1.5, 0.75)
    rhythm: list[float] = []
    while sum(rhythm) < meter:
        rhythm.append(min(rng.choice(palette), meter - sum(rhythm)))
    if len(rhythm) == 1:  # a motif needs at least two notes
        rhythm = [meter / 2, meter / 2]
    return rhythm


def percussion_voice(plan: CuePlan, rng: random.Random) -> list[NoteB]:
    """A cinematic pulse for excited cues: bass drum on the downbeat, a low tom on the half
    bar, snare backbeats when driving, a tom fill in the bar before each cut, a crash on the
    cut itself, and a final hit when the tonic arrives."""
    if not plan.orchestra.drums:
        return []
    a = plan.feel.arousal
    base = _level(plan.feel, 50, 100)
    final = plan.chords[-1]
    fill_bars = {_bar_before(plan, slot.start) for slot in plan.chords if slot.at_cut}
    notes: list[NoteB] = []
    for bar in plan.grid.bars:
        if bar.start >= final.start:
            break
        notes.append(NoteB(bar.start, bar.start + 0.5, 36, base + 15))
        if bar.beats >= 3:
            notes.append(NoteB(bar.start + 2, bar.start + 2.5, 41, base + 5))
        if a >= 0.55:
            for beat in range(1, bar.beats, 2):
                notes.append(NoteB(bar.start + beat, bar.start + beat + 0.5, 38, base))
        if bar.start in fill_bars:  # eighth-note toms falling towards the cut
            for i in range(bar.beats * 2):
                if i % 2 == 1 or rng.random() < 0.5:
                    pitch = (50, 48, 47, 45, 43, 41)[min(5, i * 6 // (bar.beats * 2))]
                    start = bar.start + i / 2
                    notes.append(NoteB(start, start + 0.25, pitch, base - 12 + 2 * i))
    for slot in plan.chords:
        if slot.at_cut and a >= 0.4:
            notes.append(NoteB(slot.start, slot.start + 1, 49, base + 10))
    notes.append(NoteB(final.start, final.start + 1, 36, base + 20))
    notes.append(NoteB(final.start, final.start + 1, 49, base + 10))
    return notes


def _bar_before(plan: CuePlan, beat: int) -> int:
    starts = [b.start for b in plan.grid.bars if b.start < beat]
    return starts[-1] if starts else -1


def accent_voices(plan: CuePlan) -> dict[str, list[NoteB]]:
    """At each hit point: cymbal and bass drum, a timpani stroke on the chord root, and for
    all but the stillest cues a short brass stab of the chord. Moments the picture suggests
    get a lighter touch: a soft cymbal and timpani."""
    base = _level(plan.feel, 96, 124)
    drums, timpani, brass = [], [], []
    for t in plan.hits_s:
        beat = plan.grid.beat_of(t)
        chord = _chord_at(plan.chords, beat).chord
        drums += [NoteB(beat, beat + 1, 49, base), NoteB(beat, beat + 0.5, 36, base)]
        timpani.append(NoteB(beat, beat + 1, _nearest(chord.root, 43, 38, 50), base))
        if plan.feel.arousal > -0.5:
            voicing = _voice_lead(chord, (60, 64, 67, 72), 55, 79)
            brass += [NoteB(beat, beat + 0.5, p, _vel(base - 10)) for p in voicing]
    for t in plan.soft_accents_s:
        beat = plan.grid.beat_of(t)
        root = _chord_at(plan.chords, beat).chord.root
        drums.append(NoteB(beat, beat + 1, 49, _vel(base - 30)))
        timpani.append(NoteB(beat, beat + 1, _nearest(root, 43, 38, 50), _vel(base - 20)))
    return {"Hit accents": drums, "Timpani": timpani, "Brass stabs": brass}


def _thin_accents(times: tuple[float, ...], hits: list[float], duration_s: float) -> list[float]:
    """Picture accents at least SOFT_ACCENT_GAP_S apart and clear of the editor's hits: a
    motion detector finds more peaks than music can mark."""
    kept: list[float] = []
    for t in sorted(times):
        clear = all(abs(t - other) >= SOFT_ACCENT_GAP_S for other in (*hits, *kept))
        if 0 <= t < duration_s and clear:
            kept.append(t)
    return kept


def _bars_in(plan: CuePlan, slot: ChordSlot) -> list[Bar]:
    return [b for b in plan.grid.bars if slot.start <= b.start < slot.end]


def _chord_at(chords: list[ChordSlot], beat: float) -> ChordSlot:
    i = bisect.bisect_right([c.start for c in chords], beat + 1e-9) - 1
    return chords[max(0, i)]


def _nearest(pitch_class: int, near: int, lo: int, hi: int) -> int:
    """The pitch of `pitch_class` within [lo, hi] closest to `near`."""
    candidates = [p for p in range(lo, hi + 1) if p % 12 == pitch_class]
    return min(candidates, key=lambda p: (abs(p - near), p))


def _scale_for(key: Key, chord: Chord) -> list[int]:
    scale = list(key.scale)
    if key.mode == "minor" and (key.tonic + 11) % 12 in chord.pitch_classes:
        scale[6] = 11  # harmonic minor over the dominant: the leading tone
    return scale


def _pitch(key: Key, chord: Chord, degree: int) -> int:
    """MIDI pitch of scale degree `degree` (0 = the tonic in octave -1, i.e. pitch 0+tonic)."""
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


# --------------------------------------------------------------------------------------------
# 6. MIDI
# --------------------------------------------------------------------------------------------

_ACCENT_VOICES = ("Hit accents", "Timpani", "Brass stabs")
# MIDI channel volume (CC7) and pan (CC10) of each voice
_MIX = {
    "Pad": (90, 64),
    "Bass": (100, 60),
    "Motion": (80, 88),
    "Melody": (110, 54),
    "Percussion": (95, 64),
    "Hit accents": (110, 64),
    "Timpani": (105, 72),
    "Brass stabs": (95, 44),
}


def compose_segment(
    segment: Segment, feel: Feel | None = None
) -> tuple[pretty_midi.PrettyMIDI, CuePlan]:
    """Score a segment: its exact cut and hit times, its seed, and a feel (from its mood and
    prompt words unless a picture analysis supplies one)."""
    feel = feel if feel is not None else feel_from_words(segment.prompt, segment.mood)
    return compose(
        float(segment.rate.seconds(segment.duration_frames)),
        segment.cut_times_s(),
        segment.hit_times_s(),
        feel,
        segment.seed,
    )


def compose(
    duration_s: float,
    cut_times_s: list[float] = (),
    hit_times_s: list[float] = (),
    feel: Feel = NEUTRAL,
    seed: int = 0,
) -> tuple[pretty_midi.PrettyMIDI, CuePlan]:
    """The composer's entry point: timing and feel in, a MIDI score and its plan out."""
    plan = plan_cue(duration_s, list(cut_times_s), list(hit_times_s), feel, seed)
    return score_from_plan(plan), plan


def score_from_plan(plan: CuePlan) -> pretty_midi.PrettyMIDI:
    voices = {
        "Pad": pad_voice(plan),
        "Bass": bass_voice(plan, random.Random(f"bass:{plan.seed}")),
        "Motion": motion_voice(plan),
        "Melody": melody_voice(plan, random.Random(f"melody:{plan.seed}")),
        "Percussion": percussion_voice(plan, random.Random(f"drums:{plan.seed}")),
        **accent_voices(plan),
    }
    orchestra = plan.orchestra
    programs = {
        "Pad": orchestra.pad,
        "Bass": orchestra.bass,
        "Motion": orchestra.motion or 0,
        "Melody": orchestra.melody,
        "Percussion": 0,
        "Hit accents": 0,
        "Timpani": 47,
        "Brass stabs": 61,
    }
    grid = plan.grid
    release_beat = grid.beat_of(plan.duration_s - plan.release_s)
    midi = pretty_midi.PrettyMIDI(resolution=960, initial_tempo=NOMINAL_BPM)
    for name, notes in voices.items():
        # Everything is released before the end so it decays into it; only a hit point in the
        # very last moments keeps its accent, cut short at the end.
        last = grid.total_beats if name in _ACCENT_VOICES else release_beat
        notes = [n for n in notes if n.start < last - 1e-6]
        if not notes:
            continue
        drum = name in ("Percussion", "Hit accents")
        inst = pretty_midi.Instrument(programs[name], is_drum=drum, name=name)
        for n in sorted(notes, key=lambda n: (n.start, n.pitch)):
            end = min(n.end, last)
            inst.notes.append(pretty_midi.Note(_vel(n.velocity), n.pitch, n.start, end))
        midi.instruments.append(inst)
        plan.notes[name] = len(inst.notes)

    midi.key_signature_changes.append(pretty_midi.KeySignature(plan.key.key_number, 0.0))
    meter = None
    for bar in grid.bars:
        if bar.beats != meter:
            midi.time_signature_changes.append(pretty_midi.TimeSignature(bar.beats, 4, bar.start))
            meter = bar.beats
    # Beats -> seconds: pretty_midi rewrites notes, signatures and the tempo map together.
    midi.adjust_times(np.array(grid.anchor_beats, float), np.array(grid.anchor_times_s, float))
    # Mix controllers go in after the warp (adjust_times keeps one controller at time 0).
    for inst in midi.instruments:
        volume, pan = _MIX[inst.name]
        inst.control_changes += [
            pretty_midi.ControlChange(7, volume, 0.0),
            pretty_midi.ControlChange(10, pan, 0.0),
        ]
    return midi
