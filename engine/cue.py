"""What the engine hands back: a cue, i.e. an audio file (and maybe MIDI) plus metadata."""

from __future__ import annotations

from dataclasses import dataclass, field

from cuebridge.contract import CUE_SAMPLE_RATE, cue_file_stem
from cuebridge.engine.segment import CueFeel

SAMPLE_RATE = CUE_SAMPLE_RATE  # the NLE standard; every cue leaves the engine at this rate
SAMPLE_WIDTH_BYTES = 3  # 24-bit PCM

__all__ = ["SAMPLE_RATE", "SAMPLE_WIDTH_BYTES", "Cue", "Take", "cue_file_stem"]


@dataclass(frozen=True)
class Take:
    """One take of a best-of-N cue."""

    seed: int
    score: float  # how well it lands on the cuts and hit points; higher is better
    audio_path: str
    midi_path: str = ""
    chosen: bool = False  # the take the cue's audio_path is


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
    feel: CueFeel = field(default_factory=CueFeel)  # what it was made with, and what decided it
    speech_s: list[tuple[float, float]] = field(default_factory=list)  # where people speak
    duck_db: float = 0.0  # the dip under speech; 0 = none
    duck_keyframes: list[tuple[float, float]] = field(default_factory=list)  # (s, dB)
    takes: list[Take] = field(default_factory=list)  # best-of-N, every take; empty for one
