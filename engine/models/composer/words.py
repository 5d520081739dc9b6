"""Words -> feel: how an editor's mood and prompt become valence, arousal and a style.

A prompt becomes a feel in five steps (all deterministic, no network, no weights):

1. **Phrases.** Multi-word film phrases ("first kiss", "the heist goes wrong", "car chase",
   "jump scare") are matched first on the lower-cased text; each names a style and a point on
   the circumplex.
2. **Valence: VADER.** The whole text goes through VADER (vaderSentiment, MIT licence: its
   7,500-word valence lexicon ships inside the package), which handles negation ("not happy"),
   intensifiers ("very", "barely"), contrast ("but") and capitals.
3. **Style and arousal words.** Each word (and its stem: "chasing" -> "chase", "terrified" ->
   "terrify") votes for styles through two lexicons: a short table of scoring words written for
   film music (`STYLE_WORDS`), and the Empath lexicon's categories (empath, MIT licence, 194
   categories of ~100 words each, shipped in the package: "monster", "fear" -> horror; "fight",
   "vehicle" -> action; "love", "affection" -> romance ...). A negator up to three words before
   a word flips its vote away; an intensifier before it doubles it.
4. **Arousal** comes from the styles voted for (each style sits at a point of the circumplex),
   pulled by explicit tempo words ("slow", "frantic", "still") and intensifiers.
5. **Mood words count twice** (the editor's mood field is their intent, the prompt describes).
   No known word at all gives the neutral feel with no style.

That lexicon keys on single words, not on what a sentence means, so since the scene reader
(`scenes.py`) the **style** of a prompt comes from its nearest written scene examples
(WordLlama embeddings), and a mood from the shared vocabulary (`cuebridge.moods`) names its
style and shade outright. VADER still shades the valence and the arousal words still pull the
arousal (`read_words`); the lexicon above is kept for text that is neither (an unknown mood
passed straight to the engine) and for its scoring words, which tip a close call.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from cuebridge.engine.models.composer.styles import STYLES
from cuebridge.moods import MOODS, find_mood

# Film phrases first: (words that must all appear in order, style, valence, arousal).
PHRASES: tuple[tuple[str, str, float, float], ...] = (
    ("first kiss", "romance", 0.8, 0.1),
    ("falling in love", "romance", 0.8, 0.0),
    ("love scene", "romance", 0.7, -0.1),
    ("goes wrong", "suspense", -0.5, 0.6),
    ("went wrong", "suspense", -0.5, 0.6),
    ("heist", "suspense", -0.2, 0.55),
    ("car chase", "action", -0.1, 0.95),
    ("on the run", "action", -0.3, 0.85),
    ("jump scare", "horror", -0.9, 0.8),
    ("haunted house", "horror", -0.8, 0.4),
    ("final battle", "action", -0.2, 0.95),
    ("last stand", "triumph", 0.3, 0.8),
    ("saves the day", "triumph", 0.8, 0.7),
    ("victory lap", "triumph", 0.9, 0.6),
    ("coming home", "pastoral", 0.6, -0.4),
    ("at dawn", "pastoral", 0.5, -0.4),
    ("sunrise", "wonder", 0.6, -0.1),
    ("first sight", "wonder", 0.7, 0.0),
    ("end credits", "triumph", 0.5, 0.3),
    ("funeral", "grief", -0.85, -0.55),
    ("says goodbye", "grief", -0.6, -0.4),
    ("time is running out", "suspense", -0.5, 0.75),
    ("running out of time", "suspense", -0.5, 0.75),
    ("ticking clock", "suspense", -0.4, 0.6),
    ("pratfall", "comedy", 0.7, 0.5),
    ("slapstick", "comedy", 0.7, 0.6),
    ("who did it", "mystery", -0.2, -0.1),
    ("crime scene", "mystery", -0.4, 0.0),
)

# Scoring words for film music: word -> (style, valence, arousal).
STYLE_WORDS: dict[str, tuple[str, float, float]] = {
    "suspense": ("suspense", -0.4, 0.5),
    "suspenseful": ("suspense", -0.4, 0.5),
    "tense": ("suspense", -0.5, 0.6),
    "tension": ("suspense", -0.5, 0.6),
    "thriller": ("suspense", -0.4, 0.6),
    "dread": ("suspense", -0.7, 0.3),
    "stalk": ("suspense", -0.6, 0.45),
    "anxious": ("suspense", -0.6, 0.6),
    "nervous": ("suspense", -0.5, 0.5),
    "ominous": ("suspense", -0.6, 0.3),
    "menacing": ("suspense", -0.7, 0.5),
    "sneak": ("suspense", -0.3, 0.35),
    "hide": ("suspense", -0.4, 0.4),
    "hiding": ("suspense", -0.4, 0.4),
    "lurk": ("suspense", -0.6, 0.4),
    "footsteps": ("suspense", -0.4, 0.4),
    "basement": ("suspense", -0.4, 0.3),
    "hostage": ("suspense", -0.7, 0.6),
    "horror": ("horror", -0.9, 0.6),
    "scary": ("horror", -0.8, 0.7),
    "terror": ("horror", -0.9, 0.8),
    "creepy": ("horror", -0.7, 0.3),
    "eerie": ("horror", -0.6, 0.0),
    "monster": ("horror", -0.8, 0.6),
    "ghost": ("horror", -0.7, 0.2),
    "haunt": ("horror", -0.7, 0.3),
    "blood": ("horror", -0.8, 0.6),
    "scream": ("horror", -0.8, 0.8),
    "nightmare": ("horror", -0.8, 0.6),
    "action": ("action", 0.0, 0.9),
    "chase": ("action", -0.1, 0.95),
    "fight": ("action", -0.3, 0.9),
    "battle": ("action", -0.2, 0.95),
    "escape": ("action", -0.2, 0.85),
    "race": ("action", 0.1, 0.9),
    "explosion": ("action", -0.2, 1.0),
    "pursuit": ("action", -0.1, 0.9),
    "comedy": ("comedy", 0.7, 0.5),
    "funny": ("comedy", 0.7, 0.5),
    "playful": ("comedy", 0.7, 0.45),
    "whimsical": ("comedy", 0.6, 0.3),
    "quirky": ("comedy", 0.5, 0.4),
    "silly": ("comedy", 0.6, 0.5),
    "mischief": ("comedy", 0.4, 0.5),
    "clumsy": ("comedy", 0.4, 0.4),
    "clown": ("comedy", 0.6, 0.5),
    "slip": ("comedy", 0.4, 0.5),
    "banana": ("comedy", 0.5, 0.4),
    "prank": ("comedy", 0.5, 0.5),
    "gag": ("comedy", 0.5, 0.5),
    "joke": ("comedy", 0.6, 0.4),
    "romance": ("romance", 0.75, -0.1),
    "romantic": ("romance", 0.7, -0.1),
    "love": ("romance", 0.8, 0.0),
    "kiss": ("romance", 0.8, 0.1),
    "tender": ("romance", 0.6, -0.4),
    "longing": ("romance", 0.2, -0.3),
    "reunion": ("romance", 0.8, 0.2),
    "embrace": ("romance", 0.7, 0.0),
    "grief": ("grief", -0.85, -0.5),
    "sad": ("grief", -0.75, -0.45),
    "sadness": ("grief", -0.75, -0.45),
    "mourn": ("grief", -0.85, -0.5),
    "loss": ("grief", -0.7, -0.4),
    "tragic": ("grief", -0.8, -0.2),
    "melancholy": ("grief", -0.55, -0.45),
    "melancholic": ("grief", -0.55, -0.45),
    "somber": ("grief", -0.6, -0.5),
    "sombre": ("grief", -0.6, -0.5),
    "lonely": ("grief", -0.6, -0.4),
    "death": ("grief", -0.8, -0.3),
    "bury": ("grief", -0.8, -0.4),
    "burial": ("grief", -0.8, -0.4),
    "grave": ("grief", -0.7, -0.4),
    "cemetery": ("grief", -0.6, -0.4),
    "farewell": ("grief", -0.4, -0.4),
    "tears": ("grief", -0.6, -0.3),
    "wonder": ("wonder", 0.6, 0.2),
    "magic": ("wonder", 0.6, 0.3),
    "magical": ("wonder", 0.6, 0.3),
    "awe": ("wonder", 0.6, 0.3),
    "dreamy": ("wonder", 0.4, -0.4),
    "discovery": ("wonder", 0.6, 0.3),
    "stars": ("wonder", 0.5, 0.0),
    "fantasy": ("wonder", 0.5, 0.3),
    "triumph": ("triumph", 0.8, 0.8),
    "triumphant": ("triumph", 0.8, 0.8),
    "victory": ("triumph", 0.8, 0.8),
    "victorious": ("triumph", 0.8, 0.8),
    "heroic": ("triumph", 0.6, 0.8),
    "hero": ("triumph", 0.6, 0.7),
    "epic": ("triumph", 0.4, 0.85),
    "majestic": ("triumph", 0.6, 0.5),
    "uplifting": ("triumph", 0.75, 0.55),
    "calm": ("pastoral", 0.4, -0.7),
    "peaceful": ("pastoral", 0.6, -0.7),
    "serene": ("pastoral", 0.6, -0.75),
    "pastoral": ("pastoral", 0.6, -0.5),
    "gentle": ("pastoral", 0.5, -0.5),
    "quiet": ("pastoral", 0.2, -0.6),
    "meadow": ("pastoral", 0.6, -0.5),
    "countryside": ("pastoral", 0.6, -0.5),
    "relaxed": ("pastoral", 0.5, -0.7),
    "nostalgic": ("pastoral", 0.1, -0.4),
    "mystery": ("mystery", -0.2, -0.1),
    "mysterious": ("mystery", -0.2, -0.1),
    "detective": ("mystery", -0.2, 0.1),
    "secret": ("mystery", -0.2, 0.0),
    "investigate": ("mystery", -0.1, 0.1),
    "clue": ("mystery", -0.1, 0.0),
    "noir": ("mystery", -0.4, 0.0),
    "dark": ("mystery", -0.6, 0.1),
    "shadow": ("mystery", -0.4, 0.0),
    "puzzle": ("mystery", 0.0, 0.0),
    "strange": ("mystery", -0.3, 0.0),
}

# Empath categories -> the style they vote for.
EMPATH_STYLES: dict[str, str] = {
    "horror": "horror",
    "monster": "horror",
    "fear": "horror",
    "torment": "horror",
    "nervousness": "suspense",
    "anticipation": "suspense",
    "prison": "suspense",
    "terrorism": "suspense",
    "fight": "action",
    "violence": "action",
    "war": "action",
    "weapon": "action",
    "vehicle": "action",
    "driving": "action",
    "aggression": "action",
    "rage": "action",
    "kill": "action",
    "fun": "comedy",
    "ridicule": "comedy",
    "childish": "comedy",
    "toy": "comedy",
    "party": "comedy",
    "love": "romance",
    "affection": "romance",
    "lust": "romance",
    "attractive": "romance",
    "wedding": "romance",
    "sadness": "grief",
    "suffering": "grief",
    "death": "grief",
    "disappointment": "grief",
    "magic": "wonder",
    "divine": "wonder",
    "legend": "wonder",
    "beauty": "wonder",
    "ocean": "wonder",
    "achievement": "triumph",
    "heroic": "triumph",
    "celebration": "triumph",
    "strength": "triumph",
    "royalty": "triumph",
    "rural": "pastoral",
    "farming": "pastoral",
    "plant": "pastoral",
    "leisure": "pastoral",
    "contentment": "pastoral",
    "sleep": "pastoral",
    "hiking": "pastoral",
    "deception": "mystery",
    "crime": "mystery",
    "stealing": "mystery",
    "confusion": "mystery",
    "anonymity": "mystery",
}
EMPATH_WEIGHT = 0.35  # a category member is weaker evidence than a scoring word

# Words that move arousal without naming a style.
AROUSAL_WORDS: dict[str, float] = {
    "slow": -0.5,
    "still": -0.6,
    "stillness": -0.6,
    "soft": -0.4,
    "hush": -0.6,
    "lullaby": -0.7,
    "fast": 0.6,
    "frantic": 0.9,
    "urgent": 0.8,
    "driving": 0.7,
    "energetic": 0.8,
    "exciting": 0.8,
    "intense": 0.8,
    "explosive": 0.95,
    "wild": 0.8,
    "panic": 0.9,
    "rush": 0.8,
    "build": 0.4,
}
_SUFFIXES = ("ingly", "ness", "ing", "ful", "ous", "ied", "ies", "ed", "ly", "er", "es", "s", "y")


def stem(word: str) -> str:
    """A crude English stem, the same for a lexicon word and a prompt word ("chasing" and
    "chased" -> "chas", "terrified" -> "terrif")."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)].rstrip("e") or word
    return word.rstrip("e") if len(word) > 3 else word


