"""Durable job state and the cue cache, in one SQLite file (WAL mode).

A job's segments and finished cues are committed as they happen, so an engine killed mid-batch
resumes where it stopped and never makes a finished cue again. A cue counts as done only once its
files are on disk under their final names (written to a temp file and renamed) and its row is
committed. The cue cache maps a key of everything that shapes a cue to the files and their
checksum, so re-scoring an edited timeline makes only what changed.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import asdict
from pathlib import Path

from cuebridge.contract.segment import Segment, segment_as_dict, segment_from_dict
from cuebridge.engine.cue import Cue, Take
from cuebridge.engine.segment import CueFeel, GenerationOptions, options_from_legacy_extra
from cuebridge.engine.states import JobState, SegmentState
from cuebridge.sqlite_store import open_store

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, model TEXT NOT NULL, options TEXT NOT NULL, output_dir TEXT NOT NULL,
    fresh INTEGER NOT NULL, state TEXT NOT NULL, owner_pid INTEGER NOT NULL,
    created REAL NOT NULL, updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS segments (
    job_id TEXT NOT NULL REFERENCES jobs(id), idx INTEGER NOT NULL, segment TEXT NOT NULL,
    state TEXT NOT NULL, cue TEXT, error TEXT NOT NULL DEFAULT '', reused INTEGER NOT NULL
    DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (job_id, idx)
);
CREATE TABLE IF NOT EXISTS cues (
    key TEXT PRIMARY KEY, cue TEXT NOT NULL, audio_sha256 TEXT NOT NULL, created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS probe (id INTEGER PRIMARY KEY, at REAL NOT NULL);
"""
SCHEMA_VERSION = 1  # 1: states by name (JobState/SegmentState values); 0: the wire's numbers

# Version 0 stores wrote the proto's JOB_STATE_* / SEGMENT_STATE_* numbers.
_V0_JOB_STATES = {1: "queued", 2: "running", 3: "succeeded", 4: "partial", 5: "failed",
                  6: "cancelled"}  # fmt: skip
_V0_SEGMENT_STATES = {1: "pending", 2: "running", 3: "done", 4: "failed", 5: "cancelled"}


def segment_to_json(seg: Segment) -> str:
    return json.dumps(segment_as_dict(seg), sort_keys=True)


def segment_from_json(text: str) -> Segment:
    return segment_from_dict(json.loads(text))


def options_to_json(options: GenerationOptions) -> str:
    return json.dumps(asdict(options), sort_keys=True)


def options_from_json(text: str) -> GenerationOptions:
    d = json.loads(text)
    d.update(
        options_from_legacy_extra(d.pop("extra", None) or {})
    )  # stores before the typed fields
    if isinstance(d.get("feel"), dict):
        d["feel"] = CueFeel(**d["feel"])
    return GenerationOptions(**d)


def cue_to_json(cue: Cue) -> str:
    return json.dumps(asdict(cue), sort_keys=True)


# What stores before the typed contract kept as strings in a cue's metadata.
_LEGACY_CUE_KEYS = ("dialogue.speech_s", "dialogue.level_keyframes", "dialogue.duck_db",
                    "valence", "arousal", "feel_source", "style", "feel.style", "feel.decided_by",
                    "take_scores", "other_takes", "weights")  # fmt: skip


def cue_from_json(text: str) -> Cue:
    d = json.loads(text)
    if "feel" not in d:
        d.update(_legacy_cue_fields(d))
    d["feel"] = CueFeel(**d["feel"])
    d["speech_s"] = [tuple(span) for span in d["speech_s"]]
    d["duck_keyframes"] = [tuple(point) for point in d["duck_keyframes"]]
    d["takes"] = [Take(**t) for t in d["takes"]]
    return Cue(**d)


