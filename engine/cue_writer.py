"""One way to finish a cue: every model hands its performance here, and the cue leaves the same.

A model makes a `Performance` (audio at its own rate, as one buffer or as blocks; optional MIDI;
optional parts that sum to the mix, for stems; other takes; the model's facts), and `write_cue`
finishes it:

1. shape: resample to 48 kHz (soxr, streamed), exactly the segment's length, the hall the model
   asked for (`room`: the composer's dry instruments; a model that renders its own room asks
   none), the fade in and the ending fade;
2. level: one BS.1770-4 meter over what was shaped (or over the same cue written without room
   for dialogue, `reference`), then `mastering.deliver`: `--loudness` integrated, true peak at
   or below -1 dBTP (limiter where a plain gain would pass it; plain gain only for stems and for
   a dialogue reference);
3. duck under the segment's speech (engine/mix.py): the music only loses level there;
4. write: stems first, then the WAV and its MIDI together (both land or neither), every file
   atomically, named from the contract's `cue_file_stem`; other takes as `<stem>.take<N>.wav`;
5. the cue: the typed facts of the contract (the feel, the speech spans, the dip and its level
   keyframes, every take ranked) and metadata for provenance only: the model's facts, the
   target, and the measured loudness and true peak of what was written.

The shaping and the meter run over blocks in both paths: a short cue (or one with speech or
stems, which need the whole cue for the duck's band split and the stems' sum) is one block held
in memory; a long plain cue is shaped block by block into a raw float32 file beside the cue,
levelled in place and written out, so memory stays bounded whatever its length.
"""

from __future__ import annotations

import io
import os
import wave
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soxr
from scipy.signal import butter, sosfilt, sosfilt_zi

from cuebridge import engine
from cuebridge.engine import mastering
from cuebridge.engine.audio import to_pcm24, write_wav
from cuebridge.engine.cue import SAMPLE_RATE, SAMPLE_WIDTH_BYTES, Cue, Take, cue_file_stem
from cuebridge.engine.errors import CueCancelled, CueError
from cuebridge.engine.mix import duck_under_speech
from cuebridge.engine.segment import CueFeel, GenerationOptions, Segment
from cuebridge.safe_files import replacing, temp_beside

Blocks = Callable[[], Iterator[np.ndarray]]
DC_BLOCK_HZ = 20.0


@dataclass
class Performance:
    """What a model made for one segment, before it is finished."""

    # (samples, channels) float32 at `sample_rate`, or a function yielding such blocks in order
    audio: np.ndarray | Blocks
    sample_rate: int = SAMPLE_RATE
    midi: bytes = b""
    # Per-section audio that sums to `audio` ("Strings" -> array), for stems.
    parts: dict[str, np.ndarray] = field(default_factory=dict)
    # The same cue as written without room for dialogue: sets the level when given.
    reference: np.ndarray | None = None
    takes: list[np.ndarray] = field(default_factory=list)  # other takes, finished alike
    # (seed, score) of the chosen take, then of each of `takes` in order: the cue's ranked takes
    take_ranking: list[tuple[int, float]] = field(default_factory=list)
    room: float | None = None  # the hall for this arousal (mastering.hall); None: no hall
    # A high pass at DC_BLOCK_HZ, for a decoder that can leave an offset or rumble (EnCodec):
    # unheard, it would set the true peak and leave the music far below the loudness asked.
    dc_block: bool = False
    fade_in_s: float = 0.0
    fade_out_s: float = 0.0  # the ending: a raised-cosine fade to silence on the last sample
    facts: dict[str, str] = field(default_factory=dict)  # the model's provenance, for metadata
    warnings: list[str] = field(default_factory=list)
    feel: CueFeel = field(default_factory=CueFeel)  # what it was made with, and what decided it


def loudness_target(segment: Segment, options: GenerationOptions) -> float:
    """The delivered integrated loudness asked for (`--loudness`), checked."""
    target = options.loudness_lufs or mastering.DEFAULT_LOUDNESS_LUFS
    if problem := mastering.check_loudness(target):
        raise CueError(f"segment {segment.id!r}: {problem}")
    return target


