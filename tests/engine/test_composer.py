"""The composer's score, read back from the .mid files the cue model writes."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np
import pretty_midi
import pytest

from cuebridge.engine.models.composer.model import ComposerModel
from cuebridge.engine.models.composer.score import (
    MIN_CHORD_S,
    NOTE_NAMES,
    Feel,
    compose,
    feel_from_words,
    honoured_cuts,
)
from cuebridge.engine.segment import GenerationOptions, Rate, Segment

RATE = Rate(24)
# Cuts in frames at 24 fps: 3.5 s, 9.25 s, 10.5 s (1.25 s later), 11.1 s (0.6 s later: merged),
# 25 s after a long shot, and 38.7 s (1.3 s before the end).
CUT_FRAMES = (84, 222, 252, 266, 600, 929)
HIT_FRAMES = (400, 730)  # 16.667 s, 30.417 s


def _pad_at(midi: pretty_midi.PrettyMIDI, t: float) -> frozenset[int]:
    pad = next(i for i in midi.instruments if i.name == "Pad")
    return frozenset(n.pitch % 12 for n in pad.notes if n.start <= t < n.end)


def chord_changes(midi: pretty_midi.PrettyMIDI) -> list[float]:
    """Times where the pad's pitch-class set changes (from the written file)."""
    pad = next(i for i in midi.instruments if i.name == "Pad")
    starts = sorted({round(n.start, 4) for n in pad.notes})
    return [t for t in starts if t > 0 and _pad_at(midi, t - 0.01) != _pad_at(midi, t + 0.01)]


def _tonic(key_name: str) -> int:
    return NOTE_NAMES.index(key_name.split()[0])


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """One long cue with cuts and hits, written to disk and read back."""
    out = tmp_path_factory.mktemp("composer")
    segment = Segment(
        "sc-07",
        RATE,
        duration_frames=960,  # 40 s
        cut_frames=CUT_FRAMES,
        hit_frames=HIT_FRAMES,
        mood="tense",
        prompt="a chase through the market",
        seed=7,
    )
    cue = ComposerModel().generate(segment, GenerationOptions(), out)
    return segment, cue, pretty_midi.PrettyMIDI(cue.midi_path)


def test_every_honoured_cut_gets_a_chord_change_within_50ms(scored):
    segment, cue, midi = scored
    changes = np.array(chord_changes(midi))
    honoured = [float(t) for t in cue.metadata["cuts_honoured"].split(",")]
    assert len(honoured) == 5  # all but the cut 0.6 s after its neighbour
    for cut in honoured:
        assert np.min(np.abs(changes - cut)) <= 0.05, f"no chord change near the cut at {cut} s"


def test_cuts_closer_than_the_minimum_are_merged_by_the_documented_rule(scored):
    segment, cue, _ = scored
    cuts = segment.cut_times_s()
    expected_merged = []
    last = 0.0
    for cut in cuts:  # the rule, restated: >= MIN_CHORD_S after the last change and before the end
        if cut - last >= MIN_CHORD_S and segment.duration_s - cut >= MIN_CHORD_S:
            last = cut
        else:
            expected_merged.append(cut)
    assert expected_merged == [cuts[3]]
    assert cue.metadata["cuts_merged"] == f"{cuts[3]:.3f}"
    kept, merged = honoured_cuts(10.0, [0.5, 2.0, 2.4, 9.5, 4.0, 4.0])
    assert kept == [2.0, 4.0] and merged == [0.5, 2.4, 9.5]


def test_between_far_cuts_chords_change_on_bar_lines_at_a_musical_rate(scored):
    _, _, midi = scored
    downbeats = midi.get_downbeats()  # from the written tempo map and time signatures
    changes = [t for t in chord_changes(midi) if 11.5 < t < 24.5]  # a 13.9 s shot
    assert len(changes) >= 3, "a long shot should not sit on one chord"
    for t in changes:
        assert np.min(np.abs(downbeats - t)) <= 0.01, f"chord change at {t} s is off the bar line"
    # every honoured cut is a downbeat too: the tempo map bends to the picture
    assert np.min(np.abs(downbeats - 25.0)) <= 0.01


def test_tempo_map_stays_near_the_chosen_tempo(scored):
    _, cue, midi = scored
    _, tempi = midi.get_tempo_changes()
    chosen = float(cue.metadata["tempo_bpm"])
    assert len(tempi) > 1  # the map really bends
    assert all(0.75 * chosen <= t <= 1.3 * chosen for t in tempi)


def test_hit_points_are_accented_within_50ms(scored):
    segment, _, midi = scored
    accents = next(i for i in midi.instruments if i.name == "Hit accents")
    onsets = np.array([n.start for n in accents.notes])
    for hit in segment.hit_times_s():
        near = np.abs(onsets - hit) <= 0.05
        assert near.any(), f"no accent near the hit point at {hit} s"
        assert max(n.velocity for n, ok in zip(accents.notes, near, strict=True) if ok) >= 90


