"""Issue 22 item 14: idle HTTP connections are capped per client and in total (3,000 idle
connections made 3,000 threads); one over a cap is answered 503 at once and closed."""

from __future__ import annotations

import json
import socket
import time

from cuebridge.bridge import http_gateway


def _idle(port: int, source: str) -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(source, 0))
    return conn


def _answer(conn: socket.socket) -> bytes:
    """What the server says before closing an idle connection (b"" if it keeps it open)."""
    conn.settimeout(1.0)
    try:
        data = b""
        while chunk := conn.recv(4096):
            data += chunk
        return data
    except TimeoutError:
        return data


def test_idle_connections_are_capped_per_client_and_in_total(secured, monkeypatch):
    monkeypatch.setattr(http_gateway, "MAX_CONNECTIONS_PER_CLIENT", 3, raising=False)
    monkeypatch.setattr(http_gateway, "MAX_CONNECTIONS", 5, raising=False)
    port = secured.running.http.port
    held = [_idle(port, "127.0.0.1") for _ in range(3)]
    try:
        time.sleep(0.3)  # accepted and counted
        over = _idle(port, "127.0.0.1")
        reply = _answer(over)
        assert reply.startswith(b"HTTP/1.1 503 "), reply
        body = json.loads(reply.split(b"\r\n\r\n", 1)[1])
        assert body["code"] == "RESOURCE_EXHAUSTED" and "127.0.0.1" in body["message"]
        assert all(_answer(c) == b"" for c in held[:1])  # the held ones stay open
        held += [_idle(port, "127.0.0.2") for _ in range(2)]  # another client: total 5
        time.sleep(0.3)
        third = _idle(port, "127.0.0.2")
        assert b"in total" in _answer(third)
    finally:
        for c in held:
            c.close()
    time.sleep(0.5)  # closed connections give their places back
    reply = secured.http("/cuebridge.v1.CueEngine/GetEngineInfo", {})
    assert reply.status == 200, reply.body
