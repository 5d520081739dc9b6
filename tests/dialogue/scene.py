"""A small scene with real dialogue: espeak-ng lines encoded into an audio file with PyAV, on
an audio track of an OTIO timeline under a cue marker. Used by the tests and bench_dialogue."""

from __future__ import annotations

import shutil
import subprocess
import wave
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import opentimelineio as otio

HERE = Path(__file__).resolve().parent
RATE = 48_000
LINES = (
    ("Where were you last night", 1.0),
    ("I waited for hours at the station", 3.6),
    ("The train never came and my phone was dead", 8.2),
)
FPS = Fraction(24)


def ensure_espeak() -> str:
    """espeak-ng's path, installing Debian's package when it is missing (as root, like CI)."""
    found = shutil.which("espeak-ng")
    if found:
        return found
    done = subprocess.run(
        ["sh", str(HERE / "install_espeak.sh")], capture_output=True, text=True, timeout=1200
    )
    found = shutil.which("espeak-ng")
    assert found, f"espeak-ng is missing after install_espeak.sh:\n{done.stdout}\n{done.stderr}"
    return found


def say(text: str, folder: Path) -> np.ndarray:
    """One line spoken by espeak-ng, as float mono at 48 kHz."""
    out = folder / f"say-{abs(hash(text))}.wav"
    subprocess.run([ensure_espeak(), "-s", "160", "-w", str(out), text], check=True, timeout=60)
    with wave.open(str(out)) as w:
        rate = w.getframerate()
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float64) / 32768
    t_out = np.arange(round(len(pcm) * RATE / rate)) / RATE
    return np.interp(t_out, np.arange(len(pcm)) / rate, pcm).astype(np.float32)


def voiced_edges(x: np.ndarray, threshold: float = 0.01) -> tuple[float, float]:
    """First and last sample louder than -40 dBFS: where the line audibly starts and ends."""
    loud = np.flatnonzero(np.abs(x) > threshold)
    return loud[0] / RATE, (loud[-1] + 1) / RATE


def write_audio(path: Path, audio: np.ndarray) -> None:
    """Mono float audio encoded with PyAV: AAC in .m4a, 16-bit PCM in .wav."""
    codec, fmt = ("aac", "fltp") if path.suffix == ".m4a" else ("pcm_s16le", "s16")
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=RATE, layout="mono")
        step = 1024
        for i in range(0, len(audio), step):
            chunk = audio[i : i + step]
            if fmt == "s16":
                data = (np.clip(chunk, -1, 1) * 32767).astype("<i2")[None, :]
            else:
                data = chunk.astype(np.float32)[None, :]
            frame = av.AudioFrame.from_ndarray(data, format=fmt, layout="mono")
            frame.sample_rate = RATE
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def dialogue_file(folder: Path, name: str = "dialogue.m4a", length_s: float = 14.0):
    """An encoded dialogue recording; returns (path, [(start_s, end_s)] of each line in it)."""
    audio = np.zeros(round(length_s * RATE), np.float32)
    truth = []
    for text, at in LINES:
        line = say(text, folder)
        i = round(at * RATE)
        audio[i : i + len(line)] += 0.5 * line
        a, b = voiced_edges(line)
        truth.append((at + a, at + b))
    # A little room tone, as on any production track.
    audio += np.random.default_rng(0).normal(0, 0.0005, len(audio)).astype(np.float32)
    path = folder / name
    write_audio(path, audio)
    return path, truth


def _range(start: int, length: int) -> otio.opentime.TimeRange:
    r = float(FPS)
    return otio.opentime.TimeRange(
        otio.opentime.RationalTime(start, r), otio.opentime.RationalTime(length, r)
    )


def audio_clip(path: Path, source_start: int, length: int, file_frames: int) -> otio.schema.Clip:
    return otio.schema.Clip(
        name=path.name,
        media_reference=otio.schema.ExternalReference(
            target_url=path.resolve().as_uri(), available_range=_range(0, file_frames)
        ),
        source_range=_range(source_start, length),
    )


def scene_timeline(
    tracks: dict[str, list[otio.schema.Item]], length: int, cue: tuple[int, int] | None = None
) -> otio.schema.Timeline:
    """A timeline `length` frames long: V1 cut into empty shots of 4 s (the cue gets cuts, as a
    dialogue scene has), the given audio tracks, one cue marker."""
    timeline = otio.schema.Timeline(name="dialogue scene")
    v1 = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    for at in range(0, length, 96):
        v1.append(otio.schema.Gap(source_range=_range(0, min(96, length - at))))
    timeline.tracks.append(v1)
    for name, items in tracks.items():
        track = otio.schema.Track(name=name, kind=otio.schema.TrackKind.Audio)
        for item in items:
            track.append(item)
        timeline.tracks.append(track)
    start, dur = cue or (0, length)
    timeline.tracks.markers.append(
        otio.schema.Marker(name="Night talk", marked_range=_range(start, dur))
    )
    return timeline


def gap(frames: int) -> otio.schema.Gap:
    return otio.schema.Gap(source_range=_range(0, frames))
