"""A SoundFont's declared chunk sizes checked against the file, from the headers alone.

A .sf2/.sf3 is a RIFF file (SoundFont 2.04 spec, section 4): "RIFF" size "sfbk", then LIST
chunks ("INFO", "sdta" with the "smpl" samples, "pdta"), each chunk an id, a little-endian 32-bit
size and that many bytes. A renderer trusts those sizes and allocates what they claim, so a 4 KB
file claiming 1.5 GB of samples cost 1.4 GB before it was refused: here it is refused first,
reading nothing but 8-byte headers.
"""

from __future__ import annotations

import struct

from cuebridge.engine.errors import CueError

_MAX_CHUNKS = 10_000  # far above any real font (about 30); a bound on a hostile walk


def check_chunk_sizes(path: str) -> None:
    """Raise CueError naming the chunk whose declared size runs past the end of the file."""
    with open(path, "rb") as f:
        size = f.seek(0, 2)
        f.seek(0)
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"sfbk":
            raise CueError(
                f"SoundFont {path}: not a readable SoundFont 2 file (no RIFF sfbk header). Use a "
                "valid .sf2 (General MIDI layout), or leave the soundfont option empty."
            )
        _within(path, "RIFF", 8 + struct.unpack("<I", head[4:8])[0], size, 0)
        stack = [(12, min(8 + struct.unpack("<I", head[4:8])[0], size))]
        chunks = 0
        while stack:
            at, end = stack.pop()
            while at + 8 <= end:
                chunks += 1
                if chunks > _MAX_CHUNKS:
                    raise CueError(f"SoundFont {path}: more than {_MAX_CHUNKS} chunks; not a font")
                f.seek(at)
                header = f.read(12)
                name = header[:4].decode("latin-1")
                stop = at + 8 + struct.unpack("<I", header[4:8])[0]
                _within(path, name, stop, end, at)
                if name == "LIST" and len(header) == 12:
                    stack.append((at + 12, stop))
                at = stop + (stop & 1)  # chunks are padded to an even length


def _within(path: str, name: str, stop: int, end: int, at: int) -> None:
    if stop > end:
        raise CueError(
            f"SoundFont {path}: its {name!r} chunk at byte {at} declares {stop - at - 8} bytes, "
            f"but the file (or the chunk around it) ends at byte {end}: the file is cut short or "
            "damaged. Use a complete .sf2, or leave the soundfont option empty."
        )
