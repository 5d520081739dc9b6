"""Bounds on untrusted OTIO JSON, checked before OpenTimelineIO's C++ reader sees the bytes,
and on the times it holds, checked once it is read.

The reader recurses once per nesting level: 20,000 nested arrays cost it over a minute and 50,000
crash the process (SIGSEGV), taking the server down with it. A pre-check of size and nesting
depth costs about 2 ms per megabyte (a fifth of the read itself; bench/bench_timeline_guard.py),
against about 0.5 s for a reader subprocess per read, so cuebridge checks here and reads
in-process. Real timelines nest about 10 levels deep
(a compound clip adds four); 256 leaves room for deep metadata while the reader stays fast.
"""

from __future__ import annotations

import math
import os
import stat
import zipfile
from pathlib import Path
from typing import BinaryIO

import numpy as np
import opentimelineio as otio

from cuebridge.bridge.errors import TimelineError

MAX_DEPTH = 256
# A feature film's OTIO is tens of MB; beyond this the reader's memory (about 20x) is the risk.
MAX_JSON_BYTES = 128 << 20
OTIOZ_CONTENT = "content.otio"
# The other readers hold the whole document in Python objects: a 38 MiB junk FCP 7 XML took
# `inspect` to 1.06 GB (about 28x). A feature's XML or FCPXML is a few MB, an EDL well under
# one, an AAF with linked (not embedded) media tens of MB.
MAX_FILE_BYTES = {
    ".otio": MAX_JSON_BYTES,
    ".xml": 64 << 20,
    ".fcpxml": 64 << 20,
    ".edl": 8 << 20,
    ".aaf": 512 << 20,
}

_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')
_CHUNK = 8 << 20


def open_regular(path: Path, limit: int, shown: Path | None = None) -> BinaryIO:
    """A regular file of at most `limit` bytes, opened for reading. A FIFO, socket or device is
    refused before anything waits on it: open(2) on a FIFO blocks until a writer comes, and
    froze the whole server (O_NONBLOCK returns at once; fstat then says what it is)."""
    shown = shown or path
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise TimelineError(shown, f"cannot be opened: {exc.strerror or exc}", _FIX_OPEN) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise TimelineError(
                shown,
                f"{_inside(path, shown)}is {_kind(st.st_mode)}, not a timeline file",
                "give the path of a timeline file the editor exported",
            )
        if st.st_size > limit:
            raise _too_big(shown, st.st_size, limit=limit)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: Path, limit: int, shown: Path | None = None) -> bytes:
    """The bytes of a regular file of at most `limit` bytes (see open_regular)."""
    shown = shown or path
    with open_regular(path, limit, shown) as fh:
        try:
            data = fh.read(limit + 1)  # a file that grows while read still stops at the bound
        except OSError as exc:  # /proc/self/mem is "regular" and answers EIO
            raise TimelineError(
                shown, f"cannot be read: {exc.strerror or exc}", _FIX_OPEN
            ) from None
    if len(data) > limit:
        raise _too_big(shown, len(data), limit=limit)
    return data


_FIX_OPEN = "check the path and its permissions, or export the timeline again"


def _inside(path: Path, shown: Path) -> str:
    return f"its {path.name} " if path != shown else ""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def check_json_file(path: Path, shown: Path | None = None) -> bytes:
    """Refuse a JSON file too large or too deeply nested to hand to the OTIO reader; return
    its bytes, so the reader never opens the path again (it may have become a FIFO)."""
    shown = shown or path
    data = read_regular(path, MAX_JSON_BYTES, shown)
    check_json_bytes(data, shown)
    return data


def check_json_bytes(data: bytes, shown: Path) -> None:
    if len(data) > MAX_JSON_BYTES:
        raise _too_big(shown, len(data))
    depth = _max_depth(data)
    if depth > MAX_DEPTH:
        raise TimelineError(
            shown,
            f"nests {depth} levels deep (cuebridge reads at most {MAX_DEPTH}): "
            "not a timeline an editor exported",
            "export the timeline again from the editor",
        )


