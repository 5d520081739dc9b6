"""The token file is read only when it is the user's own regular file, never through a link."""

from __future__ import annotations

import logging
import os
import threading

import pytest

from cuebridge.bridge.security import SecurityError, load_or_create_token


def test_a_symlinked_token_is_refused_and_its_target_untouched(tmp_path):
    target = tmp_path / "someone_elses_file"
    target.write_text("not-a-token-but-now-it-would-be\n")
    os.chmod(target, 0o644)
    link = tmp_path / "config" / "token"
    link.parent.mkdir()
    link.symlink_to(target)
    with pytest.raises(SecurityError) as info:
        load_or_create_token(link)
    assert str(link) in str(info.value) and "symbolic link" in str(info.value)
    assert target.stat().st_mode & 0o777 == 0o644  # the target's mode is not changed


def test_a_dangling_symlink_is_not_written_through(tmp_path):
    target = tmp_path / "elsewhere" / "planted"
    target.parent.mkdir()
    link = tmp_path / "config" / "token"
    link.parent.mkdir()
    link.symlink_to(target)
    with pytest.raises(SecurityError):
        load_or_create_token(link)
    assert not target.exists()


def test_a_fifo_token_is_refused_without_hanging(tmp_path):
    fifo = tmp_path / "token"
    os.mkfifo(fifo)
    outcome = {}

    def load():
        try:
            outcome["token"] = load_or_create_token(fifo)
        except SecurityError as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(5)
    hung = worker.is_alive()
    while worker.is_alive():  # release a reader stuck in open(2)
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
        worker.join(0.2)
    assert not hung, "reading a FIFO token file hung"
    assert "error" in outcome and "regular file" in str(outcome["error"])


def test_a_world_readable_token_is_made_private_with_a_warning(tmp_path, caplog):
    path = tmp_path / "token"
    path.write_text("abcdefghijklmnop\n")
    os.chmod(path, 0o644)
    with caplog.at_level(logging.WARNING, logger="cuebridge.bridge.security"):
        assert load_or_create_token(path) == "abcdefghijklmnop"
    assert path.stat().st_mode & 0o777 == 0o600
    assert any(str(path) in r.getMessage() and "0600" in r.getMessage() for r in caplog.records)
