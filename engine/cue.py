"""What the engine hands back: a cue, i.e. an audio file (and maybe MIDI) plus metadata."""

from __future__ import annotations

from dataclasses import dataclass, field

from cuebridge.contract import CUE_SAMPLE_RATE, cue_file_stem

SAMPLE_RATE = CUE_SAMPLE_RATE  # the NLE standard; every cue leaves the engine at this rate
SAMPLE_WIDTH_BYTES = 3  # 24-bit PCM

__all__ = ["SAMPLE_RATE", "SAMPLE_WIDTH_BYTES", "Cue", "cue_file_stem"]


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