@functools.lru_cache(maxsize=1)
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


@functools.lru_cache(maxsize=1)
def _negators_and_boosters() -> tuple[frozenset[str], dict[str, float]]:
    from vaderSentiment.vaderSentiment import BOOSTER_DICT, NEGATE

    return frozenset(NEGATE), dict(BOOSTER_DICT)


@functools.lru_cache(maxsize=1)
def _style_index() -> dict[str, list[tuple[str, float, float, float]]]:
    """stem -> [(style, valence, arousal, weight)] from the scoring words and Empath."""
    from empath import Empath

    index: dict[str, list[tuple[str, float, float, float]]] = {}
    for word, (style, v, a) in STYLE_WORDS.items():
        index.setdefault(stem(word), []).append((style, v, a, 1.0))
    cats = Empath().cats
    for category, style in sorted(EMPATH_STYLES.items()):
        centre = STYLES[style]
        for word in cats.get(category, ()):
            if " " in word or "_" in word:
                continue
            entry = (style, centre.valence, centre.arousal, EMPATH_WEIGHT)
            index.setdefault(stem(word), []).append(entry)
    return index


def analyse_words_lexicon(prompt: str = "", mood: str = "") -> tuple[float, float, str] | None:
    """The lexicon's (valence, arousal, style) of the words, or None when no word is known."""
    votes: dict[str, float] = {}
    points: list[tuple[float, float, float]] = []  # (valence, arousal, weight)
    text_valences: list[tuple[float, float]] = []  # (valence, weight) per text
    negators, boosters = _negators_and_boosters()
    index = _style_index()
    for text, weight in ((mood, 2.0), (prompt, 1.0)):
        text = text.strip()
        if not text:
            continue
        found: list[tuple[float, float, float]] = []
        lowered = " " + re.sub(r"[^a-z' ]+", " ", text.lower()) + " "
        for phrase, style, v, a in PHRASES:
            if f" {phrase} " in lowered:
                votes[style] = votes.get(style, 0.0) + 1.5 * weight
                found.append((v, a, 1.5 * weight))
        tokens = lowered.split()
        for i, token in enumerate(tokens):
            before = tokens[max(0, i - 3) : i]
            negated = any(t in negators or t.endswith("n't") for t in before)
            boost = 1.0 + sum(2.0 * abs(boosters.get(t, 0.0)) for t in before[-1:])
            for style, v, a, w in index.get(stem(token), ()):
                w *= weight * boost
                if negated:  # "not scary": away from the style, valence and arousal softened
                    votes[style] = votes.get(style, 0.0) - 0.5 * w
                    found.append((-0.5 * v, -0.3 * a, w))
                else:
                    votes[style] = votes.get(style, 0.0) + w
                    found.append((v, a, w))
            if token in AROUSAL_WORDS:
                a = AROUSAL_WORDS[token] * (-0.5 if negated else 1.0)
                found.append((0.0, a, 1.5 * weight))
        # VADER reads negation and degree in context: it decides most of a text's valence.
        compound = _vader().polarity_scores(text)["compound"]
        lexical = [(v, w) for v, _, w in found if v != 0.0]
        lex_v = sum(v * w for v, w in lexical) / sum(w for _, w in lexical) if lexical else None
        if compound != 0.0 and lex_v is not None:
            text_valences.append((0.65 * compound + 0.35 * lex_v, weight))
        elif compound != 0.0:
            text_valences.append((compound, weight))
        elif lex_v is not None:
            text_valences.append((lex_v, weight))
        points.extend(found)
    if not points and not text_valences:
        return None
    valence = 0.0
    if text_valences:
        valence = sum(v * w for v, w in text_valences) / sum(w for _, w in text_valences)
    total = sum(w for _, _, w in points)
    arousal = sum(a * w for _, a, w in points) / total if total > 0 else 0.0
    best = max(sorted(votes), key=lambda s: votes[s], default="")
    style = best if best and votes[best] > 0 else ""
    return round(valence, 3), round(arousal, 3), style


