"""How fast the offline composer scores a feature, against real time and a plain render.

A 90-minute feature is modelled as 60 cues of 20-120 s (24 fps, a cut every 2-12 s, a few hit
points, moods from calm to action). Three passes over the same cues, in this process:

1. engine: `ComposerModel.generate` for every cue, the path the engine runs (compose, render,
   level, write the WAV and the MIDI). Printed as seconds of music per wall second, i.e. the
   factor against real time; the target is >= 50x on a 2-core machine.
2. baseline: each written .mid rendered the plain way TinySoundFont documents: a new `Synth`,
   `sfload` of the font, a `Sequencer` fed the MIDI file, `generate` for the cue's length.
3. ours: the same .mid rendered by `composer.soundfont.render_midi` (font loaded once per
   process and cloned per cue, events applied at exact samples).

The render speed-up printed is baseline / ours for the same MIDI and the same number of samples.
One cue at a time on one core (TinySoundFont holds the GIL while it renders); the CPU-time
figure shows the speed without the other processes of a shared machine.

    python bench/bench_composer.py            # the full feature (about 2-3 minutes on 2 cores)
    python bench/bench_composer.py --quick    # four short cues
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import pretty_midi

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cuebridge.engine.cue import SAMPLE_RATE  # noqa: E402
from cuebridge.engine.models.composer.model import ComposerModel  # noqa: E402
from cuebridge.engine.models.composer.soundfont import DEFAULT_SOUNDFONT, render_midi  # noqa: E402
from cuebridge.engine.segment import GenerationOptions, Rate, Segment  # noqa: E402

MOODS = ("calm", "tense", "sad", "action", "romantic", "epic", "mysterious", "playful", "horror")
FPS = 24


def feature_cues(count: int, total_s: float, shortest: float, longest: float) -> list[Segment]:
    """`count` cues whose lengths lie in [shortest, longest] and add up to `total_s`."""
    rng = random.Random(90)
    lengths = [rng.uniform(shortest, longest) for _ in range(count)]
    for _ in range(50):  # rescale towards the total, keeping every cue within bounds
        scale = total_s / sum(lengths)
        lengths = [min(longest, max(shortest, x * scale)) for x in lengths]
    segments = []
    for i, length in enumerate(lengths):
        frames = round(length * FPS)
        cuts, t = [], 0
        while True:
            t += round(rng.uniform(2, 12) * FPS)
            if t >= frames:
                break
            cuts.append(t)
        hits = sorted(rng.sample(range(FPS, frames - FPS), k=rng.randint(0, 3)))
        segments.append(
            Segment(
                f"cue-{i:02d}",
                Rate(FPS),
                frames,
                cut_frames=tuple(cuts),
                hit_frames=tuple(hits),
                mood=MOODS[i % len(MOODS)],
                seed=i,
            )
        )
    return segments


def render_plain(midi_path: str, num_samples: int) -> None:
    """The baseline: TinySoundFont's documented file-playback path, one cue at a time."""
    import tinysoundfont

    synth = tinysoundfont.Synth(samplerate=SAMPLE_RATE)
    synth.sfload(str(DEFAULT_SOUNDFONT))
    sequencer = tinysoundfont.Sequencer(synth)
    sequencer.midi_load(midi_path)
    synth.generate(num_samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="four short cues only")
    args = parser.parse_args()
    if args.quick:
        segments = feature_cues(4, 60.0, 10.0, 20.0)
    else:
        segments = feature_cues(60, 90 * 60.0, 20.0, 120.0)
    music_s = sum(s.duration_s for s in segments)
    print(f"{len(segments)} cues, {music_s / 60:.1f} minutes of music, {FPS} fps")

    print(f"load average before the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")

    model = ComposerModel()
    render_midi(pretty_midi.PrettyMIDI(), 1)  # load the font once, as a running engine has
    with tempfile.TemporaryDirectory() as out:
        start, cpu_start = time.perf_counter(), time.process_time()
        cues = [model.generate(s, GenerationOptions(), Path(out)) for s in segments]
        engine_s = time.perf_counter() - start
        engine_cpu_s = time.process_time() - cpu_start

        baseline_s = ours_s = 0.0
        for cue in cues:
            t0 = time.perf_counter()
            render_plain(cue.midi_path, cue.num_samples)
            baseline_s += time.perf_counter() - t0
            midi = pretty_midi.PrettyMIDI(cue.midi_path)
            t0 = time.perf_counter()
            render_midi(midi, cue.num_samples)
            ours_s += time.perf_counter() - t0

    print(f"engine (compose + render + write): {engine_s:7.2f} s wall, {engine_cpu_s:7.2f} s CPU")
    print(f"  seconds of music per wall second: {music_s / engine_s:7.1f}")
    print(f"  against real time:                {music_s / engine_s:7.1f}x (target >= 50x)")
    print(f"  seconds of music per CPU second:  {music_s / engine_cpu_s:7.1f} (one core)")
    print("render only, same MIDI, same samples:")
    print(f"  baseline (tinysoundfont Synth + sfload + Sequencer per cue): {baseline_s:7.2f} s")
    print(f"  ours (font cached and cloned, exact-sample events):          {ours_s:7.2f} s")
    print(f"  render speed-up over baseline: {baseline_s / ours_s:5.2f}x")


if __name__ == "__main__":
    main()
