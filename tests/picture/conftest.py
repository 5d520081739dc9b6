"""Shared fixtures: tiny real media, made once per test session with PyAV."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.picture.media import (
    CUT_FRAMES,
    SHOT_COLOURS,
    flat,
    moving_blocks,
    pan,
    shots,
    write_video,
)


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("picture-media")


@pytest.fixture(scope="session")
def shots_movie(media_dir) -> Path:
    """A flattened reference movie: 96 frames at 24 fps, cuts at frames 20, 45 and 70."""
    return write_video(
        media_dir / "shots.mp4", frames=96, gop=48, paint=shots(SHOT_COLOURS, CUT_FRAMES)
    )


@pytest.fixture(scope="session")
def pan_movie(media_dir) -> Path:
    return write_video(media_dir / "pan.mp4", frames=96, paint=pan(3.0))


@pytest.fixture(scope="session")
def dark_slow_movie(media_dir) -> Path:
    return write_video(
        media_dir / "dark_slow.mp4", frames=72, paint=moving_blocks(0.5, 20), counter=False
    )


@pytest.fixture(scope="session")
def bright_fast_movie(media_dir) -> Path:
    return write_video(media_dir / "bright_fast.mp4", frames=72, paint=pan(9.0), counter=False)


@pytest.fixture(scope="session")
def still_movie(media_dir) -> Path:
    return write_video(media_dir / "still.mp4", frames=48, paint=flat((120, 120, 120)))
