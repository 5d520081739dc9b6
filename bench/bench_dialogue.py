"""Does the score make room for the dialogue? The same cues scored with dialogue handling on and
off, in this process, measured from the WAV and MIDI files written.

The scene: three espeak-ng lines encoded into an AAC file on A1 of a real OTIO timeline (needs
Debian's espeak-ng; tests/dialogue/install_espeak.sh installs it). The bridge reads the speech
with its VAD (`prepare`, as a score does); then the composer scores the cue for several moods and
seeds twice: with the speech map (on) and without it (off, what --no-dialogue gives).

Printed per figure, on vs off, against the issue's goals:
- music energy in 300 Hz-3.4 kHz during speech (goal: >= 6 dB lower with dialogue handling on);
- the same outside speech and its ramps (goal: within 1 dB);
- melody note onsets per second during speech, from the MIDI part named "Melody" (goal: at least
  halves);
- the VAD's edge error against where each line audibly starts and ends (goal: <= 100 ms).

The first two come from the mix (engine/mix.py) and the arrangement together; the melody figure
is the composer's alone (it writes for `segment.speech`, or it does not).

    python bench/bench_dialogue.py            # 8 cues (4 moods x 2 seeds)
    python bench/bench_dialogue.py --quick    # 2 cues
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pretty_midi

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cuebridge.bridge.dialogue import DialogueChoice  # noqa: E402
from cuebridge.bridge.scoring import ScoreOptions, prepare  # noqa: E402
from cuebridge.bridge.wire import segment_to_pb  # noqa: E402
from cuebridge.engine.audio import read_wav  # noqa: E402
from cuebridge.engine.mix import RAMP_S  # noqa: E402
from cuebridge.engine.models.composer.model import ComposerModel  # noqa: E402
from cuebridge.engine.models.composer.score import COMPOSER_VERSION  # noqa: E402
from cuebridge.engine.segment import GenerationOptions  # noqa: E402
from cuebridge.engine.wire import segment_from_pb  # noqa: E402
from tests.dialogue.scene import audio_clip, dialogue_file, scene_timeline  # noqa: E402

MOODS = ("tense", "warm", "calm", "action")
LENGTH = 13 * 24
BAND = (300.0, 3400.0)
MELODY = "melody"  # the composer's tune: its MIDI instrument's name contains this


def band_energy_db(audio: np.ndarray, rate: int, mask: np.ndarray) -> float:
    """Mean power in BAND over the samples in `mask` (STFT, 2048-sample Hann frames)."""
    mono = audio.mean(axis=1) if audio.ndim == 2 else audio
    n, hop = 2048, 512
    frames = np.lib.stride_tricks.sliding_window_view(mono, n)[::hop] * np.hanning(n)
    spec = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    freqs = np.fft.rfftfreq(n, 1 / rate)
    band = spec[:, (freqs >= BAND[0]) & (freqs <= BAND[1])].sum(axis=1)
    centres = np.arange(len(frames)) * hop + n // 2
    keep = mask[centres]
    return float(10 * np.log10(band[keep].mean() + 1e-20)) if keep.any() else float("nan")


def masks(num: int, rate: int, speech: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """(during speech, well away from speech: outside the lines and their ramps)."""
    during = np.zeros(num, bool)
    near = np.zeros(num, bool)
    for a, b in speech:
        during[round(a * rate) : round(b * rate)] = True
        near[max(0, round((a - RAMP_S - 0.05) * rate)) : round((b + RAMP_S + 0.05) * rate)] = True
    return during, ~near


def melody_rate(midi_path: str, speech: list[tuple[float, float]]) -> tuple[float, str]:
    """Melody note onsets per second of speech, and the instrument name it was read from."""
    midi = pretty_midi.PrettyMIDI(midi_path)
    parts = [i for i in midi.instruments if MELODY in i.name.lower()]
    if not parts:
        return 0.0, "(no melody part)"
    seconds = sum(b - a for a, b in speech)
    onsets = sum(1 for p in parts for n in p.notes for a, b in speech if a <= n.start < b)
    return onsets / seconds, "+".join(p.name for p in parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    cues = [(m, s) for s in (1, 2) for m in MOODS][: 2 if args.quick else 8]

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path, truth = dialogue_file(folder, "dialogue.m4a")
        timeline = scene_timeline({"A1 Dialogue": [audio_clip(path, 0, LENGTH, 14 * 24)]}, LENGTH)
        src = folder / "scene.otio"
        otio.adapters.write_to_file(timeline, str(src))
        t0 = time.perf_counter()
        prepared = prepare(
            ScoreOptions(src, folder / "out.otio", dialogue=DialogueChoice(cache_dir=None))
        )
        vad_s = time.perf_counter() - t0
        # The segment as the engine receives it: through the contract, as a score sends it.
        [segment] = [segment_from_pb(segment_to_pb(s.segment)) for s in prepared.segments]
        speech = segment.speech_times_s()
        pairs = list(zip(speech, truth, strict=False))
        edges = [abs(x - y) for (a, b), (ta, tb) in pairs for x, y in ((a, ta), (b, tb))]

        model = ComposerModel()
        rows = []
        part = ""
        for mood, seed in cues:
            seg = type(segment)(**{**segment.__dict__, "mood": mood, "seed": seed})
            off_seg = type(segment)(**{**seg.__dict__, "speech": ()})
            on = model.generate(seg, GenerationOptions(), folder / f"on-{mood}-{seed}")
            off = model.generate(off_seg, GenerationOptions(), folder / f"off-{mood}-{seed}")
            a_on, rate = read_wav(on.audio_path)
            a_off, _ = read_wav(off.audio_path)
            during, away = masks(len(a_on), rate, speech)
            m_on, part = melody_rate(on.midi_path, speech)
            m_off, _ = melody_rate(off.midi_path, speech)
            rows.append(
                (
                    f"{mood}/{seed}",
                    band_energy_db(a_on, rate, during) - band_energy_db(a_off, rate, during),
                    band_energy_db(a_on, rate, away) - band_energy_db(a_off, rate, away),
                    m_on,
                    m_off,
                )
            )

    print(f"scene: 3 espeak-ng lines on A1 (AAC), cue {LENGTH / 24:.0f} s at 24 fps")
    print(f"VAD read {LENGTH / 24:.0f} s of dialogue in {vad_s * 1000:.0f} ms; lines found:")
    for (a, b), (ta, tb) in pairs:
        print(f"  {a:6.3f}-{b:6.3f} s  (spoken {ta:6.3f}-{tb:6.3f})")
    print(f"composer rules {COMPOSER_VERSION}; melody read from MIDI instrument: {part}")
    print()
    print(f"{'cue':<12}{'band in speech':>16}{'band outside':>14}{'melody/s on':>13}{'off':>7}")
    for name, d_in, d_out, m_on, m_off in rows:
        print(f"{name:<12}{d_in:>13.2f} dB{d_out:>11.2f} dB{m_on:>13.2f}{m_off:>7.2f}")
    d_in = float(np.mean([r[1] for r in rows]))
    d_out = float(np.mean([r[2] for r in rows]))
    worst = max(abs(r[2]) for r in rows)
    mel_on, mel_off = np.mean([r[3] for r in rows]), np.mean([r[4] for r in rows])
    ratio = float(mel_on / mel_off) if mel_off else float("nan")
    edge = max(edges) * 1000
    print()
    table = [
        ("music in 300 Hz-3.4 kHz during speech", f"{d_in:.2f} dB", "<= -6 dB", d_in <= -6.0),
        (
            "same, outside speech (mean/worst)",
            f"{d_out:.2f}/{worst:.2f} dB",
            "|x| <= 1",
            worst <= 1,
        ),
        ("melody onsets/s during speech", f"{ratio:.2f}x", "<= 0.5x", ratio <= 0.5),
        ("VAD edge error (max of 6 edges)", f"{edge:.0f} ms", "<= 100 ms", edge <= 100),
    ]
    print(f"{'figure (on vs off)':<40}{'measured':>16}  {'goal':<10} met")
    for label, value, goal, met in table:
        print(f"{label:<40}{value:>16}  {goal:<10} {'yes' if met else 'NO'}")


if __name__ == "__main__":
    main()
