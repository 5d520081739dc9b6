"""ViViT video tokens for the neural model (the OSSL video adapter's visual memory).

32 frames evenly spaced over the segment (the first 150 s at most), each frame taken from the
clip on screen at that moment, through transformers' VivitModel
(google/vivit-b-16x2-kinetics400 layout): last_hidden_state[0] is [3137, 768].

Frames are scaled to the processor's short edge inside the decoder (swscale), then centre-
cropped and normalised exactly as VivitImageProcessor does; no PIL needed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch

from cuebridge.engine.picture import decode
from cuebridge.engine.picture.decode import MediaError, frames_at, is_image_sequence, upright
from cuebridge.engine.segment import Segment

MAX_SPAN_S = 150.0
DEFAULT_ID = "google/vivit-b-16x2-kinetics400"
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


class VivitWeightsMissing(FileNotFoundError):
    """No local ViViT checkpoint; the message names the files and where to put them."""


@dataclass(frozen=True)
class VivitPreprocess:
    """VivitImageProcessor's settings (its defaults unless a preprocessor_config says else)."""

    short_edge: int = 256
    crop: tuple[int, int] = (224, 224)  # height, width
    rescale_factor: float = 1 / 127.5
    offset: bool = True  # shift to [-1, 1] after rescaling
    mean: tuple[float, float, float] = (0.5, 0.5, 0.5)
    std: tuple[float, float, float] = (0.5, 0.5, 0.5)

    @classmethod
    def for_image_size(cls, image_size: int) -> VivitPreprocess:
        """The default pipeline scaled to a model's image size (224 -> short edge 256)."""
        return cls(short_edge=round(image_size * 256 / 224), crop=(image_size, image_size))

    @classmethod
    def from_processor(cls, processor) -> VivitPreprocess:
        """Read a VivitImageProcessor (or any object with its attributes) or its config dict."""
        get = (
            processor.get
            if isinstance(processor, dict)
            else lambda k, d=None: getattr(processor, k, d)
        )
        size = get("size") or {"shortest_edge": 256}
        crop = get("crop_size") or {"height": 224, "width": 224}
        short = size.get("shortest_edge") or min(size.get("height", 256), size.get("width", 256))
        mean = get("image_mean") or (0.5, 0.5, 0.5)
        std = get("image_std") or (0.5, 0.5, 0.5)
        return cls(
            short_edge=int(short),
            crop=(int(crop["height"]), int(crop["width"])),
            rescale_factor=float(get("rescale_factor", 1 / 127.5) or 1 / 127.5),
            offset=bool(get("offset", True)),
            mean=tuple(float(m) for m in np.broadcast_to(mean, 3)),
            std=tuple(float(s) for s in np.broadcast_to(std, 3)),
        )


def sample_times(duration_s: float, count: int) -> list[float]:
    """Centres of `count` equal parts of the first MAX_SPAN_S seconds of the segment."""
    span = min(duration_s, MAX_SPAN_S)
    return [(i + 0.5) * span / count for i in range(count)]


class VivitTokenizer:
    def __init__(self, model, image_processor=None):
        self.model = model.eval()
        image_size = model.config.image_size
        image_size = image_size if isinstance(image_size, int) else image_size[0]
        if image_processor is not None:
            self.preprocess = VivitPreprocess.from_processor(image_processor)
        else:
            self.preprocess = VivitPreprocess.for_image_size(image_size)
        self.num_frames = int(model.config.num_frames)
        self.frames_decoded = 0

    @classmethod
    def from_pretrained(cls, path_or_id: str = DEFAULT_ID, device: str = "cpu") -> VivitTokenizer:
        """Load a local checkpoint folder or a Hugging Face cache entry, offline only."""
        from transformers import VivitModel

        try:
            # use_kernels=False: transformers >= 5.25 would otherwise fetch hub kernels
            model = VivitModel.from_pretrained(path_or_id, local_files_only=True, use_kernels=False)
        except (OSError, ValueError) as exc:
            raise VivitWeightsMissing(_missing_message(path_or_id, exc)) from exc
        processor = _read_preprocessor_config(path_or_id)
        return cls(model.to(device), processor)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def tokens_from_frames(self, frames: np.ndarray) -> torch.Tensor:
        """frames [T, H, W, 3] uint8 (T = the model's num_frames) -> [num_tokens, hidden]."""
        frames = np.asarray(frames)
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.shape[0] != self.num_frames:
            raise ValueError(
                f"expected frames [{self.num_frames}, H, W, 3] uint8, got {list(frames.shape)}"
            )
        weights = next(self.model.parameters())
        pixels = self._pixel_values(frames).to(weights.device, dtype=weights.dtype)
        with torch.inference_mode():
            hidden = self.model(pixel_values=pixels).last_hidden_state[0]
        return hidden.float().cpu()

    def tokens(self, segment: Segment) -> torch.Tensor:
        """Tokens for the picture under a segment; offline or unreadable moments are black."""
        return self.tokens_from_frames(self.frames(segment))

    def frames(self, segment: Segment) -> np.ndarray:
        """The num_frames sampled frames of a segment, [T, H, W, 3] uint8, short edge scaled."""
        h, w = self.preprocess.crop
        short = self.preprocess.short_edge
        out = np.zeros((self.num_frames, max(h, short), max(w, short), 3), np.uint8)
        wanted: dict[int, list[tuple[int, float]]] = {}
        for i, t in enumerate(sample_times(segment.duration_s, self.num_frames)):
            hit = _span_at(segment, t)
            if hit is not None:
                span_index, source_t = hit
                wanted.setdefault(span_index, []).append((i, source_t))
        for span_index, items in wanted.items():
            span = segment.media[span_index]
            rate = segment.rate.fps if is_image_sequence(span.path) else Fraction(24)
            items.sort(key=lambda it: it[1])
            try:
                frames = frames_at(span.path, [t for _, t in items], sequence_rate=rate)
            except MediaError:
                continue  # the analysis pass reports bad clips; here they are just black
            for (i, _), frame in zip(items, frames, strict=True):
                if frame is not None:
                    out[i] = _fit(_scaled_rgb(frame, short), out.shape[1:3])
                    self.frames_decoded += 1
        return out

    def _pixel_values(self, frames: np.ndarray) -> torch.Tensor:
        p = self.preprocess
        x = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float()
        height, width = x.shape[-2:]
        scale = p.short_edge / min(height, width)
        size = (max(p.crop[0], round(height * scale)), max(p.crop[1], round(width * scale)))
        if size != (height, width):
            x = torch.nn.functional.interpolate(
                x, size=size, mode="bilinear", antialias=True, align_corners=False
            )
        top = (x.shape[-2] - p.crop[0]) // 2
        left = (x.shape[-1] - p.crop[1]) // 2
        x = x[..., top : top + p.crop[0], left : left + p.crop[1]]
        x = x * p.rescale_factor
        if p.offset:
            x = x - 1.0
        mean = torch.tensor(p.mean).view(1, 3, 1, 1)
        std = torch.tensor(p.std).view(1, 3, 1, 1)
        return ((x - mean) / std).unsqueeze(0)


