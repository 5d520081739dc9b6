"""Where the composer's worker processes come from: one forkserver that loaded the default font
(worker_process.forked_pool), its workers forked from there.

Light to import (the font modules are imported when used; no synthesis, no scipy, no model): a
serving engine starts that forkserver first thing (`start_early_in_background`), so the font
loads on a second core while the server itself still imports and binds, instead of after the
warm-up has imported every model.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from cuebridge.engine.settings import EngineSettings
from cuebridge.worker_process import start_forkserver

log = logging.getLogger(__name__)
FONT_ENV = "CUEBRIDGE_PRELOAD_SOUNDFONT"  # the font the workers' forkserver loads (preload.py)
PRELOAD = "cuebridge.engine.models.composer.preload"


def playable(source: str, font_cache: Path | None) -> str:
    """The file the renderer opens for `source`: for a .sf3, its decoded copy in the font
    cache, else the font itself."""
    from cuebridge.engine.models.composer.font_cache import FontProblem, playable_font

    try:
        return str(playable_font(Path(source), font_cache))
    except (OSError, FontProblem) as exc:
        log.warning("cannot keep a decoded copy of %s (%s): playing it as it is", source, exc)
        return source


def default_playable(soundfont: str, font_dir: Path | None, font_cache: Path | None) -> str:
    """The file the workers' preload opens: the default font's playable form ("" when the
    font has a problem: each cue reports it)."""
    from cuebridge.engine.models.composer.soundfont import resolve_soundfont, soundfont_problem

    font = str(resolve_soundfont(soundfont, font_dir))
    return "" if soundfont_problem(font) else playable(font, font_cache)


def preload_env(soundfont: str, font_dir: Path | None, font_cache: Path | None) -> dict[str, str]:
    return {FONT_ENV: default_playable(soundfont, font_dir, font_cache)}


def start_early(settings: EngineSettings) -> None:
    """Start the forkserver the composer built from `settings` will fork its workers from
    (the same environment: its pool finds it running). Nothing when the font has a problem."""
    env = preload_env("", settings.soundfont_dir, settings.font_cache)
    if env[FONT_ENV]:
        start_forkserver(PRELOAD, env)


def start_early_in_background(settings: EngineSettings) -> threading.Thread | None:
    """`start_early` in a thread, for a serving engine at its start: nothing is waited for
    here. None when the default model may be MusicGen (a checkpoint is configured: the warm-up
    decides)."""
    if settings.musicgen:
        return None

    def start() -> None:
        try:
            start_early(settings)
        except Exception:  # the warm-up meets the same problem and reports it
            log.exception("starting the composer's workers early failed")

    thread = threading.Thread(target=start, name="composer-early", daemon=True)
    thread.start()
    return thread
