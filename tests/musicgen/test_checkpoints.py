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
from cuebridge.engine.models.musicgen.modeling import VideoAdapterConfig, adapter_modules
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
                     ("encoder_attn.video.attn", "video_attention")):  # fmt: skip
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
        # OSSL's adapter names (audiocraft/modules/adapted_transformer.py)
        out[theirs + "video_projection_layer.weight"] = sd[ours + "encoder_attn.video.proj.weight"]
        out[theirs + "video_projection_layer.bias"] = sd[ours + "encoder_attn.video.proj.bias"]
        out[theirs + "video_attention_scale"] = sd[ours + "encoder_attn.video.gate"].reshape(1)
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
    with pytest.raises(WeightsMissing, match="hf download"):
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


# An OSSL checkpoint built from the documented names and shapes, against OSSL's math --------


def ossl_checkpoint(config, text_dim: int, seed: int) -> dict[str, torch.Tensor]:
    """The LM state dict OSSL's train.py saves (audiocraft names + OSSL's adapter), random
    values, shapes as OSSL's code makes them (d_model = 1536 there; the tiny model's here)."""
    g = torch.Generator().manual_seed(seed)
    d, ffn, card = config.hidden_size, config.ffn_dim, config.vocab_size

    def r(*shape, scale=0.2):
        return torch.randn(*shape, generator=g) * scale

    sd = {"condition_provider.conditioners.description.output_proj.weight": r(d, text_dim),
          "condition_provider.conditioners.description.output_proj.bias": r(d),
          "out_norm.weight": 1 + r(d), "out_norm.bias": r(d)}  # fmt: skip
    for k in range(config.num_codebooks):
        sd[f"emb.{k}.weight"] = r(card + 1, d, scale=1.0)
        sd[f"linears.{k}.weight"] = r(card, d)
    for i in range(config.num_hidden_layers):
        p = f"transformer.layers.{i}."
        for attn in ("self_attn", "cross_attention", "video_attention"):
            sd[p + attn + ".in_proj_weight"] = r(3 * d, d)  # bias-free, as MusicGen's
            sd[p + attn + ".out_proj.weight"] = r(d, d)
        for norm in ("norm1", "norm_cross", "norm2"):
            sd[p + norm + ".weight"], sd[p + norm + ".bias"] = 1 + r(d), r(d)
        sd[p + "linear1.weight"], sd[p + "linear2.weight"] = r(ffn, d), r(d, ffn)
        sd[p + "video_projection_layer.weight"] = r(d, 768, scale=0.05)  # Linear(768, d_model)
        sd[p + "video_projection_layer.bias"] = r(d)
        sd[p + "video_attention_scale"] = torch.tensor([0.8 + 0.3 * i])  # nn.Parameter([0.0])
    return sd


def mha(x, y, in_proj, out_proj, heads, causal=False):
    """nn.MultiheadAttention's math with a packed in_proj and no biases, written out."""
    q, k, v = (t @ w.T for t, w in zip((x, y, y), in_proj.chunk(3), strict=True))
    split = lambda t: t.view(t.shape[0], t.shape[1], heads, -1).transpose(1, 2)  # noqa: E731
    q, k, v = split(q), split(k), split(v)
    scores = q @ k.transpose(-1, -2) / q.shape[-1] ** 0.5
    if causal:
        scores = scores.masked_fill(torch.ones_like(scores, dtype=torch.bool).triu(1), -torch.inf)
    out = (scores.softmax(-1) @ v).transpose(1, 2).reshape(x.shape)
    return out @ out_proj.T


def ossl_reference_logits(sd, config, text_hidden, codes, video):
    """OSSL's LM forward (norm_first, sinusoidal positions, as audiocraft's MusicGen):
    per layer x + self_attn(norm1 x); x + text_xattn(norm_cross x) + scale * video_attn(
    norm_cross x, video_projection_layer(video)); x + linear2(gelu(linear1(norm2 x)))."""
    d, heads = config.hidden_size, config.num_attention_heads
    b, k, length = codes.shape
    norm = lambda t, n: torch.nn.functional.layer_norm(t, (d,), sd[n + ".weight"],  # noqa: E731
                                                       sd[n + ".bias"], 1e-5)  # fmt: skip
    x = sum(sd[f"emb.{cb}.weight"][codes[:, cb]] for cb in range(k))
    half = d // 2  # audiocraft's create_sin_embedding, max_period 10000
    phase = torch.arange(length)[:, None] / 10000 ** (torch.arange(half)[None] / (half - 1))
    x = x + torch.cat([phase.cos(), phase.sin()], dim=-1)
    prefix = "condition_provider.conditioners.description.output_proj"
    text = text_hidden @ sd[prefix + ".weight"].T + sd[prefix + ".bias"]
    for i in range(config.num_hidden_layers):
        p = f"transformer.layers.{i}."
        h = norm(x, p + "norm1")
        x = x + mha(h, h, sd[p + "self_attn.in_proj_weight"], sd[p + "self_attn.out_proj.weight"],
                    heads, causal=True)  # fmt: skip
        h = norm(x, p + "norm_cross")
        vid = (
            video @ sd[p + "video_projection_layer.weight"].T
            + sd[p + "video_projection_layer.bias"]
        )
        text_out = mha(h, text, sd[p + "cross_attention.in_proj_weight"],
                       sd[p + "cross_attention.out_proj.weight"], heads)  # fmt: skip
        video_out = mha(h, vid, sd[p + "video_attention.in_proj_weight"],
                        sd[p + "video_attention.out_proj.weight"], heads)  # fmt: skip
        x = x + text_out + sd[p + "video_attention_scale"] * video_out
        h = norm(x, p + "norm2")
        ff = torch.nn.functional.gelu(h @ sd[p + "linear1.weight"].T) @ sd[p + "linear2.weight"].T
        x = x + ff
    x = norm(x, "out_norm")
    return torch.stack([x @ sd[f"linears.{cb}.weight"].T for cb in range(k)], dim=1)


