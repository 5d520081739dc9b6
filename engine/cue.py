"""What the engine hands back: a cue, i.e. an audio file (and maybe MIDI) plus metadata."""

from __future__ import annotations

from dataclasses import dataclass, field

SAMPLE_RATE = 48_000  # the NLE standard; every cue leaves the engine at this rate
SAMPLE_WIDTH_BYTES = 3  # 24-bit PCM


@dataclass
class Cue:
    segment_id: str
    audio_path: str  # 48 kHz 24-bit WAV
    num_samples: int
    sample_rate: int = SAMPLE_RATE
    midi_path: str = ""
    model: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