# -- reading by meaning ----------------------------------------------------------------------

PROMPT_VADER_SHARE = 0.65  # VADER reads the text itself (negation, degree): as before, it leads
MOOD_PROMPT_SHARE = 0.25  # ... and against a named mood's shade


@dataclass(frozen=True)
class WordsReading:
    valence: float
    arousal: float
    style: str
    decided_by: tuple[str, ...]  # "mood: tense", or the prompt's words that chose the style
    reader: str = ""  # which scene reader read the prompt ("" when a mood decided)


# Scoring words that are also everyday words of another sense ("the convoy tears through the
# market", "a grave danger", "a slip of paper"): they do not tip the scene reader.
AMBIGUOUS = frozenset({"tears", "grave", "slip"})


def scoring_words() -> dict[str, str]:
    """Words and film phrases that name a style outright -> the style (they tip the reader)."""
    words = {phrase: style for phrase, style, _, _ in PHRASES}
    words.update({w: style for w, (style, _, _) in STYLE_WORDS.items() if w not in AMBIGUOUS})
    words.update({name: mood.style for name, mood in MOODS.items()})
    return words


def _arousal_pull(text: str) -> list[float]:
    return [AROUSAL_WORDS[t] for t in re.findall(r"[a-z]+", text.lower()) if t in AROUSAL_WORDS]