def test_ossl_checkpoint_gives_the_logits_of_ossl_math(tokenizer, tmp_path):
    """An OSSL training checkpoint (model_state_dict, OSSL's adapter names) loads, and the
    model's logits equal a reference written from OSSL's documented layer math."""
    model = tiny_musicgen_video(seed=0)
    config = model.musicgen.config.decoder
    text_dim = model.musicgen.config.text_encoder.d_model
    sd = ossl_checkpoint(config, text_dim, seed=11)
    torch.save({"epoch": 3, "model_state_dict": sd, "optimizer_state_dict": {},
                "val_loss": 5.1}, tmp_path / "multi3.pt")  # fmt: skip
    missing = load_audiocraft_checkpoint(model, tmp_path / "multi3.pt")
    assert not [k for k in missing if k.startswith("decoder.") and "embed_positions" not in k]
    gates = [m.video.gate.item() for m in adapter_modules(model.musicgen)]
    assert gates == pytest.approx([0.8, 1.1])
    # same-length prompts: audiocraft attends over padded text positions, transformers masks them
    enc = tokenizer(["tense strings", "calm piano"], padding=True, return_tensors="pt")
    assert bool(enc["attention_mask"].all())
    codes = torch.randint(0, 64, (2, 4, 7), generator=torch.Generator().manual_seed(4))
    video = random_video(2, 9, seed=5)
    with torch.no_grad():
        cond = model.encode_text(enc["input_ids"], enc["attention_mask"])
        cond.video = video
        got = model.forward_logits(cond, codes.reshape(8, 7)).reshape(2, 4, 7, -1)
        t5 = model.musicgen.text_encoder(**enc).last_hidden_state
        expected = ossl_reference_logits(sd, config, t5, codes, video)
        without_video = ossl_reference_logits(
            {**sd, **{k: v * 0 for k, v in sd.items() if k.endswith("video_attention_scale")}},
            config, t5, codes, video,
        )  # fmt: skip
    assert (expected - without_video).abs().max() > 0.1  # the video branch really counts
    torch.testing.assert_close(got, expected, atol=2e-4, rtol=1e-4)


def test_ossl_checkpoint_problems_are_named(tmp_path):
    model = tiny_musicgen_video(seed=0)
    config = model.musicgen.config.decoder
    sd = ossl_checkpoint(config, model.musicgen.config.text_encoder.d_model, seed=1)
    sd["transformer.layers.0.video_projection_layer.weight"] = torch.zeros(1536, 768)
    torch.save({"model_state_dict": sd}, tmp_path / "medium.pt")
    with pytest.raises(WeightsMissing, match="MusicGen-medium"):
        load_audiocraft_checkpoint(model, tmp_path / "medium.pt")
    sd = ossl_checkpoint(config, model.musicgen.config.text_encoder.d_model, seed=1)
    sd["transformer.layers.1.video_gate"] = torch.zeros(1)  # a name OSSL never wrote
    torch.save({"model_state_dict": sd}, tmp_path / "odd.pt")
    with pytest.raises(WeightsMissing, match="video_gate"):
        load_audiocraft_checkpoint(model, tmp_path / "odd.pt")


def test_ossl_checkpoint_as_the_adapter_defaults_to_ossl_guidance(tmp_path, tokenizer):
    folder = tmp_path / "musicgen-tiny"
    tiny_musicgen(seed=0).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    model = tiny_musicgen_video(seed=0)
    sd = ossl_checkpoint(model.musicgen.config.decoder,
                         model.musicgen.config.text_encoder.d_model, seed=2)  # fmt: skip
    torch.save({"epoch": 0, "model_state_dict": sd}, tmp_path / "multi0.pt")
    loaded = load_musicgen_video(str(folder), str(tmp_path / "multi0.pt"), "cpu")
    assert loaded.guidance == "ossl"
    assert loaded.identity["adapter"].startswith("ossl:multi0.pt@")
    assert loaded.model.video_is_used()
    plain = load_musicgen_video(str(folder), "", "cpu")
    assert plain.guidance == "text-and-video-null"
