"""Reading a scene by meaning: the style of a description from its nearest written examples.

An editor types what happens on screen ("she finds the letter under the floorboards"), often
with no mood word. `scenes.tsv` beside this module holds scene descriptions written as a film
composer would score them, each with its style. A description is embedded with WordLlama (MIT;
its 256-dimension weights and tokenizer ship inside the wheel, numpy + tokenizers, no torch) and
given the style whose examples it sits nearest: the cosine to each style's centroid, after the
examples' common direction is taken away (every sentence shares "the", "a", "she": without
centring those decide). A scoring word the editor did write ("tense", "funeral") adds a little
(`STYLE_WORD_WEIGHT`, more for a word of the mood vocabulary): the meaning decides, the word
tips a close call.

Settings were chosen by leave-one-out on the examples alone (`bench/bench_scenes.py --loo`); the
held-out set in tests/data/scenes/ only measures.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

EXAMPLES_PATH = Path(__file__).with_name("scenes.tsv")
STYLE_WORD_WEIGHT = 0.1  # per scoring word or film phrase, against cosines of about 0.1-0.4
MOOD_WORD_WEIGHT = 0.2  # a word of the mood vocabulary in the prompt: the editor said the mood
ANCHOR_WEIGHT = 0.3  # a style's scoring word counts as 0.3 of one of its written scenes
HEDGE_MARGIN = 0.04  # a closer call between opposite feels hedges (leave-one-out: 54 -> 39
# of 551 examples on an opposite-feel style, 53.0 -> 52.3 % on the style)
DECIDING_WORDS = 3  # at most this many words are named as having decided the style

# Styles a composer would never give a scene of the other's feel: a frightening scene scored as
# romance, comedy or pastoral; a tender one (love, loss, calm) as action or horror; a grieving
# one as comedy or triumph. The reader is measured against these (tests, bench_scenes).
_FRIGHTENING, _TENDER = ("horror", "suspense"), ("romance", "grief", "pastoral")
OPPOSITE_FEEL: frozenset[frozenset[str]] = frozenset(
    {frozenset((a, b)) for a in _FRIGHTENING for b in ("romance", "comedy", "pastoral")}
    | {frozenset((a, b)) for a in _TENDER for b in ("action", "horror")}
    | {frozenset(("grief", b)) for b in ("comedy", "triumph")}
)


def opposite_feel(wanted: str, got: str) -> bool:
    """True when a scene a composer would score as `wanted` got a style of the opposite feel."""
    return frozenset((wanted, got)) in OPPOSITE_FEEL


# Words that say nothing about a scene: a description made only of these (and numbers or
# timecodes) is no description ("Cue at 01:00:24:00", "scene 12 take 3", "untitled").
_EMPTY_WORDS = frozenset(
    "a an the of to in on at by for with from into onto as and or but is are was were be been "
    "his her their its he she they it them him we you i me my our your this that these those "
    "there here up down out over off all every while when who which what where before after "
    "than then just cue cues scene scenes shot shots take takes reel music score scoring temp "
    "untitled new final draft version v sc tk part act chapter intro outro montage sequence "
    "marker clip nothing something placeholder tbd tba todo test xxx".split()
)
# ... and words that never decide a style on their own (not named as having decided it).
_STOP_WORDS = (_EMPTY_WORDS - {"intro", "outro", "montage"}) | frozenset(
    "under through across behind beside around near against along toward towards between "
    "inside outside above below onto without again very".split()
)


def load_examples(path: Path = EXAMPLES_PATH) -> list[tuple[str, str]]:
    """(style, description) rows of a tab-separated file; lines starting with # are notes."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        style, sep, text = line.partition("\t")
        if not sep or not text.strip():
            raise ValueError(f"{path}:{number}: expected 'style<TAB>description'")
        rows.append((style.strip(), text.strip()))
    return rows


def content_words(text: str) -> list[str]:
    """The words of a description that can carry its meaning, in order."""
    return [w for w in re.findall(r"[a-z][a-z'-]*", text.lower()) if w not in _EMPTY_WORDS]


@functools.lru_cache(maxsize=1)
def _model():
    import wordllama
    from wordllama import WordLlama

    # The weights and tokenizer ship in the package's own folder; WordLlama looks for the
    # tokenizer under a misspelt path there and would go to the network without these two.
    return WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)


def embed(texts: list[str]) -> np.ndarray:
    """Un-normalised WordLlama embeddings, one row per text (float32)."""
    return np.asarray(_model().embed(list(texts), norm=False), dtype=np.float32)


@dataclass(frozen=True)
class SceneReading:
    style: str
    scores: dict[str, float]  # style -> score (cosine to its centroid plus word tips)
    decided_by: tuple[str, ...]  # the words of the text that most moved it to this style
    nearest: str  # the example nearest to the text, of the chosen style


