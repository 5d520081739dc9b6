"""Another take is another take, and every style writes cleanly (issue 19).

Measured from the MIDI the composer writes (no audio), in the styles' own tempi and a faster
reading of each, so the fast and the 2/4 styles are among them.
"""

from __future__ import annotations

import random

import pytest

from cuebridge.engine.models.composer import metrics
from cuebridge.engine.models.composer.score import STYLES, Feel, compose


def _cuts(duration: float, seed: int, every: float | None = None) -> list[float]:
    """A cut every `every` seconds, or irregular ones 1-9 s apart."""
    rng, cuts, t = random.Random(f"takes:{seed}"), [], 0.0
    while (t := t + (every or rng.uniform(1, 9))) < duration - 0.5:
        cuts.append(round(t * 24) / 24)
    return cuts


def _feel(name: str, faster: float = 0.0) -> Feel:
    style = STYLES[name]
    return Feel(style.valence, max(-1.0, min(1.0, style.arousal + faster)), style=name)


@pytest.mark.parametrize("name", sorted(STYLES))
def test_every_150_s_cue_is_clean_writing(name):
    """Bass-melody parallel fifths/octaves <= 2 % and >= 40 % distinct melody bars in every
    cue, not on average: each style at its own tempo, faster and slower, irregular cuts, a cut
    every 2 s and sparse ones, several seeds (so every meter the style may choose is among
    them)."""
    meters = set()
    for seed in range(5):
        for every, faster in ((None, 0.0), (2.0, 0.3), (2.0, -0.3), (11.0, -0.3)):
            midi, plan = compose(150.0, _cuts(150.0, seed, every), [], _feel(name, faster), seed)
            meters.add(plan.meter)
            parallels, pairs = metrics.outer_voice_parallels(midi)
            distinct, _, _ = metrics.melody_bars(midi)
            where = (name, seed, every, faster, plan.meter, plan.tempo_bpm)
            assert pairs >= 5, where  # the measure has moments to count
            assert parallels <= 0.02 * pairs, (where, parallels, pairs)
            assert distinct >= 0.4, (where, distinct)
    assert meters == set(STYLES[name].meters)  # every meter of the style was measured
