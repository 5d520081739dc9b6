"""Hostile OTIO files: deep nesting and decompression bombs are refused before the reader runs.

OpenTimelineIO's C++ reader recurses per nesting level (50,000 levels crash the process) and the
otioz reader decompresses content.otio whole; both get a clean TimelineError naming the file.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from fractions import Fraction
from pathlib import Path

import grpc
import pytest

from cuebridge.bridge.errors import TimelineError
from cuebridge.bridge.timeline_guard import MAX_DEPTH, MAX_JSON_BYTES
from cuebridge.bridge.timeline_io import read_timeline
from cuebridge.v1 import bridge_pb2 as bpb
from tests.conftest import INTEROP

SIMPLE = INTEROP / "otio" / "simple_cut.otio"


def nested_otio(path: Path, levels: int) -> Path:
    """A real timeline whose metadata holds `levels` nested arrays (and brackets in a string)."""
    doc = json.loads(SIMPLE.read_text())
    doc["metadata"] = {"note": "[[[ not nesting ]]]", "deep": "@@"}
    path.write_text(json.dumps(doc).replace('"@@"', "[" * levels + "]" * levels))
    return path


def otioz_bomb(path: Path, expands_to: int) -> Path:
    """A valid timeline padded with JSON whitespace: megabytes on disk, far more inside."""
    text = SIMPLE.read_bytes()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bundle:
        with bundle.open("content.otio", "w", force_zip64=True) as fh:
            fh.write(text[:1])
            block = b" " * (16 << 20)
            for _ in range(expands_to // len(block)):
                fh.write(block)
            fh.write(text[1:])
    return path


def test_fifty_thousand_nested_arrays_are_refused_without_a_crash(tmp_path):
    """In a child process, so a crash on the old code fails this test instead of the session."""
    path = nested_otio(tmp_path / "deep.otio", 50_000)
    code = (
        "import sys\n"
        "from cuebridge.bridge.timeline_io import read_timeline\n"
        "from cuebridge.bridge.errors import TimelineError\n"
        "try:\n"
        "    read_timeline(sys.argv[1])\n"
        "except TimelineError as exc:\n"
        "    print('REFUSED', exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"reader died with {done.returncode}: {done.stderr[-500:]}"
    assert done.stdout.startswith("REFUSED"), done.stdout
    assert str(path) in done.stdout and "levels deep" in done.stdout


def test_deep_nesting_is_refused_and_normal_nesting_reads(tmp_path):
    deep = nested_otio(tmp_path / "deep.otio", 5_000)
    with pytest.raises(TimelineError) as info:
        read_timeline(deep)
    assert str(deep) in str(info.value)
    fine = nested_otio(tmp_path / "fine.otio", MAX_DEPTH - 20)
    assert read_timeline(fine).name


def test_deep_nesting_over_grpc_is_invalid_argument_naming_the_file(bridge, tmp_path):
    deep = nested_otio(tmp_path / "deep.otio", 5_000)
    with pytest.raises(grpc.RpcError) as info:
        bridge.InspectTimeline(bpb.InspectRequest(timeline_path=str(deep)), timeout=30)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert str(deep) in info.value.details()
    # and the server still answers
    whole = bpb.SegmentSelection(mode=bpb.SEGMENT_MODE_WHOLE)
    ok = bridge.InspectTimeline(
        bpb.InspectRequest(timeline_path=str(SIMPLE), selection=whole), timeout=30
    )
    assert ok.duration_frames > 0


def test_an_otioz_that_expands_past_the_bound_is_refused(tmp_path):
    bomb = otioz_bomb(tmp_path / "bomb.otioz", MAX_JSON_BYTES + (16 << 20))
    assert bomb.stat().st_size < MAX_JSON_BYTES // 100  # small on disk
    with pytest.raises(TimelineError) as info:
        read_timeline(bomb)
    assert str(bomb) in str(info.value) and "MiB" in str(info.value)


def test_a_small_padded_otioz_still_reads(tmp_path):
    fine = otioz_bomb(tmp_path / "fine.otioz", 16 << 20)
    assert read_timeline(fine, Fraction(24)).name
