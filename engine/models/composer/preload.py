"""Imported once by the composer's forkserver (`worker_process.forked_pool`), never by the engine
itself: it loads the font the engine names in `model.FONT_ENV` and imports the composer, so every
worker forked from there starts with both, the font's pages shared between them all.

The load runs in that process, not in the server's: TinySoundFont holds the GIL for the whole
load (seconds for MuseScore General), which in the server would freeze every gRPC and HTTP call.
"""

from __future__ import annotations

import logging
import os


def _preload() -> None:
    font = ""
    try:  # the workers' code, imported once where they are forked from
        from cuebridge.engine.models.composer.model import FONT_ENV
        from cuebridge.engine.models.composer.soundfont import load_soundfont

        font = os.environ.get(FONT_ENV, "")
        if font:
            load_soundfont(font)
    except Exception:  # never kill the forkserver: a worker meets the problem with its cue
        logging.getLogger(__name__).exception("preloading the composer's font %s failed", font)


_preload()
