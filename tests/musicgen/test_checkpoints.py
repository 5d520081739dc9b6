"""Adapter files, audiocraft-format import, and loading a checkpoint folder offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from cuebridge.engine.models.musicgen.checkpoints import (
    WeightsMissing,
    import_audiocraft_lm,
    load_adapter,
    load_audiocraft_checkpoint,
    load_musicgen_video,
    missing_musicgen_files,
    save_adapter,
)
from cuebridge.engine.models.musicgen.modeling import VideoAdapterConfig
from tests.musicgen.helpers import random_video
from tests.musicgen.tiny import tiny_musicgen, tiny_musicgen_video

REPO = Path(__file__).resolve().parents[2]


def randomise_adapter(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.adapter_parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.1)


def logits(model, text, video_seed=3):
    ids, mask = text
    with torch.no_grad():
        cond = model.encode_text(ids, mask)
        cond.video = random_video(2, 6, video_seed)
        dec = torch.randint(0, 64, (8, 5), generator=torch.Generator().manual_seed(2))
        return model.forward_logits(cond, dec)


def test_adapter_save_load_round_trip(text, tmp_path):
    a = tiny_musicgen_video(seed=0, adapter=VideoAdapterConfig(layers=[1]))
    randomise_adapter(a, 1)
    folder = save_adapter(a, tmp_path / "adapter")
    assert sorted(p.name for p in folder.iterdir()) == [
        "adapter.safetensors",
        "adapter_config.json",
    ]
    assert json.loads((folder / "adapter_config.json").read_text())["layers"] == [1]
    b = tiny_musicgen_video(seed=0, adapter=VideoAdapterConfig(layers=[1]))
    assert not torch.equal(logits(a, text), logits(b, text))
    identity = load_adapter(b, folder)
    assert identity.startswith("adapter@")
    assert torch.equal(logits(a, text), logits(b, text))
    c = tiny_musicgen_video(seed=0)  # adapters in both layers: the file does not fit
    with pytest.raises(WeightsMissing, match="adapter.safetensors"):
        load_adapter(c, folder)


def to_audiocraft(model) -> dict[str, torch.Tensor]:
    """Write a transformers MusicGen + adapter in audiocraft/OSSL naming (packed in_proj)."""
    sd = model.musicgen.state_dict()
    out = {}
    cfg = model.musicgen.config.decoder
    for k in range(cfg.num_codebooks):
        out[f"emb.{k}.weight"] = sd[f"decoder.model.decoder.embed_tokens.{k}.weight"]
        out[f"linears.{k}.weight"] = sd[f"decoder.lm_heads.{k}.weight"]
    for n in ("weight", "bias"):
        out[f"out_norm.{n}"] = sd[f"decoder.model.decoder.layer_norm.{n}"]
        out[f"condition_provider.conditioners.description.output_proj.{n}"] = sd[
            f"enc_to_dec_proj.{n}"
        ]
    for i in range(cfg.num_hidden_layers):
        ours = f"decoder.model.decoder.layers.{i}."
        theirs = f"transformer.layers.{i}."
        for a, b in (("self_attn", "self_attn"), ("encoder_attn", "cross_attention"),
                     ("encoder_attn.video.attn", "video_cross_attention")):  # fmt: skip
            out[theirs + b + ".in_proj_weight"] = torch.cat(
                [sd[ours + f"{a}.{p}_proj.weight"] for p in "qkv"]
            )
            out[theirs + b + ".out_proj.weight"] = sd[ours + f"{a}.out_proj.weight"]
        for a, b in (("self_attn_layer_norm", "norm1"), ("encoder_attn_layer_norm", "norm_cross"),
                     ("final_layer_norm", "norm2")):  # fmt: skip
            for n in ("weight", "bias"):
                out[theirs + f"{b}.{n}"] = sd[ours + f"{a}.{n}"]
        out[theirs + "linear1.weight"] = sd[ours + "fc1.weight"]
        out[theirs + "linear2.weight"] = sd[ours + "fc2.weight"]
        out[theirs + "video_proj.weight"] = sd[ours + "encoder_attn.video.proj.weight"]
        out[theirs + "video_proj.bias"] = sd[ours + "encoder_attn.video.proj.bias"]
        out[theirs + "video_gate"] = sd[ours + "encoder_attn.video.gate"].reshape(1)
    return {k: v.clone() for k, v in out.items()}


def test_audiocraft_key_mapping(text, tmp_path):
    source = tiny_musicgen_video(seed=5)
    randomise_adapter(source, 2)
    ac = to_audiocraft(source)
    mapped = import_audiocraft_lm(ac)
    target = tiny_musicgen_video(seed=6)  # other random weights, same shapes
    own = target.musicgen.state_dict()
    assert set(mapped) <= set(own)
    lm_keys = {k for k in own if k.startswith(("decoder.", "enc_to_dec_proj."))}
    assert set(mapped) == lm_keys - {"decoder.model.decoder.embed_positions.weights"}
    torch.save({"best_state": ac}, tmp_path / "state_dict.bin")
    missing = load_audiocraft_checkpoint(target, tmp_path / "state_dict.bin")
    assert all(k.startswith(("text_encoder.", "audio_encoder.", "decoder.model.decoder.embed_pos"))
               for k in missing)  # fmt: skip
    for k in lm_keys:
        assert torch.equal(
            target.musicgen.state_dict()[k], own[k] if k not in mapped else mapped[k]
        )
    # same decoder + adapter: same logits once the text encoder is shared too
    target.musicgen.text_encoder.load_state_dict(source.musicgen.text_encoder.state_dict())
    assert torch.equal(logits(source, text), logits(target, text))
    with pytest.raises(KeyError, match="lstm.weird"):
        import_audiocraft_lm({**ac, "lstm.weird": torch.zeros(1)})
    # The OSSL training script's checkpoint shape: the LM state dict under model_state_dict.
    ossl = tiny_musicgen_video(seed=7)
    ossl.musicgen.text_encoder.load_state_dict(source.musicgen.text_encoder.state_dict())
    torch.save(
        {"epoch": 4, "model_state_dict": ac, "optimizer_state_dict": {}, "val_loss": 2.5},
        tmp_path / "multi4.pt",
    )
    load_audiocraft_checkpoint(ossl, tmp_path / "multi4.pt")
    assert torch.equal(logits(source, text), logits(ossl, text))


def test_load_checkpoint_folder_offline(text, tmp_path, tokenizer):
    folder = tmp_path / "musicgen-tiny"
    plain = tiny_musicgen(seed=0)
    assert missing_musicgen_files(str(folder))  # nothing there yet
    plain.save_pretrained(folder)
    assert missing_musicgen_files(str(folder)) == [f"tokenizer.json or spiece.model (the T5 "
                                                   f"tokenizer) in {folder}"]  # fmt: skip
    tokenizer.save_pretrained(folder)
    assert missing_musicgen_files(str(folder)) == []
    trained = tiny_musicgen_video(seed=0)
    randomise_adapter(trained, 3)
    save_adapter(trained, tmp_path / "adapter")
    loaded = load_musicgen_video(str(folder), str(tmp_path / "adapter"), "cpu")
    assert loaded.identity["musicgen"] == str(folder) and loaded.identity["dtype"] == "float32"
    assert loaded.tokenizer("tense scene").input_ids == tokenizer("tense scene").input_ids
    assert torch.equal(logits(loaded.model, text), logits(trained, text))
    with pytest.raises(WeightsMissing, match="huggingface-cli download"):
        load_musicgen_video(str(tmp_path / "absent"))


def test_load_from_the_hugging_face_cache_offline(tmp_path, tokenizer):
    """A hub id resolves through the local HF cache layout, with downloads switched off."""
    snapshot = tmp_path / "hub/models--facebook--musicgen-tiny/snapshots/0123abcd"
    tiny_musicgen(seed=0).save_pretrained(snapshot)
    tokenizer.save_pretrained(snapshot)
    (tmp_path / "hub/models--facebook--musicgen-tiny/refs").mkdir()
    (tmp_path / "hub/models--facebook--musicgen-tiny/refs/main").write_text("0123abcd")
    code = (
        "from cuebridge.engine.models.musicgen.checkpoints import load_musicgen_video, "
        "missing_musicgen_files as m\n"
        "assert m('facebook/musicgen-tiny') == [], m('facebook/musicgen-tiny')\n"
        "assert m('facebook/musicgen-absent')\n"
        "loaded = load_musicgen_video('facebook/musicgen-tiny')\n"
        "print(loaded.identity['musicgen'], loaded.model.num_codebooks)\n"
    )
    env = {**os.environ, "HF_HUB_CACHE": str(tmp_path / "hub"), "HF_HUB_OFFLINE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=REPO
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["facebook/musicgen-tiny", "4"]
