"""MusicGen with the OSSL video adapter, on transformers' `MusicgenForConditionalGeneration`.

Read top to bottom like a transformers model file:

1. `VideoAdapterConfig`: the adapter's few hyper-parameters (saved as a small JSON file).
2. `VideoCrossAttention`: per decoder layer, Linear(768 -> d_model) over the ViViT tokens, then a
   bias-free multi-head cross-attention whose output is multiplied by a learnable scalar gate
   initialised at 0 (OSSL's video_projection_layer, video_attention, video_attention_scale).
   Rows that share a video share its K/V; rows whose video term is discarded compute nothing.
3. `MusicgenTextVideoAttention`: replaces each layer's `encoder_attn`. It *is* the text
   cross-attention (a `MusicgenAttention` subclass, so checkpoint keys and transformers'
   `generate()` are untouched) and adds the gated video attention computed from the same normed
   queries, before the layer's residual. With every gate at 0 the output is bit-identical.
4. `MusicgenVideo`: the wrapped model; conditioning (T5 text -> enc_to_dec_proj, video tokens),
   classifier-free guidance (OSSL's: only the text nulled; or text and video nulled, see
   GUIDANCE_MODES), the delay-pattern decode loop with per-cue seeds, windowed continuation for
   long cues, EnCodec decoding.

The video memory reaches the layers through `MusicgenVideo.video_memory(...)`, a context that
sets it on every adapter module, so the decoder's forward signature (and therefore
transformers' generate()) stays exactly as transformers wrote it.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field

import torch
from torch import nn
from transformers import (
    MusicgenDecoderConfig,
    MusicgenForConditionalGeneration,
)
from transformers.cache_utils import DynamicCache, EncoderDecoderCache, StaticCache
from transformers.models.musicgen.modeling_musicgen import MusicgenAttention

from cuebridge.engine.errors import CueCancelled

# The oldest transformers whose APIs this file uses (MusicGen's `cache=` argument arrived in
# 5.24.0; 5.23 has only past_key_values=). pyproject's musicgen extra says the same.
MIN_TRANSFORMERS = "5.24.0"

ADAPTER_KEY_MARK = ".encoder_attn.video."  # every adapter parameter has this in its key


# 1. Configuration ------------------------------------------------------------------------------


@dataclass
class VideoAdapterConfig:
    """The adapter's hyper-parameters; stored next to its weights as adapter_config.json."""

    video_dim: int = 768  # ViViT-B hidden size
    gate_init: float = 0.0  # 0 = starts as plain MusicGen
    layers: list[int] | None = None  # decoder layers that get an adapter; None = all
    format: str = "cuebridge-musicgen-video-adapter/1"

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> VideoAdapterConfig:
        data = json.loads(text)
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class SamplingConfig:
    guidance_scale: float = 3.0  # <= 1 disables classifier-free guidance
    top_k: int = 250
    temperature: float = 1.0
    window_frames: int = 1500  # 30 s at 50 frames/s: what MusicGen was trained on
    stride_frames: int = 900  # new frames per extra window (audiocraft's extend_stride 18 s)
    guidance: str = "ossl"  # see GUIDANCE_MODES

    def __post_init__(self) -> None:
        if self.guidance not in GUIDANCE_MODES:
            raise ValueError(f"guidance {self.guidance!r}: use one of {', '.join(GUIDANCE_MODES)}")


# 2. The video cross-attention ----------------------------------------------------------------

GUIDANCE_MODES = ("ossl", "text-and-video-null")
"""Classifier-free guidance, two ways to build the unconditional half of the batch:

- "ossl": only the text is nulled; the video stays in BOTH halves, as OSSL's lm.py duplicates
  the video features into the cond and uncond batches. Guidance then pushes away from "this
  picture, no words" towards "this picture, these words": the video shapes both halves and
  guidance amplifies the text only. Same weights, same music as OSSL.
- "text-and-video-null": text AND video nulled (the video term is skipped in the unconditional
  rows). Guidance amplifies the video's effect too (about 3x in logit space at guidance 3):
  stronger picture following than the adapter was trained for; cuebridge's behaviour before
  OSSL checkpoints could be loaded.
"""


