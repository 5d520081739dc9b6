"""A compressed SoundFont decoded once per machine, and font checks that read headers only.

MuseScore General ships as a .sf3 (Ogg Vorbis samples, 82 MiB): TinySoundFont decodes all of it
(4.6-5 CPU-s) in every process that opens it. `playable_font` decodes it once into a plain 16-bit
.sf2 in the data folder (`EngineSettings.font_cache`) and every later process opens that, which
costs a copy from the page cache instead of a Vorbis decode. The cached file is named by the
source font's identity (resolved path, size, mtime) and carries that identity in its INFO
comment; it is written to a temporary file and renamed into place, and checked (RIFF layout,
chunk sizes, every sample inside the sample data, the identity) before it is trusted: a
damaged or truncated cache file is removed and decoded again.

The SF3 layout (MuseScore's sftools, TinySoundFont's `tsf_decode_sf3_samples`): a sample
header whose type has a compression flag (0x10 Vorbis, 0x20 other) gives the byte range of one
Ogg stream in `smpl`; its loop points are relative to the sample's start. The decoded .sf2
holds each sample followed by 46 zero frames, as the SoundFont 2.04 spec asks, with absolute
loop points. Ogg Vorbis is decoded with PyAV (libvorbis, already a dependency for the picture).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import struct
import tempfile
import threading
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

CACHE_VERSION = 1  # bump when the decoded form changes: older cache files are then ignored
_SHDR = struct.Struct("<20sIIIIIBbHH")  # one sample header, 46 bytes
_COMPRESSED = 0x30
_PAD_FRAMES = 46  # zero frames after each sample (SoundFont 2.04, 7.10)
_build_lock = threading.Lock()


class FontProblem(ValueError):
    """A file that is not a usable SoundFont; the message says what is wrong with it."""


def header_problem(path: Path) -> str:
    """Why `path` is not a SoundFont file, read from its headers only ("" when it looks whole):
    the RIFF sfbk header, and top-level chunks that fit the file (a truncated copy fails)."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            head = fh.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"sfbk":
                return "no RIFF sfbk header"
            (riff_size,) = struct.unpack("<I", head[4:8])
            if riff_size + 8 > size:
                return f"truncated: the header says {riff_size + 8} bytes, the file has {size}"
            found = set()
            at = 12
            while at + 12 <= riff_size + 8:
                fh.seek(at)
                chunk = fh.read(12)
                tag, length = chunk[:4], struct.unpack("<I", chunk[4:8])[0]
                if at + 8 + length > riff_size + 8:
                    return f"chunk {tag!r} at byte {at} runs past the end of the file"
                if tag == b"LIST":
                    found.add(chunk[8:12])
                at += 8 + length + (length & 1)
            missing = {b"sdta", b"pdta"} - found
            if missing:
                return f"no {b', '.join(sorted(missing)).decode()} list"
    except OSError as exc:
        return f"cannot read it ({exc.strerror or exc})"
    return ""


def playable_font(font: Path, cache_dir: Path | None) -> Path:
    """The file to hand the renderer for `font`: the decoded .sf2 in `cache_dir` for a .sf3
    (made on first use), else `font` itself. Without a cache folder a .sf3 is played as is."""
    if cache_dir is None or font.suffix.lower() != ".sf3":
        return font
    stat = font.stat()
    identity = f"{font.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|decoded v{CACHE_VERSION}"
    key = hashlib.sha256(identity.encode()).hexdigest()[:16]
    target = Path(cache_dir) / f"{font.stem}.{key}.sf2"
    if target.exists() and not cache_problem(target, identity):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _build_lock, _machine_lock(target.with_name(f".{target.name}.lock")):
        if target.exists():  # another process may have made it while this one waited
            problem = cache_problem(target, identity)
            if not problem:
                return target
            log.warning("decoded font %s is damaged (%s): decoding %s again", target, problem, font)
            target.unlink(missing_ok=True)
        decode_sf3(font, target, identity)
    return target


