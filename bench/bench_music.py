"""Does the composer write like a film composer? The issue-10 measures, old beside new.

The previous composer (score.py at git revision PREVIOUS, loaded from git into a temporary
module) and the current one score the same grid in this process: 10 moods x 3 cut patterns
(a cut every 2 s, irregular 1-9 s, sparse 8-15 s) x 3 lengths (30, 150, 240 s) x 3 seeds.
Measured from the MIDI (pretty_midi); loudness and loudness range from rendered audio for a
subset (seed 0, irregular cuts, 150 s: one cue per mood), levelled the way model.py levels.

    python bench/bench_music.py            # the full grid (a few minutes on 2 cores)
    python bench/bench_music.py --quick    # 30 and 150 s, one seed
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cuebridge.engine.audio import normalise_loudness  # noqa: E402
from cuebridge.engine.cue import SAMPLE_RATE  # noqa: E402
from cuebridge.engine.models.composer import metrics as m  # noqa: E402
from cuebridge.engine.models.composer import score as new  # noqa: E402
from cuebridge.engine.models.composer.soundfont import render_midi  # noqa: E402

PREVIOUS = "2bdbe0c"
MOODS = (
    "horror",
    "tense suspense",
    "action chase",
    "playful comedy",
    "romantic",
    "sad funeral",
    "wonder",
    "triumphant",
    "calm pastoral",
    "mysterious",
)
# Pairs an editor would call contrasting: they must differ on at least 3 measures.
CONTRASTS = (
    ("horror", "tense suspense"),
    ("horror", "playful comedy"),
    ("action chase", "sad funeral"),
    ("romantic", "tense suspense"),
    ("triumphant", "mysterious"),
    ("calm pastoral", "action chase"),
    ("wonder", "horror"),
    ("playful comedy", "sad funeral"),
)


def load_previous():
    source = subprocess.run(
        ["git", "show", f"{PREVIOUS}:engine/models/composer/score.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    folder = Path(tempfile.mkdtemp())
    path = folder / "score_previous.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("score_previous", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["score_previous"] = module
    spec.loader.exec_module(module)
    return module


def cut_pattern(kind: str, duration: float, seed: int) -> list[float]:
    rng = random.Random(f"{kind}:{duration}:{seed}")
    cuts, t = [], 0.0
    while True:
        t += (
            2.0
            if kind == "every 2 s"
            else rng.uniform(1, 9)
            if kind == "irregular"
            else rng.uniform(8, 15)
        )
        if t >= duration - 0.5:
            return cuts
        cuts.append(round(t * 24) / 24)


def measure(module, mood: str, duration: float, cuts: list[float], seed: int) -> dict:
    feel = module.feel_from_words("", mood)
    hits = [round(duration * 0.37, 2)]
    midi, plan = module.compose(duration, cuts, hits, feel, seed)
    tempo = m.tempo_stats(midi)
    distinct, rhythms, bars = m.melody_bars(midi)
    par, pairs = m.outer_voice_parallels(midi)
    clash, counted = m.melody_clashes(midi)
    changes = np.array(m.chord_changes(midi))
    landed = [float(np.min(np.abs(changes - c))) if len(changes) else 99.0 for c in plan.cuts_s]
    return {
        "mood": mood,
        "duration": duration,
        "midi": midi,
        "plan": plan,
        **tempo,
        "notes_s": m.notes_per_second(midi, duration),
        "register": m.mean_register(midi),
        "instruments": m.instrumentation(midi),
        "percussion": m.has_percussion(midi),
        "crash_min": m.crashes_per_minute(midi, duration),
        "chords_min": 60.0 * len(changes) / duration,
        "distinct": distinct,
        "rhythms": rhythms,
        "parallels": par,
        "pairs": pairs,
        "clashes": clash,
        "counted": counted,
        "cut_miss_ms": 1000 * max(landed, default=0.0),
        "end_gap_s": m.ending_gap_s(midi, duration),
        "valence": feel.valence,
        "arousal": feel.arousal,
        "key": plan.key.name,
    }


def render(row: dict) -> np.ndarray:
    n = round(row["duration"] * SAMPLE_RATE)
    audio = render_midi(row["midi"], n)
    return normalise_loudness(audio, -20.0 + 4.0 * row["arousal"], -1.0)


def summarise(name: str, rows: list[dict]) -> dict[str, float]:
    longest = max(r["duration"] for r in rows)
    long = [r for r in rows if r["duration"] == longest]
    at150 = [r for r in rows if r["duration"] == 150]
    return {
        "tempo max/min (worst)": max(r["tempo_ratio"] for r in rows),
        "tempo jumps >5% (share)": sum(r["jumps_gt5"] * r["tempo_changes"] for r in rows)
        / max(1, sum(r["tempo_changes"] for r in rows)),
        "tempo changes / cue (longest)": statistics.mean(r["tempo_changes"] for r in long),
        "meter changes / cue (longest)": statistics.mean(r["meter_changes"] for r in long),
        "crashes / min (worst)": max(r["crash_min"] for r in rows),
        "chord changes / min, every-2s cuts, calm moods": statistics.mean(
            r["chords_min"]
            for r in rows
            if r["mood"] in ("romantic", "sad funeral", "calm pastoral")
            and r["cuts"] == "every 2 s"
        ),
        "distinct melody bars, 150 s (mean)": statistics.mean(r["distinct"] for r in at150),
        "distinct melody bars, 150 s (worst)": min(r["distinct"] for r in at150),
        "melody rhythms, 150 s (worst)": min(r["rhythms"] for r in at150),
        "melody rhythms, longest (mean)": statistics.mean(r["rhythms"] for r in long),
        "parallel 5ths/8ves outer voices": sum(r["parallels"] for r in rows)
        / max(1, sum(r["pairs"] for r in rows)),
        "melody clashes (>= 1 beat)": sum(r["clashes"] for r in rows)
        / max(1, sum(r["counted"] for r in rows)),
        "honoured cut -> chord change, worst ms": max(r["cut_miss_ms"] for r in rows),
        "last note ends before out point, s": max(r["end_gap_s"] for r in rows),
        "distinct keys over moods (seed 0)": len(
            {r["key"] for r in rows if r["seed"] == 0 and r["duration"] == 30}
        ),
    }


def contrasts(rows: list[dict], loudness: dict[str, float]) -> list[tuple[str, int, str]]:
    by_mood: dict[str, list[dict]] = {}
    for r in rows:
        by_mood.setdefault(r["mood"], []).append(r)

    def avg(mood: str, key: str) -> float:
        return statistics.mean(r[key] for r in by_mood[mood])

    out = []
    for a, b in CONTRASTS:
        ta, tb = avg(a, "bpm"), avg(b, "bpm")
        na, nb = avg(a, "notes_s"), avg(b, "notes_s")
        ia = set().union(*(r["instruments"] for r in by_mood[a]))
        ib = set().union(*(r["instruments"] for r in by_mood[b]))
        jac = len(ia & ib) / len(ia | ib)
        pa = statistics.mean(r["percussion"] for r in by_mood[a]) > 0.5
        pb = statistics.mean(r["percussion"] for r in by_mood[b]) > 0.5
        tests = {
            "tempo": max(ta, tb) / min(ta, tb) >= 1.15,
            "density": max(na, nb) / max(1e-9, min(na, nb)) >= 1.4,
            "register": abs(avg(a, "register") - avg(b, "register")) >= 3,
            "instruments": jac <= 0.5,
            "percussion": pa != pb,
            "loudness": abs(loudness.get(a, 0) - loudness.get(b, 0)) >= 3,
        }
        out.append((f"{a} / {b}", sum(tests.values()), ",".join(k for k, v in tests.items() if v)))
    return out


PROMPTS = (
    "first kiss on the rooftop",
    "the heist goes wrong",
    "not happy at all",
    "a very happy reunion",
    "something is hiding in the basement",
    "they bury their father",
    "racing through the streets at night",
    "the clown slips on a banana",
)
SPEECH = ((8.0, 14.0), (18.0, 24.0))


def words_table(previous) -> None:
    print("\nfree text -> feel (valence, arousal) and style")
    for prompt in PROMPTS:
        o, w = previous.feel_from_words(prompt, ""), new.feel_from_words(prompt, "")
        print(
            f"  {prompt:38s} previous ({o.valence:+.2f}, {o.arousal:+.2f})   "
            f"new ({w.valence:+.2f}, {w.arousal:+.2f}) {w.style or '(nearest)'}"
        )


def speech_table() -> None:
    """The new composer with and without dialogue (the previous one ignores it): 30 s cues,
    lines at 8-14 s and 18-24 s, rendered without levelling."""
    print("\nunder dialogue (new; 300 Hz-3.4 kHz energy, melody onsets in the lines)")
    print(f"  {'mood':16s} {'drop in speech':>14s} {'change outside':>14s} {'melody notes':>13s}")
    for mood in MOODS:
        feel = new.feel_from_words("", mood)
        plain, _ = new.compose(30.0, [5.0, 12.5, 21.0], [], feel, 3)
        spoken, _ = new.compose(30.0, [5.0, 12.5, 21.0], [], feel, 3, SPEECH)
        a, b = render_midi(plain, 30 * SAMPLE_RATE), render_midi(spoken, 30 * SAMPLE_RATE)

        def count(midi) -> int:
            mel = m.part(midi, "Melody")
            return sum(1 for n in mel.notes if any(x <= n.start < y for x, y in SPEECH))

        def band(audio, inside: bool) -> float:
            return m.speech_band_db(audio, SAMPLE_RATE, SPEECH, inside)

        drop = band(a, True) - band(b, True)
        outside = band(a, False) - band(b, False)
        print(
            f"  {mood:16s} {drop:11.1f} dB {outside:11.2f} dB {count(plain):6d} -> {count(spoken)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    lengths = (30.0, 150.0) if args.quick else (30.0, 150.0, 240.0)
    seeds = (0,) if args.quick else (0, 1, 2)
    patterns = ("every 2 s", "irregular", "sparse")
    previous = load_previous()
    words_table(previous)
    results: dict[str, list[dict]] = {"previous": [], "new": []}
    for mood, kind, duration, seed in itertools.product(MOODS, patterns, lengths, seeds):
        cuts = cut_pattern(kind, duration, seed)
        for name, module in (("previous", previous), ("new", new)):
            row = measure(module, mood, duration, cuts, seed)
            row.update(cuts=kind, seed=seed)
            results[name].append(row)
    n = len(results["new"])
    print(
        f"{n} cues per version: {len(MOODS)} moods x {len(patterns)} cut patterns x "
        f"{len(lengths)} lengths x {len(seeds)} seeds; previous = {PREVIOUS}"
    )

    loud: dict[str, dict[str, float]] = {"previous": {}, "new": {}}
    lra: dict[str, dict[str, float]] = {"previous": {}, "new": {}}
    for name, rows in results.items():
        for r in rows:
            if r["seed"] == 0 and r["cuts"] == "irregular" and r["duration"] == 150:
                audio = render(r)
                loud[name][r["mood"]] = m.integrated_loudness(audio, SAMPLE_RATE)
                lra[name][r["mood"]] = m.loudness_range(audio, SAMPLE_RATE)

    old_s, new_s = summarise("previous", results["previous"]), summarise("new", results["new"])
    print(f"\n{'measure':52s} {'previous':>10s} {'new':>10s}")
    for key in old_s:
        print(f"{key:52s} {old_s[key]:10.3f} {new_s[key]:10.3f}")

    print(f"\nper mood (means over the grid){'':22s} previous -> new")
    print(
        f"{'mood':16s} {'style':9s} {'bpm':>11s} {'notes/s':>11s} {'register':>11s} "
        f"{'perc':>5s} {'LUFS':>13s} {'LRA LU':>11s}"
    )
    for mood in MOODS:
        cells = []
        for key, fmt in (("bpm", "{:5.0f}"), ("notes_s", "{:5.1f}"), ("register", "{:5.1f}")):
            o = statistics.mean(r[key] for r in results["previous"] if r["mood"] == mood)
            w = statistics.mean(r[key] for r in results["new"] if r["mood"] == mood)
            cells.append(f"{fmt.format(o)}>{fmt.format(w)}")
        perc = statistics.mean(r["percussion"] for r in results["new"] if r["mood"] == mood)
        style = next(r["plan"].style.name for r in results["new"] if r["mood"] == mood)
        print(
            f"{mood:16s} {style:9s} {cells[0]:>11s} {cells[1]:>11s} {cells[2]:>11s} "
            f"{perc:5.1f} {loud['previous'].get(mood, 0):6.1f}>{loud['new'].get(mood, 0):5.1f} "
            f"{lra['previous'].get(mood, 0):5.1f}>{lra['new'].get(mood, 0):4.1f}"
        )

    speech_table()

    print("\ncontrasting pairs: measures that differ clearly (>= 3 wanted)")
    old_c = dict((p, (k, w)) for p, k, w in contrasts(results["previous"], loud["previous"]))
    for pair, count, which in contrasts(results["new"], loud["new"]):
        print(f"  {pair:34s} previous {old_c[pair][0]}  new {count} ({which})")


if __name__ == "__main__":
    main()
