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
import io
import os
import threading
import wave
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np

from cuebridge import engine
from cuebridge.engine import mastering
from cuebridge.engine.audio import (
    fade_in,
    fade_out,
    to_pcm24,
    write_bytes_atomic,
    write_wav,
)
from cuebridge.engine.cue import SAMPLE_RATE, SAMPLE_WIDTH_BYTES, Cue, cue_file_stem
from cuebridge.engine.errors import CueCancelled, CueError
from cuebridge.engine.mix import duck_under_speech
from cuebridge.engine.models.base import CueModel, ModelStatus, ShouldStop
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
from cuebridge.engine.segment import CueFeel, GenerationOptions, Segment
from cuebridge.engine.settings import EngineSettings
from cuebridge.worker_process import spawn_pool

DESCRIPTION = (
    "Offline default: a cut-aware symbolic composer rendered through a General MIDI SoundFont"
)
MASTERING_VERSION = "hall+r128 1"  # bump when the space or the level chain changes
# Longer cues are rendered, finished and written in blocks, the hall on a second core: memory
# stays bounded whatever the length (a whole 10-minute cue in memory took over 1 GB).
LONG_CUE_S = 10
_BLOCK = 1 << 18  # frames per block (5.5 s)
WORDS_WEIGHT = 0.6  # the editor's mood words against the picture's feel, when both speak