@contextlib.contextmanager
def _machine_lock(path: Path):
    """One decode per machine: workers starting together wait for the first instead of each
    decoding the font (an advisory lock; where there is none, the rename still keeps it safe)."""
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    with open(path, "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def cache_problem(path: Path, identity: str) -> str:
    """Why a decoded cache file must not be trusted ("" when it is whole and is this source's)."""
    problem = header_problem(path)
    if problem:
        return problem
    try:
        chunks = _read_chunks(None, path)
    except (OSError, FontProblem) as exc:
        return str(exc)
    if chunks["ICMT"].rstrip(b"\0").decode("utf-8", "replace") != identity:
        return "made from another font"
    frames = chunks["smpl_len"] // 2
    for i in range(0, len(chunks["shdr"]) - _SHDR.size, _SHDR.size):  # the last is the EOS
        _, start, end, *_ = _SHDR.unpack_from(chunks["shdr"], i)
        if not start <= end <= frames:  # loop points outside a sample are common and harmless
            return f"sample header {i // _SHDR.size} points outside the sample data"
    return ""


def _read_chunks(data: bytes | None, path: Path) -> dict:
    """The INFO comment, the sample data's place and length, and the pdta sub-chunks of a
    SoundFont file, reading only the small chunks (the sample data is skipped by seeking)."""
    out: dict = {"ICMT": b"", "pdta": []}
    with open(path, "rb") if data is None else io.BytesIO(data) as fh:
        end = struct.unpack("<I", fh.read(12)[4:8])[0] + 8
        at = 12
        while at + 12 <= end:
            fh.seek(at)
            tag, length = struct.unpack("<4sI", fh.read(8))
            kind = fh.read(4)
            sub, sub_end = at + 12, at + 8 + length
            while sub + 8 <= sub_end:
                fh.seek(sub)
                name, size = struct.unpack("<4sI", fh.read(8))
                if sub + 8 + size > sub_end:
                    raise FontProblem(f"sub-chunk {name!r} at byte {sub} runs past its list")
                if kind == b"sdta" and name == b"smpl":
                    out["smpl_at"], out["smpl_len"] = sub + 8, size
                elif kind == b"INFO" and name == b"ICMT":
                    out["ICMT"] = fh.read(size)
                elif kind == b"INFO":
                    out.setdefault("INFO", []).append((name, fh.read(size)))
                elif kind == b"pdta":
                    out["pdta"].append((name, fh.read(size)))
                    if name == b"shdr":
                        out["shdr"] = out["pdta"][-1][1]
                sub += 8 + size + (size & 1)
            at += 8 + length + (length & 1)
    if "smpl_at" not in out or "shdr" not in out:
        raise FontProblem("no sample data or no sample headers")
    if len(out["shdr"]) % _SHDR.size:
        raise FontProblem("the sample headers are not whole 46-byte records")
    return out


def decode_sf3(source: Path, target: Path, identity: str) -> None:
    """Write `source` (.sf3) as a 16-bit .sf2 at `target`, atomically (temp file + rename)."""
    chunks = _read_chunks(None, source)
    with open(source, "rb") as fh:
        fh.seek(chunks["smpl_at"])
        smpl = fh.read(chunks["smpl_len"])
    parts: list[np.ndarray] = []
    headers = bytearray()
    frames = 0
    records = [
        list(_SHDR.unpack_from(chunks["shdr"], i))
        for i in range(0, len(chunks["shdr"]), _SHDR.size)
    ]
    for n, rec in enumerate(records[:-1]):  # the last record is the terminal EOS
        name, start, end, loop_a, loop_b, rate, pitch, correction, link, kind = rec
        if kind & _COMPRESSED:
            pcm = _decode_ogg(smpl[start:end], source, n)
            loop_a, loop_b = loop_a + frames, loop_b + frames
            kind &= ~_COMPRESSED & 0xFFFF
        else:  # an uncompressed sample inside an .sf3: 16-bit frames, absolute loop points
            pcm = np.frombuffer(smpl[start * 2 : end * 2], "<i2")
            loop_a, loop_b = loop_a - start + frames, loop_b - start + frames
        parts += [pcm, np.zeros(_PAD_FRAMES, "<i2")]
        rec[1:5] = [frames, frames + len(pcm), loop_a, loop_b]
        rec[9] = kind
        headers += _SHDR.pack(*rec)
        frames += len(pcm) + _PAD_FRAMES
    headers += _SHDR.pack(records[-1][0], *([0] * 9))
    samples = np.concatenate(parts).astype("<i2").tobytes() if parts else b""

    info = [(b"ifil", struct.pack("<HH", 2, 4))]
    info += [(k, v) for k, v in chunks.get("INFO", []) if k not in (b"ifil", b"ICMT")]
    info.append((b"ICMT", _zpad(identity.encode())))
    pdta = [(k, bytes(headers) if k == b"shdr" else v) for k, v in chunks["pdta"]]
    body = _list(b"INFO", info) + _list(b"sdta", [(b"smpl", samples)]) + _list(b"pdta", pdta)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(b"RIFF" + struct.pack("<I", 4 + len(body)) + b"sfbk")
            out.write(body)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _decode_ogg(data: bytes, source: Path, index: int) -> np.ndarray:
    import av

    try:
        with av.open(io.BytesIO(data), format="ogg") as container:
            blocks = [
                frame.to_ndarray().reshape(frame.samples, -1)[:, 0]
                if frame.format.is_packed
                else frame.to_ndarray()[0]
                for frame in container.decode(audio=0)
            ]
    except (av.FFmpegError, IndexError) as exc:
        problem = f"{source}: sample {index} is not a readable Ogg stream ({exc})"
        raise FontProblem(problem) from None
    pcm = np.concatenate(blocks) if blocks else np.zeros(0, np.float32)
    if pcm.dtype.kind == "f":
        pcm = np.clip(np.round(pcm * 32768.0), -32768, 32767)
    return pcm.astype("<i2")


def _zpad(data: bytes) -> bytes:
    data += b"\0"
    return data + b"\0" * (len(data) & 1)


def _list(kind: bytes, chunks: list[tuple[bytes, bytes]]) -> bytes:
    body = b"".join(
        name + struct.pack("<I", len(v)) + v + (b"\0" if len(v) & 1 else b"") for name, v in chunks
    )
    return b"LIST" + struct.pack("<I", 4 + len(body)) + kind + body
