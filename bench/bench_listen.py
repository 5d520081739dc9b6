"""What trained listeners hear in the composer's cues, previous beside new (issue 19).

The previous composer (score.py and styles.py at git revision PREVIOUS, loaded from git into
temporary modules) and the current one score the same timelines in this process, through the
real model path (ComposerModel.generate: render, hall, loudness, WAV + MIDI), with MuseScore's
General font. Then madmom (beats, chords), librosa (onset strength), basic-pitch (transcription)
and musicnn (tags), whose weights ship in their wheels, listen in a venv of their own
(bench/listen_setup.sh makes .listen-venv: numpy < 2 and TensorFlow stay out of the package).

The timelines: one scene per style, a scene description in the marker and the style's mood
word, cuts every 2-10 s (irregular), 40 s and 120 s long, two seeds.

    bench/listen_setup.sh                   # once: the listeners' venv
    python bench/bench_listen.py --quick    # 40 s cues only (a few minutes on 2 cores)
    python bench/bench_listen.py            # 40 s and 120 s cues
    python bench/bench_listen.py --takes-only   # tag distance of takes alone, and clean
                                                # writing in 150 s cues (MIDI only)
    python bench/bench_listen.py --quick --styles suspense,horror --seeds 0   # a few minutes
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pretty_midi

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cuebridge.engine.audio import read_wav  # noqa: E402
from cuebridge.engine.models.composer import metrics as m  # noqa: E402
from cuebridge.engine.models.composer import model as composer_model  # noqa: E402
from cuebridge.engine.models.composer import score as new  # noqa: E402
from cuebridge.engine.segment import GenerationOptions, Rate, Segment  # noqa: E402

PREVIOUS = "5504f36"  # main when issue 19's work began
FONT = Path("/usr/share/sounds/sf3/MuseScore_General.sf3")
LISTEN_PY = ROOT / ".listen-venv" / "bin" / "python"
FPS = 24
CHANGE_TOLERANCE_S = 0.15
# One scene per style: what an editor types in the marker, and the mood word beside it.
SCENES = (
    ("suspense", "tense suspense", "she hears the floorboards creak behind the locked door"),
    ("horror", "horror", "something drags itself out of the flooded cellar"),
    ("action", "action chase", "the motorbikes tear through the market after the thief"),
    ("comedy", "playful comedy", "the waiter juggles the cake and the dog steals it"),
    ("romance", "romantic", "they finally kiss on the station platform"),
    ("grief", "sad funeral", "the family stands at the grave in the rain"),
    ("wonder", "wonder", "the children see the whales rising under the ice"),
    ("triumph", "triumphant", "the team lifts the trophy as the crowd roars"),
    ("pastoral", "calm pastoral", "morning mist over the fields as the farmer walks out"),
    ("mystery", "mysterious", "the detective finds a second key in the dead man's coat"),
)
# Pairs an editor would call contrasting: their tag distance is the yardstick for takes.
CONTRASTS = (
    ("horror", "comedy"),
    ("action", "grief"),
    ("romance", "suspense"),
    ("triumph", "mystery"),
    ("pastoral", "action"),
    ("comedy", "grief"),
)
ENERGETIC = ("suspense", "action", "comedy", "triumph")  # a pulse a listener taps to
SEEDS = (0, 1)


def load_previous(revision: str = PREVIOUS):
    """score.py and styles.py at `revision`, score's import of styles pointed at the old one."""
    folder = Path(tempfile.mkdtemp())
    modules = {}
    for name in ("styles", "score"):
        source = subprocess.run(
            ["git", "show", f"{revision}:engine/models/composer/{name}.py"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        source = source.replace(
            "cuebridge.engine.models.composer.styles import", "previous_styles import"
        )
        path = folder / f"previous_{name}.py"
        path.write_text(source)
        spec = importlib.util.spec_from_file_location(f"previous_{name}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[f"previous_{name}"] = module
        spec.loader.exec_module(module)
        modules[name] = module
    return modules["score"]


def irregular_cuts(duration: float, seed: int, style: str) -> list[int]:
    rng = random.Random(f"listen:{style}:{duration}:{seed}")
    cuts, t = [], 0.0
    while (t := t + rng.uniform(2, 10)) < duration - 1.0:
        cuts.append(round(t * FPS))
    return cuts


def render(module, style: str, mood: str, text: str, duration: float, seed: int, out: Path):
    """One cue through the model's own path, with `module` as the composer."""
    frames = round(duration * FPS)
    segment = Segment(
        id=f"{style}-{int(duration)}s-seed{seed}",
        rate=Rate(FPS),
        duration_frames=frames,
        cut_frames=tuple(irregular_cuts(duration, seed, style)),
        prompt=text,
        mood=mood,
        seed=seed,
    )
    plans = []

    def compose_segment(seg, feel=None):
        midi, plan = module.compose_segment(seg, feel)
        plans.append(plan)
        return midi, plan

    saved = composer_model.compose_segment
    composer_model.compose_segment = compose_segment
    try:
        t0 = time.process_time()
        cue = composer_model.ComposerModel(FONT).generate(segment, GenerationOptions(), out)
        cpu = time.process_time() - t0
    finally:
        composer_model.compose_segment = saved
    plan = plans[0]
    midi = pretty_midi.PrettyMIDI(cue.midi_path)
    audio, rate = read_wav(cue.audio_path)
    written = np.array(m.chord_changes(midi))
    cuts = segment.cut_times_s()
    melody = m.part(midi, "Melody")
    parallels, pairs = m.outer_voice_parallels(midi)
    distinct, _, _ = m.melody_bars(midi)
    return {
        "id": segment.id,
        "wav": cue.audio_path,
        "style": style,
        "duration_s": duration,
        "seed": seed,
        "tempo_written": plan.tempo_bpm,
        "beats_s": [float(b) for b in midi.get_beats()],
        "cuts_s": cuts,
        "honoured_s": list(plan.cuts_s),
        "cut_written_change": [
            bool(len(written) and np.min(np.abs(written - t)) <= CHANGE_TOLERANCE_S) for t in cuts
        ],
        "melody": [[n.start, n.end, n.pitch] for n in melody.notes] if melody else [],
        "ending_db": m.ending_level_db(audio, rate),
        "onset_self": m.onset_ratio_at(audio, rate, list(plan.cuts_s)),
        "parallels": int(parallels),
        "pairs": int(pairs),
        "distinct": distinct,
        "cpu_s": cpu,
        "key": plan.key.name,
        "program_melody": melody.program if melody else -1,
    }


def listen(cues: list[dict], folder: Path, tags_only: bool = False) -> dict[str, dict]:
    if not LISTEN_PY.exists():
        sys.exit(f"bench_listen: {LISTEN_PY} is missing; make it with bench/listen_setup.sh")
    manifest, heard = folder / "manifest.json", folder / "heard.json"
    manifest.write_text(json.dumps(cues, default=float))
    subprocess.run(
        [str(LISTEN_PY), str(ROOT / "bench" / "listeners.py"), str(manifest), str(heard)]
        + ["--tags-only"] * tags_only,
        check=True,
    )
    return {h["id"]: h for h in json.loads(heard.read_text())}


def tempo_as_written(cue: dict) -> bool:
    """Heard within 8 % of the written tempo, or of its double or half (a listener tapping
    every other beat hears the same pulse)."""
    heard, written = cue["tempo_heard"], cue["tempo_written"]
    return any(abs(heard / (written * k) - 1) <= 0.08 for k in (0.5, 1.0, 2.0)) if heard else False


def tag_distance(a: dict, b: dict) -> float:
    return float(np.linalg.norm(np.asarray(a["tags"]) - np.asarray(b["tags"])))


def summary(cues: list[dict]) -> dict[str, float]:
    heard_all = [h for c in cues for h in c["cut_heard"]]
    heard_written = [
        h for c in cues for h, w in zip(c["cut_heard"], c["cut_written"], strict=True) if w
    ]
    recalls = [c["melody_recall"] for c in cues if c["melody_recall"] is not None]
    onset = [statistics.median(c["onset_ratios"]) for c in cues if c["onset_ratios"]]
    by_id = {(c["style"], c["duration_s"], c["seed"]): c for c in cues}
    seeds = [
        tag_distance(by_id[(s, d, 0)], by_id[(s, d, 1)])
        for (s, d, seed) in by_id
        if seed == 0 and (s, d, 1) in by_id
    ]
    styles = [
        tag_distance(by_id[(a, d, seed)], by_id[(b, d, seed)])
        for (a, b) in CONTRASTS
        for (s, d, seed) in by_id
        if s == a and (b, d, seed) in by_id
    ]
    energetic = [c for c in cues if c["style"] in ENERGETIC]
    total_cuts = sum(len(c["cuts_s"]) for c in cues)
    return {
        "chord change heard <= 150 ms, all cuts (>= 0.50)": _mean(heard_all),
        "... where a change is written (>= 0.75)": _mean(heard_written),
        "cuts with a written change": _mean([w for c in cues for w in c["cut_written"]]),
        "cuts honoured (share)": sum(len(c["honoured_s"]) for c in cues) / max(1, total_cuts),
        "onset at honoured cuts / median, worst style (>= 3)": min(
            statistics.median(r) for r in _by_style(cues, onset_only=True).values()
        )
        if onset
        else 0.0,
        "melody recall, median (>= 0.75)": statistics.median(recalls) if recalls else 0.0,
        "melody recall, worst cue (>= 0.6)": min(recalls) if recalls else 0.0,
        "ending: last 50 ms vs median dB, worst (<= -30)": max(c["ending_db"] for c in cues),
        "tag distance, two seeds (median)": statistics.median(seeds) if seeds else 0.0,
        "tag distance, contrasting styles (median)": statistics.median(styles) if styles else 0.0,
        "tempo heard as written (>= 0.90)": _mean([tempo_as_written(c) for c in cues]),
        "energetic cues with the pulse off the beat (0)": float(
            sum(c["beat_phase"] > 0.35 for c in energetic)
        ),
        "bass-melody parallels (<= 0.02)": sum(c["parallels"] for c in cues)
        / max(1, sum(c["pairs"] for c in cues)),
        "composer CPU s per cue (mean)": statistics.mean(c["cpu_s"] for c in cues),
    }


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def _by_style(cues: list[dict], onset_only: bool = False) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for c in cues:
        if onset_only and not c["onset_ratios"]:
            continue
        out.setdefault(c["style"], []).append(statistics.median(c["onset_ratios"] or [0.0]))
    return out


def per_style(cues: dict[str, list[dict]]) -> None:
    print(f"\nper style{'':25s}previous > new")
    print(
        f"{'style':9s} {'tempo w/h':>15s} {'beat str':>11s} {'heard/all':>11s} "
        f"{'heard/wrt':>11s} {'onset x':>11s} {'melody':>11s} {'end dB':>13s} {'seed dist':>11s}"
    )
    for style, *_ in SCENES:
        if not any(c["style"] == style for c in cues["new"]):
            continue
        cells = []
        for key in ("tempo", "beat", "all", "written", "onset", "melody", "end", "seeds"):
            pair = []
            for version in ("previous", "new"):
                rows = [c for c in cues[version] if c["style"] == style]
                pair.append(_style_value(key, rows))
            cells.append(pair)
        t_prev, t_new = cells[0]
        print(
            f"{style:9s} {t_prev:>7s}>{t_new:<7s} "
            + " ".join(f"{a:>5s}>{b:<5s}" for a, b in cells[1:6])
            + f" {cells[6][0]:>6s}>{cells[6][1]:<6s} {cells[7][0]:>5s}>{cells[7][1]:<5s}"
        )


def _style_value(key: str, rows: list[dict]) -> str:
    if not rows:
        return "-"
    if key == "tempo":
        w = statistics.mean(c["tempo_written"] for c in rows)
        h = statistics.mean(c["tempo_heard"] for c in rows)
        return f"{w:.0f}/{h:.0f}"
    if key == "beat":
        return f"{statistics.mean(c['beat_strength'] for c in rows):.2f}"
    if key == "all":
        return f"{_mean(h for c in rows for h in c['cut_heard']):.2f}"
    if key == "written":
        pairs = [
            (h, w) for c in rows for h, w in zip(c["cut_heard"], c["cut_written"], strict=True)
        ]
        return f"{_mean(h for h, w in pairs if w):.2f}"
    if key == "onset":
        r = [x for c in rows for x in c["onset_ratios"]]
        return f"{statistics.median(r):.1f}" if r else "-"
    if key == "melody":
        r = [c["melody_recall"] for c in rows if c["melody_recall"] is not None]
        return f"{statistics.median(r):.2f}" if r else "-"
    if key == "end":
        return f"{max(c['ending_db'] for c in rows):.1f}"
    by = {(c["duration_s"], c["seed"]): c for c in rows}
    d = [tag_distance(by[(x, 0)], by[(x, 1)]) for (x, s) in by if s == 0 and (x, 1) in by]
    return f"{statistics.mean(d):.2f}" if d else "-"


CLEAN_SEEDS = (0, 1, 2, 3)  # enough for every meter a style may choose (2/4 included)


def clean_writing(module) -> list[dict]:
    """Bass-melody parallels and distinct melody bars in each style's 150 s cues, from the MIDI
    (no audio): the goal holds in every cue, so the worst cue is reported."""
    rows = []
    for style, _mood, _text in SCENES:
        for seed in CLEAN_SEEDS:
            cuts = [f / FPS for f in irregular_cuts(150.0, seed, style)]
            feel = module.Feel(new.STYLES[style].valence, new.STYLES[style].arousal, style=style)
            midi, plan = module.compose(150.0, cuts, [], feel, seed)
            parallels, pairs = m.outer_voice_parallels(midi)
            distinct, _, _ = m.melody_bars(midi)
            rows.append(
                {
                    "style": style,
                    "seed": seed,
                    "meter": plan.meter,
                    "bpm": plan.tempo_bpm,
                    "parallels": parallels / max(1, pairs),
                    "distinct": distinct,
                }
            )
    return rows


def takes_only(previous, folder: Path) -> None:
    """Two seeds of each scene (40 s), previous and new: musicnn's tag distance between the
    takes against the distance between contrasting styles; then clean writing at 150 s."""
    rows: dict[str, list[dict]] = {"previous": [], "new": []}
    for style, mood, text in SCENES:
        for seed in SEEDS:
            for version, module in (("previous", previous), ("new", new)):
                row = render(module, style, mood, text, 40.0, seed, folder / version)
                row["id"] = f"{version}/{row['id']}"
                rows[version].append(row)
    print(f"{len(rows['new'])} cues per version, previous = {PREVIOUS}; tags ...", flush=True)
    heard = listen(rows["previous"] + rows["new"], folder, tags_only=True)
    result = {}
    for version, cues in rows.items():
        for row in cues:
            row.update(heard[row["id"]])
        by = {(c["style"], c["seed"]): c for c in cues}
        seeds = {s: tag_distance(by[(s, 0)], by[(s, 1)]) for s, *_ in SCENES}
        styles = [tag_distance(by[(a, 0)], by[(b, 0)]) for a, b in CONTRASTS]
        styles += [tag_distance(by[(a, 1)], by[(b, 1)]) for a, b in CONTRASTS]
        result[version] = (seeds, styles)
    print(f"\n{'tag distance between the two seeds':40s} {'previous':>9s} {'new':>9s}")
    for style, *_ in SCENES:
        print(f"  {style:38s} {result['previous'][0][style]:9.3f} {result['new'][0][style]:9.3f}")
    med = {v: statistics.median(result[v][0].values()) for v in result}
    contrast = {v: statistics.median(result[v][1]) for v in result}
    print(f"{'median, two seeds':40s} {med['previous']:9.3f} {med['new']:9.3f}")
    print(f"{'median, contrasting styles':40s} {contrast['previous']:9.3f} {contrast['new']:9.3f}")
    ratio = med["new"] / max(1e-9, med["previous"])
    print(
        f"{'seeds new / previous (>= 1.5)':40s} {'':9s} {ratio:9.2f}"
        f"\n{'seeds below contrasting styles':40s} {'':9s} {str(med['new'] < contrast['new']):>9s}"
        f"\n{'styles whose seeds sit past the median contrast':40s} {'':9s} "
        f"{sum(d >= contrast['new'] for d in result['new'][0].values()):9d}"
    )
    print(f"\nclean writing, 150 s cues, seeds {CLEAN_SEEDS}: worst cue per style, previous > new")
    print(
        f"  {'style':9s} {'meters':>9s} {'parallels (<= 0.02)':>22s} "
        f"{'distinct bars (>= 0.40)':>24s}"
    )
    clean = {"previous": clean_writing(previous), "new": clean_writing(new)}
    for style, *_ in SCENES:
        cells = [[c for c in clean[v] if c["style"] == style] for v in ("previous", "new")]
        meters = "/".join(str(x) for x in sorted({c["meter"] for c in cells[1]}))
        par = [max(c["parallels"] for c in rows) for rows in cells]
        dis = [min(c["distinct"] for c in rows) for rows in cells]
        print(
            f"  {style:9s} {meters:>9s} {par[0]:13.3f} > {par[1]:6.3f} "
            f"{dis[0]:15.2f} > {dis[1]:6.2f}"
        )
    worst_par = max(c["parallels"] for c in clean["new"])
    worst_dis = min(c["distinct"] for c in clean["new"])
    print(
        f"  every cue: parallels <= 0.02 {worst_par <= 0.02}, distinct >= 0.40 {worst_dis >= 0.4}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="40 s cues only")
    parser.add_argument(
        "--takes-only", action="store_true", help="the takes' tag distance and clean writing"
    )
    parser.add_argument("--keep", type=Path, help="write the cues here and keep them")
    parser.add_argument(
        "--styles", help="comma-separated styles to score (default: all ten), e.g. horror,comedy"
    )
    parser.add_argument("--seeds", help="comma-separated seeds (default: 0,1)")
    parser.add_argument(
        "--previous",
        default=PREVIOUS,
        help=f"git revision whose score.py and styles.py play the previous (default {PREVIOUS})",
    )
    args = parser.parse_args()
    scenes = SCENES
    if args.styles:
        wanted = args.styles.split(",")
        unknown = sorted(set(wanted) - {s for s, _, _ in SCENES})
        if unknown:
            sys.exit(
                f"bench_listen: unknown style {', '.join(unknown)}; styles: "
                + ", ".join(s for s, _, _ in SCENES)
            )
        scenes = tuple(s for s in SCENES if s[0] in wanted)
    seeds = tuple(int(x) for x in args.seeds.split(",")) if args.seeds else SEEDS
    if not FONT.exists():
        sys.exit(f"bench_listen: {FONT} is missing; run tests/sound/install_soundfont.sh")
    if args.takes_only:
        with tempfile.TemporaryDirectory() as tmp:
            takes_only(load_previous(args.previous), args.keep or Path(tmp))
        return
    durations = (40.0,) if args.quick else (40.0, 120.0)
    previous = load_previous(args.previous)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        rows: dict[str, list[dict]] = {"previous": [], "new": []}
        for style, mood, text in scenes:
            for duration in durations:
                for seed in seeds:
                    for version, module in (("previous", previous), ("new", new)):
                        row = render(module, style, mood, text, duration, seed, folder / version)
                        row["id"] = f"{version}/{row['id']}"
                        rows[version].append(row)
        print(
            f"{len(rows['new'])} cues per version ({len(scenes)} scenes x "
            f"{len(durations)} lengths x {len(seeds)} seeds), previous = {args.previous}, font "
            f"{FONT.name}; listening ...",
            flush=True,
        )
        heard = listen(rows["previous"] + rows["new"], folder)
        for version in rows:
            for row in rows[version]:
                row.update(heard[row["id"]])
    old, now = summary(rows["previous"]), summary(rows["new"])
    print(f"\n{'measure (goal)':56s} {'previous':>9s} {'new':>9s}")
    for key in old:
        print(f"{key:56s} {old[key]:9.3f} {now[key]:9.3f}")
    seeds, styles = "tag distance, two seeds (median)", "tag distance, contrasting styles (median)"
    ratio = now[seeds] / max(1e-9, old[seeds])
    below = now[seeds] < now[styles]
    print(
        f"{'tag distance between seeds, new / previous (>= 1.5)':56s} {'':9s} {ratio:9.2f}"
        f"\n{'... and below the contrasting styles':56s} {'':9s} "
        f"{str(below):>9s}"
    )
    per_style(rows)
    worst_melody(rows)


def worst_melody(cues: dict[str, list[dict]]) -> None:
    """The cue whose tune is heard least, in each version: which one, and on what."""
    for version, rows in cues.items():
        heard = [c for c in rows if c["melody_recall"] is not None]
        if not heard:
            continue
        worst = min(heard, key=lambda c: c["melody_recall"])
        name = pretty_midi.program_to_instrument_name(int(worst["program_melody"]))
        print(
            f"melody heard least ({version}): {worst['id']} {worst['melody_recall']:.2f} "
            f"({name}, key {worst['key']})"
        )


if __name__ == "__main__":
    main()