class ComposerModel(CueModel):
    name = "composer"

    def __init__(
        self,
        soundfont: str | Path | None = None,
        picture_cache: Path | None = None,
        font_dir: Path | None = None,
    ):
        self.soundfont = str(soundfont) if soundfont else ""  # "" = the best GM font installed
        self.font_dir = font_dir  # the user's own fonts, preferred to those installed
        # Picture analyses are cached on disk (None: in memory only): re-scoring an unchanged
        # segment decodes nothing.
        self.picture_cache = picture_cache
        self._pool: ProcessPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    # A cue's synthesis holds the GIL, so a long batch (a feature's scenes) is made in worker
    # processes, one per core; short batches stay in this process (a worker's start-up and its
    # own copy of the font cost seconds). Each worker makes the same bytes as this process.
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
        if not self.wants_batch(segments):
            return super().generate_batch(segments, options, out_dir, should_stop)
        pool = self._workers(min(len(segments), os.cpu_count() or 1))
        futures = [pool.submit(_generate_in_worker, s, options, str(out_dir)) for s in segments]
        results: list[Cue | Exception] = []
        for future in futures:
            if should_stop is not None and should_stop():
                for f in futures:
                    f.cancel()
                raise CueCancelled("the job was cancelled")
            try:
                results.append(future.result())
            except CueError as exc:
                results.append(exc)
        return results

    def _workers(self, count: int) -> ProcessPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = spawn_pool(
                    count, _start_worker, (self.soundfont, self.picture_cache, self.font_dir)
                )
            return self._pool

    def close(self) -> None:
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    @classmethod
    def from_settings(cls, settings: EngineSettings) -> ComposerModel:
        return cls(picture_cache=settings.picture_cache, font_dir=settings.soundfont_dir)

    def identity(self) -> str:
        """What, besides the options, decides this model's output (the engine's cue cache key):
        the composer's rules, the synthesiser, and the default font file."""
        font = resolve_soundfont(self.soundfont, self.font_dir)
        try:
            stat = font.stat()
            font_id = f"{font.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
        except OSError:
            font_id = f"{font}:missing"
        effects = importlib.metadata.version("pedalboard")
        return (
            f"composer-rules {COMPOSER_VERSION}; {renderer_version()}; font {font_id}; "
            f"mastering {MASTERING_VERSION} pedalboard {effects}"
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
        should_stop: ShouldStop | None = None,  # a cue takes well under a second: it finishes
        *,
        feel: Feel | None = None,
    ) -> Cue:
        _check_segment(segment)
        target = options.loudness_lufs or mastering.DEFAULT_LOUDNESS_LUFS
        if problem := mastering.check_loudness(target):
            raise CueError(f"segment {segment.id!r}: {problem}")
        font = str(resolve_soundfont(options.soundfont or self.soundfont, self.font_dir))
        if problem := soundfont_problem(font):  # fail before composing, with the fix
            raise CueError(problem)
        load_soundfont(font)
        feel, source, picture = self._choose_feel(segment, options, feel)
        if options.feel.style:  # the job named a style
            if options.feel.style not in STYLES:
                raise CueError(
                    f"segment {segment.id!r}: style {options.feel.style!r} is not one of the "
                    f"composer's: {', '.join(sorted(STYLES))}"
                )
            feel = replace(feel, style=options.feel.style)

        midi, plan = compose_segment(segment, feel)
        num_samples = segment.rate.samples(segment.duration_frames, SAMPLE_RATE)
        reference = None
        if not options.stems and not segment.speech and num_samples > LONG_CUE_S * SAMPLE_RATE:
            audio = None  # rendered, finished and written in blocks, below
            sections = {}
            _, dialogue, spoken = duck_under_speech(np.zeros(0, np.float32), segment, options)
        elif options.stems:
            audio, sections, level, dialogue, spoken = _render_stems(
                segment, options, midi, num_samples, font, feel, plan, target
            )
        else:
            audio = render_midi(midi, num_samples, font)
            # The level is that of the same cue written without the dialogue, so what the
            # composer leaves out under the lines, and the dip after, only take away
            # (engine/mix.py).
            plain = _without_dialogue(segment, feel, midi, audio, font)
            audio = fade_out(fade_in(mastering.add_space(audio, feel.arousal), 0.003), plan.fade_s)
            if plain is not audio:  # the composer left room for the lines: measure without
                reference = mastering.add_space(plain, feel.arousal)
                reference = fade_out(fade_in(reference, 0.003), plan.fade_s)
            audio, level = mastering.deliver(audio, target, reference=reference)
            audio, dialogue, spoken = duck_under_speech(audio, segment, options)
            if segment.speech:  # the dips only take away: say what the delivered cue measures
                level = mastering.measure(audio)
            sections = {}

        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = cue_file_stem(segment.id)
        wav_path, midi_path = out_dir / f"{stem}.wav", out_dir / f"{stem}.mid"
        stem_paths = {}
        for name, part in sections.items():  # before the pair: a cue on disk has its stems
            path = out_dir / f"{stem}.{_slug(name)}.wav"
            write_wav(path, part)
            stem_paths[name] = str(path)
        buffer = io.BytesIO()
        midi.write(buffer)
        if audio is None:
            level = _stream_long_cue(midi, num_samples, font, feel, plan, target, out_dir, stem)
            raw = _raw_path(out_dir, stem)
            gain = level.pop("pending_gain_db")
            _write_pair(wav_path, raw, midi_path, buffer.getvalue(), gain)
        else:
            _write_pair(wav_path, audio, midi_path, buffer.getvalue())

        metadata = {
            "model": self.name,
            "segment_id": segment.id,
            "prompt": segment.prompt,
            "mood": segment.mood,
            "tempo_bpm": f"{plan.tempo_bpm:.1f}",
            "key": plan.key.name,
            "meter": plan.meter_name,
            "seed": str(segment.seed),
            "cuts_honoured": ",".join(f"{t:.3f}" for t in plan.cuts_s),
            "cuts_merged": ",".join(f"{t:.3f}" for t in plan.merged_cuts_s),
            "chords": " ".join(slot.chord.symbol for slot in plan.chords),
            "soundfont": str(resolve_soundfont(font)),
            "renderer": renderer_version(),
            "loudness_target_lufs": f"{target:.1f}",
            "loudness_lufs": f"{level['loudness_lufs']:.2f}",
            "true_peak_dbtp": f"{level['true_peak_dbtp']:.2f}",
            **({"stems": ",".join(stem_paths)} if stem_paths else {}),
            "engine_version": engine.__version__,
            **picture,
            **dialogue,
        }
        return Cue(
            warnings=[w for w in picture.get("picture.warnings", "").split(" | ") if w],
            segment_id=segment.id,
            audio_path=str(wav_path),
            num_samples=num_samples,
            sample_rate=SAMPLE_RATE,
            midi_path=str(midi_path),
            model=self.name,
            metadata=metadata,
            stem_paths=stem_paths,
            feel=CueFeel(plan.style.name, feel.valence, feel.arousal, source),
            **spoken,
        )

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


def _without_dialogue(segment: Segment, feel: Feel, midi, audio, font: str):
    """The cue as written with no speech map: rendered only when the composer wrote the speech
    version differently (the same notes give the same audio)."""
    if not segment.speech:
        return audio
    plain, _ = compose_segment(replace(segment, speech=()), feel)
    if _midi_bytes(plain) == _midi_bytes(midi):
        return audio
    return render_midi(plain, len(audio), font)


def _midi_bytes(midi) -> bytes:
    buffer = io.BytesIO()
    midi.write(buffer)
    return buffer.getvalue()


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


def _render_stems(segment, options, midi, num_samples: int, font: str, feel: Feel, plan, target):
    """The mix as the sum of its sections, each rendered, put in the hall, faded and dipped
    under the dialogue alone (all linear), then one plain gain for all: the stems sum back to
    the mix exactly."""
    sections = render_sections(midi, num_samples, font)
    dialogue: dict[str, str] = {}
    spoken: dict = {}
    for name, part in sections.items():
        part = mastering.add_space(part, feel.arousal)
        part = fade_out(fade_in(part, 0.003), plan.fade_s)
        sections[name], dialogue, spoken = duck_under_speech(part, segment, options)
    mix = np.sum(list(sections.values()), axis=0, dtype=np.float32)
    mix, level = mastering.deliver(mix, target, limit=False)
    gain = mastering.gain_factor(level["gain_db"])
    return mix, {name: part * gain for name, part in sections.items()}, level, dialogue, spoken