def test_ends_on_a_cadence_with_the_tonic_in_the_bass(scored):
    segment, cue, midi = scored
    tonic = _tonic(cue.metadata["key"])
    bass = next(i for i in midi.instruments if i.name == "Bass")
    last = max(bass.notes, key=lambda n: n.start)
    assert last.pitch % 12 == tonic
    chords = cue.metadata["chords"].split()
    assert chords[-1] in ("I", "i") and chords[-2] in ("V", "IV", "iv")
    final_chord = _pad_at(midi, segment.duration_s - 0.6)
    assert tonic in final_chord and (tonic + 7) % 12 in final_chord
    ends = [n.end for inst in midi.instruments for n in inst.notes]
    assert max(ends) <= segment.duration_s + 1e-3  # every note is released by the end
    assert max(ends) >= segment.duration_s - 0.6  # ...and the tonic is held almost to it


def test_tempo_follows_arousal():
    def tempo(words: str) -> float:
        return statistics.mean(
            compose(20.0, [], [], feel_from_words("", words), seed)[1].tempo_bpm
            for seed in range(4)
        )

    excited = min(tempo("action"), tempo("epic"))
    still = max(tempo("sad"), tempo("calm"))
    assert excited > still + 30


def test_valence_picks_the_mode_and_arousal_the_density():
    def notes_per_second(words: str) -> float:
        midi, plan = compose(20.0, [], [], feel_from_words("", words), 1)
        return sum(len(i.notes) for i in midi.instruments) / plan.duration_s

    assert compose(10.0, [], [], feel_from_words("", "happy uplifting"), 3)[1].key.mode == "major"
    assert compose(10.0, [], [], feel_from_words("", "sad melancholic"), 3)[1].key.mode == "minor"
    assert notes_per_second("action") > 2 * notes_per_second("calm")


def test_feel_from_words():
    sad = feel_from_words("", "sad")
    assert sad.valence < -0.5 and sad.arousal < 0
    action = feel_from_words("a car chase", "")
    assert action.arousal > 0.8
    assert feel_from_words("nothing to see", "") == Feel(0.0, 0.0)
    # mood words outweigh the prompt
    assert feel_from_words("happy", "dark").valence < 0
    assert feel_from_words("", "Tensions").valence == feel_from_words("", "tension").valence
    assert Feel(3.0, -7.0) == Feel(1.0, -1.0)  # clamped to the circumplex


def test_extra_cuts_and_accents_from_the_picture_are_honoured():
    # picture accents 0.5 s apart are thinned; one beside an editor hit point gives way to it
    feel = Feel(0.3, 0.1, accent_times_s=(7.3, 7.8, 9.9), extra_cut_times_s=(4.2,))
    midi, plan = compose(12.0, [], [10.5], feel, seed=2)
    assert plan.cuts_s == [4.2]
    assert np.min(np.abs(np.array(chord_changes(midi)) - 4.2)) <= 0.05
    assert plan.soft_accents_s == [7.3] and plan.hits_s == [10.5]
    accents = next(i for i in midi.instruments if i.name == "Hit accents")
    soft = [n for n in accents.notes if abs(n.start - 7.3) <= 0.05]
    hard = [n for n in accents.notes if abs(n.start - 10.5) <= 0.05]
    assert soft and hard and max(n.velocity for n in soft) < max(n.velocity for n in hard)
    assert not [n for n in accents.notes if 7.5 < n.start < 8.1 or 9.5 < n.start < 10.3]


def test_same_seed_same_score_different_seed_different_music(tmp_path: Path):
    def notes(seed: int, folder: str):
        segment = Segment("s", Rate(25), 250, cut_frames=(100,), mood="romantic", seed=seed)
        cue = ComposerModel().generate(segment, GenerationOptions(), tmp_path / folder)
        return Path(cue.midi_path).read_bytes(), Path(cue.audio_path).read_bytes()

    first, again, other = notes(11, "a"), notes(11, "b"), notes(12, "c")
    assert first == again  # MIDI and WAV bit-identical
    assert first[0] != other[0] and first[1] != other[1]


def test_identical_across_processes(tmp_path: Path):
    """String-seeded random streams: no hash randomisation, no state left between cues."""
    segment = Segment("s", Rate(24), 120, cut_frames=(50,), hit_frames=(80,), mood="epic", seed=4)
    here = ComposerModel().generate(segment, GenerationOptions(), tmp_path / "here")
    script = (
        "import sys; from pathlib import Path;"
        "from cuebridge.engine.models.composer.model import ComposerModel;"
        "from cuebridge.engine.segment import GenerationOptions, Rate, Segment;"
        "s = Segment('s', Rate(24), 120, cut_frames=(50,), hit_frames=(80,), mood='epic', seed=4);"
        "ComposerModel().generate(s, GenerationOptions(), Path(sys.argv[1]))"
    )
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONHASHSEED": "123", "PYTHONPATH": str(root)}
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "there")], check=True, env=env)
    for suffix in (".wav", ".mid"):
        there = tmp_path / "there" / f"s{suffix}"
        assert there.read_bytes() == Path(here.audio_path).with_suffix(suffix).read_bytes()


def test_a_hit_in_the_last_moments_is_still_accented():
    midi, plan = compose(6.0, [], [5.9], Feel(0.2, 0.2), seed=1)
    accents = next(i for i in midi.instruments if i.name == "Hit accents")
    assert any(abs(n.start - 5.9) <= 0.05 and n.end <= 6.0 + 1e-6 for n in accents.notes)
