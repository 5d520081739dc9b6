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
import zipfile
from pathlib import Path

import numpy as np
import opentimelineio as otio

from cuebridge.bridge.errors import TimelineError

MAX_DEPTH = 256
# A feature film's OTIO is tens of MB; beyond this the reader's memory (about 20x) is the risk.
MAX_JSON_BYTES = 128 << 20
OTIOZ_CONTENT = "content.otio"

_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')
_CHUNK = 8 << 20


def check_json_file(path: Path, shown: Path | None = None) -> None:
    """Refuse a JSON file too large or too deeply nested to hand to the OTIO reader."""
    shown = shown or path
    size = path.stat().st_size
    if size > MAX_JSON_BYTES:
        raise _too_big(shown, size)
    check_json_bytes(path.read_bytes(), shown)


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
    try:
        with zipfile.ZipFile(path) as bundle:
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


def _too_big(shown: Path, size: int, inside: bool = False) -> TimelineError:
    what = f"its {OTIOZ_CONTENT} expands to" if inside else "is"
    more = "at least " if inside else ""
    return TimelineError(
        shown,
        f"{what} {more}{size / (1 << 20):.0f} MiB of timeline JSON "
        f"(cuebridge reads at most {MAX_JSON_BYTES >> 20} MiB)",
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