def _legacy_cue_fields(d: dict) -> dict:
    """The typed fields of a cue an engine before the typed contract stored, from the JSON and
    numbers it kept in the metadata; the metadata keeps provenance only."""
    meta = d.get("metadata") or {}
    old = {k: meta.pop(k) for k in _LEGACY_CUE_KEYS if k in meta}

    def number(key: str) -> float | None:
        try:
            return float(old[key])
        except (KeyError, ValueError):
            return None

    for key, value in sorted(json.loads(old.get("weights") or "{}").items()):
        meta[f"weights.{key}"] = str(value)
    duck = number("dialogue.duck_db")
    seed = int(meta.get("base_seed") or meta.get("seed") or 0)
    chosen = int(meta.get("chosen_take") or 1) - 1
    scores, others = (
        json.loads(old.get("take_scores") or "[]"),
        json.loads(old.get("other_takes") or "[]"),
    )
    paths = list(others)
    if scores:
        paths.insert(chosen, d["audio_path"])
    takes = [
        {"seed": seed + t, "score": s, "audio_path": p, "midi_path": "", "chosen": t == chosen}
        for t, (s, p) in enumerate(zip(scores, paths, strict=False))
    ]
    return {
        "feel": {"style": old.get("feel.style") or old.get("style", ""),
                 "valence": number("valence"), "arousal": number("arousal"),
                 "decided_by": old.get("feel.decided_by", ""),
                 "source": old.get("feel_source", "")},
        "speech_s": json.loads(old.get("dialogue.speech_s") or "[]"),
        "duck_db": duck or 0.0,
        "duck_keyframes": json.loads(old.get("dialogue.level_keyframes") or "[]"),
        "takes": sorted(takes, key=lambda t: -t["score"]) if len(takes) > 1 else [],
    }  # fmt: skip


class JobStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        # Where a damaged store was moved on open (None: it was sound): a server that cannot
        # read its store keeps serving with a new one instead of failing on every start.
        self._db, self.moved_aside = open_store(self.path, SCHEMA)
        with self._lock:
            self._migrate()

    def probe(self) -> None:
        """Raise sqlite3.Error when the store cannot take a write now (disk full, I/O error):
        a real, committed one-row write, since WAL only meets the disk at commit."""
        self._run("INSERT OR REPLACE INTO probe VALUES (1, ?)", (time.time(),))

    def _migrate(self) -> None:
        # Caller holds self._lock. In place and in one transaction: a store written by an older
        # engine keeps its jobs, segments and cached cues.
        (version,) = self._db.execute("PRAGMA user_version").fetchone()
        if version >= SCHEMA_VERSION:
            return
        self._db.execute("BEGIN")
        for table, names in (("jobs", _V0_JOB_STATES), ("segments", _V0_SEGMENT_STATES)):
            for number, name in names.items():
                self._db.execute(
                    f"UPDATE {table} SET state=? WHERE state=? AND typeof(state)='integer'",
                    (name, number),
                )
        self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _run(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # -- jobs ---------------------------------------------------------------------------------

    def add_job(
        self,
        job_id: str,
        model: str,
        options: GenerationOptions,
        output_dir: Path,
        fresh: bool,
        state: JobState,
        segments: list[Segment],
        segment_state: SegmentState,
    ) -> None:
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN")
            self._db.execute(
                "INSERT INTO jobs VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    job_id,
                    model,
                    options_to_json(options),
                    str(output_dir),
                    int(fresh),
                    JobState(state).value,
                    os.getpid(),
                    now,
                    now,
                ),
            )
            self._db.executemany(
                "INSERT INTO segments (job_id, idx, segment, state) VALUES (?,?,?,?)",
                [
                    (job_id, i, segment_to_json(s), SegmentState(segment_state).value)
                    for i, s in enumerate(segments)
                ],
            )
            self._db.execute("COMMIT")

    def set_job_state(self, job_id: str, state: JobState) -> None:
        self._run(
            "UPDATE jobs SET state=?, updated=? WHERE id=?",
            (JobState(state).value, time.time(), job_id),
        )

    def segment_started(self, job_id: str, idx: int, state: SegmentState) -> None:
        self._run(
            "UPDATE segments SET state=?, attempts=attempts+1 WHERE job_id=? AND idx=?",
            (SegmentState(state).value, job_id, idx),
        )

    def set_segment(
        self,
        job_id: str,
        idx: int,
        state: SegmentState,
        cue: Cue | None,
        error: str,
        reused: bool = False,
    ) -> None:
        self._run(
            "UPDATE segments SET state=?, cue=?, error=?, reused=? WHERE job_id=? AND idx=?",
            (
                SegmentState(state).value,
                cue_to_json(cue) if cue else None,
                error,
                int(reused),
                job_id,
                idx,
            ),
        )

    def unfinished_jobs(self, final_states: frozenset[JobState]) -> list[dict]:
        """Jobs left queued or running by an engine process that is gone."""
        marks = ",".join("?" * len(final_states))
        rows = self._run(
            f"SELECT id, model, options, output_dir, fresh, owner_pid FROM jobs "
            f"WHERE state NOT IN ({marks}) ORDER BY created",
            tuple(s.value for s in final_states),
        )
        jobs = []
        for job_id, model, options, output_dir, fresh, owner in rows:
            if owner != os.getpid() and _alive(owner):
                continue  # another engine process is still working on it
            segs = self._run(
                "SELECT idx, segment, state, cue, error, reused FROM segments "
                "WHERE job_id=? ORDER BY idx",
                (job_id,),
            )
            jobs.append(
                {
                    "id": job_id,
                    "model": model,
                    "options": options_from_json(options),
                    "output_dir": Path(output_dir),
                    "fresh": bool(fresh),
                    "segments": [
                        (
                            segment_from_json(s),
                            SegmentState(st),
                            cue_from_json(c) if c else None,
                            e,
                            bool(r),
                        )
                        for _, s, st, c, e, r in segs
                    ],
                }
            )
        return jobs

    def claim(self, job_id: str) -> None:
        self._run("UPDATE jobs SET owner_pid=? WHERE id=?", (os.getpid(), job_id))

    def attempts(self, job_id: str) -> list[int]:
        return [
            a
            for (a,) in self._run(
                "SELECT attempts FROM segments WHERE job_id=? ORDER BY idx", (job_id,)
            )
        ]

    # -- cue cache ----------------------------------------------------------------------------

    def find_cue(self, key: str) -> tuple[Cue, str] | None:
        rows = self._run("SELECT cue, audio_sha256 FROM cues WHERE key=?", (key,))
        return (cue_from_json(rows[0][0]), rows[0][1]) if rows else None

    def put_cue(self, key: str, cue: Cue, audio_sha256: str) -> None:
        self._run(
            "INSERT OR REPLACE INTO cues VALUES (?,?,?,?)",
            (key, cue_to_json(cue), audio_sha256, time.time()),
        )

    def forget_cue(self, key: str) -> None:
        self._run("DELETE FROM cues WHERE key=?", (key,))

    def prune(self, keep_days: float, final_states: frozenset[JobState]) -> tuple[int, int]:
        """Forget finished jobs older than `keep_days` and cache entries whose WAV is gone (the
        cue files themselves stay: timelines may point at them). Returns (jobs, cues) removed."""
        cutoff = time.time() - keep_days * 86400
        marks = ",".join("?" * len(final_states))
        with self._lock:
            self._db.execute("BEGIN")
            old = [
                j
                for (j,) in self._db.execute(
                    f"SELECT id FROM jobs WHERE updated < ? AND state IN ({marks})",
                    (cutoff, *(s.value for s in final_states)),
                )
            ]
            self._db.executemany("DELETE FROM segments WHERE job_id=?", [(j,) for j in old])
            self._db.executemany("DELETE FROM jobs WHERE id=?", [(j,) for j in old])
            gone = [
                k
                for k, c in self._db.execute("SELECT key, cue FROM cues")
                if not os.path.exists(cue_from_json(c).audio_path)
            ]
            self._db.executemany("DELETE FROM cues WHERE key=?", [(k,) for k in gone])
            self._db.execute("COMMIT")
        return len(old), len(gone)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
