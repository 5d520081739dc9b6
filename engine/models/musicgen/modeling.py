"""MusicGen with the OSSL video adapter, on transformers' `MusicgenForConditionalGeneration`.

Read top to bottom like a transformers model file:

1. `VideoAdapterConfig`: the adapter's few hyper-parameters (saved as a small JSON file).
2. `VideoCrossAttention`: per decoder layer, Linear(768 -> d_model) over the ViViT tokens, then a
   cross-attention (transformers' own `MusicgenAttention`) whose output is multiplied by a
   learnable scalar gate initialised at 0.
3. `MusicgenTextVideoAttention`: replaces each layer's `encoder_attn`. It *is* the text
   cross-attention (a `MusicgenAttention` subclass, so checkpoint keys and transformers'
   `generate()` are untouched) and adds the gated video attention computed from the same normed
   queries, before the layer's residual. With every gate at 0 the output is bit-identical.
4. `MusicgenVideo`: the wrapped model; conditioning (T5 text -> enc_to_dec_proj, video tokens),
   classifier-free guidance with a null branch for text *and* video, the delay-pattern decode
   loop with per-cue seeds, windowed continuation for long cues, EnCodec decoding.

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


# 2. The video cross-attention ----------------------------------------------------------------


@dataclass
class VideoMemory:
    """The video tokens of a batch, as the adapter layers see them during one forward/decode."""

    tokens: torch.Tensor  # [B, T, video_dim]
    present: torch.Tensor  # [B] 1.0 = use the video, 0.0 = the null branch of guidance
    attention_mask: torch.Tensor | None = None  # additive [B, 1, 1, T]; None = all valid
    # Holds each layer's projected video K/V after the first decode step (None when training).
    cache: EncoderDecoderCache | None = None


class VideoCrossAttention(nn.Module):
    """Linear(768 -> d_model) over the video tokens, cross-attention, times a scalar gate."""

    def __init__(self, config: MusicgenDecoderConfig, adapter: VideoAdapterConfig, layer_idx: int):
        super().__init__()
        self.layer_idx = layer_idx
        self.proj = nn.Linear(adapter.video_dim, config.hidden_size)
        self.attn = MusicgenAttention(
            config.hidden_size,
            config.num_attention_heads,
            dropout=config.attention_dropout,
            is_decoder=True,
            bias=False,  # like MusicGen's own cross-attention
            config=config,
            layer_idx=layer_idx,
        )
        self.gate = nn.Parameter(torch.full((), float(adapter.gate_init)))

    def forward(self, hidden_states: torch.Tensor, memory: VideoMemory) -> torch.Tensor:
        cache = memory.cache
        if cache is not None and cache.is_updated.get(self.layer_idx):
            # K/V come from the cache; the attention only needs *a* key_value_states to know it
            # is a cross-attention, so skip re-projecting 3137 tokens every step.
            video = hidden_states[:, :1]
        else:
            video = self.proj(memory.tokens.to(hidden_states.dtype))
        out, _ = self.attn(
            hidden_states,
            key_value_states=video,
            attention_mask=memory.attention_mask,
            past_key_values=cache,
        )
        scale = self.gate * memory.present.to(out.dtype)[:, None, None]
        return out * scale


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

    @property
    def batch_size(self) -> int:
        return self.text.shape[0]

    def select(self, rows: Sequence[int]) -> Conditioning:
        def pick(t: torch.Tensor | None) -> torch.Tensor | None:
            return None if t is None else t.index_select(0, torch.as_tensor(rows, device=t.device))

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
        self, cond: Conditioning, null_rows: int, cache: EncoderDecoderCache | None
    ) -> VideoMemory | None:
        """Video memory for [cond rows; null rows]: null rows get present = 0 (no video term)."""
        if cond.video is None:
            return None
        video = cond.video.to(self.device)
        b = video.shape[0]
        present = torch.zeros(b + null_rows, device=self.device)
        present[:b] = 1.0 if cond.video_present is None else cond.video_present.to(self.device)
        if null_rows:
            video = torch.cat([video, video[:null_rows]], dim=0)  # contents unused: gated off
        additive = None
        if cond.video_mask is not None:
            vm = cond.video_mask.to(self.device).bool()
            if null_rows:
                vm = torch.cat([vm, vm[:null_rows]], dim=0)
            additive = torch.zeros(vm.shape, dtype=self.dtype, device=self.device)
            additive = additive.masked_fill(~vm, torch.finfo(self.dtype).min)[:, None, None, :]
        return VideoMemory(video, present, additive, cache)

    # -- teacher-forced forward (tests, training) --

    def forward_logits(
        self,
        cond: Conditioning,
        decoder_input_ids: torch.Tensor,  # [B * K, L]
        video_present: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Logits [B * K, L, V] of the decoder, conditioned on text and (optionally) video."""
        memory = self._video_memory_for(cond, 0, None)
        if memory is not None and video_present is not None:
            memory.present = video_present.to(self.device, torch.float32)
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
        builds it when it encodes text itself), null video is the video term gated off."""
        b = cond.batch_size
        text = torch.cat([cond.text, torch.zeros_like(cond.text)], dim=0)
        mask = torch.cat([cond.text_mask, torch.zeros_like(cond.text_mask)], dim=0)
        return Conditioning(text, mask, cond.video, cond.video_mask, cond.video_present), b

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
        video_cache = EncoderDecoderCache(DynamicCache(), DynamicCache())
        memory = self._video_memory_for(run, null_rows, video_cache)
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
            past_key_values=cache,
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
        codes = self.generate_codes(cond, window, sampling, generators, should_stop=should_stop)
        keep = max(1, sampling.window_frames - sampling.stride_frames)
        while codes.shape[-1] < num_frames:
            tail = codes[..., -keep:]
            todo = min(num_frames - codes.shape[-1], sampling.window_frames - keep)
            more = self.generate_codes(
                cond, keep + todo, sampling, generators, prompt=tail, should_stop=should_stop
            )
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
