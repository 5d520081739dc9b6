"""Measuring what the engine and bridge wrote: real WAV and MIDI files read back."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pretty_midi

from cuebridge.v1 import bridge_pb2 as bpb
from cuebridge.v1 import bridge_pb2_grpc as bpb_grpc


def run_score(stub: bpb_grpc.BridgeStub, request: bpb.ScoreRequest) -> tuple[bpb.ScoreJob, list]:
    """Start a score, follow it to the end over WatchScore; return its final state (GetScore:
    events carry deltas) and the events."""
    job = stub.StartScore(request, timeout=60)
    events = list(stub.WatchScore(bpb.ScoreRef(score_id=job.id), timeout=300))
    return stub.GetScore(bpb.ScoreRef(score_id=job.id), timeout=60), events


def wav_facts(path: str | Path) -> tuple[int, int, int, float]:
    """(sample rate, bytes per sample, frames, RMS in dBFS) of a PCM WAV."""
    with wave.open(str(path), "rb") as w:
        rate, width, n, channels = (
            w.getframerate(),
            w.getsampwidth(),
            w.getnframes(),
            w.getnchannels(),
        )
        raw = w.readframes(n)
    assert width == 3, f"{path} is {8 * width}-bit, not 24-bit"
    b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
    x = (b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)).astype(np.int32)
    x = np.where(x >= 1 << 23, x - (1 << 24), x).astype(np.float64) / (1 << 23)
    x = x.reshape(-1, channels)
    rms = float(np.sqrt(np.mean(x**2)) + 1e-12)
    return rate, width, n, 20 * np.log10(rms)


def onsets_near(midi_path: str | Path, t: float, tol: float = 0.05) -> int:
    """How many pitched notes start within `tol` seconds of `t`."""
    midi = pretty_midi.PrettyMIDI(str(midi_path))
    return sum(
        1
        for inst in midi.instruments
        if not inst.is_drum
        for note in inst.notes
        if abs(note.start - t) <= tol
    )


def markers_timeline(
    path: Path, cues: int, every_s: int, length_s: float, rate: int = 24, name: str = "reel"
) -> Path:
    """An OTIO timeline of one clip under `cues` duration markers, one every `every_s` seconds,
    each `length_s` long: many cues at once for load and durability tests."""
    import opentimelineio as otio

    def t(frames: float) -> otio.opentime.RationalTime:
        return otio.opentime.RationalTime(round(frames), rate)

    tl = otio.schema.Timeline(name=name)
    track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    track.append(
        otio.schema.Clip(
            name="plate", source_range=otio.opentime.TimeRange(t(0), t(cues * every_s * rate))
        )
    )
    tl.tracks.append(track)
    for n in range(cues):
        tl.tracks.markers.append(
            otio.schema.Marker(
                name=f"cue {n}",
                marked_range=otio.opentime.TimeRange(t(n * every_s * rate), t(length_s * rate)),
            )
        )
    otio.adapters.write_to_file(tl, str(path))
    return path
