"""What the engine is configured with, built once by the application layer (flags and
environment) and passed down: nothing below reads the environment."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class EngineSettings:
    # Jobs, the cue cache and the picture cache live here; None keeps analyses in memory only.
    state_dir: Path | None = None
    musicgen: str = ""  # folder or Hugging Face id (in the local cache) of a MusicGen checkpoint
    musicgen_adapter: str = ""  # folder with adapter.safetensors + adapter_config.json
    vivit: str = ""  # folder of google/vivit-b-16x2-kinetics400
    device: str = "auto"  # cuda, mps, cpu or auto
    musicgen_guidance: str = "auto"  # ossl, text-and-video-null or auto (musicgen-video)
    # CPU threads a model's math may use (torch's intra-op pool); 0 = one per core given to this
    # process. On a busy 2-core box two threads ran MusicGen's decode 20x slower than one.
    threads: int = 0
    # Decoded fonts (font_cache.py): one folder per machine, shared by every state folder, so a
    # second engine (or a test's own state) never decodes the font again. None: in state_dir.
    font_cache_dir: Path | None = None

    @property
    def cpu_threads(self) -> int:
        import os

        if self.threads > 0:
            return self.threads
        try:
            return len(os.sched_getaffinity(0))
        except AttributeError:  # macOS and Windows have no affinity call
            return os.cpu_count() or 1

    @property
    def picture_cache(self) -> Path | None:
        return self.state_dir / "picture-cache" if self.state_dir else None

    @property
    def soundfont_dir(self) -> Path | None:
        """General MIDI fonts the user put here win over the ones installed on the machine."""
        return self.state_dir / "soundfonts" if self.state_dir else None

    @property
    def font_cache(self) -> Path | None:
        """Compressed fonts decoded once, for every process that plays them."""
        if self.font_cache_dir is not None:
            return self.font_cache_dir
        return self.state_dir / "font-cache" if self.state_dir else None
