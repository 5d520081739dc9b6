"""Issue 22 item 5: a long cue stops between render blocks when its job is cancelled."""

from __future__ import annotations

from pathlib import Path

import pytest

from cuebridge.engine.errors import CueCancelled
from cuebridge.engine.models.composer.model import ComposerModel
from cuebridge.engine.segment import GenerationOptions, Rate, Segment


def test_a_long_cue_stops_between_blocks_and_leaves_no_cue(tmp_path: Path):
    asked = []

    def should_stop() -> bool:
        asked.append(1)
        return len(asked) > 2  # cancelled while the third block is due

    segment = Segment("long", Rate(24), 24 * 60, mood="tense", seed=1)  # 60 s: 11 blocks
    with pytest.raises(CueCancelled):
        ComposerModel().generate(segment, GenerationOptions(), tmp_path, should_stop)
    assert len(asked) == 3  # asked between blocks, and not again after the answer
    assert not [p for p in tmp_path.rglob("*") if p.suffix == ".wav"]
