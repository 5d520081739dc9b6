"""Put the NLE plugins of this checkout where the NLEs look: `cuebridge install-plugin resolve`.

Resolve lists every script under Fusion/Scripts/Utility in Workspace > Scripts. The script finds
the bridge through `cuebridge_settings.json` beside it (bridge URL and token file); an editor's
own changes to that file survive a reinstall.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from cuebridge.bridge.errors import BridgeError
from cuebridge.bridge.security import token_path
from cuebridge.safe_files import replacing

PLUGINS = Path(__file__).resolve().parents[1] / "plugins"
RESOLVE_SCRIPT = "cuebridge_score.py"
TAKE_SCRIPT = "cuebridge_another_take.py"  # a second Scripts menu entry: another take
SETTINGS_NAME = "cuebridge_settings.json"
DEFAULT_BRIDGE_URL = "http://127.0.0.1:50052"

_UTILITY = ("Fusion", "Scripts", "Utility")
LINUX_SYSTEM_FOLDER = Path("/opt/resolve").joinpath(*_UTILITY)


def resolve_scripts_folder(
    platform: str | None = None, env: dict[str, str] | None = None, home: Path | None = None
) -> Path:
    """Resolve's per-user Scripts/Utility folder on this OS (the system one on Linux when only it
    is there and writable)."""
    platform = platform or sys.platform
    env = dict(os.environ) if env is None else env
    home = Path(home) if home is not None else Path.home()
    if platform.startswith("win"):
        appdata = Path(env.get("APPDATA") or home / "AppData" / "Roaming")
        return appdata / "Blackmagic Design" / "DaVinci Resolve" / "Support" / Path(*_UTILITY)
    if platform == "darwin":
        support = home / "Library" / "Application Support"
        return support / "Blackmagic Design" / "DaVinci Resolve" / Path(*_UTILITY)
    user_base = home / ".local" / "share" / "DaVinciResolve"
    if (
        not user_base.exists()
        and LINUX_SYSTEM_FOLDER.is_dir()
        and os.access(LINUX_SYSTEM_FOLDER, os.W_OK)
    ):
        return LINUX_SYSTEM_FOLDER
    return user_base / Path(*_UTILITY)


def install_resolve(
    target: Path | None = None,
    *,
    bridge_url: str | None = None,
    token_file: Path | None = None,
) -> Path:
    """Copy the Resolve script into `target` (default: Resolve's Scripts/Utility folder) with its
    settings beside it; returns the installed script's path."""
    source = PLUGINS / "resolve" / RESOLVE_SCRIPT
    if not source.is_file():
        raise BridgeError(
            f"{source}: the Resolve script is not there; install from a cuebridge checkout "
            "(git clone), where plugins/ sits beside bridge/"
        )
    folder = Path(target) if target is not None else resolve_scripts_folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        script = folder / RESOLVE_SCRIPT
        _write_atomic(script, source.read_bytes())
        _write_atomic(folder / TAKE_SCRIPT, (source.parent / TAKE_SCRIPT).read_bytes())
        settings_path = folder / SETTINGS_NAME
        settings = _settings(settings_path, bridge_url, token_file)
        _write_atomic(settings_path, (json.dumps(settings, indent=2) + "\n").encode())
    except OSError as exc:
        raise BridgeError(
            f"{folder}: cannot install the Resolve script there ({exc.strerror or exc}); "
            "pass another folder, or check its permissions"
        ) from exc
    return script


def _settings(path: Path, bridge_url: str | None, token_file: Path | None) -> dict:
    settings = {
        "bridge_url": DEFAULT_BRIDGE_URL,
        "token_file": str(token_path()),
    }
    if path.is_file():
        try:
            kept = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise BridgeError(
                f"{path}: not valid JSON ({exc}); fix it or delete it and install again"
            ) from exc
        if isinstance(kept, dict):
            settings.update(kept)  # the editor's own choices (prompt, cue_root ...) stay
    if bridge_url:
        settings["bridge_url"] = bridge_url
    if token_file:
        settings["token_file"] = str(token_file)
    return settings


def _write_atomic(path: Path, data: bytes) -> None:
    # Resolve may read the script while we write it: it sees the old file or the new, never half.
    with replacing(path, mode=0o600) as (fh, _):  # private, as mkstemp made it before
        fh.write(data)
