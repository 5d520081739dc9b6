"""Tiny random MusicGen + video adapter models, built in code (nothing downloaded): for tests
and benches. Same layout as MusicGen (T5 -> 4-codebook decoder -> 32 kHz EnCodec at 50 frames/s),
tiny widths."""

from __future__ import annotations

import math

import torch
from torch import nn
from transformers import (
    EncodecConfig,
    MusicgenConfig,
    MusicgenDecoderConfig,
    MusicgenForConditionalGeneration,
    T5Config,
)

from cuebridge.engine.models.musicgen.model import MusicgenVideoModel, MusicgenVideoSettings
from cuebridge.engine.models.musicgen.modeling import (
    MusicgenVideo,
    VideoAdapterConfig,
    adapter_modules,
)
from cuebridge.engine.segment import Segment

TINY_WORDS = (
    "a film soundtrack for scene . tense calm happy sad eerie epic romantic action dark bright "
    "slow fast piano strings drums orchestral ambient the of and with music"
).split()


def tiny_tokenizer():
    """A word-level tokenizer made in code (nothing downloaded), for the tiny T5."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2}
    for w in TINY_WORDS:
        vocab.setdefault(w, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Whitespace(), pre_tokenizers.Punctuation()]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>"
    )


def tiny_musicgen_config(
    hidden: int = 32, layers: int = 2, heads: int = 4, vocab: int = 64, text_vocab: int = 64
) -> MusicgenConfig:
    """MusicGen's layout (T5 -> decoder with 4 codebooks -> 32 kHz EnCodec at 50 frames/s),
    shrunk: same delay pattern and pad token (= vocab size), tiny widths."""
    text = T5Config(
        vocab_size=text_vocab, d_model=hidden, d_kv=hidden // heads, d_ff=hidden * 2,
        num_layers=1, num_heads=heads, dropout_rate=0.0,
    )  # fmt: skip
    nbits = int(math.log2(vocab))
    audio = EncodecConfig(
        sampling_rate=32000, audio_channels=1, num_filters=4, hidden_size=16,
        upsampling_ratios=[8, 5, 4, 4], codebook_size=vocab, codebook_dim=16,
        num_residual_layers=1, num_lstm_layers=1, normalize=False,
        target_bandwidths=[4 * 50 * nbits / 1000], use_causal_conv=False, chunk_length_s=None,
        overlap=None,
    )  # fmt: skip
    decoder = MusicgenDecoderConfig(
        vocab_size=vocab, hidden_size=hidden * 2, num_hidden_layers=layers,
        num_attention_heads=heads, ffn_dim=hidden * 4, num_codebooks=4, pad_token_id=vocab,
        bos_token_id=vocab, max_position_embeddings=4096, dropout=0.0,
    )  # fmt: skip
    config = MusicgenConfig(text_encoder=text, audio_encoder=audio, decoder=decoder)
    config.decoder_start_token_id = vocab
    config.pad_token_id = vocab
    return config


def tiny_musicgen(seed: int = 0, **kw) -> MusicgenForConditionalGeneration:
    torch.manual_seed(seed)
    model = MusicgenForConditionalGeneration(tiny_musicgen_config(**kw))
    with torch.no_grad():  # EnCodec's codebooks start at zero: every code would sound the same
        for layer in model.audio_encoder.quantizer.layers:
            layer.codebook.embed.normal_()
            layer.codebook.embed_avg.copy_(layer.codebook.embed)
    model.generation_config.pad_token_id = model.config.decoder.pad_token_id
    model.generation_config.decoder_start_token_id = model.config.decoder.pad_token_id
    return model.eval()


def tiny_musicgen_video(
    seed: int = 0, adapter: VideoAdapterConfig | None = None, **kw
) -> MusicgenVideo:
    model = MusicgenVideo.from_musicgen(tiny_musicgen(seed, **kw), adapter or VideoAdapterConfig())
    torch.manual_seed(seed + 1)
    for m in adapter_modules(model.musicgen):  # transformers' init skips modules added later
        for name, p in m.video.named_parameters():
            if name != "gate":
                nn.init.normal_(p, std=0.02) if p.dim() > 1 else nn.init.zeros_(p)
    return model


def tiny_cue_model(seed: int = 0, window_s: float = 30.0, stride_s: float = 18.0):
    """The musicgen-video cue model over a tiny random network, for tests and a gRPC smoke test.
    Video tokens are 16 pseudo-random tokens seeded by the segment id."""
    model = tiny_musicgen_video(seed)
    model.set_gates(0.5)  # so the video matters in tests

    def video_tokens(segment: Segment) -> torch.Tensor:
        g = torch.Generator().manual_seed(sum(segment.id.encode()) + 7919 * seed)
        return torch.randn(16, model.adapter.video_dim, generator=g)

    settings = MusicgenVideoSettings(device="cpu", window_s=window_s, stride_s=stride_s)
    return MusicgenVideoModel(
        settings,
        model=model,
        tokenizer=tiny_tokenizer(),
        video_tokens=video_tokens,
        identity={"musicgen": f"tiny-random(seed={seed})"},
    )


TINY_VIVIT = dict(  # ViViT's layout, shrunk; hidden 768 as ViViT-B so the adapter fits
    image_size=32,
    num_frames=4,
    tubelet_size=[2, 8, 8],
    hidden_size=768,
    num_hidden_layers=1,
    num_attention_heads=4,
    intermediate_size=64,
)
TINY_VIVIT_TOKENS = (4 // 2) * (32 // 8) ** 2 + 1  # tubelets plus the CLS token


def tiny_vivit(seed: int = 0):
    """A tiny random VivitModel (google/vivit-b-16x2-kinetics400 layout), built in code."""
    from transformers import VivitConfig, VivitModel

    torch.manual_seed(seed)
    return VivitModel(VivitConfig(**TINY_VIVIT)).eval()