@dataclass
class VideoMemory:
    """The video tokens of a batch, as the adapter layers see them during one forward/decode.

    `tokens` holds each distinct video once; `rows` says which one every batch row attends to
    (-1: none, its video term is 0 and not computed). Rows sharing a video (best-of-N takes of
    one segment, the cond and uncond halves under "ossl" guidance) share its K/V: the
    projection, K and V are computed once per distinct video, and the queries of the rows that
    share it are folded into one attention call."""

    tokens: torch.Tensor  # [U, T, video_dim]
    rows: torch.Tensor  # [B] long, index into tokens or -1
    mask: torch.Tensor | None = None  # [U, T] bool, True = a real token; None = all real
    # Each layer's (K, V) [U, heads, T, head_dim], kept for a whole decode; None = recompute
    # every call (training, where gradients flow through them).
    kv: dict[int, tuple[torch.Tensor, torch.Tensor]] | None = None

    def __post_init__(self) -> None:
        rows = self.rows.to(torch.long)
        active = (rows >= 0).nonzero().flatten()
        u = self.tokens.shape[0]
        counts = torch.bincount(rows[active], minlength=u) if active.numel() else None
        n = int(counts.max()) if counts is not None and active.numel() else 0
        # slot (video v, j-th row of v) <- batch row; every video gets n slots, spare slots
        # repeat a real row and are dropped after the attention
        order = active[torch.argsort(rows[active], stable=True)]
        slot_rows, src, dst, pos = [], [], [], 0
        for v in range(u):
            c = int(counts[v]) if counts is not None else 0
            mine = order[pos : pos + c].tolist()
            pos += c
            for j in range(n):
                src.append(len(slot_rows)) if j < c else None
                dst.append(mine[j]) if j < c else None
                slot_rows.append(mine[j] if j < c else (mine[0] if mine else 0))
        device = self.tokens.device
        self.per_video = n  # rows folded into one attention per video
        self.slot_rows = torch.tensor(slot_rows, dtype=torch.long, device=device)
        self.slot_src = torch.tensor(src, dtype=torch.long, device=device)
        self.slot_dst = torch.tensor(dst, dtype=torch.long, device=device)
        self.slot_inverse = torch.argsort(self.slot_dst)  # row -> slot, when no slot is spare


class VideoProjections(nn.Module):
    """q/k/v/out projections of the video attention (no biases, like MusicGen's attention and
    OSSL's `video_attention`, whose packed in_proj_weight splits into q, k, v)."""

    def __init__(self, hidden: int):
        super().__init__()
        # k, v, q, out: MusicgenAttention's order, so seeded initialisations draw the same values
        self.k_proj = nn.Linear(hidden, hidden, bias=False)
        self.v_proj = nn.Linear(hidden, hidden, bias=False)
        self.q_proj = nn.Linear(hidden, hidden, bias=False)
        self.out_proj = nn.Linear(hidden, hidden, bias=False)


