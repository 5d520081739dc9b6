"""Media paths that are not regular files (a FIFO here) never block the engine's only worker.

Each check runs in a thread: on failure the thread blocks in open(2) on the FIFO, and the test
unblocks it by opening the FIFO's write end, so a regression fails the test instead of hanging.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import grpc
import opentimelineio as otio
import pytest

from cuebridge.bridge.errors import TimelineError
from cuebridge.bridge.media import MediaLinker
from cuebridge.engine.cue_key import file_identity
from cuebridge.engine.picture.decode import MediaError, open_media
from cuebridge.v1 import engine_pb2 as pb
from cuebridge.v1 import engine_pb2_grpc as pb_grpc

BOUND_S = 10.0


@pytest.fixture
def fifo(tmp_path) -> Path:
    path = tmp_path / "shot.mov"
    os.mkfifo(path)
    return path


def _unblock(path: Path) -> None:
    """Open and close the write end: a reader stuck in open(2) gets EOF and returns."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:
        pass  # nobody is waiting to read: nothing to unblock


def _within_bound(fifo: Path, call) -> object:
    outcome: dict[str, object] = {}

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


def test_the_picture_reader_refuses_a_fifo(fifo):
    outcome = _within_bound(fifo, lambda: open_media(str(fifo)))
    assert isinstance(outcome.get("error"), MediaError), outcome
    assert str(fifo) in str(outcome["error"]) and "regular file" in str(outcome["error"])


def test_the_cue_key_does_not_read_a_fifo(fifo, tmp_path):
    outcome = _within_bound(fifo, lambda: file_identity(str(fifo)))
    assert "error" not in outcome, outcome
    assert outcome["value"].startswith("special:")
    regular = tmp_path / "real.mov"
    regular.write_bytes(b"x" * 100)
    assert file_identity(str(regular)).startswith("100:")


def test_the_media_linker_refuses_a_fifo(fifo, tmp_path):
    clip = otio.schema.Clip(
        name="shot",
        media_reference=otio.schema.ExternalReference(target_url=str(fifo)),
        source_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, 24), otio.opentime.RationalTime(48, 24)
        ),
    )
    linker = MediaLinker(tmp_path / "cut.otio")
    with pytest.raises(TimelineError) as info:
        linker.link(clip)
    assert str(fifo) in str(info.value) and "regular file" in str(info.value)
    # a --media-dir search never offers it either
    clip.media_reference = otio.schema.ExternalReference(target_url="/nowhere/shot.mov")
    assert not MediaLinker(tmp_path / "cut.otio", [tmp_path]).link(clip).online


def test_a_fifo_clip_costs_a_warning_not_the_engine(loopback_server, fifo, tmp_path):
    """The whole engine: the job ends (the cue is made without picture) and the next one runs."""
    with grpc.insecure_channel(loopback_server.address) as channel:
        engine = pb_grpc.CueEngineStub(channel)
        segment = pb.Segment(
            id="s1",
            rate=pb.Rate(num=24, den=1),
            duration_frames=48,
            prompt="gentle piano",
            media=[
                pb.MediaSpan(
                    path=str(fifo),
                    source_duration_s=2.0,
                    record_duration_frames=48,
                    name="shot.mov",
                )
            ],
        )
        request = pb.SubmitJobRequest(segments=[segment], output_dir=str(tmp_path / "out"))

        def run_job():
            job = engine.SubmitJob(request, timeout=30)
            list(engine.WatchJob(pb.JobRef(job_id=job.id), timeout=60))  # to its end
            return engine.GetJob(pb.JobRef(job_id=job.id))  # events carry no segments

        outcome = _within_bound(fifo, run_job)
        final = outcome.get("value")
        assert final is not None, outcome
        assert final.state in (pb.JOB_STATE_SUCCEEDED, pb.JOB_STATE_PARTIAL, pb.JOB_STATE_FAILED)
        text = " ".join(list(final.segments[0].warnings) + [final.segments[0].error])
        assert str(fifo) in text, final


def _special(kind: str, tmp_path: Path) -> Path:
    if kind == "fifo":
        path = tmp_path / "pipe.mov"
        os.mkfifo(path)
    elif kind == "socket":
        import socket

        path = tmp_path / "sock.mov"
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
        sock.close()
    else:  # an endless character device
        path = Path("/dev/zero")
    return path


@pytest.mark.parametrize("kind", ["fifo", "socket", "device"])
def test_no_reader_opens_a_non_regular_file(kind, tmp_path):
    path = _special(kind, tmp_path)
    outcome = _within_bound(path, lambda: open_media(str(path)))
    assert isinstance(outcome.get("error"), MediaError), outcome
    outcome = _within_bound(path, lambda: file_identity(str(path)))
    assert outcome["value"].startswith("special:")
    from cuebridge.engine.picture.cache import media_identity

    outcome = _within_bound(path, lambda: media_identity(str(path)))
    assert isinstance(outcome.get("error"), OSError), outcome
