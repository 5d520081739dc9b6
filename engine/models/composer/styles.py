"""The composer's style archetypes: what an editor would call the cue, and how each is scored.

Each style fixes its own orchestra (General MIDI programs, 0-based), register, pulse, texture,
harmonic language, accents and dynamic shape. The composer picks the style the words name,
else the one nearest the feel on the valence/arousal plane.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Style:
    name: str
    valence: float  # where the style sits on the circumplex
    arousal: float
    bpm: float  # the style's tempo at its own arousal
    mode: str  # "major", "minor" or "either"
    tonics: tuple[int, ...]  # pitch classes the style favours (the seed picks among them)
    meters: tuple[int, ...]  # beats per bar the seed picks among
    # The orchestra: program, or None for a layer the style does without.
    pad: int
    bass: int
    motion: int | None  # arpeggio / ostinato
    melody: int
    counter: int | None  # a second line (countermelody or doubling) at the climax
    melody_centre: int  # MIDI pitch the tune circles around
    bass_low: int  # lowest bass note
    pad_low: int  # pad voicing range
    pad_high: int
    # Texture and pulse
    bass_pattern: str  # "drone", "held", "pulse", "drive", "walk", "oompah"
    motion_pattern: str  # "arp", "ostinato", "pizz", "tremolo", "none"
    motion_step: float  # beats between motion notes
    melody_palette: tuple[float, ...]  # note lengths (beats) the tunes are built from
    melody_rest: float  # chance a phrase leaves the tune out (space)
    percussion: str  # "none", "kit", "march", "taiko", "heartbeat", "light", "hits"
    # Harmony
    bars_per_chord: int
    harmony: str  # "functional", "modal", "pedal", "chromatic", "epic"
    # Cuts
    strong_shot_s: float  # a cut opening a shot at least this long gets a harmonic change
    min_cut_gap_s: float  # honoured cuts at least this far apart
    gesture: bool  # strong cuts get a gesture (a hit, a fill) beyond the harmony
    crash: bool  # the style may crash a cymbal (at most 4 a minute)
    # Dynamics
    shape: str  # "build", "arch", "waves", "flat", "swell-end"
    dyn_low: float  # intensity (0..1) at the quietest and loudest points of the shape
    dyn_high: float
    ending: str  # "swell" or "decay" into the out point
    speech_safe_perc: tuple[int, ...] = (35, 36, 41, 43)  # drum notes kept under dialogue
    # The mix (MIDI channel volume): the tune sits this far above the pad, per style, so a
    # listener hears it over the accompaniment (string tunes over string pads need the most).
    melody_level: int = 120
    pad_level: int = 70
    # The moving part plays where the cue's intensity reaches this (a take may keep it going).
    motion_from: float = 0.3


STYLES: dict[str, Style] = {
    s.name: s
    for s in (
        Style(
            "suspense",
            -0.5,
            0.5,
            100,
            "minor",
            (2, 4, 9, 7),
            (4,),
            pad=44,
            bass=43,
            motion=45,
            melody=42,
            counter=71,
            melody_centre=57,
            bass_low=28,
            pad_low=48,
            pad_high=67,
            bass_pattern="pulse",
            motion_pattern="ostinato",
            motion_step=0.5,
            melody_palette=(2.0, 1.0, 3.0, 1.5),
            melody_rest=0.3,
            percussion="heartbeat",
            bars_per_chord=2,
            harmony="pedal",
            strong_shot_s=3.0,
            min_cut_gap_s=3.0,
            gesture=True,
            crash=False,
            shape="waves",
            dyn_low=0.25,
            dyn_high=0.9,
            ending="swell",
        ),
        Style(
            "horror",
            -0.9,
            0.6,
            72,
            "minor",
            (1, 3, 6, 11),
            (4, 3),
            pad=49,
            bass=43,
            motion=44,
            melody=11,
            counter=52,
            melody_centre=76,  # a flute's top sixth above 84 went unheard
            bass_low=26,
            pad_low=40,
            pad_high=62,
            bass_pattern="drone",
            motion_pattern="tremolo",
            motion_step=0.25,
            melody_palette=(3.0, 2.0, 4.0, 1.0),
            melody_rest=0.45,
            percussion="hits",
            bars_per_chord=2,
            harmony="chromatic",
            strong_shot_s=3.0,
            min_cut_gap_s=3.0,
            gesture=True,
            crash=False,
            shape="waves",
            dyn_low=0.1,
            dyn_high=0.95,
            ending="decay",
        ),
        Style(
            "action",
            -0.1,
            0.95,
            148,
            "minor",
            (2, 4, 0, 9),
            (4,),
            pad=48,
            bass=43,
            motion=42,
            melody=61,
            counter=60,
            melody_centre=70,
            bass_low=28,
            pad_low=52,
            pad_high=72,
            bass_pattern="drive",
            motion_pattern="ostinato",
            motion_step=0.25,
            melody_palette=(0.5, 0.5, 1.0, 1.5, 0.75, 2.0),
            melody_rest=0.15,
            percussion="taiko",
            bars_per_chord=1,
            harmony="epic",
            strong_shot_s=2.5,
            min_cut_gap_s=3.0,
            gesture=True,
            crash=True,
            shape="build",
            dyn_low=0.45,
            dyn_high=1.0,
            ending="swell",
            motion_from=0.0,
        ),
        Style(
            "comedy",
            0.7,
            0.5,
            124,
            "major",
            (5, 0, 7, 10),
            (4, 2),
            pad=45,
            bass=70,
            motion=45,
            melody=68,
            counter=9,
            melody_centre=72,
            bass_low=36,
            pad_low=55,
            pad_high=74,
            bass_pattern="oompah",
            motion_pattern="pizz",
            motion_step=1.0,
            melody_palette=(0.5, 0.5, 0.25, 1.0, 0.75),
            melody_rest=0.1,
            percussion="light",
            bars_per_chord=1,
            harmony="functional",
            strong_shot_s=2.0,
            min_cut_gap_s=2.5,
            gesture=True,
            crash=False,
            shape="arch",
            dyn_low=0.45,
            dyn_high=0.8,
            ending="swell",
        ),
        Style(
            "romance",
            0.75,
            -0.1,
            76,
            "major",
            (3, 8, 5, 10),
            (3, 4),
            pad=49,
            bass=42,
            motion=0,
            melody=40,
            counter=42,
            melody_centre=74,
            bass_low=36,
            pad_low=53,
            pad_high=72,
            bass_pattern="held",
            motion_pattern="arp",
            motion_step=0.5,
            melody_palette=(1.0, 2.0, 1.5, 0.5, 3.0),
            melody_rest=0.1,
            percussion="none",
            bars_per_chord=1,
            harmony="functional",
            strong_shot_s=5.0,
            min_cut_gap_s=4.0,
            gesture=False,
            crash=False,
            shape="arch",
            dyn_low=0.3,
            dyn_high=0.85,
            ending="decay",
        ),
        Style(
            "grief",
            -0.8,
            -0.5,
            60,
            "minor",
            (2, 5, 0, 7),
            (4, 3),
            pad=49,
            bass=42,
            motion=None,
            melody=42,
            counter=40,
            melody_centre=62,
            bass_low=33,
            pad_low=43,
            pad_high=62,
            bass_pattern="held",
            motion_pattern="none",
            motion_step=1.0,
            melody_palette=(2.0, 1.0, 3.0, 4.0, 1.5),
            melody_rest=0.2,
            percussion="none",
            bars_per_chord=2,
            harmony="modal",
            strong_shot_s=8.0,
            min_cut_gap_s=6.0,
            gesture=False,
            crash=False,
            shape="arch",
            dyn_low=0.15,
            dyn_high=0.6,
            ending="decay",
        ),
        Style(
            "wonder",
            0.6,
            0.25,
            92,
            "major",
            (2, 7, 0, 4),
            (4, 3),
            pad=52,
            bass=42,
            motion=46,
            melody=73,
            counter=60,
            melody_centre=76,
            bass_low=33,
            pad_low=55,
            pad_high=76,
            bass_pattern="held",
            motion_pattern="arp",
            motion_step=0.5,
            melody_palette=(1.0, 2.0, 1.5, 0.5, 3.0),
            melody_rest=0.1,
            percussion="none",
            bars_per_chord=2,
            harmony="modal",
            strong_shot_s=4.0,
            min_cut_gap_s=3.0,
            gesture=True,
            crash=False,
            shape="build",
            dyn_low=0.3,
            dyn_high=0.9,
            ending="swell",
        ),
        Style(
            "triumph",
            0.8,
            0.8,
            112,
            "major",
            (3, 10, 2, 7),
            (4,),
            pad=61,
            bass=43,
            motion=42,
            melody=60,
            counter=56,
            melody_centre=67,
            bass_low=31,
            pad_low=52,
            pad_high=72,
            bass_pattern="pulse",
            motion_pattern="ostinato",
            motion_step=0.5,
            melody_palette=(1.0, 0.5, 1.5, 2.0, 0.5),
            melody_rest=0.05,
            percussion="march",
            bars_per_chord=1,
            harmony="epic",
            strong_shot_s=3.0,
            min_cut_gap_s=3.0,
            gesture=True,
            crash=True,
            shape="build",
            dyn_low=0.4,
            dyn_high=1.0,
            ending="swell",
        ),
        Style(
            "pastoral",
            0.5,
            -0.6,
            84,
            "major",
            (7, 2, 5, 0),
            (3, 4),
            pad=49,
            bass=32,
            motion=24,
            melody=71,
            counter=73,
            melody_centre=74,
            bass_low=36,
            pad_low=55,
            pad_high=74,
            bass_pattern="held",
            motion_pattern="arp",
            motion_step=1.0,
            melody_palette=(1.0, 2.0, 1.0, 0.5, 3.0),
            melody_rest=0.2,
            percussion="none",
            bars_per_chord=2,
            harmony="functional",
            strong_shot_s=8.0,
            min_cut_gap_s=6.0,
            gesture=False,
            crash=False,
            shape="flat",
            dyn_low=0.2,
            dyn_high=0.5,
            ending="decay",
        ),
        Style(
            "mystery",
            -0.25,
            -0.05,
            88,
            "minor",
            (4, 11, 6, 1),
            (4,),
            pad=89,
            bass=32,
            motion=11,
            melody=71,
            counter=8,
            melody_centre=65,
            bass_low=31,
            pad_low=48,
            pad_high=67,
            bass_pattern="walk",
            motion_pattern="arp",
            motion_step=1.0,
            melody_palette=(1.0, 1.5, 0.5, 2.0, 3.0),
            melody_rest=0.3,
            percussion="none",
            bars_per_chord=2,
            harmony="chromatic",
            strong_shot_s=4.0,
            min_cut_gap_s=3.0,
            gesture=False,
            crash=False,
            shape="waves",
            dyn_low=0.2,
            dyn_high=0.6,
            ending="decay",
        ),
    )
}


def nearest_style(valence: float, arousal: float) -> Style:
    """The style whose point on the circumplex is closest to the feel."""
    return min(
        STYLES.values(),
        key=lambda s: ((s.valence - valence) ** 2 + (s.arousal - arousal) ** 2, s.name),
    )


@dataclass(frozen=True)
class Take:
    """One orchestration of a style: who plays the tune (and how high), the pad, the bass and
    the moving part, and the take's tempo against the style's."""

    melody: int
    pad: int
    bass: int
    motion: int | None
    shift: int = 0  # semitones the tune's centre moves
    tempo: float = 1.0


# Another take is another orchestration within the style: the tune moves to another family
# (musicnn's tags follow the tune's instrument most: a trumpet, horn or string tune all read as
# "violin, strings"; a woodwind, mallet, plucked or synth one does not; then the pad and the
# bass; the moving part barely), over another pad and bass, at a tempo up to 4.5 % either side
# (so any two takes are within 10 %). Every choice keeps the style's character (no choir in a
# comedy, no brass in a lament). The tunes are on instruments a listener picks out over the pad
# (bench_listen: basic-pitch heard 0.86-0.98 of woodwind and trumpet tunes, 0.24-0.5 of
# celesta, horn, cello and violin ones, 0.01 of a xylophone one; guitar 1.0, a synth lead
# 0.83, vibraphone 0.59-0.87); no piano (in MuseScore General through TinySoundFont
# it sounds some 30 dB under the others) and no harp as a pad (its chord dies too soon).
TAKES: dict[str, tuple[Take, ...]] = {
    "suspense": (
        Take(71, 44, 43, 45, shift=5),  # clarinet over tremolo strings, pizzicato ostinato
        Take(11, 89, 38, 46, shift=10, tempo=1.045),  # vibraphone, warm and synth, harp
        Take(69, 52, 42, 12, shift=5, tempo=0.955),  # cor anglais over low voices, marimba
    ),
    "horror": (
        Take(11, 49, 43, 44),  # vibraphone over strings, cello tremolo
        Take(73, 52, 42, 49, tempo=0.955),  # flute over voices, string tremolo
        Take(68, 89, 38, 48, shift=-5, tempo=1.045),  # oboe over a warm pad, synth bass
    ),
    "action": (
        Take(61, 48, 43, 42),  # brass over strings, cello ostinato
        Take(81, 61, 38, 48, shift=2, tempo=1.045),  # a synth lead over brass, string ostinato
        Take(56, 52, 42, 81, shift=-2, tempo=0.955),  # trumpet over voices, a synth ostinato
    ),
    "comedy": (
        Take(68, 45, 70, 45),  # oboe, pizzicato, bassoon
        Take(24, 48, 58, 6, tempo=1.045),  # guitar, strings, tuba, harpsichord
        Take(73, 49, 32, 9, shift=3, tempo=0.955),  # flute, strings, double bass, glockenspiel
    ),
    "romance": (
        Take(73, 49, 42, 46),  # flute over strings, harp
        Take(24, 89, 43, 46, shift=-5, tempo=0.955),  # guitar over a warm pad, harp
        Take(68, 88, 32, 4, tempo=1.045),  # oboe over a soft pad, electric piano
    ),
    "grief": (
        Take(69, 49, 42, None, shift=5),  # cor anglais over strings
        Take(71, 52, 70, None, shift=3, tempo=0.955),  # clarinet over voices, bassoon
        Take(73, 19, 43, None, tempo=1.045),  # flute over the organ
    ),
    "wonder": (
        Take(73, 52, 42, 46),  # flute over voices, harp
        Take(68, 49, 43, 8, tempo=1.045),  # oboe over strings, celesta
        Take(71, 89, 32, 9, shift=-3, tempo=0.955),  # clarinet over a warm pad, glockenspiel
    ),
    "triumph": (
        Take(56, 48, 43, 42, shift=5),  # trumpet over strings
        Take(73, 52, 58, 48, shift=5, tempo=1.045),  # flute (a march's piccolo line), tuba
        Take(61, 19, 42, 45, tempo=0.955),  # brass over the organ, pizzicato
    ),
    "pastoral": (
        Take(71, 49, 32, 24),  # clarinet over strings, guitar
        Take(73, 52, 70, 46, tempo=1.045),  # flute over voices, bassoon, harp: no strings
        Take(68, 89, 43, 24, tempo=0.955),  # oboe over a warm pad, guitar
    ),
    "mystery": (
        Take(71, 89, 32, 11),  # clarinet over a warm pad, vibraphone
        Take(69, 49, 42, 8, tempo=1.045),  # cor anglais over strings, celesta
        Take(11, 52, 43, 46, shift=5, tempo=0.955),  # vibraphone over voices, harp
    ),
}


def take_number(style: Style, seed: int) -> int:
    """Which of the style's takes a seed plays: consecutive seeds (a cue's ranked takes are
    seed, seed + 1, ...) always differ; any other seed is as likely to land on each."""
    return seed % len(TAKES.get(style.name, (None,)))


# The highest note a tune may reach on an instrument whose upper samples in MuseScore General
# are much quieter than its middle (vibraphone: -33 dB up to 78, -42 to -45 dB from 80 at one
# velocity; basic-pitch missed 5 of 6 tune notes at 80 and above over strings).
TUNE_TOP = {11: 79}
TUNE_REACH = 11  # a tune climbs this far above its centre (a climax's lift included)


def take_of(style: Style, seed: int) -> Style:
    """The style as this take orchestrates it."""
    takes = TAKES.get(style.name)
    if not takes:
        return style
    take = takes[take_number(style, seed)]
    return replace(
        style,
        melody=take.melody,
        melody_centre=min(
            style.melody_centre + take.shift, TUNE_TOP.get(take.melody, 127) - TUNE_REACH
        ),
        pad=take.pad,
        bass=take.bass,
        motion=take.motion if style.motion is not None else None,
        bpm=round(style.bpm * take.tempo, 1),
    )
