"""Tiny real test media made with PyAV: every frame carries its own number in pixel blocks.

The counter is a row of black/white blocks along the top edge (one bit per block, most
significant first), large enough to survive lossy coding, so a test reads which frame it got
by content, not by trusting timestamps.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

BITS = 10
BLOCK = 16  # px; a 160 px wide frame holds the 10 bits

# The flattened reference movie of the cut tests: shots of these colours, cut at these frames.
SHOT_COLOURS = [(200, 40, 40), (40, 190, 60), (40, 60, 210), (220, 210, 60), (150, 60, 170)]
CUT_FRAMES = [20, 45, 70]


def draw_counter(image: np.ndarray, index: int) -> np.ndarray:
    width = image.shape[1]
    block = min(BLOCK, width // BITS)
    for bit in range(BITS):
        on = (index >> (BITS - 1 - bit)) & 1
        image[:block, bit * block : (bit + 1) * block] = 255 if on else 0
    return image


def read_counter(rgb: np.ndarray) -> int:
    """The frame number drawn by draw_counter, read back from a decoded RGB frame."""
    width = rgb.shape[1]
    block = min(BLOCK, width // BITS)
    value = 0
    for bit in range(BITS):
        patch = rgb[2 : block - 2, bit * block + 2 : (bit + 1) * block - 2]
        value = (value << 1) | int(patch.mean() > 128)
    return value


def flat(colour: Sequence[int]) -> Callable[[int, int, int], np.ndarray]:
    """A still shot of one colour with a little texture (codecs dislike perfectly flat frames)."""

    def paint(index: int, width: int, height: int) -> np.ndarray:
        rng = np.random.default_rng(7)
        image = np.empty((height, width, 3), np.uint8)
        image[:] = np.asarray(colour, np.uint8)
        noise = rng.integers(-6, 7, size=(height, width, 1))
        return np.clip(image.astype(np.int16) + noise, 0, 255).astype(np.uint8)

    return paint


def shots(colours: Sequence[Sequence[int]], cut_frames: Sequence[int]):
    """Shots of different colours (each with its own moving stripes) that cut at cut_frames."""
    starts = [0, *cut_frames]

    def paint(index: int, width: int, height: int) -> np.ndarray:
        shot = sum(1 for s in starts if index >= s) - 1
        colour = np.asarray(colours[shot % len(colours)], np.int16)
        x = np.arange(width)[None, :]
        stripes = ((x + 2 * index + 17 * shot) // 12) % 2 * 40 - 20
        image = np.broadcast_to(colour, (height, width, 3)) + stripes[..., None]
        return np.clip(image, 0, 255).astype(np.uint8)

    return paint


def pan(speed_px: float = 3.0, brightness: float = 1.0):
    """A continuous camera pan across a smooth, colourful landscape: no cuts anywhere."""

    def paint(index: int, width: int, height: int) -> np.ndarray:
        x = (np.arange(width)[None, :] + speed_px * index).astype(np.float32)
        y = np.arange(height)[:, None].astype(np.float32)
        r = 128 + 90 * np.sin(x / 23.0) * np.cos(y / 31.0)
        g = 128 + 90 * np.sin(x / 41.0 + 1.0)
        b = 128 + 90 * np.cos(x / 17.0 + y / 29.0)
        image = np.stack(np.broadcast_arrays(r, g, b), axis=-1) * brightness
        return np.clip(image, 0, 255).astype(np.uint8)

    return paint


def moving_blocks(speed_px: float, base: int, bursts: Sequence[tuple[int, int]] = ()):
    """A grey field with a bright square; it moves speed_px per frame, far faster in bursts."""

    def paint(index: int, width: int, height: int) -> np.ndarray:
        image = np.full((height, width, 3), base, np.uint8)
        fast = any(a <= index < b for a, b in bursts)
        step = speed_px * (8 if fast else 1)
        x = int(index * step) % max(1, width - 24)
        y = height // 2 - 12
        image[y : y + 24, x : x + 24] = min(255, base + 120)
        return image

    return paint


def write_video(
    path: Path,
    *,
    codec: str = "libx264",
    frames: int = 48,
    size: tuple[int, int] = (160, 96),
    rate: Fraction | int = 24,
    gop: int | None = None,
    pix_fmt: str | None = None,
    paint: Callable[[int, int, int], np.ndarray] | None = None,
    times_s: Sequence[Fraction] | None = None,
    options: dict[str, str] | None = None,
    rotation: int = 0,
    counter: bool = True,
) -> Path:
    """Encode `frames` frames into `path` (container from the suffix); returns the path.

    times_s gives each frame's presentation time for variable frame rate media.
    """
    width, height = size
    paint = paint or flat((90, 140, 200))
    path = Path(path)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=Fraction(rate))
        stream.width, stream.height = width, height
        if pix_fmt:
            stream.pix_fmt = pix_fmt
        opts = dict(options or {})
        if codec == "libx264":
            opts.setdefault("preset", "ultrafast")
        if gop:
            stream.codec_context.gop_size = gop
            if codec == "libx264":
                opts.setdefault("x264-params", f"keyint={gop}:min-keyint={gop}:scenecut=0")
        stream.options = opts
        if times_s is not None:
            stream.time_base = Fraction(1, 1000)
            stream.codec_context.time_base = Fraction(1, 1000)
        if rotation:
            stream.set_display_rotation(rotation)
        for index in range(frames):
            image = paint(index, width, height)
            if counter:
                image = draw_counter(image.copy(), index)
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            if times_s is not None:
                frame.pts = int(Fraction(times_s[index]) * 1000)
                frame.time_base = Fraction(1, 1000)
            else:
                frame.pts = index
                frame.time_base = Fraction(1) / Fraction(rate)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def write_image_sequence(folder: Path, frames: int, *, first: int = 1001, paint=None) -> str:
    """PNG frames named shot.1001.png ...; returns the "shot.####.png" pattern."""
    folder.mkdir(parents=True, exist_ok=True)
    paint = paint or flat((200, 120, 60))
    for index in range(frames):
        image = draw_counter(paint(index, 160, 96).copy(), index)
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        with av.open(str(folder / f"shot.{first + index}.png"), mode="w", format="image2") as c:
            stream = c.add_stream("png", rate=24)
            stream.width, stream.height, stream.pix_fmt = 160, 96, "rgb24"
            for packet in stream.encode(frame):
                c.mux(packet)
            for packet in stream.encode():
                c.mux(packet)
    return str(folder / "shot.####.png")
