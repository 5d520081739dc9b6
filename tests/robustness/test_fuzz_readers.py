"""Hostile timeline files: whatever the bytes, reading gives a timeline or a clean TimelineError.

Property-based (hypothesis): real peer files from tests/data/interop are truncated, spliced and
byte-flipped; each read must end in bounded time with a timeline or a TimelineError that names
the file, never another exception and never a hang.
"""

from __future__ import annotations

import signal
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cuebridge.bridge.errors import TimelineError
from cuebridge.bridge.segments import CueDefaults, SegmentMode, Selection, select, study
from cuebridge.bridge.timeline_io import read_timeline, timeline_rate
from tests.conftest import INTEROP

SEEDS = {
    ".edl": (INTEROP / "edl" / "premiere_example.edl").read_bytes(),
    ".xml": (INTEROP / "fcp7" / "premiere_example.xml").read_bytes(),
    ".otio": (INTEROP / "otio" / "multitrack.otio").read_bytes(),
}
SECONDS_PER_READ = 10


@contextmanager
def time_limit(seconds: int):
    def on_alarm(*_):
        raise TimeoutError(f"a read took longer than {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@st.composite
def mangled(draw, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["truncate", "flip", "splice", "delete"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "truncate":
            data = data[:at]
        elif op == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif op == "splice":
            data[at:at] = draw(st.binary(min_size=1, max_size=40))
        elif op == "delete":
            data[at : at + draw(st.integers(1, 200))] = b""
    return bytes(data)


def _check(tmp_path: Path, suffix: str, data: bytes) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        with time_limit(SECONDS_PER_READ):
            timeline = read_timeline(path, Fraction(24))
            # Whatever reads must also survive segment selection (scenes never need markers).
            facts = study(timeline, timeline_rate(timeline))
            if facts.duration > 0:
                select(timeline, facts, Selection(SegmentMode.SCENES), CueDefaults())
    except TimelineError as exc:
        assert str(path) in str(exc)
    except Exception as exc:  # BridgeError for "nothing to score" is clean too
        from cuebridge.bridge.errors import BridgeError

        if not isinstance(exc, BridgeError):
            raise


@pytest.mark.parametrize("suffix", sorted(SEEDS))
def test_mangled_peer_files_fail_cleanly(suffix, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"fuzz{suffix[1:]}")

    @settings(
        max_examples=60,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(mangled(SEEDS[suffix]))
    def run(data):
        _check(tmp, suffix, data)

    run()


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.binary(max_size=2000))
def test_random_bytes_in_any_format_fail_cleanly(tmp_path_factory, data):
    tmp = tmp_path_factory.mktemp("rand", numbered=True)
    for suffix in (".edl", ".xml", ".otio", ".fcpxml", ".otioz", ".aaf"):
        _check(tmp, suffix, data)


def test_a_valid_seed_reads(tmp_path):
    for suffix, data in SEEDS.items():
        path = tmp_path / f"ok{suffix}"
        path.write_bytes(data)
        assert isinstance(read_timeline(path, Fraction(24)), otio.schema.Timeline)


@st.composite
def nested_json(draw) -> tuple[str, int]:
    """Nested arrays/objects of any depth, with brackets inside strings that must not count."""
    depth = draw(st.integers(1, 4000))
    opens = draw(st.lists(st.sampled_from(["[", '{"k":', '["[{"', '{"}]":']), min_size=1))
    text, closes = "", []
    for level in range(depth):
        opener = opens[level % len(opens)]
        text += opener + ("," if opener == '["[{"' else "")
        closes.append("]" if opener.startswith("[") else "}")
    return text + "0" + "".join(reversed(closes)), depth


@settings(max_examples=40, deadline=None, derandomize=True)
@given(nested_json())
def test_any_nesting_depth_reads_or_fails_cleanly(tmp_path_factory, case):
    import json

    from cuebridge.bridge.timeline_guard import MAX_DEPTH

    text, depth = case
    doc = json.loads(SEEDS[".otio"])
    doc["metadata"] = {"fuzz": "@@"}
    path = tmp_path_factory.mktemp("deep", numbered=True) / "deep.otio"
    path.write_text(json.dumps(doc).replace('"@@"', text))
    try:
        with time_limit(SECONDS_PER_READ):
            read_timeline(path)
        assert depth + 2 <= MAX_DEPTH  # the document and its metadata hold it two levels in
    except TimelineError as exc:
        assert str(path) in str(exc)
        assert depth + 2 > MAX_DEPTH


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    padding=st.integers(0, 192 * 1024),
    level=st.integers(0, 9),
    lie=st.booleans(),
)
def test_otioz_content_of_any_size_reads_or_is_bounded(tmp_path_factory, padding, level, lie):
    """The decompressed-size bound holds whatever the padding and compression, and whether or
    not the zip header tells the truth (a bound of 64 KiB here stands for the real 128 MiB)."""
    import zipfile

    from cuebridge.bridge import timeline_guard

    bound = 64 * 1024
    seed = SEEDS[".otio"]
    content = seed[:1] + b" " * padding + seed[1:]
    path = tmp_path_factory.mktemp("otioz", numbered=True) / "bundle.otioz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as bundle:
        bundle.writestr("content.otio", content)
    if lie:  # claim a small size in both headers; the reader must still stop at the bound
        data = bytearray(path.read_bytes())
        size = len(content).to_bytes(4, "little")
        small = min(len(content), bound).to_bytes(4, "little")
        data = data.replace(size, small)
        path.write_bytes(bytes(data))
    previous = timeline_guard.MAX_JSON_BYTES
    timeline_guard.MAX_JSON_BYTES = bound
    try:
        with time_limit(SECONDS_PER_READ):
            read_timeline(path)
        assert len(content) <= bound
    except TimelineError as exc:
        assert str(path) in str(exc)
        assert len(content) > bound or lie
    finally:
        timeline_guard.MAX_JSON_BYTES = previous
