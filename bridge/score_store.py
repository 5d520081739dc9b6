"""The bridge's durable score runs, in one SQLite file beside the engine's store.

A score is recorded when it starts (its request and the engine's job id) and when it ends (state,
message, result), so a bridge killed mid-score picks the score up again on the next start, under
the same id, and writes its timeline; a finished score is still answered after a restart.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from cuebridge.contract import FINAL_WIRE_JOB_STATES as FINAL_JOB_STATES
from cuebridge.sqlite_store import open_store
from cuebridge.v1 import bridge_pb2 as bpb
from cuebridge.v1 import engine_pb2 as pb

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS scores (
    id TEXT PRIMARY KEY, request BLOB NOT NULL, engine_job_id TEXT NOT NULL, total INTEGER NOT
    NULL, state TEXT NOT NULL, message TEXT NOT NULL, result BLOB, created REAL NOT NULL,
    updated REAL NOT NULL
);
"""
_FINAL_NAMES = tuple(pb.JobState.Name(s) for s in FINAL_JOB_STATES)


@dataclass(frozen=True)
class StoredScore:
    id: str
    request: bpb.ScoreRequest
    engine_job_id: str
    total: int
    state: int  # the contract's JobState
    message: str
    result: bpb.ScoreResult | None


class ScoreStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db, self.moved_aside = open_store(self.path, SCHEMA)

    def _run(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add(self, score_id: str, request: bpb.ScoreRequest, engine_job_id: str, total: int) -> None:
        now = time.time()
        self._run(
            "INSERT INTO scores VALUES (?,?,?,?,?,?,?,?,?)",
            (score_id, request.SerializeToString(), engine_job_id, total,
             pb.JobState.Name(pb.JOB_STATE_QUEUED), "queued", None, now, now),
        )  # fmt: skip

    def set_engine_job(self, score_id: str, engine_job_id: str) -> None:
        self._run(
            "UPDATE scores SET engine_job_id=?, updated=? WHERE id=?",
            (engine_job_id, time.time(), score_id),
        )

    def finish(
        self, score_id: str, state: int, message: str, result: bpb.ScoreResult | None
    ) -> None:
        self._run(
            "UPDATE scores SET state=?, message=?, result=?, updated=? WHERE id=?",
            (pb.JobState.Name(state), message, result.SerializeToString() if result else None,
             time.time(), score_id),
        )  # fmt: skip

    def get(self, score_id: str) -> StoredScore | None:
        rows = self._run("SELECT * FROM scores WHERE id=?", (score_id,))
        return _stored(rows[0]) if rows else None

    def unfinished(self) -> list[StoredScore]:
        marks = ",".join("?" * len(_FINAL_NAMES))
        rows = self._run(
            f"SELECT * FROM scores WHERE state NOT IN ({marks}) ORDER BY created", _FINAL_NAMES
        )
        return [_stored(r) for r in rows]

    def prune(self, keep_days: float) -> int:
        """Forget finished scores older than `keep_days`; returns how many."""
        marks = ",".join("?" * len(_FINAL_NAMES))
        cutoff = time.time() - keep_days * 86400
        with self._lock:
            cur = self._db.execute(
                f"DELETE FROM scores WHERE updated < ? AND state IN ({marks})",
                (cutoff, *_FINAL_NAMES),
            )
            return cur.rowcount


def _stored(row: tuple) -> StoredScore:
    score_id, request, job_id, total, state, message, result = row[:7]
    return StoredScore(
        score_id,
        bpb.ScoreRequest.FromString(request),
        job_id,
        total,
        pb.JobState.Value(state),
        message,
        bpb.ScoreResult.FromString(result) if result else None,
    )
