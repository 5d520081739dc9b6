"""Decode speed of musicgen-video against transformers' own generate() of the same model.

Both run in this process on the same randomly initialised model (nothing is downloaded): the
MusicGen architecture with the video adapter installed (gates opened so the video attention
really runs), classifier-free guidance (batch 2B), 3137 ViViT tokens per cue, sampling top-k 250.
Figures are decode steps per second (one step = one frame of all 4 codebooks, for the whole
batch) including the EnCodec decode at the end, which transformers' generate() always does.

    python bench/bench_musicgen.py --quick          # CPU, small config, well under a minute
    python bench/bench_musicgen.py                  # CPU: a musicgen-small-wide, 6-layer config
    python bench/bench_musicgen.py --size medium --device cuda --dtype bf16 --compile
                                                    # GPU: the real MusicGen-medium architecture
                                                    # (written, not yet measured on a GPU)

"bandwidth bound" = the weights' bytes read per step over a copy bandwidth measured in this run:
at batch 1 a decoder step cannot be faster than reading every weight once.
"""

from __future__ import annotations

import argparse
import time

import torch
from transformers import EncodecConfig, MusicgenConfig, MusicgenDecoderConfig, T5Config
from transformers.cache_utils import DynamicCache, EncoderDecoderCache

from cuebridge.engine.models.musicgen.modeling import MusicgenVideo, SamplingConfig, make_generator

SIZES = {
    # name: (hidden, layers, heads, ffn, text encoder like t5-base?)
    "quick": (256, 4, 8, 1024, False),
    "cpu": (1024, 6, 16, 4096, False),
    "small": (1024, 24, 16, 4096, True),
    "medium": (1536, 48, 24, 6144, True),
}
VIDEO_TOKENS = 3137


def build(size: str, device: str, dtype: torch.dtype) -> MusicgenVideo:
    from transformers import MusicgenForConditionalGeneration

    hidden, layers, heads, ffn, t5_base = SIZES[size]
    if t5_base:  # MusicGen's text encoder is t5-base
        text = T5Config(d_model=768, d_kv=64, d_ff=3072, num_layers=12, num_heads=12)
    else:
        text = T5Config(d_model=256, d_kv=32, d_ff=512, num_layers=2, num_heads=8)
    audio = EncodecConfig(sampling_rate=32000, upsampling_ratios=[8, 5, 4, 4],
                          target_bandwidths=[2.2], codebook_size=2048, num_filters=64,
                          hidden_size=128, normalize=False, use_causal_conv=False)  # fmt: skip
    decoder = MusicgenDecoderConfig(hidden_size=hidden, num_hidden_layers=layers,
                                    num_attention_heads=heads, ffn_dim=ffn, vocab_size=2048,
                                    num_codebooks=4, dropout=0.0)  # fmt: skip
    config = MusicgenConfig(text_encoder=text, audio_encoder=audio, decoder=decoder)
    torch.manual_seed(0)
    mg = MusicgenForConditionalGeneration(config).to(device=device, dtype=dtype).eval()
    mg.generation_config.pad_token_id = mg.generation_config.decoder_start_token_id = 2048
    model = MusicgenVideo.from_musicgen(mg)
    model.set_gates(0.1)
    return model


def conditioning(model: MusicgenVideo, batch: int):
    ids = torch.randint(0, 1000, (batch, 12), device=model.device)
    mask = torch.ones_like(ids)
    with torch.inference_mode():
        cond = model.encode_text(ids, mask)
    cond.video = torch.randn(batch, VIDEO_TOKENS, 768, device=model.device, dtype=model.dtype)
    return ids, mask, cond


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def timed(fn, device: str, repeats: int) -> float:
    fn()  # warm-up (and compilation)
    best = float("inf")
    for _ in range(repeats):
        sync(device)
        t = time.perf_counter()
        fn()
        sync(device)
        best = min(best, time.perf_counter() - t)
    return best