def _slug(name: str) -> str:
    return "-".join(w for w in name.lower().split() if w != "and")


def _raw_path(out_dir: Path, stem: str) -> Path:
    return out_dir / f".{stem}.raw.tmp"


def _stream_long_cue(midi, num_samples, font, feel, plan, target, out_dir, stem) -> dict:
    """Render, hall, fades and loudness over blocks into a raw float32 file beside the cue
    (`_raw_path`), which `_write_pair` turns into the WAV. Returns the measured level.

    The synthesiser renders the next block while a worker thread puts the last one in the
    hall, measures and writes it (pedalboard and numpy release the GIL): two cores at work on
    one cue, and at most two blocks in flight."""
    reverb = mastering.hall(feel.arousal)
    meter = mastering.LoudnessStream()
    n_in, n_out = round(0.003 * SAMPLE_RATE), min(num_samples, round(plan.fade_s * SAMPLE_RATE))
    raw = _raw_path(out_dir, stem)

    def finish(fh, block: np.ndarray, start: int) -> None:
        wet = reverb.process(np.ascontiguousarray(block.T), SAMPLE_RATE, reset=start == 0)
        gains = _fade_gains(start, len(block), num_samples, n_in, n_out)
        wet = np.ascontiguousarray(wet.T) * gains[:, None]
        meter.add(wet)
        fh.write(wet.astype(np.float32).tobytes())

    try:
        with open(raw, "w+b") as fh, ThreadPoolExecutor(1, "cue-hall") as worker:
            pending, start = None, 0
            for block in render_blocks(midi, num_samples, font, _BLOCK):
                if pending is not None:
                    pending.result()  # in order, and never more than two blocks in memory
                pending = worker.submit(finish, fh, block, start)
                start += len(block)
            if pending is not None:
                pending.result()
            return mastering.deliver_file(fh, num_samples, meter.integrated(), target)
    except BaseException:
        raw.unlink(missing_ok=True)
        raise


def _fade_gains(start: int, length: int, total: int, n_in: int, n_out: int) -> np.ndarray:
    """The gains `fade_in` and `fade_out` give samples start..start+length of a cue."""
    k = np.arange(start, start + length)
    gains = np.ones(length, np.float32)
    if n_in > 1:
        head = k < n_in
        gains[head] *= (k[head] / (n_in - 1)).astype(np.float32)
    if n_out > 1:
        tail = k >= total - n_out
        j = k[tail] - (total - n_out)
        gains[tail] *= (0.5 + 0.5 * np.cos(np.pi * j / (n_out - 1))).astype(np.float32)
    return gains


def _write_pair(
    wav_path: Path, audio, midi_path: Path, midi_bytes: bytes, gain_db: float = 0.0
) -> None:
    """Both files land, or neither: a cue is never half-written beside its MIDI. `audio` is an
    array, or the path of a raw float32 stereo file, written out block by block (with a plain
    gain of `gain_db`)."""
    wav_tmp = wav_path.with_name(f".{wav_path.name}.pair.tmp")
    midi_tmp = midi_path.with_name(f".{midi_path.name}.pair.tmp")
    try:
        if isinstance(audio, Path):
            _wav_from_raw(wav_tmp, audio, gain_db)
        else:
            write_wav(wav_tmp, audio)
        write_bytes_atomic(midi_tmp, midi_bytes)
        os.replace(wav_tmp, wav_path)
        os.replace(midi_tmp, midi_path)
    finally:
        wav_tmp.unlink(missing_ok=True)
        midi_tmp.unlink(missing_ok=True)
        if isinstance(audio, Path):
            audio.unlink(missing_ok=True)


def _wav_from_raw(wav_path: Path, raw: Path, gain_db: float = 0.0) -> None:
    frames = raw.stat().st_size // 8
    gain = mastering.gain_factor(gain_db)
    with open(raw, "rb") as fh, wave.open(str(wav_path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(SAMPLE_WIDTH_BYTES)
        w.setframerate(SAMPLE_RATE)
        for _, block in mastering.file_chunks(fh, frames):
            w.writeframes(to_pcm24(block * gain if gain_db else block))
    with open(wav_path, "rb") as fh:
        os.fsync(fh.fileno())


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


_WORKER_MODEL: ComposerModel | None = None


def _start_worker(soundfont: str, picture_cache: Path | None, font_dir: Path | None) -> None:
    global _WORKER_MODEL  # one model per worker process, made once
    _WORKER_MODEL = ComposerModel(soundfont, picture_cache, font_dir)


def _generate_in_worker(segment: Segment, options: GenerationOptions, out_dir: str) -> Cue:
    assert _WORKER_MODEL is not None
    return _WORKER_MODEL.generate(segment, options, Path(out_dir))