def _max_depth(data: bytes) -> int:
    """The deepest [ / { nesting outside strings; C-speed passes, no per-byte Python."""
    # Escaped backslashes first (left to right, as JSON reads them), then escaped quotes: what
    # is left of a string is plain text between two quotes.
    if b"\\" in data:
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    codes = np.frombuffer(data.translate(None, _NOT_STRUCTURE), dtype=np.uint8)  # "[]{} only
    if not codes.size:
        return 0
    quote = codes == ord('"')
    outside = (np.cumsum(quote, dtype=np.int64) & 1) == 0  # after an even number of quotes
    opens = outside & ((codes == ord("[")) | (codes == ord("{")))
    closes = outside & ((codes == ord("]")) | (codes == ord("}")))
    steps = opens.astype(np.int32) - closes.astype(np.int32)
    return int(np.cumsum(steps).max())


def read_otioz_content(path: Path) -> bytes:
    """content.otio of an .otioz bundle, decompressed at most MAX_JSON_BYTES (zip bombs stop
    there); the media inside the bundle is never extracted."""
    # Only content.otio is read (bounded below); the bundle's media may be any size.
    with open_regular(path, 1 << 50) as raw:
        return _read_otioz_content(raw, path)


def _read_otioz_content(raw: BinaryIO, path: Path) -> bytes:
    try:
        with zipfile.ZipFile(raw) as bundle:
            try:
                info = bundle.getinfo(OTIOZ_CONTENT)
            except KeyError:
                raise TimelineError(
                    path, f"holds no {OTIOZ_CONTENT}", "bundle the timeline again"
                ) from None
            if info.file_size > MAX_JSON_BYTES:
                raise _too_big(path, info.file_size, inside=True)
            # The header may lie about the size: read in blocks and stop at the bound.
            parts, total = [], 0
            with bundle.open(info) as fh:
                while block := fh.read(_CHUNK):
                    total += len(block)
                    if total > MAX_JSON_BYTES:
                        raise _too_big(path, total, inside=True)
                    parts.append(block)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError) as exc:
        raise TimelineError(
            path,
            f"cannot be read as otioz: {str(exc).splitlines()[0][:200] or type(exc).__name__}",
            "bundle the timeline again, or export it as .otio",
        ) from exc
    data = b"".join(parts)
    check_json_bytes(data, path)
    return data


def _too_big(
    shown: Path, size: int, inside: bool = False, limit: int = MAX_JSON_BYTES
) -> TimelineError:
    what = f"its {OTIOZ_CONTENT} expands to" if inside else "is"
    more = "at least " if inside else ""
    kind = "timeline JSON" if limit == MAX_JSON_BYTES else "timeline"
    return TimelineError(
        shown,
        f"{what} {more}{size / (1 << 20):.0f} MiB of {kind} "
        f"(cuebridge reads at most {limit >> 20} MiB)",
        "export the timeline without embedded media or metadata, or split it into reels",
    )


def check_times(timeline: otio.schema.Timeline, path: Path) -> None:
    """Refuse NaN, infinite or non-positive-rate times: frame arithmetic on them fails far from
    the file (Fraction(nan), division by a zero rate)."""
    _check_time(timeline.global_start_time, path, "the timeline's start")
    items = [timeline.tracks, *timeline.tracks.find_children()]
    for item in items:
        label = f"{type(item).__name__.lower()} {item.name!r}"
        for name in ("source_range", "in_offset", "out_offset"):
            value = getattr(item, name, None)
            _check_time(value, path, f"{label}: {name.replace('_', ' ')}")
        for marker in getattr(item, "markers", []):
            _check_time(marker.marked_range, path, f"{label}: marker {marker.name!r}")
        refs = item.media_references().values() if hasattr(item, "media_references") else []
        for ref in refs:
            _check_time(ref.available_range, path, f"{label}: media available range")
    for marker in timeline.tracks.markers:
        _check_time(marker.marked_range, path, f"marker {marker.name!r}")


def _check_time(value, path: Path, where: str) -> None:
    if value is None:
        return
    if isinstance(value, otio.opentime.TimeRange):
        _check_time(value.start_time, path, f"{where} start")
        _check_time(value.duration, path, f"{where} duration")
        return
    problem = ""
    if not math.isfinite(value.rate) or value.rate <= 0:
        problem = f"rate {value.rate}"
    elif not math.isfinite(value.value):
        problem = f"time {value.value}"
    if problem:
        raise TimelineError(
            path,
            f"{where} has {problem}: times need a finite value and a positive frame rate",
            "export the timeline again from the editor",
        )
