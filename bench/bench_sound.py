"""The finished sound against the old chain, and the SoundFont renderers side by side.

Part 1, renderers: the same composed MIDI and the same font through each candidate, timed in
this process (seconds of music per wall second) with the level of what comes out:

* tinysoundfont (C, used when installed; declares PyAudio, so not a plain-pip dependency);
* midirenderer (Rust RustySynth; built-in reverb/chorus; abi3 wheels everywhere: the core
  dependency);
* pyfluidsynth (FluidSynth; needs the system libfluidsynth) when it imports.

Part 2, chains: the same cues through

* old: TinySoundFont dry with the score's pans and the bundled TimGM6mb font, levelled to an RMS
  target rising with arousal, peak at -1 dBFS (main before issue 11);
* new: the best installed font, orchestral seating, a hall for the style, -24 LUFS, true
  peak <= -1 dBTP (what `ComposerModel.generate` runs).

Printed per chain: speed, loudness spread across cues (LU), the highest true peak, the stereo
side/mid ratio and left/right correlation, and the tail (seconds after the last note-off until
the level has fallen 60 dB), then one brass note's tail, the stems null test, and the peak memory
a 1- and a 10-minute cue add (separate processes; the full run only).

    python bench/bench_sound.py            # 12 cues of 20-60 s (about a minute on 2 cores)
    python bench/bench_sound.py --quick    # 4 short cues
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cuebridge.engine import mastering  # noqa: E402
from cuebridge.engine.audio import fade_in, fade_out, normalise_loudness  # noqa: E402
from cuebridge.engine.cue import SAMPLE_RATE  # noqa: E402
from cuebridge.engine.models.composer import soundfont  # noqa: E402
from cuebridge.engine.models.composer.fonts import BUNDLED_SOUNDFONT, best_font  # noqa: E402
from cuebridge.engine.models.composer.score import compose_segment, feel_from_words  # noqa: E402
from cuebridge.engine.segment import Rate, Segment  # noqa: E402

MOODS = ("calm", "tense", "sad", "action", "romantic", "epic", "mysterious", "playful")
TAIL_PAD_S = 4.0


def cues(count: int, shortest: float, longest: float) -> list[tuple[Segment, object, object]]:
    rng = random.Random(11)
    out = []
    for i in range(count):
        frames = round(rng.uniform(shortest, longest) * 24)
        cuts = sorted(rng.sample(range(48, frames - 48), k=3))
        hits = sorted(rng.sample(range(48, frames - 48), k=rng.randint(0, 2)))
        seg = Segment(
            f"cue-{i}",
            Rate(24),
            frames,
            tuple(cuts),
            tuple(hits),
            mood=MOODS[i % len(MOODS)],
            seed=i,
        )
        feel = feel_from_words("", seg.mood)
        midi, plan = compose_segment(seg, feel)
        out.append((seg, feel, midi, plan))
    return out


# ---- part 1: renderers ---------------------------------------------------------------------


def render_tsf(midi, n: int, font: Path) -> np.ndarray:
    return soundfont.render_midi(midi, n, font, seating=False)


def render_midirenderer(midi, n: int, font: Path) -> np.ndarray:
    return soundfont._render_midirenderer(midi, n, font.read_bytes(), SAMPLE_RATE)


def render_fluidsynth(midi, n: int, font: Path) -> np.ndarray:
    import fluidsynth

    synth = fluidsynth.Synth(samplerate=float(SAMPLE_RATE))
    sfid = synth.sfload(str(font))
    events = sorted(soundfont._events(midi, SAMPLE_RATE))
    out = np.zeros((n, 2), np.float32)
    cursor = 0

    def run(until: int) -> None:
        nonlocal cursor
        if until > cursor:
            block = np.asarray(synth.get_samples(until - cursor), np.float32) / 32768.0
            out[cursor:until] = block.reshape(-1, 2)
            cursor = until

    for e in events:
        if e.sample >= n:
            break
        run(e.sample)
        if e.kind == "program":
            synth.program_select(e.channel, sfid, 128 if e.b else 0, e.a)
        elif e.kind == "on":
            synth.noteon(e.channel, e.a, int(e.b * 127))
        elif e.kind == "off":
            synth.noteoff(e.channel, e.a)
        elif e.kind == "cc":
            synth.cc(e.channel, e.a, int(e.b))
    run(n)
    synth.delete()
    return out


def bench_renderers(material, fonts: list[Path]) -> None:
    candidates = [("tinysoundfont", render_tsf), ("midirenderer", render_midirenderer)]
    if importlib.util.find_spec("fluidsynth") is not None:
        candidates.append(("fluidsynth", render_fluidsynth))
    print(f"\nrenderers, same MIDI ({len(material)} cues) and font, one core")
    print(
        f"{'renderer':<15} {'font':<28} {'x real time':>11} {'peak dBFS':>10} {'side/mid dB':>12}"
    )
    for font in fonts:
        for name, render in candidates:
            if name == "midirenderer" and font.suffix == ".sf3":
                print(f"{name:<15} {font.name:<28} {'(reads .sf2 only)':>35}")
                continue
            render(material[0][2], SAMPLE_RATE, font)  # load the font once, untimed
            music = wall = 0.0
            peaks, widths = [], []
            for seg, _feel, midi, _plan in material:
                n = seg.rate.samples(seg.duration_frames, SAMPLE_RATE)
                t0 = time.perf_counter()
                audio = render(midi, n, font)
                wall += time.perf_counter() - t0
                music += n / SAMPLE_RATE
                peaks.append(float(np.max(np.abs(audio))))
                widths.append(side_over_mid(audio))
            print(
                f"{name:<15} {font.name:<28} {music / wall:10.1f}x "
                f"{20 * math.log10(max(peaks)):10.1f} {np.mean(widths):12.1f}"
            )


# ---- part 2: chains ------------------------------------------------------------------------


def old_chain(midi, n: int, feel, plan) -> np.ndarray:
    audio = soundfont.render_midi(midi, n, BUNDLED_SOUNDFONT, seating=False)
    audio = normalise_loudness(audio, -20.0 + 4.0 * feel.arousal, -1.0)
    return fade_out(fade_in(audio, 0.003), plan.fade_s) if plan else audio


def new_chain(midi, n: int, feel, plan) -> np.ndarray:
    audio = soundfont.render_midi(midi, n, "")
    audio = mastering.add_space(audio, feel.arousal)
    if plan:
        audio = fade_out(fade_in(audio, 0.003), plan.fade_s)
    return mastering.deliver(audio)[0]


def side_over_mid(audio: np.ndarray) -> float:
    side = np.sqrt(np.mean((audio[:, 0] - audio[:, 1]) ** 2))
    mid = np.sqrt(np.mean((audio[:, 0] + audio[:, 1]) ** 2))
    return 20 * math.log10(max(side, 1e-12) / max(mid, 1e-12))


def tail_s(audio: np.ndarray, off_s: float) -> float:
    """Seconds after `off_s` until the 50 ms level is 60 dB under the 300 ms before it."""
    hop = int(0.05 * SAMPLE_RATE)
    off = int(off_s * SAMPLE_RATE)
    ref = np.sqrt(np.mean(audio[max(0, off - 6 * hop) : off] ** 2)) + 1e-12
    i = off
    while i + hop <= len(audio):
        if np.sqrt(np.mean(audio[i : i + hop] ** 2)) < ref * 1e-3:
            return (i - off) / SAMPLE_RATE
        i += hop
    return (len(audio) - off) / SAMPLE_RATE


def correlation(audio: np.ndarray) -> float:
    return float(np.corrcoef(audio[:, 0], audio[:, 1])[0, 1])


def brass_tail() -> None:
    """One short trumpet note (0.3 s) and silence: seconds until it is 60 dB down."""
    import pretty_midi

    from cuebridge.engine.models.composer.score import Feel

    midi = pretty_midi.PrettyMIDI()
    inst = pretty_midi.Instrument(56)
    inst.notes.append(pretty_midi.Note(100, 67, 0.2, 0.5))
    midi.instruments.append(inst)
    n = int(4.5 * SAMPLE_RATE)
    for name, chain in (("old", old_chain), ("new", new_chain)):
        audio = chain(midi, n, Feel(0.0, 0.0), None)
        print(f"brass note tail, {name}: {tail_s(audio, 0.5):.2f} s to -60 dB after note-off")


def stems_null(material) -> None:
    import tempfile

    from cuebridge.engine.audio import read_wav
    from cuebridge.engine.models.composer.model import ComposerModel
    from cuebridge.engine.segment import GenerationOptions

    model = ComposerModel()
    worst = -400.0
    with tempfile.TemporaryDirectory() as tmp:
        for seg, *_ in material[:4]:
            cue = model.generate(seg, GenerationOptions(stems=True), Path(tmp))
            mix = read_wav(cue.audio_path)[0].astype(np.float64)
            total = sum(read_wav(p)[0].astype(np.float64) for p in cue.stem_paths.values())
            null = 20 * math.log10(
                np.sqrt(np.mean((mix - total) ** 2)) / np.sqrt(np.mean(mix**2)) + 1e-20
            )
            worst = max(worst, null)
    print(f"stems null test (mix - sum of stems, 24-bit files): worst {worst:.1f} dB (goal <= -60)")


# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the (large) parent.
MEMORY_SCRIPT = """
import re, sys, tempfile
from cuebridge.engine.models.composer.model import ComposerModel
from cuebridge.engine.models.composer.soundfont import load_soundfont
from cuebridge.engine.segment import GenerationOptions, Rate, Segment
model = ComposerModel(sys.argv[2]); load_soundfont(sys.argv[2])
def hwm():
    text = open("/proc/self/status").read()
    return int(re.search(r"VmHWM:\\s+(\\d+)", text).group(1))