def _span_at(segment: Segment, t: float) -> tuple[int, float] | None:
    """Which clip is on screen at segment time t, and the source time it shows."""
    for index, span in enumerate(segment.media):
        if not span.path:
            continue
        start = float(segment.rate.seconds(span.record_offset_frames))
        dur = float(segment.rate.seconds(span.record_duration_frames))
        if start <= t < start + dur and dur > 0:
            speed = span.source_duration_s / dur
            return index, span.source_start_s + (t - start) * speed
    return None


def _scaled_rgb(frame, short_edge: int) -> np.ndarray:
    """Scale in the decoder's scaler (cheap, early) so the short edge is short_edge."""
    rotation = int(getattr(frame, "rotation", 0) or 0)
    width, height = frame.width, frame.height
    if round(rotation / 90) % 2:
        width, height = height, width  # the displayed short edge is the stored long one
    scale = short_edge / min(width, height)
    w, h = max(short_edge, round(width * scale)), max(short_edge, round(height * scale))
    if round(rotation / 90) % 2:
        w, h = h, w
    rgb = decode.scale(frame, w, h, "rgb24", "BILINEAR").to_ndarray()
    return upright(rgb, frame)


def _fit(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Centre-crop or pad an image to shape, so frames of different clips stack."""
    out = np.zeros((*shape, 3), np.uint8)
    h, w = min(shape[0], image.shape[0]), min(shape[1], image.shape[1])
    top, left = (image.shape[0] - h) // 2, (image.shape[1] - w) // 2
    otop, oleft = (shape[0] - h) // 2, (shape[1] - w) // 2
    out[otop : otop + h, oleft : oleft + w] = image[top : top + h, left : left + w]
    return out


def _read_preprocessor_config(path_or_id: str) -> dict | None:
    folder = Path(path_or_id)
    candidate = folder / "preprocessor_config.json" if folder.is_dir() else None
    if candidate is None:
        try:
            from huggingface_hub import try_to_load_from_cache

            found = try_to_load_from_cache(path_or_id, "preprocessor_config.json")
            candidate = Path(found) if isinstance(found, str) else None
        except Exception:  # noqa: BLE001 - no hub library or no cache: use the defaults
            candidate = None
    if candidate is None or not candidate.exists():
        return None
    return json.loads(candidate.read_text())


def _missing_message(path_or_id: str, exc: Exception) -> str:
    folder = Path(path_or_id)
    if folder.is_dir():
        present = sorted(p.name for p in folder.iterdir())
        where = f"the folder {folder} (it holds: {', '.join(present) or 'nothing'})"
    else:
        where = f"{path_or_id!r}, which is neither a local folder nor in the Hugging Face cache"
    return (
        f"ViViT weights not found in {where}. Needed: config.json and "
        f"{' or '.join(WEIGHT_FILES)} (preprocessor_config.json optional). On a machine with "
        f"internet run `hf download {DEFAULT_ID} --local-dir <folder>` and pass "
        f"that folder, or fill the Hugging Face cache (~/.cache/huggingface/hub, or HF_HOME). "
        f"Nothing is downloaded at run time. ({type(exc).__name__}: {exc})"
    )
