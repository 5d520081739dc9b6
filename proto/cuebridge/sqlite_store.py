"""Opening a durable SQLite store the same way on both halves (the engine's jobs and cue cache,
the bridge's scores): WAL, an integrity check, and a damaged file moved aside, never fatal."""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from pathlib import Path

log = logging.getLogger(__name__)


def open_store(path: Path, schema: str) -> tuple[sqlite3.Connection, Path | None]:
    """Connect to `path` (made if missing) with `schema` applied. A file that fails its
    integrity check (with its WAL) is moved to `<name>.damaged-<time>` and a new store started;
    returns the connection and where the damaged file went (None when it was sound)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return _open(path, schema), None
    except sqlite3.DatabaseError as exc:
        aside = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{path}{suffix}").exists():
                os.replace(f"{path}{suffix}", f"{aside}{suffix}")
        log.error(
            "the store %s is damaged (%s): moved it to %s and started a new one; what it held "
            "is not resumed, files on disk are untouched",
            path,
            exc,
            aside,
        )
        return _open(path, schema), aside


def _open(path: Path, schema: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
    try:
        (verdict,) = db.execute("PRAGMA quick_check").fetchone()
        if verdict != "ok":
            raise sqlite3.DatabaseError(f"integrity check failed: {verdict}")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL survives a killed process
        db.executescript(schema)
    except sqlite3.DatabaseError:
        db.close()
        raise
    return db
