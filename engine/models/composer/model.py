"""The `composer` cue model: the offline default that a fresh machine runs.

It scores a segment with `composer.score` (a style from the words or the feel, phrases and
sections, harmony on the strong cuts, accents on the hit points, room for dialogue, a cadence
into the out point), renders the score through the best General MIDI SoundFont on the machine
(`soundfont`, `fonts`), puts it in a hall that suits its style and delivers it at a target
loudness (`engine.mastering`), and writes two files per cue into the output folder:

* `<segment id>.wav`: 48 kHz, 24-bit PCM, stereo (instruments in their orchestral seats),
  exactly as many samples as the segment lasts; at the target integrated loudness (default -24
  LUFS, `GenerationOptions.loudness_lufs`), true peak at or below -1 dBTP, a short fade at the end;
* `<segment id>.mid`: the score with its tempo map and time signatures, for a composer to take
  further in a DAW.

The feel comes, in order of precedence, from the `feel` argument (a picture analysis), from
`options.feel` (valence / arousal in [-1, 1], a style), or from the segment's mood and
prompt words (`composer/words.py` says how words become a feel and a style).
"""

from __future__ import annotations

import importlib.metadata
import itertools
import logging
import multiprocessing
import os
import threading
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from pathlib import Path

import numpy as np

from cuebridge.engine.cue import SAMPLE_RATE, Cue
from cuebridge.engine.cue_writer import Performance, loudness_target, midi_bytes, write_cue
from cuebridge.engine.errors import CueCancelled, CueError
from cuebridge.engine.mix import thin_under_dialogue
from cuebridge.engine.models.base import CueModel, ModelStatus, ShouldStop
from cuebridge.engine.models.composer.font_cache import CACHE_VERSION
from cuebridge.engine.models.composer.fonts import advice
from cuebridge.engine.models.composer.score import (
    COMPOSER_VERSION,
    NEUTRAL,
    Feel,
    compose_segment,
    feel_from_words,
)
from cuebridge.engine.models.composer.soundfont import (
    FIX_TINYSOUNDFONT,
    load_soundfont,
    render_blocks,
    render_midi,
    render_sections,
    renderer,
    renderer_version,
    resolve_soundfont,
    soundfont_problem,
)
from cuebridge.engine.models.composer.styles import STYLES
from cuebridge.engine.models.composer.words import (
    decided_by,
    read_scenes,
    remember_scenes,
    scene_read_by,
    words_version,
)
from cuebridge.engine.models.composer.workers import FONT_ENV, PRELOAD, playable, preload_env
from cuebridge.engine.segment import CueFeel, GenerationOptions, Segment
from cuebridge.engine.settings import EngineSettings
from cuebridge.worker_process import forked_pool, stop_forkserver

log = logging.getLogger(__name__)
DESCRIPTION = (
    "Offline default: a cut-aware symbolic composer rendered through a General MIDI SoundFont"
)
MASTERING_VERSION = "cue-writer 1"  # bump when the space or the level chain changes
# Longer cues are rendered, finished and written in blocks, the finishing on a second core:
# memory stays bounded whatever the length (a whole 10-minute cue in memory took over 1 GB).
LONG_CUE_S = 10
_BLOCK = 1 << 18  # frames per block (5.5 s)
FADE_IN_S = 0.003  # so the first sample is not a click
WORDS_WEIGHT = 0.6  # the editor's mood words against the picture's feel, when both speak


