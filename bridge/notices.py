"""What a score tells the editor before any music is made: offline clips, overridden moods,
and where its cues go by default."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

SHOWN_NAMES = 5


def offline_clips(segments) -> tuple[int, str]:
    """How many clips under the cues are offline, and their names: every one accounted for
    ("a.mov ×2, b.mov and 3 more"), in timeline order."""
    names = Counter(
        m.name or "(unnamed clip)" for s in segments for m in s.segment.media if not m.path
    )
    count = sum(names.values())
    shown = [f"{n} ×{k}" if k > 1 else n for n, k in list(names.items())[:SHOWN_NAMES]]
    rest = sum(list(names.values())[SHOWN_NAMES:])
    listed = ", ".join(shown) + (f" and {rest} more" if rest else "")
    return count, listed


def mood_overrides(segments, default_mood: str) -> list[str]:
    """One note naming the cues whose marker mood replaced --mood (markers win, as for prompts)."""
    if not default_mood:
        return []
    replaced = [
        f"{s.segment.id} ({s.segment.mood})" for s in segments if s.segment.mood != default_mood
    ]
    if not replaced:
        return []
    return [
        f"--mood {default_mood!r} applies to cues whose marker sets no mood; the marker's own "
        f"mood is used for {', '.join(replaced)}"
    ]


def default_cue_dir(output: Path) -> Path:
    """<stem>_cues beside an .otio output, <stem>_<format>_cues beside others: one cut scored
    to x.otio and then x.xml gets two folders, never a clash (the engine's cache hard-links
    unchanged cues, so the second folder costs no music and little disk)."""
    suffix = output.suffix.lower()
    kind = "" if suffix in (".otio", "") else f"_{suffix[1:]}"
    return output.parent / f"{output.stem}{kind}_cues"
