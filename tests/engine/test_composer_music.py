"""The composer writes like a film composer: the issue-10 measures on a few small cases."""

from __future__ import annotations

import random

import numpy as np
import pretty_midi
import pytest

from cuebridge.engine.audio import normalise_loudness, read_wav
from cuebridge.engine.cue import SAMPLE_RATE
from cuebridge.engine.models.composer import metrics
from cuebridge.engine.models.composer.model import ComposerModel
from cuebridge.engine.models.composer.score import (
    COMPOSER_VERSION,
    STYLES,
    compose,
    feel_from_words,
)
from cuebridge.engine.models.composer.soundfont import DEFAULT_SOUNDFONT, render_midi
from cuebridge.engine.models.composer.styles import TUNE_TOP
from cuebridge.engine.segment import GenerationOptions, Rate, Segment


def _irregular_cuts(duration: float, seed: int = 0) -> list[float]:
    rng, cuts, t = random.Random(seed), [], 0.0
    while (t := t + rng.uniform(1, 9)) < duration - 0.5:
        cuts.append(round(t * 24) / 24)
    return cuts


def _score(mood: str, duration: float, cuts: list[float], seed: int = 0, speech=()):
    return compose(duration, cuts, [duration * 0.37], feel_from_words("", mood), seed, speech)


def test_version_bumped_and_ten_styles():
    assert COMPOSER_VERSION != "1"
    assert len(STYLES) >= 8
    for name in ("suspense", "horror", "action", "comedy", "romance", "grief", "wonder"):
        assert name in STYLES


@pytest.mark.parametrize(
    ("prompt", "style"),
    [
        ("first kiss on the rooftop", "romance"),
        ("the heist goes wrong", "suspense"),
        ("a monster in the cellar", "horror"),
        ("chasing the thief across the rooftops", "action"),
        ("a clumsy waiter drops everything", "comedy"),
        ("her father's funeral", "grief"),
    ],
)
def test_free_text_finds_its_style(prompt, style):
    assert feel_from_words(prompt, "").style == style


def test_words_read_negation_intensity_and_phrases():
    happy, not_happy = feel_from_words("happy", ""), feel_from_words("not happy", "")
    assert happy.valence > 0 > not_happy.valence
    assert feel_from_words("very happy", "").valence > happy.valence
    kiss, heist = (
        feel_from_words("first kiss on the rooftop"),
        feel_from_words("the heist goes wrong"),
    )
    assert kiss.valence > 0.3 > heist.valence and heist.arousal > kiss.arousal
    assert feel_from_words("terrified", "").style == "horror"  # a stem of a lexicon word


def test_contrasting_moods_differ_on_at_least_three_measures():
    cuts = _irregular_cuts(60.0)
    horror, _ = _score("horror", 60.0, cuts)
    comedy, _ = _score("playful comedy", 60.0, cuts)
    tempo = [metrics.tempo_stats(m)["bpm"] for m in (horror, comedy)]
    density = [metrics.notes_per_second(m, 60.0) for m in (horror, comedy)]
    register = [metrics.mean_register(m) for m in (horror, comedy)]
    a, b = metrics.instrumentation(horror), metrics.instrumentation(comedy)
    differs = [
        max(tempo) / min(tempo) >= 1.15,
        max(density) / min(density) >= 1.4,
        abs(register[0] - register[1]) >= 3,
        len(a & b) / len(a | b) <= 0.5,
        metrics.has_percussion(horror) != metrics.has_percussion(comedy),
    ]
    assert sum(differs) >= 3, differs


def test_horror_has_no_march_comedy_no_choir_grief_no_drums():
    cuts = _irregular_cuts(60.0)
    horror, _ = _score("horror", 60.0, cuts)
    snares = [n for i in horror.instruments if i.is_drum for n in i.notes if n.pitch in (38, 40)]
    assert not snares and not metrics.has_percussion(horror)
    comedy, _ = _score("playful comedy", 60.0, cuts)
    assert not {i.program for i in comedy.instruments if not i.is_drum} & {52, 53, 54}
    grief, _ = _score("sad funeral", 60.0, cuts)
    assert not metrics.has_percussion(grief)
    assert metrics.crashes_per_minute(grief, 60.0) == 0


def test_a_150_s_cue_has_form_clean_writing_and_a_steady_pulse():
    cuts = _irregular_cuts(150.0, seed=4)
    for mood in ("action chase", "romantic", "mysterious"):
        midi, plan = _score(mood, 150.0, cuts, seed=1)
        distinct, rhythms, bars = metrics.melody_bars(midi)
        assert distinct >= 0.4 and rhythms >= 4, (mood, distinct, rhythms)
        parallels, pairs = metrics.outer_voice_parallels(midi)
        assert parallels <= max(1, 0.02 * pairs), (mood, parallels, pairs)
        clashes, counted = metrics.melody_clashes(midi)
        assert clashes <= 0.03 * counted, (mood, clashes, counted)
        tempo = metrics.tempo_stats(midi)
        assert tempo["tempo_ratio"] <= 1.15 and tempo["jumps_gt5"] <= 0.1
        assert metrics.crashes_per_minute(midi, 150.0) <= 4
        assert len({p.section for p in plan.phrases}) == 3  # A B A'


