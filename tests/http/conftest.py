"""A real Bridge with its token and HTTP gateway on free loopback ports, and HTTP helpers."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest

from cuebridge.app.host import RunningServer, start_server
from cuebridge.bridge.security import load_or_create_token

FINAL = {"JOB_STATE_SUCCEEDED", "JOB_STATE_PARTIAL", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"}


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Secured:
    running: RunningServer
    token: str

    @property
    def url(self) -> str:
        return self.running.http.url

    def http(
        self,
        path: str,
        body: dict | str | bytes | None = None,
        *,
        method: str | None = None,
        token: str | None = "",
        headers: dict[str, str] | None = None,
        timeout: float = 60,
        context=None,
        url: str | None = None,
    ) -> Reply:
        """One HTTP request with urllib; the token is the server's unless told otherwise."""
        data = body
        if isinstance(body, dict):
            data = json.dumps(body)
        if isinstance(data, str):
            data = data.encode()
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        key = self.token if token == "" else token
        if key is not None:
            all_headers["Authorization"] = f"Bearer {key}"
        request = urllib.request.Request(
            (url or self.url) + path, data=data, headers=all_headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout, context=context) as resp:
                return Reply(resp.status, dict(resp.headers), resp.read())
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, dict(exc.headers), exc.read())


@pytest.fixture(scope="module")
def secured(tmp_path_factory) -> Secured:
    state = tmp_path_factory.mktemp("state")
    token = load_or_create_token(state / "config" / "token")
    running = start_server(
        "127.0.0.1",
        0,
        state_dir=state,
        output_root=state / "cues",
        token=token,
        http_port=0,
    )
    yield Secured(running, token)
    running.stop(0)
