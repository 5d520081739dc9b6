"""A compressed font is decoded once into the data folder, checked before it is trusted, and a
readiness check or a score of cached cues never decodes one (engine/models/composer/font_cache.py).

The .sf3 is built here from the bundled TimGM6mb.sf2 (GPL-2, shipped inside pretty_midi's wheel):
each sample Vorbis-encoded with FFmpeg's own encoder through PyAV, laid out as MuseScore's sftools
writes it (byte ranges in `smpl`, loop points relative to the sample, type flag 0x10)."""

from __future__ import annotations

import io
import struct

import av
import numpy as np
import pretty_midi
import pytest

from cuebridge.engine.models.composer import font_cache, soundfont
from cuebridge.engine.models.composer.fonts import BUNDLED_SOUNDFONT
from cuebridge.engine.models.composer.model import ComposerModel
from cuebridge.engine.segment import GenerationOptions, Rate, Segment

SHDR = font_cache._SHDR


def _vorbis(pcm: np.ndarray, rate: int) -> bytes:
    """One Ogg Vorbis stream of `pcm` (FFmpeg's encoder writes stereo only: both channels equal;
    the decoder keeps the first)."""
    buf = io.BytesIO()
    with av.open(buf, "w", format="ogg") as out:
        stream = out.add_stream("vorbis", rate=rate, layout="stereo")
        stream.options = {"strict": "experimental"}
        x = pcm.astype(np.float32) / 32768.0
        frame = av.AudioFrame.from_ndarray(np.stack([x, x]), format="fltp", layout="stereo")
        frame.sample_rate = rate
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    return buf.getvalue()


def _sample(chunks: dict, smpl: bytes, n: int) -> np.ndarray:
    _, start, end, *_ = SHDR.unpack_from(chunks["shdr"], n * SHDR.size)
    return np.frombuffer(smpl[start * 2 : end * 2], "<i2")


@pytest.fixture(scope="module")
def sf2_source():
    chunks = font_cache._read_chunks(None, BUNDLED_SOUNDFONT)
    with open(BUNDLED_SOUNDFONT, "rb") as fh:
        fh.seek(chunks["smpl_at"])
        return chunks, fh.read(chunks["smpl_len"])


@pytest.fixture(scope="module")
def sf3(tmp_path_factory, sf2_source):
    chunks, smpl = sf2_source
    streams, headers, at = [], bytearray(), 0
    count = len(chunks["shdr"]) // SHDR.size
    for n in range(count - 1):
        rec = list(SHDR.unpack_from(chunks["shdr"], n * SHDR.size))
        data = _vorbis(_sample(chunks, smpl, n), rec[5])
        start = rec[1]
        rec[1:5] = [at, at + len(data), rec[3] - start, rec[4] - start]
        rec[9] |= 0x10
        headers += SHDR.pack(*rec)
        streams.append(data)
        at += len(data)
    headers += chunks["shdr"][-SHDR.size :]
    pdta = [(k, bytes(headers) if k == b"shdr" else v) for k, v in chunks["pdta"]]
    info = [(b"ifil", struct.pack("<HH", 3, 1)), (b"INAM", b"tiny sf3\0\0")]
    body = (
        font_cache._list(b"INFO", info)
        + font_cache._list(b"sdta", [(b"smpl", b"".join(streams))])
        + font_cache._list(b"pdta", pdta)
    )
    path = tmp_path_factory.mktemp("fonts") / "Tiny.sf3"
    path.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(body)) + b"sfbk" + body)
    return path


def test_the_decoded_font_holds_every_sample_with_its_loop(sf3, sf2_source, tmp_path):
    chunks, smpl = sf2_source
    cached = font_cache.playable_font(sf3, tmp_path)
    assert cached.parent == tmp_path and cached.suffix == ".sf2"
    assert font_cache.header_problem(cached) == ""
    out = font_cache._read_chunks(None, cached)
    with open(cached, "rb") as fh:
        fh.seek(out["smpl_at"])
        decoded = fh.read(out["smpl_len"])
    count = len(chunks["shdr"]) // SHDR.size - 1
    assert len(out["shdr"]) // SHDR.size - 1 == count
    for n in range(0, count, 37):  # a spread of samples: lossy, but the same sound
        orig, got = _sample(chunks, smpl, n), _sample(out, decoded, n)
        assert abs(len(got) - len(orig)) <= 2048, n  # Vorbis may pad the last block
        m = min(len(got), len(orig))
        if m > 256 and np.std(orig[:m]) > 50:
            assert np.corrcoef(orig[:m], got[:m])[0, 1] > 0.95, n
        src = SHDR.unpack_from(chunks["shdr"], n * SHDR.size)
        dst = SHDR.unpack_from(out["shdr"], n * SHDR.size)
        assert dst[3] - dst[1] == src[3] - src[1] and dst[4] - dst[1] == src[4] - src[1], n
        assert dst[9] & 0x30 == 0
    # The renderer plays it: a note of the cached font sounds like the same note of the sf2.
    midi = pretty_midi.PrettyMIDI()
    piano = pretty_midi.Instrument(program=0)
    piano.notes.append(pretty_midi.Note(velocity=100, pitch=60, start=0.0, end=0.5))
    midi.instruments.append(piano)
    frames = soundfont.SAMPLE_RATE
    heard = [
        soundfont.render_midi(midi, frames, path)[:, 0] for path in (cached, BUNDLED_SOUNDFONT)
    ]
    assert np.sqrt(np.mean(heard[0] ** 2)) > 1e-3
    assert np.corrcoef(heard[0], heard[1])[0, 1] > 0.9