class ComposerModel(CueModel):
    name = "composer"

    def __init__(
        self,
        soundfont: str | Path | None = None,
        picture_cache: Path | None = None,
        font_dir: Path | None = None,
        font_cache: Path | None = None,
    ):
        # A .sf3 is decoded once into this folder and played from there (font_cache.py);
        # None decodes it in every process that plays it.
        self.font_cache = font_cache
        self.soundfont = str(soundfont) if soundfont else ""  # "" = the best GM font installed
        self.font_dir = font_dir  # the user's own fonts, preferred to those installed
        # Picture analyses are cached on disk (None: in memory only): re-scoring an unchanged
        # segment decodes nothing.
        self.picture_cache = picture_cache
        self._pool: ProcessPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        # A cancel reaches a cue in a worker through this ring of cancelled tickets (shared
        # memory, read between render blocks); each pooled cue gets the next ticket.
        self._cancelled = None  # made with the workers
        self._tickets = itertools.count(1)

    # A cue's synthesis holds the GIL, so a long batch (a feature's scenes) is made in worker
    # processes, one per core, forked from one process that loaded the font (worker_process.
    # forked_pool): they share its pages. A short job's cues are made one by one (a kill
    # makes again only the cue in progress), in this process while no workers run (their start
    # costs a font load); once they run (a long job, or a serving engine's warm-up) every cue
    # is made there, and this process never loads the font. Each worker makes the same bytes
    # as this process.
    batch_size = 8
    PARALLEL_MIN_SEGMENTS = 4
    PARALLEL_MIN_MUSIC_S = 300.0

    def wants_batch(self, segments: list[Segment]) -> bool:
        return (
            (os.cpu_count() or 1) > 1
            and len(segments) >= self.PARALLEL_MIN_SEGMENTS
            and sum(s.duration_s for s in segments) >= self.PARALLEL_MIN_MUSIC_S
        )

    def generate_batch(
        self,
        segments: list[Segment],
        options: GenerationOptions,
        out_dir: Path,
        should_stop: ShouldStop | None = None,
    ) -> list[Cue | Exception]:
        results: list[Cue | Exception | None] = [None] * len(segments)
        for i, result in self.generate_each(segments, options, out_dir, should_stop):
            results[i] = result
        return [r if r is not None else CueError("no result") for r in results]

    def generate_each(
        self,
        segments: list[Segment],
        options: GenerationOptions,
        out_dir: Path,
        should_stop: ShouldStop | None = None,
    ) -> Iterator[tuple[int, Cue | Exception]]:
        """Each cue the moment a worker has written it, handed to the workers in the order
        given (the job queue's: jobs.batch_order)."""
        if self._pool is None and not self.wants_batch(segments):
            yield from super().generate_each(segments, options, out_dir, should_stop)
            return
        pool = self._workers()
        order = range(len(segments))
        rank = {i: n for n, i in enumerate(order)}
        tickets = {i: next(self._tickets) for i in order}
        scenes = read_scenes(s.prompt for s in segments)  # here, so no worker loads the reader
        futures = {
            pool.submit(
                _generate_in_worker, segments[i], options, str(out_dir), tickets[i], None, scenes
            ): i
            for i in order
        }
        pending = set(futures)
        try:
            while pending:
                if should_stop is not None and should_stop():
                    raise CueCancelled("the job was cancelled")
                done, pending = wait(pending, timeout=_POLL_S, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=lambda f: rank[futures[f]]):
                    yield futures[future], _result(future)
        except BrokenProcessPool:
            self._drop_pool()
            raise
        finally:  # cancelled, or the caller stopped reading: the rest never runs
            for future in pending:
                if not future.cancel():
                    self._cancel(tickets[futures[future]])

    def _in_worker(
        self,
        segment: Segment,
        options: GenerationOptions,
        out_dir: Path,
        should_stop: ShouldStop | None,
        feel: Feel | None,
    ) -> Cue | None:
        """One cue made by a worker; None when the workers are gone (make it here)."""
        pool = self._pool
        if pool is None:
            return None
        ticket = next(self._tickets)
        try:
            scenes = read_scenes([segment.prompt] if feel is None else [])  # here, not there
            future = pool.submit(
                _generate_in_worker, segment, options, str(out_dir), ticket, feel, scenes
            )
            while True:
                if should_stop is not None and should_stop():
                    if not future.cancel():
                        self._cancel(ticket)
                    raise CueCancelled("the job was cancelled")
                done, _ = wait([future], timeout=_POLL_S)
                if done:
                    result = _result(future)
                    if isinstance(result, Exception):
                        raise result
                    return result
        except BrokenProcessPool:  # a worker was killed (out of memory?): a fresh pool next
            log.warning("the composer's worker processes stopped; making this cue here")
            self._drop_pool()
            return None

    def _cancel(self, ticket: int) -> None:
        if self._cancelled is not None:
            self._cancelled[ticket % _RING] = ticket

    def _workers(self) -> ProcessPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                if self._cancelled is None:
                    self._cancelled = multiprocessing.get_context("forkserver").RawArray("q", _RING)
                self._pool = forked_pool(
                    os.cpu_count() or 1,
                    PRELOAD,
                    preload_env(self.soundfont, self.font_dir, self.font_cache),
                    _start_worker,
                    (self.soundfont, self.picture_cache, self.font_dir, self.font_cache,
                     self._cancelled),
                )  # fmt: skip
            return self._pool

    def _default_playable(self) -> str:
        """The file the workers' preload opens: the default font's playable form ("" when the
        font has a problem: each cue reports it)."""
        return preload_env(self.soundfont, self.font_dir, self.font_cache)[FONT_ENV]

    def _drop_pool(self) -> None:
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        had_workers = self._pool is not None
        self._drop_pool()
        if had_workers:  # the font it preloaded goes too (a test run holds no stray 1 GB)
            stop_forkserver(preload_env(self.soundfont, self.font_dir, self.font_cache))

    @classmethod
    def from_settings(cls, settings: EngineSettings) -> ComposerModel:
        return cls(
            picture_cache=settings.picture_cache,
            font_dir=settings.soundfont_dir,
            font_cache=settings.font_cache,
        )

    def identity(self) -> str:
        """What, besides the options, decides this model's output (the engine's cue cache key):
        the composer's rules, the synthesiser, and the default font file."""
        font = resolve_soundfont(self.soundfont, self.font_dir)
        try:
            stat = font.stat()
            font_id = f"{font.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
        except OSError:
            font_id = f"{font}:missing"
        if self.font_cache is not None and font.suffix.lower() == ".sf3":
            font_id += f" decoded v{CACHE_VERSION}"  # 16-bit samples: not the same bytes
        effects = importlib.metadata.version("pedalboard")
        return (
            f"composer-rules {COMPOSER_VERSION}; {renderer_version()}; font {font_id}; "
            f"mastering {MASTERING_VERSION} pedalboard {effects}; {words_version()}"
        )

    def status(self) -> ModelStatus:
        problem = soundfont_problem(self.soundfont, self.font_dir)
        if problem:
            return ModelStatus(self.name, DESCRIPTION, ready=False, reason=problem)
        font = resolve_soundfont(self.soundfont, self.font_dir)
        better = advice(font, self.font_dir, renderer() == "tinysoundfont", FIX_TINYSOUNDFONT)
        description = f"{DESCRIPTION}; plays {font} through {renderer_version()}"
        return ModelStatus(
            self.name, description + (f". Better: {better}" if better else ""), ready=True
        )

    def generate(
        self,
        segment: Segment,
        options: GenerationOptions,
        out_dir: Path,
        should_stop: ShouldStop | None = None,  # asked between render blocks of a long cue
        *,
        feel: Feel | None = None,
    ) -> Cue:
        made = self._in_worker(segment, options, out_dir, should_stop, feel)
        if made is not None:
            return made
        _check_segment(segment)
        loudness_target(segment, options)  # fail before composing, with the fix
        given_font = str(resolve_soundfont(options.soundfont or self.soundfont, self.font_dir))
        if problem := soundfont_problem(given_font):
            raise CueError(problem)
        font = self._playable(given_font)
        load_soundfont(font)
        feel, source, picture = self._choose_feel(segment, options, feel)
        if options.feel.style:  # the job named a style
            if options.feel.style not in STYLES:
                raise CueError(
                    f"segment {segment.id!r}: style {options.feel.style!r} is not one of the "
                    f"composer's: {', '.join(sorted(STYLES))}"
                )
            feel = replace(feel, style=options.feel.style)
        # The arrangement thins under the lines unless the job says not to (mix.py).
        written = segment if thin_under_dialogue(options) else replace(segment, speech=())
        midi, plan = compose_segment(written, feel)
        num_samples = segment.rate.samples(segment.duration_frames, SAMPLE_RATE)
        performance = Performance(
            audio=np.zeros((0, 2), np.float32),
            midi=midi_bytes(midi),
            room=feel.arousal,
            fade_in_s=FADE_IN_S,
            fade_out_s=plan.fade_s,
        )
        if options.stems:
            performance.parts = render_sections(midi, num_samples, font)
        elif num_samples > LONG_CUE_S * SAMPLE_RATE and not written.speech:
            # Rendered, finished and written in blocks: memory stays bounded whatever the length.
            performance.audio = lambda: _stoppable(
                render_blocks(midi, num_samples, font, _BLOCK), should_stop
            )
        else:
            performance.audio = render_midi(midi, num_samples, font)
        if written.speech:
            # The level is that of the same cue written without the dialogue, so what the
            # composer leaves out under the lines, and the dip after, only take away.
            performance.reference = _without_dialogue(segment, feel, midi, font, num_samples)
        performance.facts = {
            "prompt": segment.prompt,
            "mood": segment.mood,
            "tempo_bpm": f"{plan.tempo_bpm:.1f}",
            "key": plan.key.name,
            "meter": plan.meter_name,
            "seed": str(segment.seed),
            "cuts_honoured": ",".join(f"{t:.3f}" for t in plan.cuts_s),
            "cuts_merged": ",".join(f"{t:.3f}" for t in plan.merged_cuts_s),
            "chords": " ".join(slot.chord.symbol for slot in plan.chords),
            "soundfont": given_font,
            "renderer": renderer_version(),
            "scene_reader": scene_read_by(segment.prompt, segment.mood, source),
            **picture,
        }
        performance.warnings = [w for w in picture.get("picture.warnings", "").split(" | ") if w]
        # What was understood: the style and what decided it (scenes.py, words.py), typed.
        performance.feel = CueFeel(
            plan.style.name,
            feel.valence,
            feel.arousal,
            ", ".join(decided_by(segment.prompt, segment.mood, source)),
            source,
        )
        return write_cue(self.name, segment, options, performance, out_dir, should_stop)

    def warm_up(self) -> None:
        """Decode the default font into the cache and start the workers, forked from the one
        process that parsed it, so the first cue does neither (and this process, a server,
        never holds the GIL for a font load). A broken font is reported by status()."""
        if not self._default_playable():
            return
        pool = self._workers()
        readies = [pool.submit(_worker_ready) for _ in range(os.cpu_count() or 1)]
        # Warm once the first worker holds the font: a press that waited for the warm-up is
        # made there while the others start.
        done, _ = wait(readies, return_when=FIRST_COMPLETED)
        next(iter(done)).result()

    def _playable(self, source: str) -> str:
        """The file the renderer opens for `source`: for a .sf3, its decoded copy in the font
        cache, else the font itself."""
        return playable(source, self.font_cache)

    def _choose_feel(
        self, segment: Segment, options: GenerationOptions, feel: Feel | None
    ) -> tuple[Feel, str, dict[str, str]]:
        """The feel to compose with, where it came from, and the picture's metadata.

        Given feel > options' valence/arousal > the picture blended with the editor's words
        (the words weigh more: they are the editor's intent) > the words alone.
        """
        if feel is not None:
            return feel, "given", {}
        asked = options.feel
        if asked.valence is not None or asked.arousal is not None:
            return _feel_from_options(segment, options), "options", {}
        words = feel_from_words(segment.prompt, segment.mood)
        if not any(m.path for m in segment.media):
            return words, "words", {}
        from cuebridge.engine.picture.analysis import analyze_segment

        pic = analyze_segment(segment, self.picture_cache)
        meta = pic.metadata()
        if pic.warnings:
            meta["picture.warnings"] = " | ".join(pic.warnings)
        if not pic.has_picture:
            return words, "words", meta
        w = WORDS_WEIGHT if words is not NEUTRAL else 0.0
        blended = Feel(
            w * words.valence + (1 - w) * pic.valence,
            w * words.arousal + (1 - w) * pic.arousal,
            accent_times_s=tuple(pic.motion_peaks_s),
            extra_cut_times_s=tuple(pic.cuts_s),
            style=words.style,  # the editor's named style wins over the nearest to the blend
            cut_weights=picture_change_at_cuts(pic, [*segment.cut_times_s(), *pic.cuts_s]),
        )
        return blended, "picture+words" if w else "picture", meta


