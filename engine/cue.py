"""What the engine hands back: a cue, i.e. an audio file (and maybe MIDI) plus metadata."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SAMPLE_RATE = 48_000  # the NLE standard; every cue leaves the engine at this rate
SAMPLE_WIDTH_BYTES = 3  # 24-bit PCM


def cue_file_stem(segment_id: str) -> str:
    """Cue files are named after their segment: `<stem>.wav`, `<stem>.mid` in the output folder.

    Part of the engine's contract, so a caller can tell which files a job would replace.
    """
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", segment_id).strip("._")
    return stem or "segment"


@dataclass
class Cue:
    segment_id: str
    audio_path: str  # 48 kHz 24-bit WAV
    num_samples: int
    sample_rate: int = SAMPLE_RATE
    midi_path: str = ""
    model: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    # Per-section WAVs that sum to the mix ("Strings" -> path), when stems were asked for.
    stem_paths: dict[str, str] = field(default_factory=dict)
    # What the editor should hear about though the cue was made (e.g. a clip whose picture
    # could not be read, so the cue follows the cuts alone). Reported with the segment.
    warnings: list[str] = field(default_factory=list)
