"""What the OTIO size/nesting pre-check costs against reading the timeline, in this process.

Timelines of 1,000 to 20,000 clips (with nested metadata and brackets inside strings) are
written once; each is then pre-checked (bridge/timeline_guard.py) and read by OpenTimelineIO,
best of three. The pre-check replaced a reader subprocess (about 0.5 s per read) as the guard
against deep nesting, so its cost per read is the figure to watch.

    python bench/bench_timeline_guard.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import opentimelineio as otio

from cuebridge.bridge.timeline_guard import check_json_file


def timeline(clips: int) -> otio.schema.Timeline:
    out = otio.schema.Timeline(name="bench")
    track = otio.schema.Track()
    for i in range(clips):
        ref = otio.schema.ExternalReference(
            target_url=f"/media/reel_{i // 100}/shot_{i}.mov",
            metadata={"camera": {"lens": [35, {"note": "[wide] {a}"}]}},
        )
        rng = otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, 24), otio.opentime.RationalTime(48, 24)
        )
        track.append(otio.schema.Clip(name=f"c{i}", media_reference=ref, source_range=rng))
    out.tracks.append(track)
    return out


def best(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    print(f"{'clips':>7} {'MB':>6} {'pre-check ms':>13} {'OTIO read ms':>13} {'ratio':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for clips in (1_000, 5_000, 20_000):
            path = Path(tmp) / f"t{clips}.otio"
            otio.adapters.write_to_file(timeline(clips), str(path))
            check = best(lambda p=path: check_json_file(p))
            read = best(lambda p=path: otio.adapters.read_from_file(str(p)))
            size = path.stat().st_size / 1e6
            print(
                f"{clips:>7} {size:>6.1f} {check * 1e3:>13.1f} {read * 1e3:>13.1f} "
                f"{check / read:>6.2f}"
            )


if __name__ == "__main__":
    main()