class VideoCrossAttention(nn.Module):
    """Linear(768 -> d_model) over the video tokens, cross-attention, times a scalar gate:
    OSSL's `video_projection_layer`, `video_attention` and `video_attention_scale`."""

    def __init__(self, config: MusicgenDecoderConfig, adapter: VideoAdapterConfig, layer_idx: int):
        super().__init__()
        self.layer_idx = layer_idx
        self.heads = config.num_attention_heads
        self.proj = nn.Linear(adapter.video_dim, config.hidden_size)
        self.attn = VideoProjections(config.hidden_size)
        self.gate = nn.Parameter(torch.full((), float(adapter.gate_init)))

    def _keys_values(self, memory: VideoMemory, dtype: torch.dtype):
        if memory.kv is not None and self.layer_idx in memory.kv:
            return memory.kv[self.layer_idx]
        video = self.proj(memory.tokens.to(dtype))  # [U, T, d]
        u, t, d = video.shape
        split = lambda x: x.view(u, t, self.heads, d // self.heads).transpose(1, 2)  # noqa: E731
        kv = split(self.attn.k_proj(video)), split(self.attn.v_proj(video))
        if memory.kv is not None:
            memory.kv[self.layer_idx] = kv
        return kv

    def forward(self, hidden_states: torch.Tensor, memory: VideoMemory) -> torch.Tensor:
        b, length, d = hidden_states.shape
        u, n, h = memory.tokens.shape[0], memory.per_video, self.heads
        if n == 0:
            return torch.zeros_like(hidden_states)
        k, v = self._keys_values(memory, hidden_states.dtype)
        # Fold the rows that share a video into its query axis: [U, H, n * L, hd].
        x = hidden_states.index_select(0, memory.slot_rows)
        q = self.attn.q_proj(x).view(u, n, length, h, d // h).permute(0, 3, 1, 2, 4)
        q = q.reshape(u, h, n * length, d // h)
        mask = None if memory.mask is None else memory.mask[:, None, None, :]
        out = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        out = out.view(u, h, n, length, d // h).permute(0, 2, 3, 1, 4).reshape(u * n, length, d)
        out = self.attn.out_proj(out) * self.gate.to(out.dtype)
        if memory.slot_src.numel() == b and n * u == b:
            return out.index_select(0, memory.slot_inverse)  # every slot is a row
        kept = out.index_select(0, memory.slot_src)
        return torch.zeros_like(hidden_states).index_copy(0, memory.slot_dst, kept)


# 3. Text cross-attention with the video attention beside it ----------------------------------


class MusicgenTextVideoAttention(MusicgenAttention):
    """MusicGen's text cross-attention plus the gated video cross-attention, in parallel.

    Called by `MusicgenDecoderLayer` exactly where `encoder_attn` was, on the output of
    `encoder_attn_layer_norm`; the layer adds the residual after, so the video term lands
    "added to the text cross-attention output before the residual".
    """

    def __init__(self, config: MusicgenDecoderConfig, adapter: VideoAdapterConfig, layer_idx: int):
        super().__init__(
            config.hidden_size,
            config.num_attention_heads,
            dropout=config.attention_dropout,
            is_decoder=True,
            bias=False,
            config=config,
            layer_idx=layer_idx,
        )
        self.video = VideoCrossAttention(config, adapter, layer_idx)
        self.video_memory: VideoMemory | None = None

    def forward(self, hidden_states, key_value_states=None, **kwargs):
        text_out, weights = super().forward(
            hidden_states, key_value_states=key_value_states, **kwargs
        )
        if self.video_memory is None:
            return text_out, weights
        return text_out + self.video(hidden_states, self.video_memory), weights


def add_video_adapter(
    model: MusicgenForConditionalGeneration, adapter: VideoAdapterConfig
) -> MusicgenForConditionalGeneration:
    """Swap every chosen layer's `encoder_attn` for the text+video one, keeping its weights."""
    config = model.config.decoder
    layers = model.decoder.model.decoder.layers
    chosen = range(len(layers)) if adapter.layers is None else adapter.layers
    for idx in chosen:
        old = layers[idx].encoder_attn
        new = MusicgenTextVideoAttention(config, adapter, idx)
        new.load_state_dict(old.state_dict(), strict=False)  # text weights; video ones stay new
        ref = old.q_proj.weight
        layers[idx].encoder_attn = new.to(device=ref.device, dtype=ref.dtype)
    return model


def adapter_modules(model: MusicgenForConditionalGeneration) -> list[MusicgenTextVideoAttention]:
    return [m for m in model.modules() if isinstance(m, MusicgenTextVideoAttention)]


# 4. The model ---------------------------------------------------------------------------------


@dataclass
class Conditioning:
    """Everything a batch of cues is conditioned on, already encoded."""

    text: torch.Tensor  # [B, S, d_model] after enc_to_dec_proj, zero where masked
    text_mask: torch.Tensor  # [B, S] 1 = token, 0 = padding
    video: torch.Tensor | None = None  # [B, T, video_dim]
    video_mask: torch.Tensor | None = None  # [B, T] 1 = token, 0 = padding
    video_present: torch.Tensor | None = None  # [B] 0 = this cue has no picture: text only
    # [B] which row of `video` each row shows (takes of one segment share one video, so its
    # K/V are computed once); None = row i shows video i
    video_rows: torch.Tensor | None = None

    @property
    def batch_size(self) -> int:
        return self.text.shape[0]

    def select(self, rows: Sequence[int]) -> Conditioning:
        def pick(t: torch.Tensor | None) -> torch.Tensor | None:
            return None if t is None else t.index_select(0, torch.as_tensor(rows, device=t.device))

        if self.video_rows is not None:  # the distinct videos stay; only the row map is picked
            rows = pick(self.text), pick(self.text_mask)
            return Conditioning(*rows, self.video, self.video_mask, pick(self.video_present),
                                pick(self.video_rows))  # fmt: skip
        return Conditioning(
            pick(self.text),
            pick(self.text_mask),
            pick(self.video),
            pick(self.video_mask),
            pick(self.video_present),
        )


@dataclass
class MusicgenVideo:
    """A transformers MusicGen with the video adapter installed, and its decode loop."""

    musicgen: MusicgenForConditionalGeneration
    adapter: VideoAdapterConfig = field(default_factory=VideoAdapterConfig)
    # Decode speed levers for GPUs (see enable_fast_decode): a static self-attention KV cache
    # (fixed shapes) and a compiled one-token step (CUDA graphs via "reduce-overhead").
    static_cache: bool = False
    compiled_step: object | None = None

    @classmethod
    def from_musicgen(
        cls, musicgen: MusicgenForConditionalGeneration, adapter: VideoAdapterConfig | None = None
    ) -> MusicgenVideo:
        adapter = adapter or VideoAdapterConfig()
        add_video_adapter(musicgen, adapter)
        musicgen.eval()
        return cls(musicgen, adapter)

    # -- properties of the underlying model --

    @property
    def device(self) -> torch.device:
        return self.musicgen.decoder.lm_heads[0].weight.device

    @property
    def dtype(self) -> torch.dtype:
        return self.musicgen.decoder.lm_heads[0].weight.dtype

    @property
    def num_codebooks(self) -> int:
        return self.musicgen.decoder.num_codebooks

    @property
    def pad_token_id(self) -> int:
        return self.musicgen.config.decoder.pad_token_id

    @property
    def sampling_rate(self) -> int:
        return self.musicgen.config.audio_encoder.sampling_rate

    @property
    def frame_rate(self) -> int:
        return self.musicgen.config.audio_encoder.frame_rate

    # -- adapter weights --

    def adapter_state_dict(self) -> dict[str, torch.Tensor]:
        sd = self.musicgen.state_dict()
        return {k: v.detach().cpu().contiguous() for k, v in sd.items() if ADAPTER_KEY_MARK in k}

    def load_adapter_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        expected = set(self.adapter_state_dict())
        missing, unexpected = expected - set(state), set(state) - expected
        if missing or unexpected:
            raise KeyError(
                f"adapter weights do not fit this model: {len(missing)} missing "
                f"(e.g. {sorted(missing)[:2]}), {len(unexpected)} unexpected "
                f"(e.g. {sorted(unexpected)[:2]})"
            )
        self.musicgen.load_state_dict(state, strict=False)

    def adapter_parameters(self) -> list[nn.Parameter]:
        return [p for m in adapter_modules(self.musicgen) for p in m.video.parameters()]

    def video_is_used(self) -> bool:
        """False when every gate is exactly 0: the video cannot change a single logit."""
        return any(bool(m.video.gate.detach() != 0) for m in adapter_modules(self.musicgen))

    def set_gates(self, value: float) -> None:
        with torch.no_grad():
            for m in adapter_modules(self.musicgen):
                m.video.gate.fill_(value)

    # -- conditioning --

    def encode_text(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> Conditioning:
        """T5 -> enc_to_dec_proj -> zero the padding, as MusicgenForConditionalGeneration does."""
        mg = self.musicgen
        hidden = mg.text_encoder(
            input_ids=input_ids.to(self.device), attention_mask=attention_mask.to(self.device)
        ).last_hidden_state
        if hasattr(mg, "enc_to_dec_proj"):
            hidden = mg.enc_to_dec_proj(hidden)
        mask = attention_mask.to(self.device)
        return Conditioning(text=hidden * mask[..., None].to(hidden.dtype), text_mask=mask)

    @contextlib.contextmanager
    def video_memory(self, memory: VideoMemory | None) -> Iterator[None]:
        """Lend the video memory to every adapter layer for the duration of a forward/decode."""
        modules = adapter_modules(self.musicgen)
        for m in modules:
            m.video_memory = memory
        try:
            yield
        finally:
            for m in modules:
                m.video_memory = None

    def _video_memory_for(
        self,
        cond: Conditioning,
        null_rows: int,
        guidance: str = "ossl",
        kv: dict | None = None,
    ) -> VideoMemory | None:
        """Video memory for [cond rows; null rows]. Under "ossl" guidance a null row shows its
        cond row's video; under "text-and-video-null" it shows none (and costs nothing)."""
        if cond.video is None:
            return None
        video = cond.video.to(self.device)
        b = cond.batch_size - null_rows  # the cond rows; video_rows/present describe them
        rows = (
            torch.arange(b, device=self.device)
            if cond.video_rows is None
            else cond.video_rows[:b].to(self.device, torch.long)
        )
        if cond.video_present is not None:
            rows = torch.where(cond.video_present[:b].to(self.device) > 0, rows, -1)
        if null_rows:
            if guidance not in GUIDANCE_MODES:
                raise ValueError(f"guidance {guidance!r}: use one of {', '.join(GUIDANCE_MODES)}")
            null = rows[:null_rows] if guidance == "ossl" else torch.full_like(rows[:null_rows], -1)
            rows = torch.cat([rows, null])
        mask = None if cond.video_mask is None else cond.video_mask.to(self.device).bool()
        return VideoMemory(video, rows, mask, kv)

    # -- teacher-forced forward (tests, training) --

    def forward_logits(
        self,
        cond: Conditioning,
        decoder_input_ids: torch.Tensor,  # [B * K, L]
        video_present: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Logits [B * K, L, V] of the decoder, conditioned on text and (optionally) video."""
        if video_present is not None:
            cond = Conditioning(cond.text, cond.text_mask, cond.video, cond.video_mask,
                                video_present, cond.video_rows)  # fmt: skip
        memory = self._video_memory_for(cond, 0)
        with self.video_memory(memory):
            out = self.musicgen.decoder(
                input_ids=decoder_input_ids.to(self.device),
                encoder_hidden_states=cond.text,
                encoder_attention_mask=cond.text_mask,
                use_cache=False,
            )
        return out.logits

    def with_null_branch(self, cond: Conditioning) -> tuple[Conditioning, int]:
        """The 2B guidance batch [cond; null]: null text is zeros with a zero mask (as transformers
        builds it when it encodes text itself). The video rows are those of the cond half; what
        the null rows see of the video is the guidance mode's choice (`_video_memory_for`)."""
        b = cond.batch_size
        text = torch.cat([cond.text, torch.zeros_like(cond.text)], dim=0)
        mask = torch.cat([cond.text_mask, torch.zeros_like(cond.text_mask)], dim=0)
        return Conditioning(text, mask, cond.video, cond.video_mask, cond.video_present,
                            cond.video_rows), b  # fmt: skip

    # -- the decode loop --

    @torch.inference_mode()
    def generate_codes(
        self,
        cond: Conditioning,
        num_frames: int,
        sampling: SamplingConfig,
        generators: Sequence[torch.Generator],
        prompt: torch.Tensor | None = None,  # [B, K, P] known frames to continue from
        should_stop: Callable[[], bool] | None = None,  # checked every step: a cancel lands now
        video_kv: dict | None = None,  # the video K/V of an earlier window of the same cues
        on_step: Callable[[int], None] | None = None,  # after each step (benches time prefill)
    ) -> torch.Tensor:
        """Sample [B, K, num_frames] EnCodec codes with MusicGen's delay pattern [0, 1, .., K-1].

        Codebook k at decode step s is frame s - k: before 0 or after the end it is the pad
        token; inside the prompt it is forced to the prompt (continuation).
        """
        b, k, pad = cond.batch_size, self.num_codebooks, self.pad_token_id
        if len(generators) != b:
            raise ValueError(f"need one generator per cue: {len(generators)} for {b} cues")
        p = 0 if prompt is None else prompt.shape[-1]
        if p >= num_frames:
            raise ValueError(f"prompt of {p} frames leaves nothing to generate in {num_frames}")
        guided = sampling.guidance_scale > 1.0
        run, null_rows = self.with_null_branch(cond) if guided else (cond, 0)
        steps = num_frames + k - 1
        seq = torch.full((b, k, steps + 1), pad, dtype=torch.long, device=self.device)
        frame_of = (
            torch.arange(steps + 1, device=self.device)[None, :]
            - 1
            - torch.arange(k, device=self.device)[:, None]
        )
        if prompt is not None:  # teacher-force the known frames in the delayed layout
            for cb in range(k):
                seq[:, cb, 1 + cb : 1 + cb + p] = prompt[:, cb].to(self.device)
        cache = self._new_cache(steps + 1)
        kv = {} if video_kv is None else video_kv
        memory = self._video_memory_for(run, null_rows, sampling.guidance, kv)
        with self.video_memory(memory):
            start = 0
            for s in range(p, steps):
                if should_stop is not None and should_stop():
                    raise CueCancelled("stopped mid-cue: the job was cancelled")
                # the first call prefills (start token + prompt); then one position per step
                one = s > p and self.compiled_step is not None
                step = self.compiled_step if one else self._decoder_step
                logits = step(seq[:, :, start : s + 1], run, cache, guided)  # [2B or B, K, V]
                start = s + 1
                if guided:
                    c, u = logits[:b], logits[b:]
                    logits = u + (c - u) * sampling.guidance_scale
                nxt = sample_top_k(logits, sampling.top_k, sampling.temperature, generators)
                f = frame_of[:, s + 1]  # [K] frame index each codebook is writing
                keep_prompt = (f >= 0) & (f < p)
                valid = (f >= 0) & (f < num_frames)
                nxt = torch.where(valid[None, :], nxt, torch.full_like(nxt, pad))
                seq[:, :, s + 1] = torch.where(keep_prompt[None, :], seq[:, :, s + 1], nxt)
                if on_step is not None:
                    on_step(s)
        return torch.stack([seq[:, cb, 1 + cb : 1 + cb + num_frames] for cb in range(k)], dim=1)

    def _new_cache(self, length: int) -> EncoderDecoderCache:
        if not self.static_cache:
            return EncoderDecoderCache(DynamicCache(), DynamicCache())
        decoder_config = self.musicgen.config.decoder
        return EncoderDecoderCache(
            StaticCache(decoder_config, max_cache_len=length), DynamicCache()
        )

    def enable_fast_decode(self, compile: bool = True) -> None:
        """GPU decode: static KV cache + torch.compile of the one-token step (reduce-overhead
        mode captures it in CUDA graphs). Same samples as the default path; on CPU it only
        costs compile time. Not measured on a GPU in this repository yet (see bench/)."""
        self.static_cache = True
        if compile:
            self.compiled_step = torch.compile(self._decoder_step, mode="reduce-overhead")

    def _decoder_step(
        self, tokens: torch.Tensor, run: Conditioning, cache: EncoderDecoderCache, guided: bool
    ) -> torch.Tensor:
        """One (or a prefill of several) decode positions; returns the last position's logits."""
        b, k, length = tokens.shape
        ids = tokens.reshape(b * k, length)
        if guided:
            ids = torch.cat([ids, ids], dim=0)
        out = self.musicgen.decoder(
            input_ids=ids,
            encoder_hidden_states=run.text,
            encoder_attention_mask=run.text_mask,
            cache=cache,  # transformers >= 5.24 (past_key_values= is deprecated, gone in 5.40)
            use_cache=True,
        )
        return out.logits[:, -1].reshape(-1, k, out.logits.shape[-1]).float()

    def generate_long(
        self,
        cond: Conditioning,
        num_frames: int,
        sampling: SamplingConfig,
        seeds: Sequence[int],
        should_stop: Callable[[], bool] | None = None,
    ) -> torch.Tensor:
        """Codes of any length: windows of `window_frames`, each re-prompted with the tail
        (window - stride frames) of what came before, as audiocraft extends past 30 s. The
        codes are decoded in one piece afterwards, so no seam exists in the audio domain."""
        generators = [make_generator(seed, self.device) for seed in seeds]
        window = min(sampling.window_frames, num_frames)
        kv: dict = {}  # the video K/V do not change between windows: computed once per cue
        codes = self.generate_codes(
            cond, window, sampling, generators, should_stop=should_stop, video_kv=kv
        )
        keep = max(1, sampling.window_frames - sampling.stride_frames)
        while codes.shape[-1] < num_frames:
            tail = codes[..., -keep:]
            todo = min(num_frames - codes.shape[-1], sampling.window_frames - keep)
            more = self.generate_codes(
                cond, keep + todo, sampling, generators, prompt=tail, should_stop=should_stop,
                video_kv=kv,
            )  # fmt: skip
            codes = torch.cat([codes, more[..., keep:]], dim=-1)
        return codes

    @torch.inference_mode()
    def decode_audio(self, codes: torch.Tensor) -> torch.Tensor:
        """EnCodec decode: [B, K, N] codes -> [B, samples] float waveform at `sampling_rate`."""
        audio = self.musicgen.audio_encoder.decode(codes[None].to(self.device), [None]).audio_values
        return audio[:, 0].float()

    @torch.inference_mode()
    def encode_audio(self, waveform: torch.Tensor) -> torch.Tensor:
        """EnCodec encode: [B, samples] at `sampling_rate` -> [B, K, N] codes (training data)."""
        enc = self.musicgen.audio_encoder.encode(waveform[:, None].to(self.device, self.dtype))
        return enc.audio_codes[0]


def sample_top_k(
    logits: torch.Tensor, top_k: int, temperature: float, generators: Sequence[torch.Generator]
) -> torch.Tensor:
    """[B, K, V] logits -> [B, K] tokens; each cue draws from its own generator so its seed
    alone decides its music, whatever else shares the batch."""
    if temperature <= 0:
        return logits.argmax(-1)
    logits = logits / temperature
    if 0 < top_k < logits.shape[-1]:
        kth = torch.topk(logits, top_k, dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = logits.softmax(-1)
    rows = [
        torch.multinomial(probs[i], 1, generator=g).squeeze(-1) for i, g in enumerate(generators)
    ]
    return torch.stack(rows, dim=0)


def make_generator(seed: int, device: torch.device) -> torch.Generator:
    g = torch.Generator(device=device)
    g.manual_seed(int(seed) & 0x7FFF_FFFF_FFFF_FFFF)
    return g


# Teacher forcing (training and validation) --------------------------------------------------


def delay_pattern(codes: torch.Tensor, pad: int) -> torch.Tensor:
    """[B, K, N] -> [B, K, N + K] decoder inputs: start token, then codebook k shifted by k."""
    b, k, n = codes.shape
    out = torch.full((b, k, n + k), pad, dtype=codes.dtype, device=codes.device)
    for cb in range(k):
        out[:, cb, 1 + cb : 1 + cb + n] = codes[:, cb]
    return out


def codes_loss(model: MusicgenVideo, cond: Conditioning, codes: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over codebooks of predicting each delayed code from the ones before."""
    pad = model.pad_token_id
    b, k, _ = codes.shape
    seq = delay_pattern(codes, pad)
    logits = model.forward_logits(cond, seq[:, :, :-1].reshape(b * k, -1))
    labels = (
        seq[:, :, 1:].reshape(b * k, -1).masked_fill(seq[:, :, 1:].reshape(b * k, -1) == pad, -100)
    )
    return nn.functional.cross_entropy(
        logits.float().reshape(-1, logits.shape[-1]),
        labels.reshape(-1).to(logits.device),
        ignore_index=-100,
    )
