"""Cue files fetched from an engine on another machine, written where the editor asked.

A bridge whose engine runs in its own process (the default) lets the engine write the cues
straight into the cue folder: no copy. A bridge pointed at a remote engine (`--engine`, a Ray
head) cannot assume the two share a disk, so it asks the engine for each finished cue's bytes
(CueEngine.ReadCueFiles: checksummed chunks) and writes them itself, atomically: a temp file in
the cue folder, its sha256 and size checked, fsync, then a rename over the cue's name. A file
that arrives damaged is fetched once more before the segment is reported as failed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import time
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc

from cuebridge.contract import cue_file_stem
from cuebridge.safe_files import TEMP_SUFFIX, temp_beside
from cuebridge.v1 import engine_pb2 as pb
from cuebridge.v1 import engine_pb2_grpc as pb_grpc

log = logging.getLogger(__name__)

ATTEMPTS = 2
PARALLEL_FETCHES = 4  # a few streams at once hide the round trips; the network does the rest
SUFFIXES = {"audio": ".wav", "midi": ".mid"}
STEM = "stem:"  # a stem's kind is "stem:<section>", e.g. "stem:Winds and Brass"
# A stream that goes this long without a chunk is a stalled engine, not a slow network: an
# engine sends a file's chunks as fast as it reads them from its own disk.
IDLE_S = 30.0
MAX_FILE_BYTES = 4 * 1024**3  # a WAV's RIFF sizes cannot describe more


class DamagedTransfer(Exception):
    """The bytes that arrived are not the file the engine described."""


class StalledTransfer(Exception):
    """The engine stopped sending in the middle of a cue's files (not retried: it would stall
    again, and the editor waits for each attempt)."""


def fetch_cues(
    engine: pb_grpc.CueEngineStub,
    job_id: str,
    cues: dict[str, pb.Cue],
    cue_dir: Path,
    expected: Collection[str] | None = None,
) -> tuple[dict[str, pb.Cue], list[pb.SegmentResult]]:
    """Each cue's files into cue_dir: the cues with local paths, and the segments that failed.
    `expected`: the segment ids the score asked for; a cue of any other id writes nothing (its
    name could be any file in the folder)."""
    cue_dir.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(cue_dir)
    fetched: dict[str, pb.Cue] = {}
    failed: list[pb.SegmentResult] = []
    if expected is not None:
        for sid in [sid for sid in cues if sid not in expected]:
            del cues[sid]
            failed.append(
                pb.SegmentResult(
                    segment_id=sid,
                    state=pb.SEGMENT_STATE_FAILED,
                    error="the engine sent a cue for a segment this score did not ask for: "
                    "nothing was written for it",
                )
            )
    with ThreadPoolExecutor(PARALLEL_FETCHES, thread_name_prefix="cue-fetch") as pool:
        futures = {
            sid: pool.submit(fetch_cue, engine, job_id, cue, cue_dir) for sid, cue in cues.items()
        }
        for sid, future in futures.items():
            try:
                fetched[sid] = future.result()
            except (grpc.RpcError, DamagedTransfer, StalledTransfer, OSError) as exc:
                failed.append(
                    pb.SegmentResult(
                        segment_id=sid, state=pb.SEGMENT_STATE_FAILED, error=_problem(exc, cue_dir)
                    )
                )
    return fetched, failed


def _remove_leftovers(cue_dir: Path) -> None:
    # A fetch killed mid-file (kill -9) leaves its temp files: the score holds the folder
    # (cue_folder_claim), so any left now are no one's.
    for p in cue_dir.glob(".*" + TEMP_SUFFIX):
        p.unlink(missing_ok=True)


def fetch_cue(
    engine: pb_grpc.CueEngineStub, job_id: str, cue: pb.Cue, cue_dir: Path, timeout: float = 600
) -> pb.Cue:
    for attempt in range(1, ATTEMPTS + 1):
        try:
            paths = _fetch_once(engine, job_id, cue.segment_id, cue_dir, timeout)
            break
        except DamagedTransfer as exc:
            if attempt == ATTEMPTS:
                raise
            log.warning("cue %s arrived damaged (%s): fetching it again", cue.segment_id, exc)
    local = pb.Cue()
    local.CopyFrom(cue)
    local.audio_path = str(paths.get("audio", ""))
    local.midi_path = str(paths.get("midi", ""))
    local.stem_paths.clear()
    for kind, path in paths.items():
        if kind.startswith(STEM):
            local.stem_paths[kind.removeprefix(STEM)] = str(path)
    return local


def _fetch_once(
    engine: pb_grpc.CueEngineStub, job_id: str, segment_id: str, cue_dir: Path, timeout: float
) -> dict[str, Path]:
    stem = cue_file_stem(segment_id)
    files: dict[str, _IncomingFile] = {}
    current: _IncomingFile | None = None
    request = pb.CueFilesRequest(job_id=job_id, segment_id=segment_id)
    stream = engine.ReadCueFiles(request, timeout=timeout)
    watchdog = _Watchdog(stream, IDLE_S)
    try:
        for chunk in watchdog.chunks():
            if chunk.kind:
                if current is not None:
                    current.check()
                if chunk.kind in files:
                    raise DamagedTransfer(f"the engine sent a second {chunk.kind} file")
                suffix = _suffix(chunk.kind)
                current = _IncomingFile(chunk.kind, cue_dir / f"{stem}{suffix}", chunk)
                files[chunk.kind] = current
            elif current is None:
                raise DamagedTransfer("data before the file was named")
            else:
                current.write(chunk.data)
        if current is not None:
            current.check()
        if "audio" not in files:
            raise DamagedTransfer("the engine sent no audio file")
        # Every file whole: only now do they take their names, so a failed transfer leaves none.
        return {kind: f.commit() for kind, f in files.items()}
    finally:
        watchdog.stop()
        for f in files.values():
            f.discard()


class _Watchdog:
    """Cancels the stream when no chunk came for `idle_s`; the cancel then reads as a stall."""

    def __init__(self, stream, idle_s: float):
        self.stream, self.idle_s = stream, idle_s
        self.last = time.monotonic()
        self.stalled = False
        self.done = threading.Event()
        threading.Thread(target=self._watch, daemon=True, name="cue-fetch-idle").start()

    def _watch(self) -> None:
        while not self.done.wait(min(self.idle_s, 1.0) / 4):
            if time.monotonic() - self.last > self.idle_s:
                self.stalled = True
                self.stream.cancel()
                return

    def chunks(self):
        try:
            for chunk in self.stream:
                self.last = time.monotonic()
                yield chunk
        except grpc.RpcError:
            if self.stalled:
                raise StalledTransfer(
                    f"the engine sent nothing for {self.idle_s:g} s in the middle of the cue"
                ) from None
            raise

    def stop(self) -> None:
        self.done.set()
        self.stream.cancel()  # a stream left behind (a bad file, say) stops sending now


def _suffix(kind: str) -> str:
    """The file name's ending after the cue's stem: ".wav", ".mid", ".winds-and-brass.wav"."""
    if kind.startswith(STEM):
        slug = re.sub(r"[^a-z0-9]+", "-", kind.removeprefix(STEM).lower()).strip("-")
        if slug:
            return f".{slug}.wav"
    elif kind in SUFFIXES:
        return SUFFIXES[kind]
    raise DamagedTransfer(f"unknown file kind {kind!r}")


class _IncomingFile:
    def __init__(self, kind: str, target: Path, header: pb.CueFileChunk):
        self.kind, self.target = kind, target
        self.size, self.sha256 = header.size, header.sha256
        if self.size > MAX_FILE_BYTES:
            raise DamagedTransfer(
                f"{target.name}: the engine declares {self.size} bytes, more than a cue file "
                f"can hold ({MAX_FILE_BYTES})"
            )
        fd, self.tmp = temp_beside(target)  # never through a planted name
        self.file = os.fdopen(fd, "wb")
        self.digest = hashlib.sha256()
        self.written = 0

    def write(self, data: bytes) -> None:
        if self.written + len(data) > self.size:  # the declared size is the bound, not a hint
            raise DamagedTransfer(
                f"{self.target.name}: the engine sent more than the {self.size} bytes declared"
            )
        self.file.write(data)
        self.digest.update(data)
        self.written += len(data)

    def check(self) -> None:
        """The file is whole (size and checksum as declared), and on disk."""
        if self.written != self.size or self.digest.hexdigest() != self.sha256:
            self.discard()
            raise DamagedTransfer(
                f"{self.target.name}: {self.written} of {self.size} bytes, checksum "
                f"{'matches' if self.digest.hexdigest() == self.sha256 else 'differs'}"
            )
        if not self.file.closed:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()

    def commit(self) -> Path:
        self.check()
        os.replace(self.tmp, self.target)
        _fsync_dir(self.target.parent)
        return self.target

    def discard(self) -> None:
        self.file.close()
        self.tmp.unlink(missing_ok=True)  # nothing, once committed


def _fsync_dir(folder: Path) -> None:
    # The rename itself survives a power cut only once its folder is on disk (POSIX).
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows cannot open a folder; its renames are durable enough
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _problem(exc: Exception, cue_dir: Path) -> str:
    if isinstance(exc, grpc.RpcError):
        return f"the cue could not be fetched from the engine: {exc.details()}"
    if isinstance(exc, OSError):
        return (
            f"cannot write the cue into {cue_dir}: {exc.strerror or exc}; free some space or "
            "choose another --cue-dir"
        )
    if isinstance(exc, StalledTransfer):
        return f"the cue could not be fetched: {exc}; check the engine machine, then score again"
    return f"the cue arrived damaged twice from the engine ({exc}): score again"