@functools.lru_cache(maxsize=1)
def scene_reader():
    """The scene reader over the shipped examples, built once per process (about 0.5 s)."""
    from cuebridge.engine.models.composer.scenes import SceneReader, load_examples

    return SceneReader(
        load_examples(), scoring_words(), lambda t: _vader().polarity_scores(t)["compound"]
    )


@functools.lru_cache(maxsize=256)
def read_words(prompt: str = "", mood: str = "") -> WordsReading | None:
    """What the editor's words mean for the music, and which words decided it; None when they
    say nothing (no mood, and a prompt with no word that can mean anything)."""
    named = find_mood(mood)
    prompt = prompt.strip()
    compound = _vader().polarity_scores(prompt)["compound"] if prompt else 0.0
    if named is not None:
        centre = STYLES[named.style]
        valence = centre.valence if named.valence is None else named.valence
        arousal = centre.arousal if named.arousal is None else named.arousal
        if compound:
            valence += MOOD_PROMPT_SHARE * (compound - valence)
        return WordsReading(
            round(max(-1.0, min(1.0, valence)), 3),
            round(arousal, 3),
            named.style,
            (f"mood: {named.name}",),
        )
    if mood.strip():  # not in the vocabulary (the bridge refuses these): read it as words
        found = analyse_words_lexicon(prompt, mood)
        if found is None:
            return None
        return WordsReading(*found, decided_by=(f"mood words: {mood.strip()}",))
    scene = read_scene(prompt) if prompt else None
    if scene is None:
        return None
    centre = STYLES[scene.style]
    valence = centre.valence + (PROMPT_VADER_SHARE * (compound - centre.valence) if compound else 0)
    pulls = _arousal_pull(prompt)
    arousal = centre.arousal + (sum(pulls) / len(pulls) - centre.arousal) * 0.5 if pulls else None
    return WordsReading(
        round(max(-1.0, min(1.0, valence)), 3),
        round(centre.arousal if arousal is None else max(-1.0, min(1.0, arousal)), 3),
        scene.style,
        scene.decided_by,
        scene.reader,
    )


