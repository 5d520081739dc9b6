"""Issue 22 item 13: a second server on a port that one already serves must fail, naming the port
and the process that holds it (gRPC sets SO_REUSEPORT on Linux unless told not to)."""

from __future__ import annotations

import os
import socket

import pytest

from cuebridge.app.host import start_server
from cuebridge.app.port_owner import port_owner


def test_a_second_serve_on_the_same_port_fails_naming_the_port_and_the_holder(tmp_path):
    first = start_server("127.0.0.1", 0, state_dir=tmp_path / "one")
    second = None
    try:
        with pytest.raises(OSError) as refused:
            second = start_server("127.0.0.1", first.port, state_dir=tmp_path / "two")
        message = str(refused.value)
        assert f"127.0.0.1:{first.port}" in message
        assert f"pid {os.getpid()} " in message and "pick another --port" in message
    finally:
        if second is not None:
            second.stop(0)
        first.stop(0)


def test_port_owner_names_a_plain_listener_and_nothing_for_a_free_port():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert port_owner(port) == port_owner(port) and f"pid {os.getpid()} " in port_owner(port)
    assert port_owner(port) is None
