"""Decode speed of musicgen-video against transformers' own generate() of the same model.

Both run in this process on the same randomly initialised model (nothing is downloaded): the
MusicGen architecture with the video adapter installed (gates opened so the video attention
really runs), classifier-free guidance (batch 2B), 3137 ViViT tokens per video, top-k 250.

Each run is split in three, because they scale differently:
- prefill: the first decode step, which also projects every layer's video K/V (3137 tokens);
  paid once per cue (once per window of a long cue in transformers' generate);
- steady: decode steps per second after it (one step = one frame of all 4 codebooks for the
  whole batch): what the cue's length multiplies;
- EnCodec: the audio decode at the end (transformers' generate always does it).

Rows: `transformers` = generate() with the adapter's video memory lent to it (video in both
guidance halves, one video copy per row); `project, shared` = generate_codes with the batch
made of `--takes` takes per video (the cue model's best-of-N), each video's K/V computed once
and the rows that share it folded into one attention; `project, per-row` = the same rows each
given its own copy of the video, which is what the project computed before K/V sharing.
`--guidance text-and-video-null` also skips the unconditional rows' video work.

    python bench/bench_musicgen.py --quick          # CPU, small config, well under a minute
    python bench/bench_musicgen.py                  # CPU: a musicgen-small-wide, 6-layer config
    python bench/bench_musicgen.py --size medium --device cuda --dtype bf16 --compile
                                                    # GPU: MusicGen-medium sized random weights,
                                                    # batch 1 and 8 (ready; not yet run on a GPU)

"bandwidth bound" = bytes a steady step must read (the decoder weights used per step: not the
video projection nor the cached K/V projections; plus the cached video K/V of each distinct
video) over a copy bandwidth measured in this run: at batch 1 a step cannot be faster. The
per-row path reads one video K/V per row, so its bound is lower than the shared path's; the
"of bound" column uses each path's own bound.
"""

from __future__ import annotations

import argparse
import copy
import time

import torch
from transformers import EncodecConfig, MusicgenConfig, MusicgenDecoderConfig, T5Config

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


