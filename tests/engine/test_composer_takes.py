"""Another take is another take, and every style writes cleanly (issue 19).

Measured from the MIDI the composer writes (no audio), in the styles' own tempi and a faster
reading of each, so the fast and the 2/4 styles are among them.
"""

from __future__ import annotations

import random

import pytest

from cuebridge.engine.models.composer import metrics
from cuebridge.engine.models.composer.score import STYLES, Feel, compose
from cuebridge.engine.models.composer.styles import TAKES


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


@pytest.mark.parametrize("name", sorted(STYLES))
def test_consecutive_seeds_are_other_takes_of_the_same_style(name):
    """A cue's ranked takes are seed, seed + 1, ...: each is another orchestration (tune, pad
    and bass on other instruments), in another key, with another motif, the same style, and
    all of them within 10 % of one another's tempo."""
    cuts = _cuts(40.0, 2)
    takes = [compose(40.0, cuts, [], _feel(name), seed) for seed in range(4)]
    assert {plan.style.name for _, plan in takes} == {name}
    for (a, plan_a), (b, plan_b) in zip(takes, takes[1:], strict=False):
        programs_a, programs_b = _programs(a), _programs(b)
        for part in ("Melody", "Pad", "Bass"):
            assert programs_a[part] != programs_b[part], (name, part, plan_a.seed)
        assert plan_a.key != plan_b.key, (name, plan_a.seed)
        tune_a = [n.pitch for n in metrics.part(a, "Melody").notes[:8]]
        tune_b = [n.pitch for n in metrics.part(b, "Melody").notes[:8]]
        assert tune_a != tune_b
    tempi = [plan.tempo_bpm for _, plan in takes]
    assert max(tempi) / min(tempi) <= 1.1, tempi
    assert len(set(tempi)) >= 2  # a take may move the tempo too


def test_every_take_keeps_its_style_s_character():
    """No choir in a comedy, no brass in a lament; every tune on an instrument a listener picks
    out over the pad (no piano, which the font plays some 30 dB under the rest; no celesta,
    xylophone, horn or bowed string, which basic-pitch heard least)."""
    buried = {*range(0, 8), 8, 13, 40, 41, 42, 60}
    for name in STYLES:
        for seed in range(len(TAKES[name])):
            midi, plan = compose(12.0, [], [], _feel(name), seed)
            programs = _programs(midi)
            assert programs["Melody"] not in buried, (name, seed, programs)
            if name == "comedy":
                assert not set(programs.values()) & {52, 53, 54}, programs
            if name == "grief":
                assert not set(programs.values()) & set(range(56, 64)), programs
                assert "Motion" not in programs  # a lament without a moving part


def _programs(midi) -> dict[str, int]:
    return {i.name.split(":")[0]: i.program for i in midi.instruments if not i.is_drum}
