"""The finishing chain's cost against synthesis alone, previous and new in one run.

For the same composed cues (one long, several short), CPU-seconds (this process, all threads)
of:

* synthesis only: the SoundFont rendering of the score, nothing after it;
* previous: compose + render + main's chain before the cue writer (hall, float64 `lfilter`
  meter per channel and stage, pyloudnorm for short cues, the old deliver paths, WAV write),
  with that revision's engine/mastering.py loaded from git (`--previous REV`, default the
  revision before the one cue writer, a31599b~1);
* new: `ComposerModel.generate`, i.e. compose + render + engine/cue_writer.py + write.

Printed: seconds of music per CPU-second for each and the pipeline's share of the synthesis-only
throughput (the goal of issue 23: >= 60 %), and the short cues' cost per second of music
against the long one's.

    python bench/bench_finish.py            # one 300 s cue and ten 10 s cues
    python bench/bench_finish.py --quick    # one 120 s cue and four 8 s cues
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import types
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cuebridge.engine.audio import fade_in, fade_out, to_pcm24, write_wav  # noqa: E402
from cuebridge.engine.cue import SAMPLE_RATE  # noqa: E402
from cuebridge.engine.cue_writer import fade_gains  # noqa: E402
from cuebridge.engine.models.composer.model import _BLOCK, LONG_CUE_S, ComposerModel  # noqa: E402
from cuebridge.engine.models.composer.score import compose_segment, feel_from_words  # noqa: E402
from cuebridge.engine.models.composer.soundfont import (  # noqa: E402
    load_soundfont,
    render_blocks,
    render_midi,
    resolve_soundfont,
)
from cuebridge.engine.segment import GenerationOptions, Rate, Segment  # noqa: E402


def previous_mastering(rev: str) -> types.ModuleType:
    """main's engine/mastering.py at `rev`, as a module of its own."""
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{rev}:engine/mastering.py"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    module = types.ModuleType("previous_mastering")
    exec(compile(source, f"{rev}:engine/mastering.py", "exec"), module.__dict__)
    return module


def previous_cue(old, seg: Segment, font: str, out: Path) -> None:
    """What ComposerModel.generate ran before the cue writer, for a cue without speech/stems."""
    feel = feel_from_words(seg.prompt, seg.mood)
    midi, plan = compose_segment(seg, feel)
    midi.write(str(out.with_suffix(".mid")))  # the cue's MIDI, as the model wrote it
    n = seg.rate.samples(seg.duration_frames, SAMPLE_RATE)
    if n <= LONG_CUE_S * SAMPLE_RATE:
        audio = render_midi(midi, n, font)
        audio = fade_out(fade_in(old.add_space(audio, feel.arousal), 0.003), plan.fade_s)
        audio, _ = old.deliver(audio)
        write_wav(out, audio)
        return
    reverb, meter = old.hall(feel.arousal), old.LoudnessStream()
    n_in, n_out = round(0.003 * SAMPLE_RATE), min(n, round(plan.fade_s * SAMPLE_RATE))
    raw = out.with_suffix(".raw")
    with open(raw, "w+b") as fh:
        start = 0
        for block in render_blocks(midi, n, font, _BLOCK):
            wet = reverb.process(np.ascontiguousarray(block.T), SAMPLE_RATE, reset=start == 0)
            wet = (
                np.ascontiguousarray(wet.T) * fade_gains(start, len(block), n, n_in, n_out)[:, None]
            )
            meter.add(wet)
            fh.write(wet.astype(np.float32).tobytes())
            start += len(block)
        level = old.deliver_file(fh, n, meter.integrated())
    gain = old.gain_factor(level["pending_gain_db"])
    with open(raw, "rb") as fh, wave.open(str(out), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(3)
        w.setframerate(SAMPLE_RATE)
        for _, block in old.file_chunks(fh, n):
            w.writeframes(to_pcm24(block * gain))
    raw.unlink()


def synthesis_only(seg: Segment, font: str) -> None:
    midi, _ = compose_segment(seg, feel_from_words(seg.prompt, seg.mood))
    n = seg.rate.samples(seg.duration_frames, SAMPLE_RATE)
    if n <= LONG_CUE_S * SAMPLE_RATE:
        render_midi(midi, n, font)
    else:
        for _ in render_blocks(midi, n, font, _BLOCK):
            pass


def cpu(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):  # the least disturbed of a few runs: a shared machine
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best


PREVIOUS_CHAIN = "a31599b~1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    # The chain before the one cue writer (a31599b): main's own mastering.py no longer has the
    # previous chain's deliver_file, so the merge base with main cannot be the default.
    parser.add_argument("--previous", default=PREVIOUS_CHAIN)
    args = parser.parse_args()
    rev = args.previous
    old = previous_mastering(rev)
    long_s, short_s, shorts = (120, 8, 4) if args.quick else (300, 10, 10)
    font = str(resolve_soundfont("", None))
    load_soundfont(font)
    model = ComposerModel(font)
    groups = {
        f"1 x {long_s} s": [
            Segment(
                "long", Rate(24), long_s * 24, tuple(range(240, long_s * 24, 480)),
                mood="tense", seed=1,
            )  # fmt: skip
        ],
        f"{shorts} x {short_s} s": [Segment(f"s{i}", Rate(24), short_s * 24, (short_s * 12,),
                                            mood=("calm", "action")[i % 2], seed=i)
                                    for i in range(shorts)],
    }  # fmt: skip
    print(f"previous = {rev[:10]} (engine/mastering.py from git); font {Path(font).name}")
    print(f"{'cues':<12} {'synthesis':>10} {'previous':>10} {'new':>10}   s of music per CPU-s")
    per_second = {}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for name, segs in groups.items():
            music = sum(s.duration_s for s in segs)
            repeat = 2 if args.quick else 3

            def run_previous(segs=segs):
                for s in segs:
                    previous_cue(old, s, font, out / f"{s.id}.prev.wav")

            def run_new(segs=segs):
                for s in segs:
                    model.generate(s, GenerationOptions(), out / "new")

            synth = cpu(lambda segs=segs: [synthesis_only(s, font) for s in segs], repeat)
            prev, new = cpu(run_previous, repeat), cpu(run_new, repeat)
            per_second[name] = new / music
            print(f"{name:<12} {music / synth:>10.0f} {music / prev:>10.0f} {music / new:>10.0f}"
                  f"   pipeline/synthesis: previous {synth / prev:.0%}, new {synth / new:.0%}"
                  f" (goal >= 60 %)")  # fmt: skip
    long_cost, short_cost = per_second.values()
    print(f"short cues cost {short_cost / long_cost:.2f}x the long cue's CPU per second of music")


if __name__ == "__main__":
    main()