class SceneReader:
    """Styles of descriptions by their nearest examples."""

    def __init__(
        self,
        examples: list[tuple[str, str]],
        style_words: dict[str, str] | None = None,
        mood_words: frozenset[str] = frozenset(),
    ):
        self.styles = sorted({s for s, _ in examples})
        self.texts = [t for _, t in examples]
        self.labels = np.array([self.styles.index(s) for s, _ in examples])
        raw = embed(self.texts)
        self.centre = raw.mean(axis=0)
        self.vectors = self._normalise(raw)
        self.style_words = {k: v for k, v in (style_words or {}).items() if v in self.styles}
        self.mood_words = mood_words
        # The style's own words ("tense", "funeral") stand beside its scenes, lighter than one.
        words = sorted(self.style_words)
        self.anchors = self._normalise(embed(words)) if words else np.zeros((0, raw.shape[1]))
        self.anchor_labels = np.array([self.styles.index(self.style_words[w]) for w in words])
        self.centroids = self.centroids_without(None)

    def centroids_without(self, left_out: int | None) -> np.ndarray:
        """Each style's centroid: its examples (less one, for leave-one-out) and its words."""
        keep = np.arange(len(self.texts)) != (-1 if left_out is None else left_out)
        rows = []
        for i in range(len(self.styles)):
            own = self.vectors[keep & (self.labels == i)]
            anchors = self.anchors[self.anchor_labels == i] if len(self.anchors) else self.anchors
            total = own.sum(axis=0) + ANCHOR_WEIGHT * anchors.sum(axis=0)
            rows.append(total / (len(own) + ANCHOR_WEIGHT * len(anchors)))
        centroids = np.stack(rows)
        return centroids / np.linalg.norm(centroids, axis=1, keepdims=True)

    def _normalise(self, raw: np.ndarray) -> np.ndarray:
        centred = raw - self.centre
        norms = np.linalg.norm(centred, axis=1, keepdims=True)
        return centred / np.where(norms > 0, norms, 1.0)

    def _word_tips(self, text: str) -> np.ndarray:
        tips = np.zeros(len(self.styles), dtype=np.float32)
        lowered = " " + " ".join(re.findall(r"[a-z']+", text.lower())) + " "
        for phrase, style in self.style_words.items():
            if f" {phrase} " in lowered:
                weight = MOOD_WORD_WEIGHT if phrase in self.mood_words else STYLE_WORD_WEIGHT
                tips[self.styles.index(style)] += weight
        return tips

    def score(self, texts: list[str]) -> np.ndarray:
        """(len(texts), styles) scores; higher is nearer."""
        cosines = self._normalise(embed(texts)) @ self.centroids.T
        return cosines + np.stack([self._word_tips(t) for t in texts])

    def choose(self, scores: np.ndarray) -> int:
        """The style to score a text in: the nearest, unless the text reads almost as much as a
        style of the opposite feel; then, as a composer hedging, the nearest style that is wrong
        for neither (mystery between horror and romance), when there is one."""
        order = [int(i) for i in np.argsort(-scores)]
        first, second = (self.styles[i] for i in order[:2])
        if scores[order[0]] - scores[order[1]] >= HEDGE_MARGIN or not opposite_feel(first, second):
            return order[0]
        for i in order[2:]:
            style = self.styles[i]
            if not opposite_feel(style, first) and not opposite_feel(style, second):
                return i
        return order[0]

    def read(self, text: str) -> SceneReading | None:
        """The style of one description, or None when it has no word that can mean anything."""
        words = content_words(text)
        if not words:
            return None
        # The text, then the text without each of its meaning words in turn: what a word
        # takes away from the winning style is how much it decided it.
        meaningful = [w for w in dict.fromkeys(words) if w not in _STOP_WORDS]
        variants = [text] + [_without(text, w) for w in meaningful]
        scores = self.score(variants)
        best = self.choose(scores[0])
        drops = scores[0, best] - scores[1:, best]
        ranked = sorted(zip(meaningful, drops, strict=True), key=lambda p: -p[1])
        decided = tuple(w for w, d in ranked[:DECIDING_WORDS] if d > 0) or tuple(meaningful[:1])
        own = np.flatnonzero(self.labels == best)
        vector = self._normalise(embed([text]))[0]
        nearest = self.texts[int(own[np.argmax(self.vectors[own] @ vector)])]
        return SceneReading(
            style=self.styles[best],
            scores={s: round(float(v), 4) for s, v in zip(self.styles, scores[0], strict=True)},
            decided_by=decided,
            nearest=nearest,
        )


def _without(text: str, word: str) -> str:
    return re.sub(rf"\b{re.escape(word)}\b", " ", text, flags=re.IGNORECASE)