def _without_dialogue(segment: Segment, feel: Feel, midi, font: str, num_samples: int):
    """The cue as written with no speech map, or None when the composer wrote the speech
    version the same (the same notes give the same audio and the same level)."""
    plain, _ = compose_segment(replace(segment, speech=()), feel)
    if midi_bytes(plain) == midi_bytes(midi):
        return None
    return render_midi(plain, num_samples, font)


def picture_change_at_cuts(pic, cuts_s: list[float]) -> tuple[tuple[float, float], ...]:
    """(cut, factor in [0.75, 1.5]) from the picture's motion either side of each cut: a still
    shot cutting to a busy one (or back) is a bigger change than two alike; 1.0 without motion."""
    motion = pic.motion
    if not motion or max(e for _, e in motion) <= 0:
        return ()
    out = []
    for cut in cuts_s:
        before = [e for t, e in motion if cut - 2.0 <= t < cut - 1e-6]
        after = [e for t, e in motion if cut - 1e-6 <= t < cut + 2.0]
        if not before or not after:
            continue
        a, b = sum(before) / len(before), sum(after) / len(after)
        contrast = abs(a - b) / max(a, b, 1e-6)  # 0 alike .. 1 from stillness to motion
        out.append((cut, round(0.75 + 0.75 * contrast, 3)))
    return tuple(out)


