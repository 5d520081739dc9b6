"""Issue 23: the composer's workers share one parsed font, schedule a job's shortest cue first
and then the longest, report each cue the moment it is written, and stop a cancelled cue between
its render blocks."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from cuebridge.engine.errors import CueCancelled
from cuebridge.engine.jobs import JobQueue, SegmentRun, batch_order
from cuebridge.engine.models.composer import soundfont
from cuebridge.engine.models.composer.fonts import BUNDLED_SOUNDFONT
from cuebridge.engine.models.composer.model import ComposerModel
from cuebridge.engine.registry import ModelEntry, ModelRegistry
from cuebridge.engine.segment import GenerationOptions, Rate, Segment
from cuebridge.engine.states import SegmentState
from cuebridge.engine.store import JobStore


def _segment(n: int, seconds: int) -> Segment:
    return Segment(id=f"cue-{n}", rate=Rate(24), duration_frames=24 * seconds, seed=n,
                   prompt="a chase through the market")  # fmt: skip


def _what_a_fresh_worker_holds() -> tuple[int, int]:
    # Sent before the worker made any cue: the font it holds came from where it was forked.
    return os.getppid(), soundfont._load_cached.cache_info().currsize


@pytest.fixture
def model():
    made = ComposerModel(soundfont=BUNDLED_SOUNDFONT)
    yield made
    made.close()


def test_workers_are_forked_from_one_process_that_parsed_the_font(model):
    pool = model._workers()
    held = [pool.submit(_what_a_fresh_worker_holds) for _ in range(4)]
    parents, fonts = zip(*(f.result(timeout=120) for f in held), strict=True)
    assert len(set(parents)) == 1 and os.getpid() not in parents  # one forkserver, not here
    assert set(fonts) == {1}  # parsed there, before the fork: no worker parsed its own


def test_each_cue_is_yielded_when_written_in_the_order_given(model, tmp_path):
    model._workers()
    segments = [_segment(1, 20), _segment(3, 20), _segment(2, 10), _segment(0, 3)]
    seen = []
    for index, result in model.generate_each(segments, GenerationOptions(), tmp_path):
        written = {p.stem for p in tmp_path.glob("*.wav")}
        assert not isinstance(result, Exception), result
        seen.append((index, written))
    first_index, written_then = seen[0]
    assert first_index in (0, 1)  # one of the two given first (the two longest) came first
    assert "cue-0" not in written_then  # the shortest, last in line, was not yet made
    assert sorted(i for i, _ in seen) == [0, 1, 2, 3]


def test_a_job_reports_each_cue_as_made_not_when_its_batch_ends(model, tmp_path):
    registry = ModelRegistry((ModelEntry("composer", "pooled", lambda settings: model),))
    jobs = JobQueue(registry, tmp_path / "cues", JobStore(tmp_path / "engine.sqlite3"))
    model.PARALLEL_MIN_MUSIC_S = 0.0  # a long job's cues, made together
    try:
        job = jobs.submit([_segment(n, 30) for n in range(4)], GenerationOptions(), tmp_path)
        done_at = []
        for _, index in jobs.watch(job.id):
            if index is not None and index >= 0 and job.runs[index].state == SegmentState.DONE:
                done_at.append(time.monotonic())
        assert job.done == 4
        # A 30 s cue takes a worker well over 0.2 s: cues that arrive one by one are apart.
        assert done_at[-1] - done_at[0] > 0.2, done_at
    finally:
        jobs.close()


class _Recording(ComposerModel):
    batch_size = 2

    PARALLEL_MIN_MUSIC_S = 1e9  # made here, one by one: only the queue's order is read

    def __init__(self):
        super().__init__(soundfont=BUNDLED_SOUNDFONT)
        self.made: list[str] = []

    def generate(self, segment, options, out_dir, should_stop=None, **kw):
        self.made.append(segment.id)
        return super().generate(segment, options, out_dir, should_stop, **kw)


def test_the_queue_hands_a_batching_model_the_shortest_then_the_longest_cues(tmp_path):
    model = _Recording()
    registry = ModelRegistry((ModelEntry("composer", "recording", lambda settings: model),))
    jobs = JobQueue(registry, tmp_path / "cues", JobStore(tmp_path / "engine.sqlite3"))
    try:
        lengths = [2, 6, 3, 6, 1]
        job = jobs.submit([_segment(n, s) for n, s in enumerate(lengths)], GenerationOptions(),
                          tmp_path)  # fmt: skip
        list(jobs.watch(job.id))
        assert job.done == 5
        # The shortest first (the editor's first cue comes in the time of one), then the
        # longest first, so the last to finish is short.
        assert model.made == ["cue-4", "cue-1", "cue-3", "cue-2", "cue-0"]
    finally:
        jobs.close()
        model.close()


def test_a_cancel_reaches_a_cue_in_a_worker(model, tmp_path):
    model.warm_up()  # every worker started, as a serving engine's are
    stop = threading.Event()
    outcome: list[BaseException] = []

    def make() -> None:
        try:
            model.generate(_segment(0, 600), GenerationOptions(), tmp_path, stop.is_set)
        except BaseException as exc:  # noqa: BLE001 - the test reads it
            outcome.append(exc)

    def tape() -> list[Path]:  # the long cue's raw tape, while the worker renders into it
        return list(Path(tmp_path).glob(".*.tmp"))

    maker = threading.Thread(target=make)
    maker.start()
    deadline = time.monotonic() + 60
    while not tape():  # composed: the worker renders the ten minutes, block by block
        assert time.monotonic() < deadline and maker.is_alive(), outcome
        time.sleep(0.02)
    stop.set()
    maker.join(10)
    assert not maker.is_alive() and isinstance(outcome[0], CueCancelled)
    # The worker stopped too, within a block or two (the whole cue would take it many seconds
    # more), and left no cue behind.
    cancelled = time.monotonic()
    while tape():
        assert time.monotonic() - cancelled < 3, "the worker went on rendering a cancelled cue"
        time.sleep(0.02)
    assert not list(Path(tmp_path).glob("*.wav"))


class _Batches(ComposerModel):
    PARALLEL_MIN_MUSIC_S = 0.0

    def __init__(self):
        super().__init__(soundfont=BUNDLED_SOUNDFONT)
        self.batches: list[list[str]] = []

    def generate_each(self, segments, options, out_dir, should_stop=None):
        self.batches.append([s.id for s in segments])
        yield from super().generate_each(segments, options, out_dir, should_stop)


def test_a_long_jobs_short_tail_is_made_by_the_workers_too(tmp_path):
    model = _Batches()
    registry = ModelRegistry((ModelEntry("composer", "batches", lambda settings: model),))
    jobs = JobQueue(registry, tmp_path / "cues", JobStore(tmp_path / "engine.sqlite3"))
    try:
        job = jobs.submit([_segment(n, 2 + n % 3) for n in range(10)], GenerationOptions(),
                          tmp_path)  # fmt: skip
        list(jobs.watch(job.id))
        assert job.done == 10
        # Eight, then the last two (fewer than a batch worth sending alone): both to workers.
        assert [len(b) for b in model.batches] == [8, 2]
    finally:
        jobs.close()
        model.close()


def test_a_resumed_job_with_cues_made_goes_longest_first():
    runs = [SegmentRun(_segment(n, s)) for n, s in enumerate([5, 1, 9, 3])]
    assert batch_order(runs, [0, 1, 2, 3]) == [1, 2, 0, 3]  # nothing made: shortest leads
    runs[1].state = SegmentState.DONE
    assert batch_order(runs, [0, 2, 3]) == [2, 0, 3]  # a cue made already: longest first


def test_a_warm_up_ends_when_the_first_worker_holds_the_font(model):
    model.warm_up()
    # Warm: a cue's worker is there to take it (the others may still be starting).
    assert model._pool is not None
    assert model._pool.submit(_what_a_fresh_worker_holds).result(timeout=60)[1] == 1


def test_a_serving_engine_starts_the_workers_forkserver_before_the_model(tmp_path):
    import multiprocessing.forkserver
    import shutil

    from cuebridge.engine.models.composer.workers import start_early
    from cuebridge.engine.settings import EngineSettings

    settings = EngineSettings(state_dir=tmp_path)
    settings.soundfont_dir.mkdir()  # the user's own font wins over those installed
    shutil.copy(BUNDLED_SOUNDFONT, settings.soundfont_dir / "mine.sf2")
    start_early(settings)
    early = multiprocessing.forkserver._forkserver._forkserver_pid
    model = ComposerModel.from_settings(settings)
    try:
        held = model._workers().submit(_what_a_fresh_worker_holds).result(timeout=120)
        # The model's workers come from the forkserver started early, which parsed the font.
        assert early is not None and held == (early, 1)
    finally:
        model.close()
