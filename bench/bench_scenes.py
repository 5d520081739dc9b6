"""How well the composer reads a scene: the previous reader (words.py at git revision PREVIOUS,
loaded from git, a lexicon of single words) against the new one (nearest written examples on
WordLlama embeddings, scenes.py), side by side on the held-out descriptions in
tests/data/scenes/ (heldout.tsv; heldout2.tsv, written after the examples grew and before the
reader ran on it), each with the style a composer would choose.

    python bench/bench_scenes.py          # held-out accuracy, opposite-feel count, confusion
    python bench/bench_scenes.py --loo    # also leave-one-out on the examples (the only data
                                          # settings were chosen on)

Goals (issue 19): >= 85 % of the held-out set on the composer's style, and no description on a
style of the opposite feel (scenes.OPPOSITE_FEEL).
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cuebridge.engine.models.composer import scenes
from cuebridge.engine.models.composer.words import analyse_words, scene_reader

ROOT = Path(__file__).resolve().parents[1]
PREVIOUS = "5504f36"  # main before the scene reader
HELDOUT = (
    ROOT / "tests" / "data" / "scenes" / "heldout.tsv",
    ROOT / "tests" / "data" / "scenes" / "heldout2.tsv",
)


def load_previous():
    source = subprocess.run(
        ["git", "show", f"{PREVIOUS}:engine/models/composer/words.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "words_previous.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("words_previous", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["words_previous"] = module
    spec.loader.exec_module(module)
    return module


def style_of(analyse, text: str) -> str:
    found = analyse(text, "")
    return found[2] if found and found[2] else "(none)"


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


def leave_one_out() -> tuple[float, int]:
    """Each example classified by the reader built on all the others (centroids and word
    tips as in use): the only figure settings were chosen on."""
    examples = scenes.load_examples()
    reader = scene_reader()
    right = opposite = 0
    for i, (wanted, text) in enumerate(examples):
        centroids = reader.centroids_without(i)
        scores = reader.vectors[i] @ centroids.T + reader._word_tips(text)
        got = reader.styles[reader.choose(scores)]
        right += got == wanted
        opposite += scenes.opposite_feel(wanted, got)
    return right / len(examples), opposite


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loo", action="store_true", help="also leave-one-out on the examples")
    parser.add_argument("--quiet", action="store_true", help="figures only, no error lists")
    args = parser.parse_args()
    previous = load_previous()
    table = []
    for path in HELDOUT:
        rows = scenes.load_examples(path)
        started = time.perf_counter()
        old = [style_of(previous.analyse_words, t) for _, t in rows]
        old_s = time.perf_counter() - started
        started = time.perf_counter()
        new = [style_of(analyse_words, t) for _, t in rows]
        new_s = time.perf_counter() - started
        name = path.relative_to(ROOT)
        print(f"\n=== {name}: {len(rows)} descriptions; previous = words.py at {PREVIOUS}")
        old_acc, old_opp = report("previous (lexicon)", rows, old, args.quiet)
        new_acc, new_opp = report("new (nearest examples, WordLlama)", rows, new, args.quiet)
        confusion("previous", rows, old)
        confusion("new", rows, new)
        table.append((path.name, old_acc, new_acc, old_opp, new_opp, old_s, new_s, len(rows)))
    print(f"\n{'measure':52s} {'previous':>10s} {'new':>10s}")
    for name, old_acc, new_acc, old_opp, new_opp, old_s, new_s, n in table:
        print(
            f"{name + ': on the composer style (goal >= 85 %)':52s} "
            f"{100 * old_acc:9.1f}% {100 * new_acc:9.1f}%"
        )
        print(f"{name + ': on an opposite-feel style (goal 0)':52s} {old_opp:10d} {new_opp:10d}")
        print(
            f"{name + ': ms per description':52s} {1000 * old_s / n:10.2f} {1000 * new_s / n:10.2f}"
        )
    if args.loo:
        right, opposite = leave_one_out()
        print(f"{'leave-one-out on the examples (new)':52s} {'':10s} {100 * right:9.1f}%")
        print(f"{'  ... of them on an opposite-feel style':52s} {'':10s} {opposite:10d}")


if __name__ == "__main__":
    main()
