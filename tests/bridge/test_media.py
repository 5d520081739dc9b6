"""Media linking: file URLs, paths relative to the timeline, --media-dir by file, clip or reel."""

from __future__ import annotations

import shutil

import opentimelineio as otio
import pytest

from cuebridge.bridge.errors import TimelineError
from cuebridge.bridge.media import MediaLinker
from cuebridge.bridge.timeline_io import read_timeline


def _clip(url: str | None, name: str = "shot") -> otio.schema.Clip:
    ref = otio.schema.ExternalReference(target_url=url) if url else otio.schema.MissingReference()
    return otio.schema.Clip(name=name, media_reference=ref)


def test_file_url_and_relative_path(demo24, tmp_path):
    film = demo24.film_path
    linker = MediaLinker(tmp_path / "cut.otio")
    assert linker.link(_clip(film.as_uri())).path == film
    shutil.copy(film, tmp_path / "local.mp4")
    assert linker.link(_clip("local.mp4")).path == tmp_path / "local.mp4"


def test_moved_media_found_in_media_dir_by_file_clip_or_reel_name(tmp_path):
    media = tmp_path / "media" / "day1"
    media.mkdir(parents=True)
    for name in ("A001C003.mov", "interview.mp4", "B002C010.mxf"):
        (media / name).write_bytes(b"\0")
    linker = MediaLinker(tmp_path / "cut.otio", [tmp_path / "media"])
    assert linker.link(_clip("file:///old/drive/A001C003.mov")).path == media / "A001C003.mov"
    assert linker.link(_clip(None, name="interview")).path == media / "interview.mp4"
    assert not linker.link(_clip(None, name="nowhere")).online

    edl = tmp_path / "reels.edl"
    edl.write_text(
        "TITLE: reels\n\n001  B002C010 V     C        01:00:00:00 01:00:02:00 "
        "01:00:00:00 01:00:02:00\n"
    )
    [clip] = read_timeline(edl).find_clips()
    assert linker.link(clip).path == media / "B002C010.mxf"


def test_media_that_is_a_folder_is_an_error_naming_the_clip(tmp_path):
    folder = tmp_path / "not_a_file.mov"
    folder.mkdir()
    with pytest.raises(TimelineError, match="clip 'shot' links to a folder"):
        MediaLinker(tmp_path / "cut.otio").link(_clip(folder.as_uri()))


def test_media_dir_must_be_a_folder(tmp_path):
    with pytest.raises(TimelineError, match="is not a folder"):
        MediaLinker(tmp_path / "cut.otio", [tmp_path / "missing"])


def test_image_sequences_link_as_a_frame_pattern_the_picture_reader_opens(tmp_path):
    from tests.picture.media import write_image_sequence

    write_image_sequence(tmp_path / "plates", 12, first=1001)
    first = sorted((tmp_path / "plates").iterdir())[0]
    prefix, suffix = first.name.split("1001")
    ref = otio.schema.ImageSequenceReference(
        target_url_base=(tmp_path / "plates").as_uri() + "/",
        name_prefix=prefix,
        name_suffix=suffix,
        start_frame=1001,
        frame_zero_padding=4,
        rate=24,
    )
    clip = otio.schema.Clip(name="plate", media_reference=ref)
    link = MediaLinker(tmp_path / "cut.otio").link(clip)
    assert link.path == tmp_path / "plates" / f"{prefix}%04d{suffix}"

    from cuebridge.engine.picture.decode import open_media

    with open_media(str(link.path)) as container:
        assert container.streams.video[0].frames in (0, 12)
        assert sum(1 for _ in container.decode(video=0)) == 12

    ref.start_frame = 2001  # frames that are not there: offline, named
    gone = MediaLinker(tmp_path / "cut.otio").link(clip)
    assert not gone.online and gone.wanted.endswith(f"{prefix}%04d{suffix}")