def test_cuts_every_two_seconds_are_not_over_marked():
    cuts = [2.0 * i for i in range(1, 60)]
    action, plan = _score("action chase", 120.0, cuts)
    assert metrics.crashes_per_minute(action, 120.0) <= 4
    assert len(plan.cuts_s) <= len(cuts) / 2  # close cuts pass; a phrase carries across them
    tender, plan = _score("calm pastoral", 120.0, cuts)
    assert plan.cuts_s == []  # a calm style holds its chord across short shots
    assert 60 * len(metrics.chord_changes(tender)) / 120.0 <= 16


def test_key_comes_from_the_mood_as_well_as_the_seed():
    for seed in range(4):
        keys = set()
        for mood in ("horror", "triumphant", "sad funeral", "calm pastoral"):
            plan = _score(mood, 10.0, [], seed)[1]
            assert plan.key.tonic in plan.style.tonics  # the style's keys, the seed picks one
            keys.add(plan.key.name)
        assert len(keys) >= 3


def test_a_building_style_has_a_loudness_range_of_at_least_4_lu():
    midi, plan = _score("triumphant", 120.0, _irregular_cuts(120.0, 2))
    audio = render_midi(midi, round(120.0 * SAMPLE_RATE))
    audio = normalise_loudness(audio, -18.0, -1.0)
    assert metrics.loudness_range(audio, SAMPLE_RATE) >= 4.0


def test_the_end_resolves_by_the_out_point_and_humanising_spares_the_marks():
    midi, plan = _score("action chase", 30.0, [7.0, 15.5, 22.25])
    # A button on a beat, then the ring: nothing is held into the out point, nothing is early.
    assert 0.3 <= metrics.ending_gap_s(midi, 30.0) <= 1.5
    assert plan.button_beat is not None and plan.button_beat >= plan.final_start
    assert abs(plan.button_beat - round(plan.button_beat)) < 1e-9
    expression = [c for i in midi.instruments for c in i.control_changes if c.number == 11]
    assert any(c.time > plan.grid.time_of(plan.final_start) for c in expression)
    melody = metrics.part(midi, "Melody")
    off_grid = [n for n in melody.notes if min(abs(n.start - b) for b in midi.get_beats()) > 1e-3]
    beats_8th = np.concatenate(
        [midi.get_beats(), (midi.get_beats()[1:] + midi.get_beats()[:-1]) / 2]
    )
    loose = [n for n in off_grid if np.min(np.abs(beats_8th - n.start)) > 1e-3]
    assert loose  # the tune breathes a little
    accents = [
        n for name in ("Hit accents", "Timpani") if (p := metrics.part(midi, name)) for n in p.notes
    ]
    for t in (*plan.hits_s, *plan.cuts_s):
        near = [n for n in accents if abs(n.start - t) < 0.02]
        assert all(abs(n.start - t) < 1e-3 for n in near)


def test_under_dialogue_the_melody_rests_and_the_voice_band_empties():
    speech = [(8.0, 14.0), (18.0, 24.0)]
    plain, _ = _score("romantic", 30.0, [5.0, 12.5, 21.0], seed=3)
    spoken, _ = _score("romantic", 30.0, [5.0, 12.5, 21.0], seed=3, speech=speech)

    def in_speech(midi):
        return sum(
            1
            for n in metrics.part(midi, "Melody").notes
            if any(a <= n.start < b for a, b in speech)
        )

    assert in_speech(spoken) <= in_speech(plain) / 2
    # The accompaniment stays: the pad and bass play the same notes, softer only under speech.
    for name in ("Pad", "Bass"):
        before = [(round(n.start, 3), n.pitch) for n in metrics.part(plain, name).notes]
        after = [(round(n.start, 3), n.pitch) for n in metrics.part(spoken, name).notes]
        assert before == after

    def band_db(midi, inside: bool) -> float:
        audio = render_midi(midi, 30 * SAMPLE_RATE)
        return metrics.speech_band_db(audio, SAMPLE_RATE, speech, inside)

    assert band_db(plain, True) - band_db(spoken, True) >= 6.0
    assert abs(band_db(plain, False) - band_db(spoken, False)) <= 1.0


def _cue(tmp_path, mood: str, seconds: float, cuts_s=(), seed: int = 0):
    """A cue through the model's own path (render, hall, fades, level), read back."""
    frames = round(seconds * 24)
    segment = Segment(
        f"{mood}-{seed}".replace(" ", "-"),
        Rate(24),
        frames,
        cut_frames=tuple(round(c * 24) for c in cuts_s),
        mood=mood,
        seed=seed,
    )
    cue = ComposerModel(DEFAULT_SOUNDFONT).generate(segment, GenerationOptions(), tmp_path)
    audio, rate = read_wav(cue.audio_path)
    return audio, rate, pretty_midi.PrettyMIDI(cue.midi_path), cue


