"""How fast the engine reads the picture, against a decode-only pass of the same file.

Prints seconds of 1080p H.264 video analysed per wall second for:
  decode-only   PyAV decodes every frame, threads on, nothing else (the ceiling)
  descriptors   analyze_segment(sampling="all"): every frame described (target >= 0.8x ceiling)
  keyframes     analyze_segment(sampling="keyframes"): the long-segment mode
  cache hit     analyze_segment again with the cache warm
and the cost of the ViViT pass on CPU (32 frames sampled, then VivitModel at the
vivit-b-16x2-kinetics400 size with random weights: the cost does not depend on the weights).

    python bench/bench_picture.py            # 20 s of 1080p24, full 12-layer ViViT
    python bench/bench_picture.py --quick    # 4 s, ViViT with 1 layer, projected to 12
    python bench/bench_picture.py --seconds 60 --through-composer --no-vivit   # issue 23's check
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import torch

from cuebridge.engine.picture.analysis import analyze_segment
from cuebridge.engine.picture.vivit import VivitTokenizer
from cuebridge.engine.segment import MediaSpan, Rate, Segment

RATE = 24


def make_movie(path: Path, seconds: float, gop: int, preset: str) -> Path:
    """1080p24 H.264 with a moving, textured picture (a pan over noise plus a sweeping band)."""
    rng = np.random.default_rng(0)
    texture = rng.integers(0, 256, (1080 // 4, 4096 // 4, 3), dtype=np.uint8)
    texture = np.repeat(np.repeat(texture, 4, axis=0), 4, axis=1)  # 4x4 blocks: codable detail
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=RATE)
        stream.width, stream.height, stream.pix_fmt = 1920, 1080, "yuv420p"
        stream.options = {"preset": preset, "crf": "23", "g": str(gop)}
        for i in range(int(seconds * RATE)):
            x = (i * 8) % (texture.shape[1] - 1920)
            image = texture[:, x : x + 1920].copy()
            band = (i * 40) % 1920
            image[:, band : band + 200] //= 3
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, RATE)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def decode_only(path: Path) -> int:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        return sum(1 for _ in container.decode(stream))


def best_of(runs: int, fn):
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def interleaved(runs: int, passes: dict):
    """Best wall and CPU time of each pass over `runs` rounds, the passes taking turns in every
    round so that load from other processes falls on all of them alike. CPU time counts every
    thread of this process (the codec's too): it is the steadier figure on a shared machine."""
    wall = {name: float("inf") for name in passes}
    cpu = {name: float("inf") for name in passes}
    results = {}
    for _ in range(runs):
        for name, fn in passes.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            results[name] = fn()
            wall[name] = min(wall[name], time.perf_counter() - start)
            cpu[name] = min(cpu[name], time.process_time() - start_cpu)
    return wall, cpu, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short file and a 1-layer ViViT")
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--gop", type=int, default=48, help="keyframe interval, frames")
    parser.add_argument(
        "--preset",
        default="veryfast",
        help="x264 preset of the test file: veryfast has CABAC and B-frames like camera and "
        "delivery H.264; ultrafast decodes far faster and is the hardest case for the ratio",
    )
    parser.add_argument(
        "--through-composer",
        action="store_true",
        help="also time a composer cue with the clip online against the same cue offline",
    )
    parser.add_argument("--no-vivit", action="store_true", help="skip the ViViT pass")
    args = parser.parse_args()
    seconds = args.seconds or (4.0 if args.quick else 20.0)
    runs = 3 if args.quick else 7
    torch.set_num_threads(max(1, torch.get_num_threads()))

    with tempfile.TemporaryDirectory() as tmp:
        movie = make_movie(Path(tmp) / "bench-1080p.mp4", seconds, args.gop, args.preset)
        frames = int(seconds * RATE)
        segment = Segment(
            "bench", Rate(RATE), frames, media=(MediaSpan(str(movie), 0.0, seconds, 0, frames),)
        )
        decode_only(movie)  # warm the page cache and the codec libraries
        cache_dir = Path(tmp) / "cache"
        analyze_segment(segment, cache_dir=cache_dir)
        times, cpu, results = interleaved(
            runs,
            {
                "decode-only": lambda: decode_only(movie),
                "descriptors": lambda: analyze_segment(segment),
                "keyframes": lambda: analyze_segment(segment, sampling="keyframes"),
                "cache hit": lambda: analyze_segment(segment, cache_dir=cache_dir),
            },
        )
        t_decode, t_desc, t_keys, t_hit = times.values()
        n, picture, keys, hit = results.values()

        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"machine: {os.cpu_count()} CPUs, load average {load} (shared with other work)")
        print(
            f"media: {movie.stat().st_size / 1e6:.1f} MB, {seconds:g} s of 1920x1080 H.264 at "
            f"{RATE} fps, GOP {args.gop}, x264 {args.preset}, {n} frames; "
            f"torch threads {torch.get_num_threads()}; best of {runs} interleaved rounds"
        )
        print(
            f"{'pass':<14}{'video s / wall s':>18}{'vs decode-only':>16}"
            f"{'video s / CPU s':>17}{'vs decode-only':>16}{'frames decoded':>16}"
        )
        c_decode = cpu["decode-only"]
        for name, t, decoded in (
            ("decode-only", t_decode, n),
            ("descriptors", t_desc, picture.frames_decoded),
            ("keyframes", t_keys, keys.frames_decoded),
            ("cache hit", t_hit, hit.frames_decoded),
        ):
            c = max(cpu[name], 1e-9)
            print(
                f"{name:<14}{seconds / t:>18.1f}{t_decode / t:>15.2f}x"
                f"{seconds / c:>17.1f}{c_decode / c:>15.2f}x{decoded:>16}"
            )
        print(
            f"descriptor pass / decode-only throughput: wall {t_decode / t_desc:.2f}, "
            f"CPU {c_decode / cpu['descriptors']:.2f} (target >= 0.80)"
        )
        print(f"keyframe-only speed-up over the descriptor pass: {t_desc / t_keys:.1f}x")
        if args.through_composer:
            through_composer(segment, movie, Path(tmp), runs, cpu["decode-only"], seconds)
        if args.no_vivit:
            return

        layers = 1 if args.quick else 12
        from transformers import VivitConfig, VivitModel

        torch.manual_seed(0)
        model = VivitModel(VivitConfig(num_hidden_layers=layers)).eval()
        tokenizer = VivitTokenizer(model)
        t_frames, sampled = best_of(1, lambda: tokenizer.frames(segment))
        t_model, tokens = best_of(1, lambda: tokenizer.tokens_from_frames(sampled))
        note = "" if layers == 12 else f" (measured with {layers} layer; x12 projected)"
        model_s = t_model * (12 / layers)
        print(
            f"ViViT on CPU: 32 frames sampled in {t_frames:.2f} s; tokens {tuple(tokens.shape)} "
            f"in {model_s:.2f} s{note}; total {t_frames + model_s:.2f} s per segment"
        )


