"""Every command reaches a bridge through app/session.py, whose settings are built once: so
`cuebridge models` sees the MusicGen variables exactly as `score --model musicgen-video` does."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

COMMANDS = Path(__file__).resolve().parents[2] / "app" / "commands"
# What only the session may call: it builds the settings once and hands them down.
SESSION_ONLY = {"start_server", "ModelRegistry", "engine_settings", "authorized_channel"}


def _called_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call):
            f = node.func
            names.add(f.id if isinstance(f, ast.Name) else getattr(f, "attr", ""))
    return names


# serve is the long-lived host itself: it hands its flags to start_server, it is no session client.
CLIENTS = sorted(p.name for p in COMMANDS.glob("*.py") if p.name != "serve.py")


def test_the_command_modules_are_found():
    assert {"score.py", "batch.py", "models.py", "inspect.py"} <= set(CLIENTS)


@pytest.mark.parametrize("module", CLIENTS)
def test_no_command_builds_its_own_bridge_engine_or_settings(module):
    assert not _called_names(COMMANDS / module) & SESSION_ONLY, module


@pytest.mark.parametrize(
    "module", ["score", "batch", "inspect", "models", "demo", "convert", "cuesheet"]
)
def test_the_commands_that_reach_a_bridge_use_the_session(module):
    assert "Session" in _called_names(COMMANDS / f"{module}.py")


def test_models_reports_musicgen_video_ready_with_the_musicgen_variables_set(
    cli, monkeypatch, tmp_path
):
    from tests.musicgen.tiny import tiny_musicgen, tiny_tokenizer, tiny_vivit

    musicgen, vivit = tmp_path / "musicgen", tmp_path / "vivit"
    tiny_musicgen(seed=0).save_pretrained(musicgen)  # the hub layout, tiny random weights
    tiny_tokenizer().save_pretrained(musicgen)
    tiny_vivit(seed=0).save_pretrained(vivit)
    monkeypatch.setenv("CUEBRIDGE_MUSICGEN", str(musicgen))
    monkeypatch.setenv("CUEBRIDGE_VIVIT", str(vivit))
    monkeypatch.setenv("CUEBRIDGE_DEVICE", "cpu")
    monkeypatch.delenv("CUEBRIDGE_MUSICGEN_ADAPTER", raising=False)
    monkeypatch.setenv("CUEBRIDGE_DATA_DIR", str(tmp_path / "state"))
    result = cli("models", "--json")
    assert result.exit_code == 0, result.output
    video = {m["name"]: m for m in json.loads(result.stdout)["models"]}["musicgen-video"]
    assert video.get("ready", False), video.get("reason")
    assert video["device"] == "cpu"
