"""Timelines that are not regular files (a FIFO, a bundle member that is a FIFO, a link to
/proc/self/mem) and timelines past the size bound are refused at once, naming the file.

Each read runs in a thread with a bound: on failure it blocks in open(2) on the FIFO, and the test
unblocks it by opening the FIFO's write end, so a regression fails the test instead of hanging.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import grpc
import pytest

from cuebridge.bridge.errors import TimelineError
from cuebridge.bridge.timeline_guard import MAX_FILE_BYTES
from cuebridge.bridge.timeline_io import read_timeline
from cuebridge.v1 import bridge_pb2 as bpb
from tests.conftest import INTEROP

SIMPLE = INTEROP / "otio" / "simple_cut.otio"
BOUND_S = 10.0


def _unblock(path: Path) -> None:
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:
        pass  # nobody is waiting to read


def _within_bound(fifo: Path, call) -> dict:
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = call()
        except Exception as exc:  # noqa: BLE001 - the test inspects what came out
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(BOUND_S)
    hung = worker.is_alive()
    while worker.is_alive():
        _unblock(fifo)
        worker.join(0.2)
    assert not hung, f"{call} blocked on the FIFO {fifo}"
    return outcome


def fifo_bundle(folder: Path) -> tuple[Path, Path]:
    bundle = folder / "reel1.otiod"
    bundle.mkdir()
    member = bundle / "content.otio"
    os.mkfifo(member)
    return bundle, member


def test_an_otiod_whose_content_is_a_fifo_is_refused_at_once(tmp_path):
    bundle, member = fifo_bundle(tmp_path)
    outcome = _within_bound(member, lambda: read_timeline(bundle))
    error = outcome.get("error")
    assert isinstance(error, TimelineError), outcome
    assert str(bundle) in str(error) and "named pipe" in str(error)


@pytest.mark.parametrize("suffix", [".otio", ".xml", ".fcpxml", ".edl", ".aaf", ".otioz"])
def test_a_fifo_given_as_the_timeline_is_called_a_pipe_not_a_folder(tmp_path, suffix):
    fifo = tmp_path / f"cut{suffix}"
    os.mkfifo(fifo)
    outcome = _within_bound(fifo, lambda: read_timeline(fifo))
    error = outcome.get("error")
    assert isinstance(error, TimelineError), outcome
    assert str(fifo) in str(error) and "named pipe" in str(error)
    assert "folder" not in str(error)


def test_a_link_to_proc_self_mem_is_a_clear_refusal(tmp_path):
    link = tmp_path / "cut.otio"
    link.symlink_to("/proc/self/mem")
    with pytest.raises(TimelineError) as info:
        read_timeline(link)
    assert str(link) in str(info.value) and "cannot be read" in str(info.value)


@pytest.mark.parametrize("suffix", [".xml", ".fcpxml", ".edl"])
def test_a_huge_timeline_is_refused_before_the_reader(tmp_path, suffix):
    """Sparse: the size is claimed without the disk; the reader would hold ~28x in memory."""
    huge = tmp_path / f"junk{suffix}"
    with open(huge, "wb") as fh:
        fh.truncate(MAX_FILE_BYTES[suffix] + 1)
    with pytest.raises(TimelineError) as info:
        read_timeline(huge)
    assert str(huge) in str(info.value) and "MiB" in str(info.value)


def test_the_server_answers_a_fifo_bundle_and_keeps_serving(bridge, tmp_path):
    bundle, member = fifo_bundle(tmp_path)
    whole = bpb.SegmentSelection(mode=bpb.SEGMENT_MODE_WHOLE)
    outcome = _within_bound(
        member,
        lambda: bridge.InspectTimeline(
            bpb.InspectRequest(timeline_path=str(bundle), selection=whole), timeout=BOUND_S
        ),
    )
    error = outcome.get("error")
    assert isinstance(error, grpc.RpcError), outcome
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error
    assert str(bundle) in error.details()
    good = tmp_path / "good.otio"
    shutil.copy(SIMPLE, good)
    ok = bridge.InspectTimeline(
        bpb.InspectRequest(timeline_path=str(good), selection=whole), timeout=30
    )
    assert ok.duration_frames > 0
