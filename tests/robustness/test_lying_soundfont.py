"""Issue 22 item 14: a SoundFont whose headers claim more bytes than the file holds is refused
from its headers, before a renderer allocates what they claim."""

from __future__ import annotations

import shutil
import struct

import pytest

from cuebridge.engine.errors import CueError
from cuebridge.engine.models.composer.fonts import BUNDLED_SOUNDFONT
from cuebridge.engine.models.composer.riff_sizes import check_chunk_sizes
from cuebridge.engine.models.composer.soundfont import load_soundfont

CLAIM = 1_500_000_000


def _chunk(name: bytes, body: bytes, declared: int | None = None) -> bytes:
    size = len(body) if declared is None else declared
    return name + struct.pack("<I", size) + body + b"\0" * (len(body) & 1)


def _lying_font(path):
    """4 KB: a RIFF sfbk whose sample chunk claims 1.5 GB (the file's own sizes are honest)."""
    info = _chunk(b"LIST", b"INFO" + _chunk(b"ifil", struct.pack("<HH", 2, 1)))
    samples = b"\0" * 3900
    sdta = b"LIST" + struct.pack("<I", 4 + 8 + CLAIM) + b"sdta" + _chunk(b"smpl", samples, CLAIM)
    body = b"sfbk" + info + sdta
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def test_a_font_claiming_more_samples_than_its_file_is_refused_naming_the_chunk(tmp_path):
    font = _lying_font(tmp_path / "liar.sf2")
    assert font.stat().st_size < 4096
    with pytest.raises(CueError, match=r"liar\.sf2: its 'LIST' chunk at byte \d+ declares"):
        load_soundfont(font)


def test_a_font_cut_short_is_refused_and_the_whole_one_passes(tmp_path):
    whole = tmp_path / "whole.sf2"
    shutil.copyfile(BUNDLED_SOUNDFONT, whole)
    check_chunk_sizes(str(whole))  # a real font: every size fits
    cut = tmp_path / "cut.sf2"
    cut.write_bytes(whole.read_bytes()[:4096])
    with pytest.raises(CueError, match=r"cut\.sf2: its 'RIFF' chunk .* cut short"):
        load_soundfont(cut)
