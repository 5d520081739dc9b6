"""A store written by engine 0.1.0 (states as the wire's numbers) opens in place: its jobs,
segments and cached cues survive, and its unfinished job resumes."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from cuebridge.engine.jobs import JobQueue
from cuebridge.engine.registry import ModelRegistry
from cuebridge.engine.states import FINAL_JOB_STATES, JobState, SegmentState
from cuebridge.engine.store import SCHEMA_VERSION, JobStore

OLD_STORE = Path(__file__).resolve().parents[1] / "data" / "stores" / "engine-0.1.0.sqlite3"


def _copy(tmp_path: Path) -> Path:
    db = tmp_path / "engine.sqlite3"
    shutil.copyfile(OLD_STORE, db)
    return db


def test_an_old_store_is_migrated_in_place_and_keeps_everything(tmp_path):
    db = _copy(tmp_path)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT state FROM jobs ORDER BY id").fetchall() == [(3,), (2,)]
    store = JobStore(db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert conn.execute("SELECT id, state FROM jobs ORDER BY id").fetchall() == [
            ("finishedjob1", "succeeded"),
            ("unfinished01", "running"),
        ]
        states = conn.execute("SELECT state FROM segments WHERE job_id='unfinished01' ORDER BY idx")
        assert [s for (s,) in states] == ["done", "failed", "running"]
    unfinished = store.unfinished_jobs(FINAL_JOB_STATES)
    assert [j["id"] for j in unfinished] == ["unfinished01"]
    segs = unfinished[0]["segments"]
    assert [s[1] for s in segs] == [SegmentState.DONE, SegmentState.FAILED, SegmentState.RUNNING]
    assert segs[0][2].audio_path == "/nonexistent/cues-b/cue-001.wav" and segs[1][3] == "bad media"
    cached = store.find_cue("k" * 64)
    assert cached is not None and cached[0].segment_id == "cue-001"
    store.close()
    JobStore(db).close()  # a second open finds it migrated and changes nothing
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT state FROM jobs ORDER BY id").fetchall() == [
            ("succeeded",),
            ("running",),
        ]


def test_the_unfinished_job_of_an_old_store_resumes(tmp_path):
    db = _copy(tmp_path)
    queue = JobQueue(ModelRegistry(), tmp_path / "cues", JobStore(db))
    try:
        queue.store._run("UPDATE jobs SET output_dir=?", (str(tmp_path / "cues-b"),))
        assert queue.resume() == ["unfinished01"]
        job = queue.get("unfinished01")
        for _ in queue.watch(job.id):
            pass
        assert job.state == JobState.PARTIAL  # the failed segment stays failed
        assert [r.state for r in job.runs] == [
            SegmentState.DONE,
            SegmentState.FAILED,
            SegmentState.DONE,
        ]
        assert Path(job.runs[2].cue.audio_path).is_file()
    finally:
        queue.close()


MAIN_STORE = OLD_STORE.with_name("engine-main-5504f36.sqlite3")


def test_a_store_written_before_the_typed_contract_reads_as_typed_fields(tmp_path):
    db = tmp_path / "engine.sqlite3"
    shutil.copyfile(MAIN_STORE, db)
    store = JobStore(db)
    try:
        [job] = store.unfinished_jobs(FINAL_JOB_STATES)
        assert job["id"] == "unfinished02"
        options = job["options"]  # extra {"duck", "valence", "arousal"} became typed fields
        assert options.duck_db == -9 and options.feel.valence == 0.4
        assert options.feel.arousal == -0.2 and options.loudness_lufs == -23.0
        segment, state, cue, _, _ = job["segments"][0]
        assert state == SegmentState.DONE and segment.speech == ((6, 30),)
        assert cue.speech_s == [(0.25, 1.25)] and cue.duck_db == -9.0
        assert cue.duck_keyframes[2] == (0.25, -9.0) and cue.feel.source == "options"
        assert not any(k.startswith("dialogue.speech") for k in cue.metadata)
        assert job["segments"][1][1] == SegmentState.RUNNING
    finally:
        store.close()


LATE_MAIN_STORE = OLD_STORE.with_name("engine-main-3e2c088.sqlite3")


def test_a_store_written_by_main_before_the_merge_reads_as_typed_fields(tmp_path):
    # main at 3e2c088 (one cue writer, the feel's words in metadata, the `thin` extra key).
    db = tmp_path / "engine.sqlite3"
    shutil.copyfile(LATE_MAIN_STORE, db)
    store = JobStore(db)
    try:
        [job] = store.unfinished_jobs(FINAL_JOB_STATES)
        options = job["options"]
        assert options.duck_db == -9 and options.thin_under_dialogue is False
        assert options.feel.valence == 0.4 and options.feel.arousal == -0.2
        segment, state, cue, _, _ = job["segments"][0]
        assert state == SegmentState.DONE and segment.speech == ((6, 30),)
        assert (cue.feel.style, cue.feel.decided_by, cue.feel.source) == (
            "romance",
            "valence/arousal",
            "options",
        )
        assert cue.speech_s == [(0.25, 1.25)] and cue.duck_keyframes[2] == (0.25, -9.0)
        assert not any(k.startswith(("feel.", "dialogue.speech")) for k in cue.metadata)
        assert "style" not in cue.metadata and cue.metadata["key"] == "Bb major"
    finally:
        store.close()
