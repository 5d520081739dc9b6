"""Shared fixtures: real demo films (H.264 via PyAV) and the interop samples in tests/data."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from cuebridge.app.demo_film import DemoFilm, make_demo_film

ROOT = Path(__file__).resolve().parents[1]
# Timelines written by other tools (Apache-2.0, OpenTimelineIO projects; licence beside them).
INTEROP = ROOT / "tests" / "data" / "interop"


def interop_files() -> list[Path]:
    files = sorted(p for p in INTEROP.glob("*/*") if p.suffix in (".otio", ".edl", ".xml"))
    # They are part of the repository: a missing folder is a broken checkout, not a skip.
    assert files, f"no interop timelines under {INTEROP}"
    return files


@pytest.fixture(scope="session")
def demo_films(tmp_path_factory) -> dict[Fraction, DemoFilm]:
    """One small demo film per rate, made once per test session."""
    films = {}
    for rate in (Fraction(24), Fraction(25), Fraction(30000, 1001)):
        folder = tmp_path_factory.mktemp(f"demo-{rate.numerator}")
        films[rate] = make_demo_film(folder, rate=rate, width=192, height=108)
    return films


@pytest.fixture
def demo24(demo_films) -> DemoFilm:
    return demo_films[Fraction(24)]


@pytest.fixture(autouse=True, scope="session")
def _private_engine_state(tmp_path_factory):
    """Each test session gets its own job store and cue cache, never the user's."""
    import os

    os.environ["CUEBRIDGE_DATA_DIR"] = str(tmp_path_factory.mktemp("cuebridge-data"))
    yield


@pytest.fixture(scope="module")
def loopback_server(tmp_path_factory):
    """Both services on a free loopback port, with their own state, for one test module."""
    from cuebridge.app.host import start_server

    state = tmp_path_factory.mktemp("server-state")
    running = start_server("127.0.0.1", 0, state_dir=state, output_root=state / "cues")
    yield running
    running.stop(0)


@pytest.fixture
def server_registry():
    """The models a test's own `server` hosts: None, the built-in ones; a module overrides it."""
    return None


@pytest.fixture
def server(tmp_path, server_registry):
    """Both services on a free loopback port, with this test's own state."""
    from cuebridge.app.host import start_server

    running = start_server("127.0.0.1", 0, state_dir=tmp_path / "state", registry=server_registry)
    yield running
    running.stop(0)


@pytest.fixture
def stub(server):
    """A Bridge client on this test's own server."""
    import grpc

    from cuebridge.v1 import bridge_pb2_grpc

    with grpc.insecure_channel(server.address) as channel:
        yield bridge_pb2_grpc.BridgeStub(channel)


@pytest.fixture
def bridge(loopback_server):
    """A Bridge client on the module's loopback server."""
    import grpc

    from cuebridge.v1 import bridge_pb2_grpc

    with grpc.insecure_channel(loopback_server.address) as channel:
        yield bridge_pb2_grpc.BridgeStub(channel)
