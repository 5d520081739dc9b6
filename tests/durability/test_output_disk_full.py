"""A disk that fills while the scored timeline is written: OTIO's writer returned success on
ENOSPC and a 0-byte "scored" timeline was renamed into place. What was written is read back
before the rename: a failed write names the file, leaves the previous one and no partial.

The seam is OTIO's own `write_to_file` (its JSON writer is C++, below Python's os.write): the
fault-injected writer does what OTIO did on a full disk, writing nothing or half the file and
returning success."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest

from cuebridge.bridge.errors import TimelineError
from cuebridge.bridge.timeline_io import read_timeline, write_timeline

PREVIOUS = b"the editor's previous delivery\n"


def _timeline() -> otio.schema.Timeline:
    tl = otio.schema.Timeline(name="reel 1")
    track = otio.schema.Track(name="V1")
    rate = 24
    for n in range(3):
        track.append(
            otio.schema.Clip(
                name=f"shot {n}",
                media_reference=otio.schema.ExternalReference(target_url=f"file:///m/{n}.mov"),
                source_range=otio.opentime.TimeRange(
                    otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(48, rate)
                ),
            )
        )
    tl.tracks.append(track)
    return tl


def _full_disk(keep: float):
    real = otio.adapters.write_to_file

    def write(timeline, path, *args, **kwargs):
        real(timeline, path, *args, **kwargs)
        data = Path(path).read_bytes()
        Path(path).write_bytes(data[: int(len(data) * keep)])  # the rest never reached the disk

    return write


@pytest.mark.parametrize("suffix", [".otio", ".xml", ".fcpxml"])
@pytest.mark.parametrize("keep", [0.0, 0.5])
def test_a_full_disk_leaves_the_previous_output_and_no_partial(tmp_path, monkeypatch, suffix, keep):
    out = tmp_path / f"scored{suffix}"
    out.write_bytes(PREVIOUS)
    monkeypatch.setattr(otio.adapters, "write_to_file", _full_disk(keep))
    with pytest.raises(TimelineError) as caught:
        write_timeline(_timeline(), out, force=True)
    message = str(caught.value)
    assert str(out) in message and "disk" in message  # names the file and what to check
    assert out.read_bytes() == PREVIOUS
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]  # no partial, no scratch


def test_a_whole_write_still_lands(tmp_path):
    out = write_timeline(_timeline(), tmp_path / "scored.otio")
    assert [c.name for c in read_timeline(out).find_clips()] == ["shot 0", "shot 1", "shot 2"]
