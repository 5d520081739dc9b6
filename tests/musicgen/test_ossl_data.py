"""OSSL's data layout end to end on a tiny generated data set: videos -> extract-features ->
OSSL-style .pt files -> train-adapter --recipe ossl; and the recipe's parts one by one."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from cuebridge.app.commands.extract_features import extract_features_command
from cuebridge.app.commands.train_adapter import train_adapter_command
from cuebridge.engine.audio import write_wav
from cuebridge.engine.errors import CueError
from cuebridge.engine.models.musicgen.features import clip_segment
from cuebridge.engine.models.musicgen.model import MusicgenVideoModel, MusicgenVideoSettings
from cuebridge.engine.models.musicgen.modeling import adapter_modules
from cuebridge.engine.models.musicgen.training import ossl_init, ossl_recipe, train_adapter
from cuebridge.engine.models.musicgen.training_data import (
    OSSL_AUDIO,
    AudioPrep,
    load_clips,
    prepare_audio,
)
from tests.musicgen.tiny import TINY_VIVIT_TOKENS, tiny_musicgen, tiny_musicgen_video, tiny_vivit
from tests.picture.media import flat, write_video

CLIPS = {  # film_id, clip_id, mood, split
    ("film1", 1): ("tense", "train"),
    ("film1", 2): ("calm", "train"),
    ("film2", 7): ("tense", "train"),
    ("film2", 8): ("calm", "valid"),
}


def make_ossl_dataset(root, with_features=False):
    """OSSL's layout: train_meta.csv / valid_meta.csv and {film_id}_{clip_id}.wav beside them;
    the videos in a folder of their own (features come from extract-features)."""
    data, videos = root / "ossl", root / "videos"
    data.mkdir(parents=True)
    videos.mkdir()
    rows = {"train": [], "valid": []}
    for (film, clip), (mood, split) in CLIPS.items():
        stem = f"{film}_{clip}"
        pitch = 660 if mood == "tense" else 220
        t = np.arange(int(32000 * 0.8)) / 32000
        write_wav(data / f"{stem}.wav", 0.3 * np.sin(2 * np.pi * pitch * t).astype(np.float32),
                  32000)  # fmt: skip
        colour = (200, 40, 40) if mood == "tense" else (40, 90, 200)
        write_video(videos / f"{stem}.mp4", frames=24, size=(64, 48), paint=flat(colour))
        rows[split].append({"film_id": film, "clip_id": clip, "mood": mood,
                            "caption": "strings", "extra": "ignored"})  # fmt: skip
        if with_features:
            torch.save(torch.randn(5, 768) * 0.1, data / f"{stem}.pt")
    for split, name in (("train", "train_meta.csv"), ("valid", "valid_meta.csv")):
        with open(data / name, "w", newline="") as f:
            writer = csv.DictWriter(f, ["film_id", "clip_id", "mood", "caption", "extra"])
            writer.writeheader()
            writer.writerows(rows[split])
    return data, videos


def test_extract_features_then_train_with_the_ossl_recipe(tmp_path, tokenizer):
    data, videos = make_ossl_dataset(tmp_path)
    vivit_dir = tmp_path / "vivit"
    tiny_vivit().save_pretrained(vivit_dir)
    musicgen = tmp_path / "musicgen"
    tiny_musicgen(seed=0).save_pretrained(musicgen)
    tokenizer.save_pretrained(musicgen)
    runner = CliRunner()

    # without features the trainer says what to run
    missing = runner.invoke(
        train_adapter_command, [str(data), "--musicgen", str(musicgen), "--out", "x", "--device",
                                "cpu", "--recipe", "ossl"])  # fmt: skip
    assert missing.exit_code != 0 and "train_meta.csv, line 2: features not found" in missing.output
    assert "cuebridge extract-features" in missing.output

    args = [str(videos), str(data), "--vivit", str(vivit_dir), "--device", "cpu"]
    first = runner.invoke(extract_features_command, args)
    assert first.exit_code == 0, first.output
    assert "4 written, 0 unchanged, 0 failed" in first.output
    stored = torch.load(data / "film1_1.pt", weights_only=True)
    assert stored.shape == (TINY_VIVIT_TOKENS, 768) and stored.dtype == torch.float32
    again = runner.invoke(extract_features_command, args)  # nothing changed: nothing decoded
    assert "0 written, 4 unchanged, 0 failed" in again.output, again.output

    # the features the cue model computes at inference for the same picture are the same
    cue_model = MusicgenVideoModel(MusicgenVideoSettings(vivit=str(vivit_dir), device="cpu"))
    at_inference = cue_model._vivit_tokens("cpu")(clip_segment(videos / "film1_1.mp4"))
    torch.testing.assert_close(at_inference, stored)
    assert not torch.allclose(stored, torch.load(data / "film1_2.pt", weights_only=True))

    out = tmp_path / "run"
    result = runner.invoke(
        train_adapter_command,
        [str(data), "--musicgen", str(musicgen), "--out", str(out), "--device", "cpu",
         "--recipe", "ossl", "--epochs", "2"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "recipe ossl: 6 steps" in result.output  # 3 clips, batch 1, 2 epochs
    assert (out / "best/adapter.safetensors").is_file()
    state = torch.load(out / "last/trainer_state.pt", weights_only=False)
    assert len(state["history"]) == 2  # validation once per epoch


def test_ossl_layout_reads_csv_pairs_with_ossl_audio(tmp_path):
    data, _ = make_ossl_dataset(tmp_path, with_features=True)
    model = tiny_musicgen_video(seed=0)
    train = load_clips(data, model, "train", prep=OSSL_AUDIO)
    valid = load_clips(data, model, "valid", prep=OSSL_AUDIO)
    assert [c.id for c in train] == ["film1_1", "film1_2", "film2_7"]
    assert [c.id for c in valid] == ["film2_8"]
    assert train[0].prompt == "a film soundtrack for a tense scene. strings"
    assert train[0].video.shape == (5, 768)
    assert train[0].codes.shape == (4, 1500)  # 0.8 s of audio padded to OSSL's 30 s
    with open(data / "valid_meta.csv", "a") as f:
        f.write("film9,3,calm,missing\n")
    with pytest.raises(CueError, match=r"valid_meta.csv, line 3: audio file not found"):
        load_clips(data, model, "valid", prep=OSSL_AUDIO)
    (data / "train_meta.csv").write_text("film,clip\nfilm1,1\n")
    with pytest.raises(CueError, match=r"train_meta.csv, line 1: no column film_id, clip_id"):
        load_clips(data, model, "train")


def test_ossl_audio_is_peak_normalised_and_padded_or_cut_to_30_s():
    quiet = 0.25 * np.sin(np.linspace(0, 300, 48000 * 2))[:, None].repeat(2, axis=1)
    out = prepare_audio(quiet, 48000, 32000, OSSL_AUDIO)
    assert out.shape == (30 * 32000,) and out.dtype == np.float32
    assert abs(np.abs(out).max() - 1.0) < 1e-6  # peak-normalised
    assert not out[2 * 32000 + 100 :].any()  # zero-padded after the 2 s of sound
    long = np.ones(32000 * 31, np.float32) * 0.5
    assert prepare_audio(long, 32000, 32000, OSSL_AUDIO).shape == (30 * 32000,)
    plain = prepare_audio(quiet, 48000, 32000, AudioPrep(seconds=30.0))
    assert plain.shape == (2 * 32000,) and np.abs(plain).max() < 0.3  # the old behaviour


def test_ossl_recipe_values_and_initialisation(tokenizer, tmp_path):
    r = ossl_recipe()
    assert (r.lr, r.batch_size, r.warmup_steps, r.grad_clip) == (1e-4, 1, 10, 1.0)
    assert (r.eval_every, r.patience, r.epochs, r.weight_decay) == (0, 3, 100, 0.01)
    model = tiny_musicgen_video(seed=0)
    model.set_gates(0.5)
    ossl_init(model, seed=0)
    d = model.musicgen.config.decoder.hidden_size
    for m in adapter_modules(model.musicgen):
        v = m.video
        assert v.gate.item() == 0.0 and not v.proj.bias.any()
        packed = torch.cat([v.attn.q_proj.weight, v.attn.k_proj.weight, v.attn.v_proj.weight])
        bound = math.sqrt(6 / (d + 3 * d))  # xavier-uniform of OSSL's packed [3d, d] in_proj
        assert packed.abs().max() <= bound and packed.abs().max() > 0.95 * bound
        bound = math.sqrt(6 / (768 + d))
        assert 0.95 * bound < v.proj.weight.abs().max() <= bound
    # the schedule: transformers' cosine with a warm-up from 0 over 10 steps
    data, _ = make_ossl_dataset(tmp_path, with_features=True)
    train = load_clips(data, model, "train", prep=AudioPrep(seconds=0.4))
    valid = load_clips(data, model, "valid", prep=AudioPrep(seconds=0.4))
    result = train_adapter(model, tokenizer, train, valid, tmp_path / "run",
                           ossl_recipe(epochs=4, progress=False))  # fmt: skip
    assert result.steps == 12 and len(result.val_losses) == 4
    state = torch.load(tmp_path / "run/last/trainer_state.pt", weights_only=False)
    assert state["scheduler"]["last_epoch"] == 12
    # OSSL sizes its cosine for epochs * batches / 8 steps (its grad_acc), stepping every batch
    span = max(1, 12 // 8)
    progress = (12 - 10) / max(1, span - 10)
    expected = 1e-4 * max(0.0, 0.5 * (1 + math.cos(math.pi * progress)))
    assert state["scheduler"]["_last_lr"][0] == pytest.approx(expected, rel=1e-6)


def test_extract_features_names_a_video_it_cannot_read(tmp_path):
    videos = tmp_path / "videos"
    videos.mkdir()
    write_video(videos / "film1_1.mp4", frames=12, size=(64, 48))
    (videos / "film1_2.mp4").write_bytes(b"not a video at all")
    vivit_dir = tmp_path / "vivit"
    tiny_vivit().save_pretrained(vivit_dir)
    out = tmp_path / "features"
    result = CliRunner().invoke(
        extract_features_command, [str(videos), str(out), "--vivit", str(vivit_dir), "--device",
                                   "cpu"])  # fmt: skip
    assert result.exit_code != 0
    assert "film1_2.mp4: cannot read as a video" in result.output
    assert "1 written, 0 unchanged, 1 failed" in result.output
    assert (out / "film1_1.pt").is_file() and not (out / "film1_2.pt").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    none = CliRunner().invoke(extract_features_command, [str(empty), str(out), "--vivit", "x"])
    assert none.exit_code != 0 and "no video files" in none.output
