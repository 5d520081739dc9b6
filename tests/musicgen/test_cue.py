"""The CueModel face: 48 kHz 24-bit WAVs of the exact length, seeds, takes, readiness."""

from __future__ import annotations

import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from cuebridge.app.settings import engine_settings
from cuebridge.engine.audio import read_wav
from cuebridge.engine.errors import CueError
from cuebridge.engine.models.musicgen import model as mc
from cuebridge.engine.segment import GenerationOptions, Rate, Segment
from tests.musicgen.tiny import tiny_cue_model


@pytest.fixture(scope="module")
def cue_model():
    # 1 s windows, 0.6 s stride: a 2.5 s segment needs windowed continuation
    return tiny_cue_model(seed=0, window_s=1.0, stride_s=0.6)


REPO = Path(__file__).resolve().parents[2]


def test_batch_writes_exact_48k_24bit_cues_and_keeps_takes(cue_model, tmp_path):
    segs = [
        Segment("reel1/sc 4", Rate(24), 40, cut_frames=(18, 30), hit_frames=(9,), mood="tense"),
        Segment("sc5", Rate(30000, 1001), 41, prompt="strings", seed=9),
        Segment("empty", Rate(24), 0),
    ]
    options = GenerationOptions(takes=3, top_k=20, genre="orchestral")
    cues = cue_model.generate_batch(segs, options, tmp_path)
    assert isinstance(cues[2], CueError) and "empty" in str(cues[2])
    for seg, cue in zip(segs[:2], cues[:2], strict=True):
        expected = seg.rate.samples(seg.duration_frames, 48000)
        assert cue.num_samples == expected and cue.sample_rate == 48000
        with wave.open(cue.audio_path) as w:
            assert (w.getframerate(), w.getsampwidth(), w.getnframes()) == (48000, 3, expected)
        audio, _ = read_wav(cue.audio_path)
        assert np.abs(audio).max() > 0.1  # music, not silence
        assert np.abs(audio[-1]).max() < 1e-3  # rings out to silence on the last sample
        meta = cue.metadata
        takes = cue.takes  # ranked, best first: the chosen one
        assert len(takes) == 3 and meta["takes"] == "3"
        assert [t.score for t in takes] == sorted((t.score for t in takes), reverse=True)
        assert takes[0].chosen and takes[0].audio_path == cue.audio_path
        assert int(meta["chosen_take"]) == takes[0].seed - seg.seed + 1
        others = [t for t in takes if not t.chosen]
        assert len(others) == 2 and {t.seed for t in takes} == {seg.seed + n for n in range(3)}
        for other in others:
            assert read_wav(other.audio_path)[0].shape == audio.shape
            assert not np.array_equal(read_wav(other.audio_path)[0], audio)
        assert meta["seed"] == str(takes[0].seed)
        assert meta["model"] == "musicgen-video"
        assert any("tiny-random" in v for k, v in meta.items() if k.startswith("weights."))
        assert not any(v.lstrip().startswith(("[", "{")) for v in meta.values())  # no JSON
    assert cues[0].metadata["prompt"] == ("a film soundtrack for a tense scene. orchestral.")
    assert (
        cues[1].metadata["prompt"] == "a film soundtrack for a cinematic scene. strings orchestral."
    )


def test_same_seed_same_cue(cue_model, tmp_path):
    seg = Segment("s", Rate(25), 30, seed=42, mood="calm")
    options = GenerationOptions(top_k=20)
    a = cue_model.generate(seg, options, tmp_path / "a")
    b = cue_model.generate(seg, options, tmp_path / "b")
    c = cue_model.generate(
        Segment("s", Rate(25), 30, seed=43, mood="calm"), options, tmp_path / "c"
    )
    bytes_a = open(a.audio_path, "rb").read()
    assert bytes_a == open(b.audio_path, "rb").read()
    assert bytes_a != open(c.audio_path, "rb").read()


def test_generate_raises_cue_error_on_bad_segment(cue_model, tmp_path):
    with pytest.raises(CueError, match="duration"):
        cue_model.generate(Segment("x", Rate(24), -3), GenerationOptions(), tmp_path)