def write_cue(
    model: str,
    segment: Segment,
    options: GenerationOptions,
    performance: Performance,
    out_dir: Path,
    should_stop: Callable[[], bool] | None = None,
) -> Cue:
    """Finish `performance` and write the segment's cue into `out_dir` (see the module doc).
    `should_stop` is asked once more just before the cue takes its name: a job stopped while
    its cue was finishing leaves no cue its store never recorded (it would be made again)."""
    target = loudness_target(segment, options)
    num_samples = segment.rate.samples(segment.duration_frames, SAMPLE_RATE)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = cue_file_stem(segment.id)
    wav_path, midi_path = out_dir / f"{stem}.wav", out_dir / f"{stem}.mid"
    p = performance
    streamed = callable(p.audio) and not p.parts and not segment.speech and p.reference is None
    if streamed:
        # The raw tape is scratch: a fresh temp file (never a planted name), never renamed.
        fd, raw = temp_beside(out_dir / f"{stem}.raw")
        try:
            with os.fdopen(fd, "w+b") as fh:
                tape = mastering.FileTape(fh, 0)
                level = _shape_to_tape(p, p.audio, num_samples, target, tape)
                _write_pair(wav_path, tape, midi_path, p.midi, level.pop("gain_db"), should_stop)
        finally:
            raw.unlink(missing_ok=True)
        _, dialogue, spoken = duck_under_speech(np.zeros((0, 1), np.float32), segment, options)
        stem_paths: dict[str, str] = {}
    else:
        finished = _finish_in_memory(p, segment, options, num_samples, target)
        audio, parts, level, dialogue, spoken = finished
        stem_paths = {}
        for name, part in parts.items():  # before the pair: a cue on disk has its stems
            path = out_dir / f"{stem}.{_slug(name)}.wav"
            write_wav(path, part)
            stem_paths[name] = str(path)
        _write_pair(wav_path, audio, midi_path, p.midi, should_stop=should_stop)
    others = []
    for n, take in enumerate(p.takes, start=2):
        one = Performance(take, p.sample_rate, room=p.room, fade_in_s=p.fade_in_s,
                          fade_out_s=p.fade_out_s)  # fmt: skip
        audio = _finish_in_memory(one, segment, options, num_samples, target)[0]
        path = out_dir / f"{stem}.take{n}.wav"
        write_wav(path, audio)
        others.append(str(path))
    metadata = {
        "model": model,
        "segment_id": segment.id,
        **p.facts,
        "loudness_target_lufs": f"{target:.1f}",
        "loudness_lufs": f"{level['loudness_lufs']:.2f}",
        "true_peak_dbtp": f"{level['true_peak_dbtp']:.2f}",
        **({"stems": ",".join(stem_paths)} if stem_paths else {}),
        "engine_version": engine.__version__,
        **dialogue,
    }
    return Cue(
        segment_id=segment.id,
        audio_path=str(wav_path),
        num_samples=num_samples,
        sample_rate=SAMPLE_RATE,
        midi_path=str(midi_path) if p.midi else "",
        model=model,
        metadata=metadata,
        stem_paths=stem_paths,
        warnings=list(p.warnings),
        feel=p.feel,
        takes=_ranked_takes(p, str(wav_path), others),
        **spoken,
    )


def _ranked_takes(p: Performance, chosen_path: str, others: list[str]) -> list[Take]:
    """Every take of a best-of-N cue, best first; none for a single take."""
    if not p.takes:
        return []
    paths = [chosen_path, *others]
    ranking = p.take_ranking or [(0, 0.0)] * len(paths)
    takes = [
        Take(seed, score, path, chosen=n == 0)
        for n, ((seed, score), path) in enumerate(zip(ranking, paths, strict=True))
    ]
    return sorted(takes, key=lambda t: (not t.chosen, -t.score))  # the chosen take first


# ---- 1. shape -------------------------------------------------------------------------------


