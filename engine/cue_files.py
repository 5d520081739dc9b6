"""A finished cue's files as a stream of checksummed chunks, for a bridge on another machine.

The bridge then needs no storage shared with the engine: it writes the bytes where the editor
asked. Each file opens with a chunk naming its kind, size and sha256, so the far side can check
what it wrote before it renames the file into place.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from cuebridge.engine.cue import Cue
from cuebridge.v1 import engine_pb2 as pb

CHUNK_BYTES = 1024 * 1024  # well under gRPC's message limit; a cue of minutes is a few chunks


def cue_file_chunks(cue: Cue, chunk_bytes: int = CHUNK_BYTES) -> Iterator[pb.CueFileChunk]:
    """The cue's WAV, then its MIDI (when it has one), then each stem as kind "stem:<section>".
    Raises OSError for a file gone missing."""
    files = [("audio", cue.audio_path), ("midi", cue.midi_path)]
    files += [(f"stem:{section}", path) for section, path in cue.stem_paths.items()]
    for kind, path in files:
        if not path:
            continue
        with open(path, "rb") as f:
            digest, size = hashlib.sha256(), 0
            while block := f.read(chunk_bytes):
                digest.update(block)
                size += len(block)
            f.seek(0)
            yield pb.CueFileChunk(kind=kind, size=size, sha256=digest.hexdigest())
            while data := f.read(chunk_bytes):
                yield pb.CueFileChunk(data=data)
