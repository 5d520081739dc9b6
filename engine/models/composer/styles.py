"""The composer's style archetypes: what an editor would call the cue, and how each is scored.

Each style fixes its own orchestra (General MIDI programs, 0-based), register, pulse, texture,
harmonic language, accents and dynamic shape. The composer picks the style the words name,
else the one nearest the feel on the valence/arousal plane.
"""

from __future__ import annotations

import random
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


# What another take may change within a style, the seed choosing each independently: the
# tune's instrument with its register (a shift of its centre, semitones), the pad's colour and
# the moving part's instrument. Every choice keeps the style's character (no choir in a
# comedy, no brass in a lament). The tunes are on instruments a listener picks out over the
# pad (bench_listen: basic-pitch heard 0.86-0.98 of woodwind and trumpet tunes, 0.24-0.5 of
# celesta, horn, cello and violin ones); no piano (in MuseScore General through TinySoundFont
# it sounds some 30 dB under the others) and no harp as a pad (its chord dies too soon).
TAKES: dict[str, dict[str, tuple]] = {
    "suspense": {
        "melody": ((71, 5), (69, 5), (68, 7)),  # clarinet, cor anglais, oboe
        "pad": (44, 49, 89),
        "motion": (45, 46, 45),
    },
    "horror": {
        "melody": ((11, 0), (73, 0), (40, -5)),  # vibraphone, flute, violin
        "pad": (49, 52, 89),
        "motion": (44, 48, 49),
    },
    "action": {
        "melody": ((61, 0), (56, 2), (61, -4)),  # brass, trumpet, brass lower
        "pad": (48, 49, 50),
        "motion": (42, 48, 45),
    },
    "comedy": {
        "melody": ((68, 0), (71, -2), (72, 7), (73, 3)),  # oboe, clarinet, piccolo, flute
        "pad": (45, 48),
        "motion": (45, 13, 9),
    },
    "romance": {
        "melody": ((73, 0), (68, 0), (71, -5)),  # flute, oboe, clarinet
        "pad": (49, 48),
        "motion": (46, 24),  # harp, guitar
    },
    "grief": {
        "melody": ((69, 5), (71, 3), (68, 5)),  # cor anglais, clarinet, oboe
        "pad": (49, 48, 52),
        "motion": (None,),
    },
    "wonder": {
        "melody": ((73, 0), (68, 0), (71, -3)),  # flute, oboe, clarinet
        "pad": (52, 49, 48),
        "motion": (46, 8, 46),
    },
    "triumph": {
        "melody": ((56, 5), (61, 2), (56, 0)),  # trumpet, brass, trumpet lower
        "pad": (48, 61, 49),
        "motion": (42, 48, 45),
    },
    "pastoral": {
        "melody": ((71, 0), (73, 0), (68, 0), (69, -3)),  # clarinet, flute, oboe, cor anglais
        "pad": (49, 48),
        "motion": (24, 46, 24),
    },
    "mystery": {
        "melody": ((71, 0), (11, 5), (69, 0)),  # clarinet, vibraphone, cor anglais
        "pad": (89, 49, 52),
        "motion": (11, 8, 46),
    },
}


def take_of(style: Style, seed: int) -> Style:
    """The style as this take plays it: its own stream of the seed picks the orchestration."""
    takes = TAKES.get(style.name)
    if not takes:
        return style
    rng = random.Random(f"take:{style.name}:{seed}")
    melody, shift = rng.choice(takes["melody"])
    motion = rng.choice(takes["motion"]) if style.motion is not None else None
    return replace(
        style,
        melody=melody,
        melody_centre=style.melody_centre + shift,
        pad=rng.choice(takes["pad"]),
        motion=motion,
    )