def _feel_from_options(segment: Segment, options: GenerationOptions) -> Feel:
    values = {}
    for axis in ("valence", "arousal"):
        value = getattr(options.feel, axis)
        value = 0.0 if value is None else value
        if not -1.0 <= value <= 1.0:  # NaN too: an old client's "valence=very"
            raise CueError(
                f"segment {segment.id!r}: option {axis} {value} is not a number in [-1, 1]; "
                "give a value between -1 and 1."
            )
        values[axis] = value
    return Feel(values["valence"], values["arousal"], style=options.feel.style)


def _check_segment(segment: Segment) -> None:
    if segment.rate.num <= 0 or segment.rate.den <= 0:
        raise CueError(
            f"segment {segment.id!r}: frame rate {segment.rate.num}/{segment.rate.den} is not "
            "positive; set the timeline's rate (e.g. 24, 25 or 30000/1001)."
        )
    if segment.duration_frames <= 0:
        raise CueError(
            f"segment {segment.id!r}: duration is {segment.duration_frames} frames; a cue needs "
            "a range of at least one frame. Mark an in and an out point (or a marker with a "
            "duration) around the scene."
        )


_RING = 64  # cancelled tickets remembered; a cue runs long before 64 others are cancelled
_POLL_S = 0.25  # how often a waiting engine thread asks whether its job was cancelled
_WORKER_MODEL: ComposerModel | None = None
_WORKER_CANCELLED = None


