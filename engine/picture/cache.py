"""A feature cache on disk: re-scoring an unchanged clip decodes nothing.

The key is the media's identity (size, mtime and a hash of its first MiB; not its path, so a
relinked copy still hits), the source range, the extraction settings and the extractor
version. Entries are .npz files written atomically; a damaged entry is a miss, never an error.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from pathlib import Path

import numpy as np

from cuebridge.engine.picture.decode import is_image_sequence, sequence_files
from cuebridge.engine.picture.descriptors import ClipFeatures

HEAD_BYTES = 1 << 20


def media_identity(path: str) -> dict[str, object]:
    """Size, mtime and head hash of a file; for an image sequence, of its files together."""
    files = sequence_files(path) if is_image_sequence(path) else [path]
    digest = hashlib.sha256()
    size = 0
    mtime = 0
    for name in files:
        st = os.stat(name)
        if not stat.S_ISREG(st.st_mode):  # reading a FIFO would block; the reader says why
            raise OSError(0, "not a regular file", name)
        size += st.st_size
        mtime = max(mtime, st.st_mtime_ns)
    with os.fdopen(os.open(files[0], os.O_RDONLY | os.O_NONBLOCK), "rb") as f:
        digest.update(f.read(HEAD_BYTES))
    return {"size": size, "mtime_ns": mtime, "head_sha256": digest.hexdigest(), "files": len(files)}


def cache_key(path: str, start_s: float, duration_s: float, settings: dict[str, object]) -> str:
    payload = {
        "media": media_identity(path),
        "range": [round(start_s, 6), round(duration_s, 6)],
        "settings": settings,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def load(cache_dir: Path, key: str) -> ClipFeatures | None:
    entry = Path(cache_dir) / f"{key}.npz"
    if not entry.exists():
        return None
    try:
        with np.load(entry, allow_pickle=False) as data:
            return ClipFeatures.from_arrays({name: data[name] for name in data.files})
    except (OSError, ValueError, KeyError):
        return None  # damaged or from an older layout: decode again


def store(cache_dir: Path, key: str, features: ClipFeatures) -> None:
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **features.to_arrays())
        os.replace(tmp, cache_dir / f"{key}.npz")  # atomic: readers never see half a file
    except OSError:
        Path(tmp).unlink(missing_ok=True)  # a cache that cannot be written is only slower
