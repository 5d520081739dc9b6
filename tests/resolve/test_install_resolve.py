"""`install_resolve`: the script and its settings land where Resolve's Scripts menu looks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import cuebridge.app.install_resolve as installer
from cuebridge.app.install_resolve import install_resolve, resolve_scripts_folder
from cuebridge.bridge.errors import BridgeError
from cuebridge.bridge.security import token_path
from tests.resolve.conftest import SCRIPT, load_script


@pytest.fixture
def config(monkeypatch, tmp_path) -> Path:
    monkeypatch.setenv("CUEBRIDGE_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path / "config"


def test_install_copies_the_script_and_writes_its_settings(config, tmp_path):
    target = tmp_path / "Fusion" / "Scripts" / "Utility"

    script = install_resolve(target)

    assert script == target / "cuebridge_score.py"
    assert script.read_bytes() == SCRIPT.read_bytes()
    take = SCRIPT.with_name("cuebridge_another_take.py")  # the "another take" menu entry
    assert (script.parent / take.name).read_bytes() == take.read_bytes()
    settings = json.loads((target / "cuebridge_settings.json").read_text())
    assert settings == {
        "bridge_url": "http://127.0.0.1:50052",
        "token_file": str(token_path()),
    }
    assert settings["token_file"] == str(config / "token")
    # The installed copy, loaded from where Resolve runs it, finds those settings.
    installed = load_script("cuebridge_score_installed")
    assert installed.load_settings(str(target))["token_file"] == str(config / "token")
    assert not [p for p in target.iterdir() if p.name.startswith(".")]  # no scratch left


def test_reinstalling_keeps_the_editors_settings(config, tmp_path):
    target = tmp_path / "Utility"
    install_resolve(target)
    settings_file = target / "cuebridge_settings.json"
    edited = {
        **json.loads(settings_file.read_text()),
        "prompt": "harp",
        "bridge_url": "http://127.0.0.1:6001",
    }
    settings_file.write_text(json.dumps(edited))
    (target / "cuebridge_score.py").write_text("# an old version\n")

    install_resolve(target)

    assert json.loads(settings_file.read_text()) == edited
    assert (target / "cuebridge_score.py").read_bytes() == SCRIPT.read_bytes()
    install_resolve(target, bridge_url="http://127.0.0.1:7000")
    assert json.loads(settings_file.read_text())["bridge_url"] == "http://127.0.0.1:7000"


def test_install_into_a_file_says_which_folder(config, tmp_path):
    blocker = tmp_path / "Utility"
    blocker.write_text("not a folder")
    with pytest.raises(BridgeError, match=str(blocker)):
        install_resolve(blocker)


def test_install_without_the_plugins_folder_says_to_use_a_checkout(config, tmp_path, monkeypatch):
    monkeypatch.setattr(installer, "PLUGINS", tmp_path / "nowhere")
    with pytest.raises(BridgeError, match="checkout"):
        install_resolve(tmp_path / "Utility")
    assert not (tmp_path / "Utility").exists()


def test_the_scripts_folder_per_system(tmp_path):
    home = tmp_path / "home"
    mac = resolve_scripts_folder("darwin", {}, home)
    assert mac == home / (
        "Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts/Utility"
    )
    win = resolve_scripts_folder("win32", {"APPDATA": str(tmp_path / "Roaming")}, home)
    assert win == tmp_path / "Roaming" / (
        "Blackmagic Design/DaVinci Resolve/Support/Fusion/Scripts/Utility"
    )
    (home / ".local" / "share" / "DaVinciResolve").mkdir(parents=True)
    linux = resolve_scripts_folder("linux", {}, home)
    assert linux == home / ".local/share/DaVinciResolve/Fusion/Scripts/Utility"
