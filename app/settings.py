"""The engine's settings, built once from flags and the environment, then passed down.

Environment: CUEBRIDGE_DATA_DIR (state: jobs, cue cache, picture cache; default the user's data
folder), CUEBRIDGE_MUSICGEN, CUEBRIDGE_MUSICGEN_ADAPTER, CUEBRIDGE_VIVIT, CUEBRIDGE_DEVICE.
A flag given on the command line wins over its variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

from cuebridge.engine.settings import EngineSettings


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    override = env.get("CUEBRIDGE_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir("cuebridge"))


def engine_settings(
    state_dir: Path | None = None, env: Mapping[str, str] | None = None
) -> EngineSettings:
    env = os.environ if env is None else env
    return EngineSettings(
        state_dir=Path(state_dir) if state_dir else data_dir(env),
        musicgen=env.get("CUEBRIDGE_MUSICGEN", ""),
        musicgen_adapter=env.get("CUEBRIDGE_MUSICGEN_ADAPTER", ""),
        vivit=env.get("CUEBRIDGE_VIVIT", ""),
        device=env.get("CUEBRIDGE_DEVICE", "auto") or "auto",
        musicgen_guidance=env.get("CUEBRIDGE_MUSICGEN_GUIDANCE", "auto") or "auto",
        font_cache_dir=data_dir(env) / "font-cache",  # the user's, whatever the state folder
    )