def test_a_second_process_finds_the_cache_and_writes_nothing(sf3, tmp_path):
    first = font_cache.playable_font(sf3, tmp_path)
    before = first.stat().st_mtime_ns
    again = font_cache.playable_font(sf3, tmp_path)
    assert again == first and again.stat().st_mtime_ns == before
    # Written through a temporary file and renamed: nothing half-written is left beside it.
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == [
        first.name
    ]


@pytest.mark.parametrize("damage", ["truncate", "bad header", "other font", "zeros"])
def test_a_damaged_cache_is_rebuilt_never_trusted(sf3, tmp_path, damage):
    cached = font_cache.playable_font(sf3, tmp_path)
    good = cached.read_bytes()
    data = bytearray(good)
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "bad header":  # the first sample's end far past the sample data
        shdr_at = data.rfind(b"shdr") + 8
        struct.pack_into("<I", data, shdr_at + 24, 0x7FFFFFF0)
    elif damage == "other font":
        at = data.find(b"ICMT") + 8
        data[at : at + 4] = b"XXXX"
    else:
        data = bytearray(len(data))
    cached.write_bytes(bytes(data))
    assert font_cache.cache_problem(cached, _identity(sf3)) != ""
    rebuilt = font_cache.playable_font(sf3, tmp_path)
    assert rebuilt == cached and rebuilt.read_bytes() == good


def _identity(font):
    stat = font.stat()
    return f"{font.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|decoded v{font_cache.CACHE_VERSION}"


def test_a_font_with_an_unreadable_sample_is_named_and_leaves_no_file(sf3, tmp_path):
    bad = tmp_path / "Broken.sf3"
    data = bytearray(sf3.read_bytes())
    smpl_at = data.find(b"smpl") + 8
    data[smpl_at : smpl_at + 64] = b"\xff" * 64  # the first Ogg stream's page header
    bad.write_bytes(bytes(data))
    cache = tmp_path / "cache"
    with pytest.raises(font_cache.FontProblem, match=r"Broken\.sf3: sample 0 "):
        font_cache.playable_font(bad, cache)
    assert not [p for p in cache.iterdir() if not p.name.endswith(".lock")]


def test_the_readiness_check_reads_headers_only(sf3, tmp_path):
    soundfont._load_cached.cache_clear()
    assert soundfont.soundfont_problem(sf3) == ""
    assert soundfont._load_cached.cache_info().currsize == 0  # nothing decoded or parsed
    cut = tmp_path / "Cut.sf3"
    cut.write_bytes(sf3.read_bytes()[:100_000])
    said = soundfont.soundfont_problem(cut)
    assert str(cut) in said and "truncated" in said and "Use a valid .sf2" in said
    assert soundfont._load_cached.cache_info().currsize == 0


def test_a_score_of_cached_cues_never_loads_a_font(sf3, tmp_path):
    from cuebridge.engine.jobs import JobQueue
    from cuebridge.engine.registry import ModelEntry, ModelRegistry
    from cuebridge.engine.states import JobState
    from cuebridge.engine.store import JobStore

    model = ComposerModel(sf3, font_cache=tmp_path / "font-cache")
    entry = ModelEntry("composer", "tiny sf3", lambda settings: model)
    queue = JobQueue(ModelRegistry((entry,)), tmp_path / "out", JobStore(tmp_path / "s.sqlite3"))
    segments = [Segment(id=f"c{i}", rate=Rate(24), duration_frames=24 * 4, seed=i) for i in (1, 2)]
    try:
        first = queue.submit(segments, GenerationOptions(model="composer"), tmp_path / "a")
        list(queue.watch(first.id))
        assert first.state == JobState.SUCCEEDED, [r.error for r in first.runs]
        assert list((tmp_path / "font-cache").glob("Tiny.*.sf2"))  # played from the cache
        assert all(r.cue.metadata["soundfont"] == str(sf3) for r in first.runs)
        soundfont._load_cached.cache_clear()
        again = queue.submit(segments, GenerationOptions(model="composer"), tmp_path / "b")
        list(queue.watch(again.id))
        assert again.state == JobState.SUCCEEDED
        assert all(r.reused for r in again.runs)
        assert soundfont._load_cached.cache_info().currsize == 0
    finally:
        queue.close()
