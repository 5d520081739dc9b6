"""Where the engine keeps its state: CUEBRIDGE_DATA_DIR, else the user's data folder."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def data_dir() -> Path:
    override = os.environ.get("CUEBRIDGE_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir("cuebridge"))