class _Shaper:
    """Resample, exact length, hall and fades over consecutive blocks of one cue."""

    def __init__(self, p: Performance, channels: int, num_samples: int):
        self.total, self.done = num_samples, 0
        self.resampler = (
            soxr.ResampleStream(p.sample_rate, SAMPLE_RATE, channels, dtype="float32")
            if p.sample_rate != SAMPLE_RATE
            else None
        )
        self.reverb = mastering.hall(p.room) if p.room is not None else None
        self.high_pass = (
            butter(2, DC_BLOCK_HZ, "highpass", fs=p.sample_rate, output="sos").astype(np.float32)
            if p.dc_block
            else None
        )
        self.high_pass_state: np.ndarray | None = None
        self.n_in = round(p.fade_in_s * SAMPLE_RATE)
        self.n_out = min(num_samples, round(p.fade_out_s * SAMPLE_RATE))

    def shape(self, block: np.ndarray, last: bool) -> np.ndarray:
        given = block
        block = np.ascontiguousarray(block, np.float32)
        if self.high_pass is not None and len(block):
            if self.high_pass_state is None:  # settled on the first sample: no step at the start
                zi = sosfilt_zi(self.high_pass).astype(np.float32)
                self.high_pass_state = zi[:, :, None] * block[0][None, None, :]
            block, self.high_pass_state = sosfilt(
                self.high_pass, block, axis=0, zi=self.high_pass_state
            )
        if self.resampler is not None:
            block = self.resampler.resample_chunk(block, last=last)
        block = block[: self.total - self.done]
        if last and self.done + len(block) < self.total:  # the model stopped short: silence
            pad = np.zeros((self.total - self.done - len(block), block.shape[1]), np.float32)
            block = np.concatenate([block, pad])
        if self.reverb is not None and len(block):
            wet = self.reverb.process(
                np.ascontiguousarray(block.T), SAMPLE_RATE, reset=self.done == 0
            )
            block = np.ascontiguousarray(wet.T)
        if block is given or block.base is given:  # the fades work in place: not on the model's
            block = block.copy()
        self._fade(block)
        self.done += len(block)
        return block

    def _fade(self, block: np.ndarray) -> None:
        """The fades, in place, on the samples of this block they reach (most have none)."""
        start, stop = self.done, self.done + len(block)
        head = min(stop, self.n_in)
        if head > start:
            gains = fade_gains(start, head - start, self.total, self.n_in, 0)
            block[: head - start] *= gains[:, None]
        tail = max(start, self.total - self.n_out)
        if stop > tail and self.n_out:
            gains = fade_gains(tail, stop - tail, self.total, 0, self.n_out)
            block[tail - start :] *= gains[:, None]


def fade_gains(start: int, length: int, total: int, n_in: int, n_out: int) -> np.ndarray:
    """The gains of samples start..start+length of a cue of `total` samples: a linear fade in
    over `n_in` samples, a raised-cosine fade out over the last `n_out` (the last sample 0)."""
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


def _as_2d(audio: np.ndarray) -> np.ndarray:
    audio = np.asarray(audio, dtype=np.float32)
    return audio[:, None] if audio.ndim == 1 else audio


def shape(p: Performance, audio: np.ndarray, num_samples: int) -> np.ndarray:
    """One whole buffer through the same shaping as a streamed cue's blocks."""
    audio = _as_2d(audio)
    return _Shaper(p, audio.shape[1], num_samples).shape(audio, last=True)


# ---- 2. level, 3. duck ------------------------------------------------------------------------


def _finish_in_memory(p: Performance, segment, options, num_samples: int, target: float):
    """The whole cue in memory: (mix, parts, level, dialogue metadata, typed dialogue fields)."""
    if callable(p.audio):
        audio = np.concatenate([_as_2d(b) for b in p.audio()])
    else:
        audio = p.audio
    parts = {name: shape(p, part, num_samples) for name, part in p.parts.items()}
    if parts:  # the hall is linear: the shaped parts sum to the shaped mix
        mix = np.sum(list(parts.values()), axis=0, dtype=np.float32)
    else:
        mix = shape(p, audio, num_samples)
    plain = not parts and p.reference is None
    measured = mix if p.reference is None else shape(p, p.reference, num_samples)
    tape = mastering.ArrayTape(mix)
    level = mastering.deliver(tape, mastering.integrated_loudness(measured), target, limit=plain)
    gain = mastering.gain_factor(level.pop("gain_db"))
    mix = tape.audio * gain
    mix, dialogue, spoken = duck_under_speech(mix, segment, options)
    parts = {
        name: duck_under_speech(part * gain, segment, options)[0] for name, part in parts.items()
    }
    if segment.speech or p.reference is not None:  # say what the delivered cue measures
        level = mastering.measure(mix)
    return mix, parts, level, dialogue, spoken