base = hwm()
frames = int(float(sys.argv[1]) * 60 * 24)
seg = Segment("m", Rate(24), frames, cut_frames=tuple(range(240, frames, 240)), mood="epic")
model.generate(seg, GenerationOptions(), tempfile.mkdtemp())
print((hwm() - base) / 1024)
"""


def memory() -> None:
    import subprocess

    for minutes in (1, 10):
        out = subprocess.run(
            [sys.executable, "-c", MEMORY_SCRIPT, str(minutes), str(BUNDLED_SOUNDFONT)],
            capture_output=True,
            text=True,
            check=True,
        )
        print(
            f"peak RSS a {minutes}-minute cue adds (font loaded before): {float(out.stdout):.0f} MB"
        )


def bench_chains(material) -> None:
    print(f"\nchains, same {len(material)} cues ({best_font().name} for new)")
    rows = {}
    for name, chain in (("old", old_chain), ("new", new_chain)):
        chain(material[0][2], SAMPLE_RATE, material[0][1], None)  # load the font, untimed
        music = wall = 0.0
        lufs, peaks, widths, tails, corr = [], [], [], [], []
        for seg, feel, midi, plan in material:
            n = seg.rate.samples(seg.duration_frames, SAMPLE_RATE)
            t0 = time.perf_counter()
            audio = chain(midi, n, feel, plan)
            wall += time.perf_counter() - t0
            music += n / SAMPLE_RATE
            lufs.append(mastering.integrated_loudness(audio))
            peaks.append(mastering.true_peak_dbtp(audio))
            widths.append(side_over_mid(audio))
            corr.append(correlation(audio))
            # The tail: the same score rendered past its end, no fade.
            last_off = max(note.end for inst in midi.instruments for note in inst.notes)
            long = chain(midi, int((last_off + TAIL_PAD_S) * SAMPLE_RATE), feel, None)
            tails.append(tail_s(long, last_off))
        rows[name] = (
            music / wall,
            max(lufs) - min(lufs),
            min(lufs),
            max(lufs),
            max(peaks),
            sum(p > -1.0 for p in peaks),
            np.mean(widths),
            np.median(tails),
            np.mean(corr),
        )
    print(
        f"{'chain':<6} {'x real time':>11} {'LU spread':>10} {'LUFS min..max':>15} "
        f"{'max dBTP':>9} {'>-1 dBTP':>9} {'side/mid dB':>12} {'L/R corr':>9} "
        f"{'tail s (median)':>16}"
    )
    for name, r in rows.items():
        print(
            f"{name:<6} {r[0]:10.1f}x {r[1]:10.2f} {r[2]:7.1f}..{r[3]:<6.1f} {r[4]:9.2f} "
            f"{r[5]:9d} {r[6]:12.1f} {r[8]:9.2f} {r[7]:16.2f}"
        )
    print(f"speed new/old: {rows['new'][0] / rows['old'][0]:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    material = cues(4, 8, 15) if args.quick else cues(12, 20, 60)
    fonts = [BUNDLED_SOUNDFONT]
    fonts += [p for p in (Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"), best_font()) if p.exists()]
    fonts = list(dict.fromkeys(fonts))
    if importlib.util.find_spec("tinysoundfont") is None:
        sys.exit("bench_sound needs tinysoundfont: pip install --no-deps tinysoundfont==0.3.7")
    bench_renderers(material[:4], fonts)  # FluidSynth takes minutes over a .sf3
    bench_chains(material)
    brass_tail()
    stems_null(material)
    if not args.quick:
        memory()


if __name__ == "__main__":
    main()
