"""Symlinks planted in a cue folder under the temp names the writers once used are never
followed: their targets outside the folder stay as they were, and the cue is still made."""

from __future__ import annotations

import os
from pathlib import Path

from cuebridge.contract import cue_file_stem
from cuebridge.engine.jobs import JobQueue
from cuebridge.engine.registry import ModelRegistry
from cuebridge.engine.segment import GenerationOptions, Rate, Segment
from cuebridge.engine.store import JobStore

BAIT = b"a file the server's user can write, outside the cue folder\n"


def _plant(folder: Path, names: list[str], outside: Path) -> dict[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    outside.mkdir()
    planted = {}
    for n, name in enumerate(names):
        target = outside / f"victim-{n}"
        target.write_bytes(BAIT)
        (folder / name).symlink_to(target)
        planted[folder / name] = target
    return planted


def _untouched(planted: dict[Path, Path]) -> None:
    for target in planted.values():
        assert target.read_bytes() == BAIT, target


def test_engine_writers_never_follow_planted_temp_names(tmp_path):
    out, state = tmp_path / "cues", tmp_path / "state"
    state.mkdir()
    stem = cue_file_stem("s0")
    planted = _plant(
        out,
        [f".{stem}.raw.tmp", f".{stem}.wav.pair.tmp", f".{stem}.mid.pair.tmp"],
        tmp_path / "elsewhere",
    )
    # A resume sweeps `.*.tmp` out of the cue folder: the links go, the targets stay.
    jobs = JobQueue(ModelRegistry(), out, JobStore(state / "engine.sqlite3"))
    job = jobs.submit([Segment(id="s0", rate=Rate(24), duration_frames=48, seed=1)],
                      GenerationOptions(), out)  # fmt: skip
    for _ in jobs.watch(job.id):
        pass
    assert [r.error for r in job.runs] == [""]
    _untouched(planted)
    assert (out / f"{stem}.wav").stat().st_size > 1000
    assert not (out / f"{stem}.wav").is_symlink()


def test_engine_cue_writer_never_follows_planted_temp_names(tmp_path):
    """The writer itself, without the sweep before it (a link planted while the job runs)."""
    from cuebridge.engine import cue_writer

    out = tmp_path / "cues"
    stem = cue_file_stem("s0")
    planted = _plant(
        out,
        [f".{stem}.raw.tmp", f".{stem}.wav.pair.tmp", f".{stem}.mid.pair.tmp"],
        tmp_path / "elsewhere",
    )
    real_remove = getattr(cue_writer, "_remove_partial_files", None)
    assert real_remove is None  # the writer has no sweep of its own to hide behind
    jobs_out = tmp_path / "state"
    jobs_out.mkdir()
    jobs = JobQueue(ModelRegistry(), out, JobStore(jobs_out / "engine.sqlite3"))
    import cuebridge.engine.jobs as jobs_module

    sweep = jobs_module._remove_partial_files
    jobs_module._remove_partial_files = lambda _out: None
    try:
        # Over the composer's LONG_CUE_S: rendered in blocks through the raw tape.
        job = jobs.submit([Segment(id="s0", rate=Rate(24), duration_frames=24 * 12, seed=1)],
                          GenerationOptions(), out)  # fmt: skip
        for _ in jobs.watch(job.id):
            pass
    finally:
        jobs_module._remove_partial_files = sweep
    assert [r.error for r in job.runs] == [""]
    _untouched(planted)


def test_score_owner_note_never_follows_a_planted_temp_name(tmp_path):
    from cuebridge.bridge import scoring

    cue_dir = tmp_path / "cues"
    planted = _plant(cue_dir, [f"{scoring.CUE_DIR_OWNER}.{os.getpid()}.tmp"], tmp_path / "out")
    scoring._claim_cue_dir(cue_dir, "a.otio -> b.otio")
    _untouched(planted)
    assert (cue_dir / scoring.CUE_DIR_OWNER).read_text().strip() == "a.otio -> b.otio"