def _start_worker(
    soundfont: str,
    picture_cache: Path | None,
    font_dir: Path | None,
    font_cache: Path | None,
    cancelled,
) -> None:
    global _WORKER_MODEL, _WORKER_CANCELLED  # one model per worker process, made once
    _WORKER_MODEL = ComposerModel(soundfont, picture_cache, font_dir, font_cache)
    _WORKER_CANCELLED = cancelled


def _worker_ready() -> int:
    assert _WORKER_MODEL is not None
    if font := _WORKER_MODEL._default_playable():
        load_soundfont(font)  # forked from the preload: already parsed, nothing to do
    return os.getpid()


def _generate_in_worker(
    segment: Segment,
    options: GenerationOptions,
    out_dir: str,
    ticket: int = 0,
    feel: Feel | None = None,
    scenes: dict | None = None,
) -> Cue:
    assert _WORKER_MODEL is not None
    remember_scenes(scenes or {})  # read by the engine's process: no reader loads here
    cancelled = _WORKER_CANCELLED

    def should_stop() -> bool:
        return cancelled is not None and cancelled[ticket % _RING] == ticket

    return _WORKER_MODEL.generate(segment, options, Path(out_dir), should_stop, feel=feel)


def _result(future: Future) -> Cue | Exception:
    """A worker's cue, or the CueError it met (a broken pool is raised)."""
    try:
        return future.result()
    except CueError as exc:
        return exc


def _stoppable(blocks, should_stop: ShouldStop | None):
    """The blocks, asking `should_stop` before each: a cancel lands within one block (5.5 s of
    music), and the writer's exception path leaves no cue behind."""
    for block in blocks:
        if should_stop is not None and should_stop():
            raise CueCancelled("the job was cancelled")
        yield block
