"""install_premiere copies the panel with its token; build_ccx packs it without the token."""

from __future__ import annotations

import importlib.util
import json
import re
import stat
import zipfile
from pathlib import Path

import pytest

from cuebridge.app.install_premiere import PLUGIN_ID, install_premiere, plugin_source

PLUGIN = Path(__file__).resolve().parents[2] / "plugins" / "premiere"


def _build_ccx():
    spec = importlib.util.spec_from_file_location("build_ccx", PLUGIN / "build_ccx.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def config_dir(tmp_path, monkeypatch):
    folder = tmp_path / "config"
    monkeypatch.setenv("CUEBRIDGE_CONFIG_DIR", str(folder))
    return folder


def test_install_copies_the_panel_and_writes_the_token_beside_it(tmp_path, config_dir):
    target = install_premiere(tmp_path / "plugin", bridge_url="http://127.0.0.1:50099")
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["id"] == PLUGIN_ID
    # ProjectConverter (both exports) is "Since: 26.2" in Adobe's UXP reference (defect 1).
    assert manifest["host"] == {"app": "premierepro", "minVersion": "26.2.0"}
    html = (target / "index.html").read_text()
    for src in re.findall(r'<script src="([^"]+)"', html):
        assert (target / src).read_bytes() == (PLUGIN / src).read_bytes()
    assert not list(target.glob("*.py"))  # the build script stays behind

    settings_path = target / "settings.json"
    settings = json.loads(settings_path.read_text())
    token_file = config_dir / "token"
    assert settings == {
        "bridgeUrl": "http://127.0.0.1:50099",
        "token": token_file.read_text().strip(),
        "tokenFile": str(token_file),
    }
    assert len(settings["token"]) >= 40
    assert stat.S_IMODE(settings_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600

    # Installing again keeps the same token and refreshes the files.
    (target / "panel.js").write_text("stale")
    again = install_premiere(target)
    assert json.loads((again / "settings.json").read_text())["token"] == settings["token"]
    assert (again / "panel.js").read_bytes() == (PLUGIN / "panel.js").read_bytes()


def test_install_never_overwrites_a_foreign_folder(tmp_path, config_dir):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="already holds other files"):
        install_premiere(target)
    assert (target / "notes.txt").read_text() == "keep me"
    assert not (target / "settings.json").exists()


def test_ccx_has_the_manifest_at_its_root_and_never_the_token(tmp_path, config_dir):
    build = _build_ccx()
    # Build from an installed copy, which has a settings.json holding the token.
    installed = install_premiere(tmp_path / "plugin")
    assert (installed / "settings.json").exists()
    out = build.build_ccx(installed, tmp_path / "cuebridge.ccx")
    with zipfile.ZipFile(out) as ccx:
        names = ccx.namelist()
        assert json.loads(ccx.read("manifest.json"))["id"] == PLUGIN_ID
        assert ccx.testzip() is None
    assert "settings.json" not in names
    assert sorted(names) == sorted(p.as_posix() for p in build.runtime_files(plugin_source()))
    assert {"index.html", "panel.js", "place.js", "sequence.js", "bridge_client.js"} <= set(names)
    # Same sources, same bytes.
    assert build.build_ccx(installed, tmp_path / "again.ccx").read_bytes() == out.read_bytes()


def test_ccx_build_refuses_a_plugin_whose_html_loads_a_missing_script(tmp_path):
    build = _build_ccx()
    broken = tmp_path / "broken"
    broken.mkdir()
    for rel in build.runtime_files(PLUGIN):
        (broken / rel).parent.mkdir(parents=True, exist_ok=True)
        (broken / rel).write_bytes((PLUGIN / rel).read_bytes())
    (broken / "place.js").unlink()
    with pytest.raises(SystemExit, match="index.html loads place.js, which does not exist"):
        build.build_ccx(broken, tmp_path / "x.ccx")


def test_the_manifest_allows_127_0_0_1_only_and_names_icons_that_exist():
    """Defect 6: macOS blocks plain-HTTP `localhost` in UXP, so the panel and its docs say
    127.0.0.1; the panel's icons are in the manifest (UXP manifest v5 `icons`)."""
    manifest = json.loads((PLUGIN / "manifest.json").read_text())
    assert manifest["requiredPermissions"]["network"]["domains"] == ["http://127.0.0.1:50052"]
    for path in [*PLUGIN.glob("*.js"), *PLUGIN.glob("*.html"), PLUGIN / "README.md"]:
        assert "//localhost" not in path.read_text(), path.name  # no localhost URL anywhere
    [panel] = manifest["entrypoints"]
    icons = manifest["icons"] + panel["icons"]
    assert {tuple(i["theme"]) for i in panel["icons"]} >= {("lightest", "light")}
    for icon in icons:
        for scale in icon["scale"]:
            stem = icon["path"][: -len(".png")]
            path = PLUGIN / (icon["path"] if scale == 1 else f"{stem}@{scale}x.png")
            data = path.read_bytes()
            assert data[:8] == b"\x89PNG\r\n\x1a\n", path
            width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
            assert (width, height) == (icon["width"] * scale, icon["height"] * scale), path
    _build_ccx().check_plugin(PLUGIN)  # the package check finds every icon


def test_the_readme_version_is_the_manifests():
    manifest = json.loads((PLUGIN / "manifest.json").read_text())
    wanted = manifest["host"]["minVersion"].rsplit(".0", 1)[0]  # "26.2"
    readme = (PLUGIN / "README.md").read_text()
    assert f"Premiere Pro {wanted} or later" in readme
    assert "25.6" not in readme.split("## Host calls")[0]
