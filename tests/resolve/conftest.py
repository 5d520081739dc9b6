"""The real bridge (gRPC + HTTP gateway, with a token) and small fake Resolve timelines over real
H.264 picture made with PyAV; the Resolve script loaded from plugins/resolve as Resolve runs it."""

from __future__ import annotations

import importlib.util
import json
import socket
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from cuebridge.app.host import start_server
from cuebridge.bridge.security import load_or_create_token
from tests.resolve import fake_resolve as fake

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "plugins" / "resolve" / "cuebridge_score.py"
SHOT_COLOURS = ((200, 60, 30), (20, 40, 160), (240, 220, 60))
START_24 = 86400  # 01:00:00:00 at 24
START_2997 = 108000  # 01:00:00:00 at 30000/1001, non-drop


def load_script(name: str = "cuebridge_score_under_test"):
    """The plugin as a module, the way the Scripts menu runs the file (not a package import)."""
    spec = importlib.util.spec_from_file_location(name, SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def plugin():
    return load_script()


def encode_picture(path: Path, rate: Fraction, frames_per_shot: int) -> Path:
    """Three flat-colour shots of real H.264 (a cut every `frames_per_shot` frames)."""
    with av.open(str(path), "w") as container:
        codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
        stream = container.add_stream(codec, rate=rate)
        stream.width, stream.height, stream.pix_fmt = 64, 36, "yuv420p"
        n = 0
        for colour in SHOT_COLOURS:
            image = np.empty((36, 64, 3), np.uint8)
            image[:] = colour
            for _ in range(frames_per_shot):
                frame = av.VideoFrame.from_ndarray(image, format="rgb24")
                frame.pts, frame.time_base = n, 1 / rate
                container.mux(stream.encode(frame))
                n += 1
        container.mux(stream.encode(None))
    return path


@pytest.fixture(scope="session")
def pictures(tmp_path_factory) -> dict[Fraction, Path]:
    folder = tmp_path_factory.mktemp("picture")
    return {
        Fraction(24): encode_picture(folder / "p24.mp4", Fraction(24), 48),
        Fraction(30000, 1001): encode_picture(folder / "p2997.mp4", Fraction(30000, 1001), 60),
        Fraction(60000, 1001): encode_picture(folder / "p5994.mp4", Fraction(60000, 1001), 60),
    }


def make_resolve(
    picture: Path,
    rate: Fraction,
    start: int,
    markers: dict[int, dict] | None = None,
    marks: dict | None = None,
    version=(20, 2, 0, 5),
    frames_per_shot: int | None = None,
    product: str = fake.STUDIO,
    project_rate: Fraction | None = None,
    drop_frame: bool = False,
) -> fake.Resolve:
    """A project whose current timeline holds three shots of `picture` on V1."""
    n = frames_per_shot or (48 if rate == 24 else 60)
    shots = [fake.Shot(f"SH{i + 1:02d}", str(picture), i * n, n) for i in range(3)]
    timeline = fake.Timeline("Reel 1", rate, start, shots, markers, marks, drop_frame=drop_frame)
    project = fake.Project("Short film", timeline, project_rate)
    return fake.Resolve(project, version, product)


def cue_marker(name: str, duration: int, note: str = "", color: str = "Green") -> dict:
    return {
        "color": color,
        "duration": float(duration),
        "note": note,
        "name": name,
        "customData": "",
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def bridge_server(tmp_path_factory):
    state = tmp_path_factory.mktemp("bridge-state")
    token_file = state / "config" / "token"
    token = load_or_create_token(token_file)
    running = start_server(
        "127.0.0.1", 0, state_dir=state, output_root=state / "cues", token=token, http_port=0
    )
    running.token_file = token_file
    yield running
    running.stop(0)


@pytest.fixture
def settings(bridge_server, tmp_path) -> dict:
    """What `cuebridge install-plugin resolve` would write, pointing at the test bridge."""
    return {
        "bridge_url": bridge_server.http.url,
        "token_file": str(bridge_server.token_file),
        "cue_root": str(tmp_path / "scores"),
        "poll_seconds": 0.1,
        "timeout_seconds": 300,
    }


def write_settings(folder: Path, values: dict) -> Path:
    path = folder / "cuebridge_settings.json"
    path.write_text(json.dumps(values))
    return path