# Scenes read in the process that plans, handed to the composer's workers with their cues so
# that no worker loads the scene reader (with the sentence model: seconds and ~300 MB each).
_READ: dict[str, object] = {}


def read_scene(prompt: str):
    """The scene reader's reading of a prompt (scenes.SceneReading, or None), by its text:
    the same key `read_scenes` hands a worker, so a worker never misses and loads a reader."""
    prompt = prompt.strip()
    if prompt not in _READ:
        if len(_READ) >= 4096:  # a long-running engine: bounded
            _READ.clear()
        _READ[prompt] = scene_reader().read(prompt)
    return _READ[prompt]


def read_scenes(prompts) -> dict[str, object]:
    """Readings of these prompts, to hand to another process (`remember_scenes`)."""
    return {p.strip(): read_scene(p) for p in prompts if p.strip()}


def remember_scenes(readings: dict[str, object]) -> None:
    _READ.update(readings)


def scene_read_by(prompt: str, mood: str, source: str) -> str:
    """Which scene reader read a cue's prompt, for its metadata ("" when none did)."""
    found = read_words(prompt, mood) if source in ("words", "picture+words") else None
    return found.reader if found is not None else ""


def analyse_words(prompt: str = "", mood: str = "") -> tuple[float, float, str] | None:
    """(valence, arousal, style) of the words, or None when they say nothing."""
    found = read_words(prompt, mood)
    return None if found is None else (found.valence, found.arousal, found.style)


def decided_by(prompt: str, mood: str, source: str) -> tuple[str, ...]:
    """What decided a cue's style, for its metadata and the editor: the mood or the prompt's
    words when the words spoke (`source` is the composer's feel source), else the source."""
    if source in ("words", "picture+words"):
        found = read_words(prompt, mood)
        if found is not None:
            return found.decided_by
    return {
        "picture": ("picture",),
        "options": ("valence/arousal",),
        "given": ("given feel",),
    }.get(source, ("no words: the nearest style to a neutral feel",))


@functools.lru_cache(maxsize=1)
def words_version() -> str:
    """What decides how words are read (part of the composer's cue cache key): the reader's
    version and its examples, so a change to either makes cues again."""
    import hashlib
    import importlib.metadata

    from cuebridge.engine.models.composer import sentences
    from cuebridge.engine.models.composer.scenes import EXAMPLES_PATH

    digest = hashlib.sha256(EXAMPLES_PATH.read_bytes()).hexdigest()[:12]
    wordllama = importlib.metadata.version("wordllama")
    return f"words 3 scenes {digest} wordllama {wordllama} sentences {sentences.version()}"
