"""Ray is an optional extra: without it, `serve --ray` says what to install and exits 5."""

from __future__ import annotations

import sys

from click.testing import CliRunner

from cuebridge.app.commands.common import EXIT_ENGINE
from cuebridge.app.main import main


def test_serve_with_ray_but_without_ray_installed_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)  # as on a machine without cuebridge[ray]
    monkeypatch.setenv("CUEBRIDGE_CONFIG_DIR", str(tmp_path / "config"))
    result = CliRunner().invoke(
        main,
        ["serve", "--port", "0", "--no-http", "--state-dir", str(tmp_path), "--ray", "auto"],
    )
    assert result.exit_code == EXIT_ENGINE, result.output
    assert 'pip install "cuebridge[ray]"' in result.output