def ours(model: MusicgenVideo, cond, steps: int, batch: int):
    sampling = SamplingConfig(guidance_scale=3.0, top_k=250, window_frames=steps)

    def run():
        gens = [make_generator(i, model.device) for i in range(batch)]
        codes = model.generate_codes(cond, steps, sampling, gens)
        model.decode_audio(codes)

    return run


def transformers_generate(model: MusicgenVideo, ids, mask, cond, steps: int):
    """transformers' generate() on the very same adapted model; the video memory is lent to
    the adapter layers for the call (CFG doubles the batch: null rows get no video)."""

    def run():
        both, b = model.with_null_branch(cond)
        cache = EncoderDecoderCache(DynamicCache(), DynamicCache())
        memory = model._video_memory_for(both, b, cache)
        with model.video_memory(memory), torch.inference_mode():
            model.musicgen.generate(input_ids=ids, attention_mask=mask, do_sample=True, top_k=250,
                                    guidance_scale=3.0, max_new_tokens=steps + 3)  # fmt: skip

    return run


def copy_bandwidth(device: str, dtype: torch.dtype) -> float:
    """Bytes per second of a large device-to-device copy (read + write counted)."""
    x = torch.empty(64 * 2**20, dtype=torch.float32, device=device)
    y = torch.empty_like(x)
    t = timed(lambda: y.copy_(x), device, 5)
    return 2 * x.numel() * x.element_size() / t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny config, few steps (CPU check)")
    ap.add_argument("--size", choices=sorted(SIZES), default=None)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--dtype", choices=["fp32", "bf16", "fp16"], default=None)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument(
        "--compile",
        action="store_true",
        help="static KV cache + torch.compile(reduce-overhead): CUDA graphs on GPU",
    )
    ap.add_argument("--static", action="store_true", help="static KV cache only")  # fmt: skip
    ap.add_argument("--threads", type=int, default=1,
                    help="CPU threads (1: on a shared machine more threads spin-wait)")  # fmt: skip
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    gpu = args.device.startswith("cuda")
    size = args.size or ("quick" if args.quick else ("medium" if gpu else "cpu"))
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[
        args.dtype or ("bf16" if gpu else "fp32")
    ]
    steps = args.steps or (12 if args.quick else (250 if gpu else 48))
    repeats = args.repeats or (1 if args.quick else (3 if gpu else 2))
    torch.set_grad_enabled(False)
    model = build(size, args.device, dtype)
    if args.compile or args.static:
        model.enable_fast_decode(compile=args.compile)
    decoder_bytes = sum(p.numel() * p.element_size() for p in model.musicgen.decoder.parameters())
    bw = copy_bandwidth(args.device, dtype)
    print(f"musicgen-video bench: size={size} device={args.device} dtype={dtype} steps={steps} "
          f"static={args.static or args.compile} compile={args.compile} "
          f"threads={torch.get_num_threads()}")  # fmt: skip
    print(f"decoder weights {decoder_bytes / 2**20:.1f} MiB; copy bandwidth {bw / 1e9:.1f} GB/s")
    for batch in [int(b) for b in args.batches.split(",")]:
        ids, mask, cond = conditioning(model, batch)
        t_theirs = timed(transformers_generate(model, ids, mask, cond, steps), args.device, repeats)
        t_ours = timed(ours(model, cond, steps, batch), args.device, repeats)
        sps_theirs, sps_ours = steps / t_theirs, steps / t_ours
        bound = bw / decoder_bytes  # steps/s if a step only had to read the weights once
        print(
            f"batch {batch}: transformers generate {sps_theirs:7.2f} steps/s | "
            f"musicgen-video {sps_ours:7.2f} steps/s | ratio {sps_ours / sps_theirs:5.2f}x | "
            f"bandwidth bound {bound:8.1f} steps/s -> {sps_ours / bound:6.1%} of it"
        )


if __name__ == "__main__":
    main()