def _shape_to_tape(p: Performance, blocks: Blocks, num_samples: int, target: float, tape):
    """Shape and meter a long cue block by block into a file tape, then level it in place.

    The model makes the next block while a worker thread shapes, meters and writes the last
    (soxr, pedalboard and numpy release the GIL): two cores at work on one cue, and at most two
    blocks in flight."""
    shaper: _Shaper | None = None
    meter: mastering.LoudnessStream | None = None

    def finish(block: np.ndarray, last: bool) -> None:
        nonlocal shaper, meter
        if shaper is None:
            tape.channels = block.shape[1]
            shaper = _Shaper(p, block.shape[1], num_samples)
            meter = mastering.LoudnessStream(SAMPLE_RATE, block.shape[1])
        out = shaper.shape(block, last)
        meter.add(out)
        tape.append(out)

    with ThreadPoolExecutor(1, "cue-finish") as worker:
        pending, previous = None, None
        for block in _lookahead(blocks()):
            block, last = _as_2d(block[0]), block[1]
            if pending is not None:
                pending.result()  # in order, and never more than two blocks in memory
            pending = worker.submit(finish, block, last)
            previous = block
        if pending is not None:
            pending.result()
    if shaper is None or meter is None:
        raise CueError("the model made no audio")
    del previous
    return mastering.deliver(tape, meter.integrated(), target)


def _lookahead(blocks: Iterable[np.ndarray]) -> Iterator[tuple[np.ndarray, bool]]:
    """(block, is_last) pairs, so the resampler knows when to flush."""
    it = iter(blocks)
    try:
        current = next(it)
    except StopIteration:
        return
    for following in it:
        yield current, False
        current = following
    yield current, True


# ---- 4. write -------------------------------------------------------------------------------


def _slug(name: str) -> str:
    return "-".join(w for w in name.lower().split() if w != "and")


def _write_pair(
    wav_path: Path,
    audio,
    midi_path: Path,
    midi_bytes: bytes,
    gain_db: float = 0.0,
    should_stop: Callable[[], bool] | None = None,
) -> None:
    """Both files land, or neither: a cue is never half-written beside its MIDI. `audio` is an
    array, or a file tape, written out block by block with a plain gain of `gain_db`. No MIDI
    bytes: the WAV alone."""
    # Fresh temp files beside each (never a planted name), renamed only once both are whole.
    with replacing(wav_path, rename=False) as (wav_fh, wav_tmp):
        if isinstance(audio, mastering.FileTape):
            _wav_from_tape(wav_fh, audio, gain_db)
        else:
            with wave.open(wav_fh, "wb") as w:
                _wav_header(w, audio.shape[1])
                w.writeframes(to_pcm24(audio))
    midi_tmp = None
    try:
        if midi_bytes:
            with replacing(midi_path, rename=False) as (midi_fh, midi_tmp):
                midi_fh.write(midi_bytes)
        if should_stop is not None and should_stop():
            raise CueCancelled("the job was stopped before its cue was written")
        os.replace(wav_tmp, wav_path)
        if midi_tmp is not None:
            os.replace(midi_tmp, midi_path)
    finally:
        wav_tmp.unlink(missing_ok=True)
        if midi_tmp is not None:
            midi_tmp.unlink(missing_ok=True)


def _wav_header(w: wave.Wave_write, channels: int) -> None:
    w.setnchannels(channels)
    w.setsampwidth(SAMPLE_WIDTH_BYTES)
    w.setframerate(SAMPLE_RATE)


def _wav_from_tape(fh, tape: mastering.FileTape, gain_db: float) -> None:
    gain = mastering.gain_factor(gain_db)
    with wave.open(fh, "wb") as w:
        _wav_header(w, tape.channels)
        for _, block in mastering.chunks(tape):
            w.writeframes(to_pcm24(block * gain if gain_db else block))


def midi_bytes(midi) -> bytes:
    """A pretty_midi score as Standard MIDI File bytes."""
    buffer = io.BytesIO()
    midi.write(buffer)
    return buffer.getvalue()
