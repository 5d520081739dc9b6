"""Install the Premiere Pro panel for development: `cuebridge install-plugin premiere`.

Copies plugins/premiere into a folder the editor adds with UXP Developer Tool ("Add Plugin",
pick its manifest.json), and writes settings.json beside the manifest with the bridge's URL
and token, which the panel reads from its own plugin folder.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import secrets
import shutil
import sys
from pathlib import Path

DEFAULT_BRIDGE_URL = "http://127.0.0.1:50052"
PLUGIN_ID = "dev.cuebridge.premiere"
SETTINGS_FILE = "settings.json"


def plugin_source() -> Path:
    """plugins/premiere of this checkout."""
    folder = Path(__file__).resolve().parents[1] / "plugins" / "premiere"
    if not (folder / "manifest.json").is_file():
        raise FileNotFoundError(
            f"{folder / 'manifest.json'} is missing: the Premiere panel ships with the cuebridge "
            "sources; install cuebridge from a checkout (pip install -e .) to install the panel"
        )
    return folder


def default_target() -> Path:
    return Path.home() / "cuebridge-premiere-plugin"


def _build_module(source: Path):
    # build_ccx.py sits in the plugin folder (it must run without cuebridge installed), so load
    # it by path to share its rule for which files the panel needs.
    spec = importlib.util.spec_from_file_location("cuebridge_build_ccx", source / "build_ccx.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def config_dir() -> Path:
    """The contract's config folder rule (plain stdlib, as the Resolve script uses it)."""
    if os.environ.get("CUEBRIDGE_CONFIG_DIR"):
        return Path(os.environ["CUEBRIDGE_CONFIG_DIR"])
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming")) / "cuebridge"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "cuebridge"
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "cuebridge"


def _token_from_contract() -> tuple[str, Path]:
    """Read `<config dir>/token`, making it (0600, folder 0700) on first use."""
    folder = config_dir()
    path = folder / "token"
    if not path.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
        token = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(token + "\n")
    return path.read_text(encoding="ascii").strip(), path


def bridge_token() -> tuple[str, Path]:
    """The bridge's token and where it lives: bridge.security's when present, else the rule."""
    try:
        from cuebridge.bridge import security
    except ImportError:
        return _token_from_contract()
    token = security.load_or_create_token()
    finder = getattr(security, "token_path", None)
    path = finder() if callable(finder) else config_dir() / "token"
    return str(token).strip(), Path(path)


def install_premiere(target: Path | None = None, *, bridge_url: str = DEFAULT_BRIDGE_URL) -> Path:
    """Copy the panel into `target` (default ~/cuebridge-premiere-plugin) with settings.json.

    Returns the folder to add in UXP Developer Tool. A folder holding something other than this
    panel is never overwritten.
    """
    source = plugin_source()
    target = Path(target).expanduser() if target else default_target()
    manifest = target / "manifest.json"
    if target.exists() and any(target.iterdir()):
        try:
            ours = json.loads(manifest.read_text(encoding="utf-8")).get("id") == PLUGIN_ID
        except (OSError, json.JSONDecodeError):
            ours = False
        if not ours:
            raise FileExistsError(
                f"{target} already holds other files; choose an empty folder or remove it"
            )
    build = _build_module(source)
    build.check_plugin(source)
    target.mkdir(parents=True, exist_ok=True)
    for rel in build.runtime_files(source):
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / rel, target / rel)

    token, token_file = bridge_token()
    settings = {"bridgeUrl": bridge_url, "token": token, "tokenFile": str(token_file)}
    path = target / SETTINGS_FILE
    # The token is a secret: readable by this user only, written without a moment of 0644.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(settings, f, indent=2)
        f.write("\n")
    path.chmod(0o600)
    return target