def conditioning(model: MusicgenVideo, batch: int, takes: int):
    """Text for `batch` rows and `batch // takes` videos, each shown by `takes` consecutive
    rows: (ids, mask, one video copy per row, the videos once with a row map)."""
    ids = torch.randint(0, 1000, (batch, 12), device=model.device)
    mask = torch.ones_like(ids)
    with torch.inference_mode():
        per_row = model.encode_text(ids, mask)
    videos = max(1, batch // takes)
    video = torch.randn(videos, VIDEO_TOKENS, 768, device=model.device, dtype=model.dtype)
    rows = torch.arange(batch, device=model.device) * videos // batch
    per_row.video = video.index_select(0, rows)
    shared = copy.copy(per_row)
    shared.video, shared.video_rows = video, rows
    return ids, mask, per_row, shared


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


class StepClock:
    """Times of the end of each decode step (synchronised), for prefill vs steady state."""

    def __init__(self, device: str):
        self.device, self.times = device, []

    def start(self) -> None:
        sync(self.device)
        self.times = [time.perf_counter()]

    def tick(self, *_args) -> None:
        sync(self.device)
        self.times.append(time.perf_counter())

    def split(self) -> tuple[float, float]:
        """(prefill seconds, steady steps per second)."""
        t = self.times
        return t[1] - t[0], (len(t) - 2) / max(1e-9, t[-1] - t[1])


def best_of(runs: dict, repeats: int) -> dict:
    """{name: (prefill s, steady steps/s, EnCodec s)}: the best of `repeats` runs of each,
    after a warm-up, taken in turns so that a shared machine's load drifts over all alike."""
    for run in runs.values():
        run()  # warm-up (and compilation)
    results: dict = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            results[name].append(run())
    return {n: min(r, key=lambda x: x[0] + 1 / x[1]) for n, r in results.items()}


def ours(model: MusicgenVideo, cond, steps: int, batch: int, guidance: str):
    sampling = SamplingConfig(guidance_scale=3.0, top_k=250, window_frames=steps,
                              guidance=guidance)  # fmt: skip
    clock = StepClock(str(model.device))

    def run():
        gens = [make_generator(i, model.device) for i in range(batch)]
        clock.start()
        codes = model.generate_codes(cond, steps, sampling, gens, on_step=clock.tick)
        t = time.perf_counter()
        model.decode_audio(codes)
        sync(str(model.device))
        return (*clock.split(), time.perf_counter() - t)

    return run


def transformers_generate(model: MusicgenVideo, ids, mask, cond, steps: int, guidance: str):
    """transformers' generate() on the very same adapted model; the video memory is lent to
    the adapter layers for the call. A logits processor (called once per step) times steps."""
    from transformers import LogitsProcessor, LogitsProcessorList

    clock = StepClock(str(model.device))

    class Tick(LogitsProcessor):
        def __call__(self, input_ids, scores):
            clock.tick()
            return scores

    def run():
        both, b = model.with_null_branch(cond)
        memory = model._video_memory_for(both, b, guidance, {})
        with model.video_memory(memory), torch.inference_mode():
            clock.start()
            model.musicgen.generate(input_ids=ids, attention_mask=mask, do_sample=True, top_k=250,
                                    guidance_scale=3.0, max_new_tokens=steps + 3,
                                    logits_processor=LogitsProcessorList([Tick()]))  # fmt: skip
        # generate() decodes with EnCodec after its last step: the time after the last tick
        sync(str(model.device))
        encodec = time.perf_counter() - clock.times[-1]
        return (*clock.split(), encodec)

    return run


def step_weight_bytes(model: MusicgenVideo) -> int:
    """Decoder weight bytes a steady decode step reads: K/V projections of the text and video
    and the video projection run only at prefill (their outputs are cached)."""
    once = ("encoder_attn.k_proj", "encoder_attn.v_proj", "video.proj", "video.attn.k_proj",
            "video.attn.v_proj")  # fmt: skip
    return sum(p.numel() * p.element_size() for n, p in model.musicgen.decoder.named_parameters()
               if not any(o in n for o in once))  # fmt: skip


def copy_bandwidth(device: str) -> float:
    """Bytes per second of a large device-to-device copy (read + write counted)."""
    x = torch.empty(64 * 2**20, dtype=torch.float32, device=device)
    y = torch.empty_like(x)
    y.copy_(x)
    best = float("inf")
    for _ in range(5):
        sync(device)
        t = time.perf_counter()
        y.copy_(x)
        sync(device)
        best = min(best, time.perf_counter() - t)
    return 2 * x.numel() * x.element_size() / best


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
    ap.add_argument("--takes", type=int, default=4, help="rows per video (best-of-N)")
    ap.add_argument("--guidance", default="ossl", choices=["ossl", "text-and-video-null"])
    ap.add_argument("--threads", type=int, default=1,
                    help="CPU threads (1: on a shared machine more threads spin-wait)")  # fmt: skip
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    gpu = args.device.startswith("cuda")
    size = args.size or ("quick" if args.quick else ("medium" if gpu else "cpu"))
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[
        args.dtype or ("bf16" if gpu else "fp32")
    ]
    steps = args.steps or (12 if args.quick else (250 if gpu else 32))
    repeats = args.repeats or (2 if args.quick else 3)
    torch.set_grad_enabled(False)
    model = build(size, args.device, dtype)
    if args.compile or args.static:
        model.enable_fast_decode(compile=args.compile)
    decoder_bytes = step_weight_bytes(model)
    bw = copy_bandwidth(args.device)
    bound = bw / decoder_bytes  # steady steps/s if a step only had to read the weights once
    cfg = model.musicgen.config.decoder
    kv_bytes = 2 * cfg.num_hidden_layers * VIDEO_TOKENS * cfg.hidden_size * model.dtype.itemsize
    print(f"musicgen-video bench: size={size} device={args.device} dtype={dtype} steps={steps} "
          f"guidance={args.guidance} takes={args.takes} static={args.static or args.compile} "
          f"compile={args.compile} threads={torch.get_num_threads()}")  # fmt: skip
    print(f"weights read per step {decoder_bytes / 2**20:.1f} MiB, video K/V "
          f"{kv_bytes / 2**20:.1f} MiB per video; copy bandwidth {bw / 1e9:.1f} GB/s; "
          f"weights-only bound {bound:.1f} steps/s")  # fmt: skip
    print(f"{'batch':>5} {'path':<18} {'prefill s':>9} {'steady steps/s':>14} {'vs tf':>6} "
          f"{'of bound':>8} {'EnCodec s':>9}")  # fmt: skip
    for batch in [int(b) for b in args.batches.split(",")]:
        takes = max(1, min(args.takes, batch))
        ids, mask, per_row, shared = conditioning(model, batch, takes)
        g = args.guidance
        runs = {
            "transformers": transformers_generate(model, ids, mask, per_row, steps, g),
            "project, per-row": ours(model, per_row, steps, batch, g),
            "project, shared": ours(model, shared, steps, batch, g),
        }
        best = best_of(runs, repeats)
        base = best["transformers"][1]
        videos = {"transformers": batch, "project, per-row": batch,
                  "project, shared": shared.video.shape[0]}  # fmt: skip
        for name, (prefill, steady, encodec) in best.items():
            bound = bw / (decoder_bytes + videos[name] * kv_bytes)
            print(f"{batch:>5} {name:<18} {prefill:9.3f} {steady:14.2f} {steady / base:5.2f}x "
                  f"{steady / bound:8.1%} {encodec:9.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
