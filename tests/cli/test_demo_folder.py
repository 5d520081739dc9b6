"""`cuebridge demo` with no folder writes into the user's cuebridge data folder, never into the
current folder (a checkout, where it is not ignored, or a project folder). That folder is
cuebridge's own, so the README's first command works on every run; a folder the user names keeps
what is in it unless --force is given."""

from __future__ import annotations

from cuebridge.app.commands.common import EXIT_BAD_INPUT, EXIT_OK


def test_the_demo_goes_to_the_data_folder_not_the_current_one(cli, tmp_path, monkeypatch):
    here, data = tmp_path / "project", tmp_path / "data"
    here.mkdir()
    monkeypatch.chdir(here)
    monkeypatch.setenv("CUEBRIDGE_DATA_DIR", str(data))
    made = data / "demo" / "demo.scored.otio"
    made.parent.mkdir(parents=True)
    made.write_text("an earlier demo\n")
    mine = here / "mine" / "demo.scored.otio"
    mine.parent.mkdir()
    mine.write_text("my own demo\n")
    refused = cli("demo", mine.parent)  # a folder the user named: refused without --force
    assert refused.exit_code == EXIT_BAD_INPUT, refused.output
    assert str(mine) in refused.stderr and "--force" in refused.stderr
    assert mine.read_text() == "my own demo\n"

    result = cli("demo")  # the data folder's demo is cuebridge's own: made again
    assert result.exit_code == EXIT_OK, result.output
    assert list(here.iterdir()) == [here / "mine"]
    assert made.read_text() != "an earlier demo\n" and (data / "demo" / "cues").is_dir()
