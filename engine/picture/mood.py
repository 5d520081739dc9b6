"""Mood: picture descriptors -> valence and arousal in [-1, 1] and a word for prompts.

The default mapping (DescriptorMood) is hand-set from two published findings:

- colour (Valdez & Mehrabian 1994, "Effects of color on emotions"): pleasure rises with
  brightness (weight .69) and saturation (.22); arousal rises with saturation (.60) and falls
  with brightness (.31);
- film rhythm (Hanjalic & Xu 2005, "Affective video content representation and modeling"):
  arousal follows motion activity and shot-cut density.

Each input is centred and scaled to [-1, 1] first (see _centre), then

    valence = .69 B + .22 S + .09 W
    arousal = .45 M + .25 C + .30 (.60 S - .31 B) / .91

with B brightness, S saturation, W warmth, M motion, C cut density. The weights of each line
sum to 1, so both stay in [-1, 1]. The word is the nearest of eight directions of Russell's
circumplex, or "reflective" near the centre.

A trained emotion classifier replaces this by implementing MoodModel.predict on the same
PictureSummary (e.g. EMSYNC's Ekman-probabilities -> valence/arousal), loaded from local weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class PictureSummary:
    """What a mood model sees of a segment: its picture summarised, and its edit rhythm."""

    duration_s: float
    cuts_per_minute: float  # edit points plus cuts detected inside clips
    has_picture: bool  # False when no clip could be read: judge the edit structure alone
    brightness: float = 0.5  # mean luma in [0, 1]
    saturation: float = 0.3  # mean HSV saturation in [0, 1]
    warmth: float = 0.0  # [-1, 1], from colour temperature
    motion: float = 0.0  # mean absolute luma change per frame, [0, 1]


@dataclass(frozen=True)
class Mood:
    valence: float
    arousal: float
    word: str


class MoodModel(Protocol):
    name: str

    def predict(self, summary: PictureSummary) -> Mood: ...


# Russell's circumplex, counter-clockwise from "pleasant": (angle in degrees, word).
MOOD_WORDS = (
    (0, "hopeful"),
    (45, "joyful"),
    (90, "energetic"),
    (135, "tense"),
    (180, "melancholic"),
    (225, "sombre"),
    (270, "quiet"),
    (315, "serene"),
)
NEUTRAL_WORD = "reflective"
NEUTRAL_RADIUS = 0.2

# Reference levels: the value each input takes at the centre of its [-1, 1] scale.
BRIGHTNESS_MID, BRIGHTNESS_SPAN = 0.45, 0.30
SATURATION_MID, SATURATION_SPAN = 0.30, 0.25
MOTION_REF = 0.02  # mean |d luma| per frame; about 0.014 maps to 0 (a gentle pan)
CUTS_REF = 12.0  # cuts per minute; about 8.3 (a 7 s average shot) maps to 0


def _centre(value: float, mid: float, span: float) -> float:
    return max(-1.0, min(1.0, (value - mid) / span))


def _saturating(value: float, ref: float) -> float:
    """0 -> -1, grows towards +1: rates and energies have no upper bound."""
    return 2.0 * (1.0 - math.exp(-max(0.0, value) / ref)) - 1.0


def mood_word(valence: float, arousal: float) -> str:
    if math.hypot(valence, arousal) < NEUTRAL_RADIUS:
        return NEUTRAL_WORD
    angle = math.degrees(math.atan2(arousal, valence)) % 360.0
    return min(MOOD_WORDS, key=lambda aw: min(abs(angle - aw[0]), 360 - abs(angle - aw[0])))[1]


class DescriptorMood:
    """The documented hand-set mapping above; needs no weights."""

    name = "descriptor-mood/1"

    def predict(self, summary: PictureSummary) -> Mood:
        c = _saturating(summary.cuts_per_minute, CUTS_REF)
        if not summary.has_picture:
            # Only the edit rhythm is known: lean on it gently, say nothing about valence.
            arousal = 0.5 * c
            return Mood(0.0, arousal, mood_word(0.0, arousal))
        b = _centre(summary.brightness, BRIGHTNESS_MID, BRIGHTNESS_SPAN)
        s = _centre(summary.saturation, SATURATION_MID, SATURATION_SPAN)
        w = max(-1.0, min(1.0, summary.warmth))
        m = _saturating(summary.motion, MOTION_REF)
        valence = 0.69 * b + 0.22 * s + 0.09 * w
        arousal = 0.45 * m + 0.25 * c + 0.30 * (0.60 * s - 0.31 * b) / 0.91
        valence = max(-1.0, min(1.0, valence))
        arousal = max(-1.0, min(1.0, arousal))
        return Mood(valence, arousal, mood_word(valence, arousal))