@pytest.mark.parametrize("mood", ["playful comedy", "action chase", "triumphant", "sad funeral"])
def test_the_ending_has_died_away_by_the_out_point(tmp_path, mood):
    # Comedy, action and triumph were chopped at the out point (a held chord cut off).
    audio, rate, midi, cue = _cue(tmp_path, mood, 14.0, (4.0, 9.0))
    assert metrics.ending_level_db(audio, rate) <= -30.0, mood
    gap = metrics.ending_gap_s(midi, 14.0)
    assert 0.3 <= gap <= 1.5, gap  # the last note stops, on purpose, before the out point
    # ... and the final chord is heard: the last second before that gap is not silent.
    n = len(audio)
    before = audio[n - round((gap + 1.0) * rate) : n - round(gap * rate)]
    # (a lament's last chord decays into its release, so within 30 dB of the cue, not 0)
    assert np.sqrt(np.mean(before**2)) > 0.03 * np.sqrt(np.mean(audio**2))


@pytest.mark.parametrize("mood", ["romantic", "calm pastoral", "action chase"])
def test_an_honoured_cut_is_an_attack_with_a_new_bass_note(tmp_path, mood):
    # 8 s shots: honoured in calm styles too.
    cuts = (8.0, 16.0, 24.0)
    audio, rate, midi, cue = _cue(tmp_path, mood, 32.0, cuts)
    honoured = [float(x) for x in cue.metadata["cuts_honoured"].split(",") if x]
    assert honoured == pytest.approx(cuts, abs=1e-3)
    bass, pad = metrics.part(midi, "Bass"), metrics.part(midi, "Pad")
    stabs = metrics.part(midi, "Stabs")
    for cut in honoured:
        assert any(abs(n.start - cut) < 1e-3 for n in bass.notes), cut
        struck = [n for n in pad.notes if abs(n.start - cut) < 1e-3]
        lifted = [n for n in pad.notes if cut - 0.3 < n.end < cut - 0.05]
        assert struck and lifted, cut  # a re-struck chord after a lift, not a crossfade
        # ...and the accent's chord struck together on the frame, not rolled in after it
        chord = [n for n in stabs.notes if -1e-3 < n.start - cut < 0.2]
        assert len(chord) >= 3 and all(abs(n.start - cut) < 1e-3 for n in chord), cut
    ratios = metrics.onset_ratio_at(audio, rate, honoured)
    # Calm styles measured 1.2-1.6x the median before: the same as anywhere in the cue.
    assert min(ratios) >= 3.0, ratios


def test_another_take_is_another_take_in_the_same_style():
    cuts = _irregular_cuts(40.0, seed=2)
    for mood in ("romantic", "action chase", "mysterious"):
        takes = [_score(mood, 40.0, cuts, seed=s) for s in range(4)]
        assert len({plan.style.name for _, plan in takes}) == 1
        orchestras = {
            tuple(sorted((i.name.split(":")[0], i.program) for i in midi.instruments))
            for midi, _ in takes
        }
        assert len(orchestras) >= 3, (mood, orchestras)
        tempi = [plan.tempo_bpm for _, plan in takes]
        assert max(tempi) / min(tempi) <= 1.1 + 1e-9, tempi
        tunes = {tuple(n.pitch for n in metrics.part(m, "Melody").notes[:8]) for m, _ in takes}
        assert len(tunes) == len(takes), mood  # a new motif too


def test_the_pad_sits_below_the_tune_and_softer():
    midi, plan = _score("romantic", 40.0, _irregular_cuts(40.0))
    melody, pad = metrics.part(midi, "Melody"), metrics.part(midi, "Pad")
    assert np.median([n.pitch for n in pad.notes]) < np.median([n.pitch for n in melody.notes])
    volume = {
        i.name.split(":")[0]: next(c.value for c in i.control_changes if c.number == 7)
        for i in midi.instruments
    }
    assert volume["Melody"] >= volume["Pad"] + 30


@pytest.mark.parametrize(
    ("mood", "seed"), [("horror", 0), ("tense suspense", 1), ("mysterious", 2)]
)
def test_a_vibraphone_tune_stays_below_the_fonts_quiet_top(mood, seed):
    # MuseScore General's vibraphone is 9-12 dB quieter from 80 up: basic-pitch missed 5 of 6
    # horror tune notes up there (recall 0.56); every take on it now sings below.
    midi, plan = _score(mood, 40.0, _irregular_cuts(40.0, seed), seed=seed)
    melody = metrics.part(midi, "Melody")
    assert melody.program == 11, (mood, seed)  # the takes that play the tune on a vibraphone
    assert max(n.pitch for n in melody.notes) <= TUNE_TOP[11]
