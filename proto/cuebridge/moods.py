"""The moods an editor may name: the composer's styles and a set of feeling words.

One vocabulary for both halves: the bridge refuses an unknown `--mood` or marker `mood:` before
any music is made, the engine's composer turns a known one into its style and a shade of
valence/arousal (Russell's circumplex, both in [-1, 1]), and the Bridge's ListMoods RPC gives
the list to the plugins' picker. A style name keeps the style's own centre (shade None).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

# The composer's styles (engine/models/composer/styles.py; tests/contract checks they agree).
STYLE_NAMES = (
    "suspense",
    "horror",
    "action",
    "comedy",
    "romance",
    "grief",
    "wonder",
    "triumph",
    "pastoral",
    "mystery",
)


@dataclass(frozen=True)
class Mood:
    name: str
    style: str
    description: str
    valence: float | None = None  # None: the style's own point
    arousal: float | None = None


_STYLE_DESCRIPTIONS = {
    "suspense": "danger that has not struck yet: pulse, ostinato, held breath",
    "horror": "fear and the uncanny: clusters, tremolo, hits",
    "action": "chases and fights: driving drums and brass",
    "comedy": "slapstick and mischief: light, bouncing, pizzicato",
    "romance": "love and closeness: warm strings, a long melody",
    "grief": "loss and mourning: slow, low, solo lines",
    "wonder": "awe and magic: shimmering, open harmony",
    "triumph": "victory and arrival: brass, a march, a big finish",
    "pastoral": "calm and the countryside: woodwinds, gentle motion",
    "mystery": "clues and secrets: questioning harmony, noir colour",
}

# Feeling words -> (style, valence, arousal, description).
_FEELINGS: dict[str, tuple[str, float, float, str]] = {
    "tense": ("suspense", -0.5, 0.6, "suspense, tight and pulsing"),
    "suspenseful": ("suspense", -0.4, 0.5, "suspense"),
    "anxious": ("suspense", -0.6, 0.6, "suspense, restless"),
    "nervous": ("suspense", -0.5, 0.5, "suspense, uneasy"),
    "ominous": ("suspense", -0.6, 0.3, "suspense, slow and threatening"),
    "menacing": ("suspense", -0.7, 0.5, "suspense, a threat close by"),
    "scary": ("horror", -0.8, 0.7, "horror, frightening"),
    "terrifying": ("horror", -0.9, 0.85, "horror at its most intense"),
    "creepy": ("horror", -0.7, 0.3, "horror, crawling and quiet"),
    "eerie": ("horror", -0.6, 0.0, "horror, still and uncanny"),
    "sinister": ("horror", -0.75, 0.4, "horror, evil at work"),
    "exciting": ("action", 0.2, 0.85, "action, bright and fast"),
    "frantic": ("action", -0.2, 0.95, "action at full speed"),
    "urgent": ("action", -0.2, 0.85, "action, pressing"),
    "aggressive": ("action", -0.4, 0.9, "action, hard-hitting"),
    "energetic": ("action", 0.1, 0.8, "action, driving"),
    "playful": ("comedy", 0.7, 0.45, "comedy, light"),
    "funny": ("comedy", 0.7, 0.5, "comedy"),
    "whimsical": ("comedy", 0.6, 0.3, "comedy, gentle and fanciful"),
    "quirky": ("comedy", 0.5, 0.4, "comedy, odd and charming"),
    "silly": ("comedy", 0.6, 0.55, "comedy, broad"),
    "romantic": ("romance", 0.7, -0.1, "romance"),
    "tender": ("romance", 0.6, -0.4, "romance, soft and close"),
    "warm": ("romance", 0.7, -0.2, "romance, glowing"),
    "loving": ("romance", 0.8, 0.0, "romance"),
    "passionate": ("romance", 0.7, 0.4, "romance, swelling"),
    "intimate": ("romance", 0.6, -0.3, "romance, quiet"),
    "sad": ("grief", -0.75, -0.45, "grief"),
    "melancholy": ("grief", -0.55, -0.45, "grief, wistful"),
    "mournful": ("grief", -0.85, -0.5, "grief, a lament"),
    "sombre": ("grief", -0.6, -0.5, "grief, dark and slow"),
    "somber": ("grief", -0.6, -0.5, "grief, dark and slow (US spelling)"),
    "tragic": ("grief", -0.8, -0.2, "grief with weight"),
    "lonely": ("grief", -0.6, -0.4, "grief, alone"),
    "bittersweet": ("grief", -0.2, -0.3, "grief touched with warmth"),
    "magical": ("wonder", 0.6, 0.3, "wonder, sparkling"),
    "dreamy": ("wonder", 0.4, -0.4, "wonder, floating"),
    "awe": ("wonder", 0.6, 0.3, "wonder, vast"),
    "ethereal": ("wonder", 0.4, -0.2, "wonder, airy"),
    "hopeful": ("wonder", 0.6, 0.1, "wonder, looking up"),
    "epic": ("triumph", 0.4, 0.85, "triumph, huge"),
    "triumphant": ("triumph", 0.8, 0.8, "triumph"),
    "victorious": ("triumph", 0.8, 0.8, "triumph, the battle won"),
    "heroic": ("triumph", 0.6, 0.8, "triumph, a hero's theme"),
    "uplifting": ("triumph", 0.75, 0.55, "triumph, rising"),
    "majestic": ("triumph", 0.6, 0.5, "triumph, stately"),
    "joyful": ("triumph", 0.85, 0.6, "triumph, celebrating"),
    "calm": ("pastoral", 0.4, -0.7, "pastoral, still"),
    "peaceful": ("pastoral", 0.6, -0.7, "pastoral, at rest"),
    "serene": ("pastoral", 0.6, -0.75, "pastoral, untroubled"),
    "gentle": ("pastoral", 0.5, -0.5, "pastoral, soft"),
    "nostalgic": ("pastoral", 0.1, -0.4, "pastoral, remembering"),
    "idyllic": ("pastoral", 0.7, -0.5, "pastoral, sunlit"),
    "mysterious": ("mystery", -0.2, -0.1, "mystery"),
    "dark": ("mystery", -0.6, 0.1, "mystery, shadowed"),
    "noir": ("mystery", -0.4, 0.0, "mystery, smoky and nocturnal"),
    "curious": ("mystery", 0.0, 0.1, "mystery, inquisitive"),
    "brooding": ("mystery", -0.5, -0.2, "mystery, heavy"),
}

MOODS: dict[str, Mood] = {
    **{name: Mood(name, name, _STYLE_DESCRIPTIONS[name]) for name in STYLE_NAMES},
    **{name: Mood(name, s, d, v, a) for name, (s, v, a, d) in _FEELINGS.items()},
}


def listed() -> list[Mood]:
    """Every mood, for a list or a picker: each style, then the feeling words that score as it."""
    return sorted(MOODS.values(), key=lambda m: (STYLE_NAMES.index(m.style), m.name != m.style))


class UnknownMood(ValueError):
    """A mood outside the vocabulary; the message names it, a suggestion and the list."""


def normalise(text: str) -> str:
    return " ".join(text.strip().lower().split())


def find_mood(text: str) -> Mood | None:
    """The mood a text names ("Tense", " tense "), or None; an empty text is no mood."""
    return MOODS.get(normalise(text))


def check_mood(text: str, where: str = "") -> Mood | None:
    """The mood named, None for an empty text, UnknownMood for anything else."""
    if not normalise(text):
        return None
    mood = find_mood(text)
    if mood is None:
        raise UnknownMood(unknown_mood_message(text, where))
    return mood


def unknown_mood_message(text: str, where: str = "") -> str:
    close = difflib.get_close_matches(normalise(text), list(MOODS), n=3, cutoff=0.6)
    hint = f": did you mean {' or '.join(close)}?" if close else ""
    place = f"{where}: " if where else ""
    return (
        f"{place}unknown mood {text.strip()!r}{hint} Moods are the styles "
        f"({', '.join(STYLE_NAMES)}) and the feeling words "
        f"({', '.join(sorted(_FEELINGS))}); `cuebridge moods` lists what each means. "
        "Describe the scene in the prompt instead when none fits."
    )
