"""Writing around dialogue: the arrangement makes room where people speak.

`make_room_for_speech` takes the composer's parts (notes in beats) and the speech spans (beats)
and returns the parts rewritten for them; `speech_gain` is the expression (CC11) multiplier of
a part at a beat. Under speech:

* the melody and the counter-line rest (a note already sounding stops where the line starts);
  between lines they play as written, so the tune answers the dialogue;
* the moving texture (arpeggios, ostinati, tremolo, stabs) thins out;
* percussion keeps only what lies below the voice band (300 Hz - 3.4 kHz): bass drum and low
  toms, softer; no snare, hi-hat, woodblock, triangle or crash;
* the dynamics drop: pads and the remaining parts play quieter (velocity and CC11).

The spans are [start, end) in beats from the cue start; an empty list changes nothing.
"""

from __future__ import annotations

from dataclasses import replace

SPEECH_MARGIN_BEATS = 0.125  # the room opens a little before the first word
# Parts that carry the line or the bright texture: silent under speech.
RESTING_PARTS = ("Melody", "Counter", "Motion", "Stabs")
DRUM_PARTS = ("Percussion", "Hit accents")
# Expression under speech, by part (CC11 multiplier; GM gain 40 log10): pad -10 dB, bass -5.
SPEECH_GAIN = {"Pad": 0.55, "Bass": 0.75, "Timpani": 0.7}
VELOCITY_DROP = 18


def _inside(beat: float, spans: list[tuple[float, float]], margin: float = 0.0) -> bool:
    return any(a - margin <= beat < b for a, b in spans)


def _overlap(start: float, end: float, spans: list[tuple[float, float]], margin: float) -> bool:
    return any(start < b and end > a - margin for a, b in spans)


def make_room_for_speech(
    voices: dict[str, list], spans: list[tuple[float, float]], safe_drums: tuple[int, ...]
) -> dict[str, list]:
    """The parts rewritten to leave the voice band to the dialogue (see the module doc)."""
    if not spans:
        return voices
    m = SPEECH_MARGIN_BEATS
    out: dict[str, list] = {}
    for part, notes in voices.items():
        kept = []
        for n in notes:
            if part in RESTING_PARTS:
                if _inside(n.start, spans, m):
                    after = [b for a, b in spans if a - m <= n.start < b]
                    if after and n.end - after[0] >= 0.5 and not _inside(after[0], spans, m):
                        kept.append(replace(n, start=after[0]))  # comes back as the line ends
                    continue
                starts = [a - m for a, b in spans if n.start < a - m < n.end]
                if starts:  # a note sounding into a line stops where the line starts
                    n = replace(n, end=min(starts))
                kept.append(n)
            elif part in DRUM_PARTS:
                if _overlap(n.start, n.start + 0.01, spans, m):
                    if n.pitch not in safe_drums:
                        continue
                    n = replace(n, velocity=max(1, n.velocity - VELOCITY_DROP))
                kept.append(n)
            else:
                if _inside(n.start, spans, m):  # held notes from before dip by expression only
                    n = replace(n, velocity=max(1, n.velocity - VELOCITY_DROP))
                kept.append(n)
        out[part] = kept
    return out


def speech_gain(beat: float, spans: list[tuple[float, float]], part: str) -> float:
    """The expression multiplier of `part` at `beat`: lower under speech."""
    if not spans or not _inside(beat, spans, SPEECH_MARGIN_BEATS):
        return 1.0
    return SPEECH_GAIN.get(part, 0.5)