def test_status_names_missing_files(tmp_path):
    none = mc.MusicgenVideoModel(mc.MusicgenVideoSettings())
    status = none.status()
    assert not status.ready
    assert "CUEBRIDGE_MUSICGEN" in status.reason and "CUEBRIDGE_VIVIT" in status.reason
    empty = tmp_path / "musicgen"
    empty.mkdir()
    (empty / "config.json").write_text("{}")
    settings = mc.MusicgenVideoSettings(musicgen=str(empty), adapter=str(tmp_path / "nope"),
                                        vivit=str(tmp_path))  # fmt: skip
    reason = mc.MusicgenVideoModel(settings).status().reason
    assert f"model.safetensors (or pytorch_model.bin) in {empty}" in reason
    assert "tokenizer.json" in reason and "config.json in" in reason
    assert str(tmp_path / "nope") in reason
    with pytest.raises(CueError, match="not ready"):
        mc.MusicgenVideoModel(settings).generate(Segment("s", Rate(24), 5), GenerationOptions(),
                                                 tmp_path)  # fmt: skip


def test_settings_from_env():
    engine = engine_settings(
        env={"CUEBRIDGE_MUSICGEN": "facebook/musicgen-medium", "CUEBRIDGE_MUSICGEN_ADAPTER": "/a",
             "CUEBRIDGE_VIVIT": "/v", "CUEBRIDGE_DEVICE": "cpu"}
    )  # fmt: skip
    s = mc.MusicgenVideoSettings.from_engine(engine)
    assert (s.musicgen, s.adapter, s.vivit, s.device) == (
        "facebook/musicgen-medium",
        "/a",
        "/v",
        "cpu",
    )


def test_module_imports_without_torch():
    code = (
        "import sys, cuebridge.engine.models.musicgen.model as m; "
        "print('torch' in sys.modules, m.NAME)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert out.stdout.split() == ["False", "musicgen-video"]


def test_status_without_torch_says_what_to_install(monkeypatch):
    monkeypatch.setattr(mc, "torch_available", lambda: False)
    status = mc.MusicgenVideoModel(mc.MusicgenVideoSettings(musicgen="x")).status()
    assert not status.ready and "cuebridge[musicgen]" in status.reason


def test_closed_gates_skip_the_picture(tmp_path):
    model = tiny_cue_model(seed=1)
    model._model.set_gates(0.0)
    asked = []
    real = model._video_tokens
    model._video_tokens = lambda seg: asked.append(seg.id) or real(seg)
    cue = model.generate(Segment("g", Rate(24), 20), GenerationOptions(top_k=20), tmp_path)
    assert asked == [] and cue.metadata["video"] == "unused (adapter gates at 0)"
    model._model.set_gates(0.5)
    cue = model.generate(Segment("g", Rate(24), 20), GenerationOptions(top_k=20), tmp_path)
    assert asked == ["g"] and cue.metadata["video"] == "vivit"


def test_one_unreadable_picture_does_not_stop_the_others(tmp_path):
    model = tiny_cue_model(seed=2)
    real = model._video_tokens

    def tokens(seg):
        if seg.id == "broken":
            raise OSError("/media/broken.mov: moov atom not found")
        return real(seg)

    model._video_tokens = tokens
    segs = [Segment("ok", Rate(24), 12), Segment("broken", Rate(24), 12)]
    ok, broken = model.generate_batch(segs, GenerationOptions(top_k=20), tmp_path)
    assert ok.num_samples == 24000 and read_wav(ok.audio_path)[0].shape == (24000, 1)
    assert isinstance(broken, CueError)
    assert "'broken'" in str(broken) and "moov atom" in str(broken)


def test_guidance_is_chosen_per_job_and_recorded(cue_model, tmp_path):
    seg = Segment("sc9", Rate(24), 12, mood="tense")
    default = cue_model.generate_batch([seg], GenerationOptions(top_k=20), tmp_path / "a")[0]
    assert default.metadata["guidance"] == "text-and-video-null"  # not OSSL weights: as before
    ossl = GenerationOptions(top_k=20, guidance_mode="ossl")
    cue = cue_model.generate_batch([seg], ossl, tmp_path / "b")[0]
    assert cue.metadata["guidance"] == "ossl"
    assert not np.array_equal(read_wav(cue.audio_path)[0], read_wav(default.audio_path)[0])
    bad = GenerationOptions(guidance_mode="video-only")
    err = cue_model.generate_batch([seg], bad, tmp_path / "c")[0]
    assert isinstance(err, CueError) and "guidance 'video-only'" in str(err)
