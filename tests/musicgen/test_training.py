"""Adapter training on a generated OSSL-format data set: loss falls, checkpoints resume."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from cuebridge.app.commands.train_adapter import train_adapter_command
from cuebridge.engine.audio import write_wav
from cuebridge.engine.errors import CueError
from cuebridge.engine.models.musicgen.training import TrainConfig, train_adapter, validation_loss
from cuebridge.engine.models.musicgen.training_data import load_clips
from tests.musicgen.tiny import tiny_musicgen, tiny_musicgen_video


def make_dataset(folder, clips=8, seconds=0.6):
    """Tones whose pitch the video tokens give away, so the video can lower the loss."""
    (folder / "audio").mkdir(parents=True)
    (folder / "tokens").mkdir()
    rng = np.random.default_rng(0)
    rows = []
    for i in range(clips):
        kind = i % 2
        t = np.arange(int(32000 * seconds)) / 32000
        tone = 0.5 * np.sin(2 * np.pi * (220 if kind else 660) * t).astype(np.float32)
        write_wav(folder / f"audio/c{i}.wav", tone, 32000)
        tokens = rng.standard_normal((8, 768)).astype(np.float32) * 0.1 + (kind * 2 - 1)
        np.save(folder / f"tokens/c{i}.npy", tokens)
        rows.append({"id": f"c{i}", "audio": f"audio/c{i}.wav", "video_tokens": f"tokens/c{i}.npy",
                     "mood": "tense" if kind else "calm", "caption": "strings",
                     "split": "valid" if i >= clips - 2 else "train"})  # fmt: skip
    (folder / "metadata.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return folder


def test_training_lowers_validation_loss_and_resumes(tmp_path, tokenizer):
    data = make_dataset(tmp_path / "ossl")
    model = tiny_musicgen_video(seed=0)
    train = load_clips(data, model, "train")
    valid = load_clips(data, model, "valid")
    assert len(train) == 6 and len(valid) == 2
    assert train[0].codes.shape == (4, 30) and train[0].video.shape == (8, 768)
    assert train[0].prompt == "a film soundtrack for a calm scene. strings"
    frozen = {k: v.clone() for k, v in model.musicgen.state_dict().items() if ".video." not in k}
    before = validation_loss(model, tokenizer, valid, 2)
    config = TrainConfig(lr=1e-2, warmup_steps=3, max_steps=24, batch_size=3, eval_every=6,
                         patience=10, progress=False)  # fmt: skip
    out = tmp_path / "run"
    result = train_adapter(model, tokenizer, train, valid, out, config)
    assert result.steps == 24 and len(result.val_losses) == 4
    assert result.best_val_loss < before - 0.03
    assert result.val_losses[-1] < result.val_losses[0]
    after = {k: v for k, v in model.musicgen.state_dict().items() if ".video." not in k}
    assert all(torch.equal(frozen[k], after[k]) for k in frozen)  # only the adapter learned
    assert (out / "best/adapter.safetensors").is_file()
    assert (out / "last/trainer_state.pt").is_file()
    # resume: a fresh model continues from step 24 with the saved optimizer and schedule
    again = tiny_musicgen_video(seed=0)
    config.max_steps = 30
    resumed = train_adapter(again, tokenizer, train, valid, out, config)
    assert resumed.steps == 30 and resumed.val_losses[:4] == result.val_losses
    assert len(resumed.val_losses) == 5


def test_bad_metadata_names_file_and_line(tmp_path):
    data = make_dataset(tmp_path / "ossl", clips=2)
    with open(data / "metadata.jsonl", "a") as f:
        f.write("{not json\n")
    with pytest.raises(CueError, match=r"metadata.jsonl, line 3: not JSON"):
        load_clips(data, tiny_musicgen_video(seed=0), "train")


def test_cli_trains_from_a_checkpoint_folder(tmp_path, tokenizer):
    data = make_dataset(tmp_path / "ossl", clips=4, seconds=0.3)
    folder = tmp_path / "musicgen"
    tiny_musicgen(seed=0).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    result = CliRunner().invoke(
        train_adapter_command,
        [str(data), "--musicgen", str(folder), "--out", str(tmp_path / "run"), "--device", "cpu",
         "--max-steps", "3", "--eval-every", "3", "--warmup-steps", "1", "--batch-size", "2"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "recipe default: 3 steps, best validation cross-entropy" in result.output
    assert (tmp_path / "run/best/adapter.safetensors").is_file()
    missing = CliRunner().invoke(
        train_adapter_command, [str(data), "--musicgen", str(tmp_path / "nope"), "--out", "x"]
    )
    assert missing.exit_code != 0 and "MusicGen weights missing" in missing.output
