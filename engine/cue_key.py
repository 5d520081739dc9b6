"""The identity of a cue: a hash of everything that shapes it, and nothing that does not.

Two segments with the same key make the same music, so a re-score reuses the cue. The key covers
the picture (each media file's identity and the range used), the timing (rate, length, cuts, hit
points), the words (prompt, mood), the seed, the model and its weights, and the generation
options. It leaves out the segment's id and name: renumbering cues is not an edit of the music.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

from cuebridge import engine
from cuebridge.contract.segment import segment_as_dict
from cuebridge.engine.segment import GenerationOptions, Segment

HEAD_BYTES = 1 << 20  # hash the first MiB: cheap, and any re-encode or re-render changes it


def file_identity(path: str) -> str:
    """size, mtime and a hash of the head of a file; "" for offline media."""
    if not path:
        return ""
    try:
        st = os.stat(path)
    except OSError:
        return "missing:" + path
    if not stat.S_ISREG(st.st_mode):  # reading a FIFO's head would block the worker forever
        return f"special:{stat.S_IFMT(st.st_mode):o}:" + path
    try:
        return _identity(path, st.st_size, st.st_mtime_ns)
    except OSError as exc:  # unreadable or swapped for a FIFO since the stat
        return f"unreadable:{exc.errno}:" + path


@lru_cache(maxsize=4096)
def _identity(path: str, size: int, mtime_ns: int) -> str:
    # O_NONBLOCK: if the path became a FIFO since the stat, the open returns instead of waiting.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "not a regular file", path)
        head = hashlib.sha256(fh.read(HEAD_BYTES)).hexdigest()[:32]
    return f"{size}:{mtime_ns}:{head}"


def cue_key(segment: Segment, model: str, model_identity: str, options: GenerationOptions) -> str:
    shape = segment_as_dict(segment)  # the rate as {num, den}, as keys always had it
    shape.pop("id")
    shape.pop("name")
    for span in shape["media"]:
        span["file"] = file_identity(span.pop("path"))
        span.pop("name")
    opts = asdict(options)
    opts["model"] = model
    opts["soundfont"] = file_identity(options.soundfont)
    payload = {
        "segment": shape,
        "options": opts,
        "model_identity": model_identity,
        "engine": engine.__version__,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