def through_composer(
    segment: Segment, movie: Path, tmp: Path, runs: int, c_decode: float, seconds: float
) -> None:
    """The picture's share of a composer cue, as an outside judge would measure it: the same
    segment scored with its clip online and offline, no picture cache, CPU time of this process
    (the composer makes one cue in-process; the codec's threads are counted)."""
    from cuebridge.engine.models.composer.model import ComposerModel
    from cuebridge.engine.segment import GenerationOptions

    model = ComposerModel(font_cache=tmp / "fonts")
    offline = replace(segment, media=(replace(segment.media[0], path=""),))
    out = tmp / "cues"
    out.mkdir(exist_ok=True)
    options = GenerationOptions()
    model.generate(offline, options, out)  # font decoded and cached, libraries loaded
    _, cpu, _ = interleaved(
        runs,
        {
            "online": lambda: model.generate(segment, options, out),
            "offline": lambda: model.generate(offline, options, out),
        },
    )
    picture = max(cpu["online"] - cpu["offline"], 1e-9)
    print(
        f"composer cue, clip online {cpu['online']:.2f} CPU s, offline {cpu['offline']:.2f} CPU s: "
        f"the picture adds {picture:.2f} CPU s = {seconds / picture:.1f} video s / CPU s, "
        f"{c_decode / picture:.2f}x decode-only throughput (target >= 0.90)"
    )


if __name__ == "__main__":
    main()
