"""`cuebridge demo` with no folder writes into the user's cuebridge data folder, never into the
current folder (a checkout, where it is not ignored, or a project folder)."""

from __future__ import annotations

from cuebridge.app.commands.common import EXIT_BAD_INPUT


def test_the_demo_goes_to_the_data_folder_not_the_current_one(cli, tmp_path, monkeypatch):
    here, data = tmp_path / "project", tmp_path / "data"
    here.mkdir()
    monkeypatch.chdir(here)
    monkeypatch.setenv("CUEBRIDGE_DATA_DIR", str(data))
    made = data / "demo" / "demo.scored.otio"
    made.parent.mkdir(parents=True)
    made.write_text("an earlier demo\n")
    result = cli("demo")  # refused at once: an earlier demo is there, and --force is not given
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert str(made) in result.stderr and "--force" in result.stderr
    assert list(here.iterdir()) == []
    assert made.read_text() == "an earlier demo\n"
