"""Range decoding: only the source range of a clip, exact to the frame, scaled down early.

A clip's range is given in seconds from the media's first frame (the stream's start_time is
taken off, so MPEG-TS files that start at 1.4 s behave like MP4s that start at 0). A frame
belongs to the range [in, out) when it is on screen during it: its presentation time is before
`out` and the next frame's time is after `in`. Times come from frame.pts and the stream
time_base, never from frame counts, so variable frame rate media stay exact.
"""

from __future__ import annotations

import glob
import os
import queue
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from cuebridge.engine.errors import CueError

# Source times arrive as floats from rational frame numbers; anything closer than this to a
# frame boundary is that boundary. Far below any real frame duration (>= 4 ms).
TIME_EPS = Fraction(1, 10_000)
# When the next wanted frame is further ahead than this, seeking beats decoding through.
SEEK_GAP_S = 2.0
DEFAULT_SEQUENCE_RATE = Fraction(24)
# (open, read) seconds FFmpeg may wait for data: a stalled network share fails the clip, not the
# engine's only worker. Local files answer in milliseconds.
MEDIA_TIMEOUT_S = (30.0, 30.0)

_SEQUENCE_HASHES = re.compile(r"#+")
_SEQUENCE_PRINTF = re.compile(r"%0?(\d*)d")


class MediaError(CueError):
    """A clip's media cannot be read; the message names the file and what to do."""


@dataclass
class DecodeStats:
    """What a read cost and covered; frames_decoded counts every frame the codec produced."""

    frames_decoded: int = 0
    frames_yielded: int = 0
    reached_end: bool = False  # the media ended before the range did
    media_end_s: float | None = None  # end of the last frame, when the media ended


def is_image_sequence(path: str) -> bool:
    """A frame-number pattern ("shot.####.exr", "shot.%04d.png"), not a file named "Shot #3"."""
    if not path or os.path.exists(path):
        return False
    return bool(_SEQUENCE_HASHES.search(Path(path).name) or _SEQUENCE_PRINTF.search(path))


def sequence_files(path: str) -> list[str]:
    """The files of an image sequence pattern ("shot.####.png" or "shot.%04d.png"), sorted."""
    pattern = _SEQUENCE_PRINTF.sub("*", _SEQUENCE_HASHES.sub("*", path))
    return sorted(glob.glob(pattern))


def _sequence_start_number(path: str, files: list[str]) -> tuple[str, int]:
    """Turn "####" into "%04d" for FFmpeg's image2 demuxer and find the first frame number."""
    hashes = _SEQUENCE_HASHES.search(Path(path).name)
    if hashes:
        head, tail = os.path.split(path)
        path = os.path.join(head, tail.replace(hashes.group(0), f"%0{len(hashes.group(0))}d"))
    prefix, _, suffix = _SEQUENCE_PRINTF.split(path, maxsplit=1)[0:3]
    numbers = []
    for name in files:
        middle = name[len(prefix) : len(name) - len(suffix) if suffix else None]
        if middle.isdigit():
            numbers.append(int(middle))
    return path, min(numbers) if numbers else 0


def open_media(
    path: str, sequence_rate: Fraction = DEFAULT_SEQUENCE_RATE
) -> av.container.InputContainer:
    """Open a movie file or an image sequence pattern; MediaError says what is wrong."""
    if is_image_sequence(path):
        files = sequence_files(path)
        if not files:
            raise MediaError(
                f"{path}: no image of this sequence exists; relink the clip to its frames."
            )
        special = next((f for f in files if not os.path.isfile(f)), None)
        if special is not None:
            raise MediaError(_not_regular(special))
        pattern, start = _sequence_start_number(path, files)
        rate = Fraction(sequence_rate)
        options = {"framerate": f"{rate.numerator}/{rate.denominator}", "start_number": str(start)}
        try:
            return av.open(pattern, format="image2", options=options, timeout=MEDIA_TIMEOUT_S)
        except (av.FFmpegError, OSError) as exc:
            raise MediaError(f"{path}: cannot read this image sequence ({exc}).") from exc
    if not os.path.exists(path):
        raise MediaError(f"{path}: file not found; relink the clip or mark it offline.")
    if not os.path.isfile(path):  # a FIFO or socket would block the open forever
        raise MediaError(_not_regular(path))
    if not os.access(path, os.R_OK):
        raise MediaError(f"{path}: file is not readable; check its permissions.")
    try:
        container = av.open(path, timeout=MEDIA_TIMEOUT_S)
    except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise MediaError(
            f"{path}: not a readable media file ({exc}); it may be truncated or corrupt, "
            "re-export or re-copy it."
        ) from exc
    if not container.streams.video:
        container.close()
        raise MediaError(f"{path}: has no video stream; point the clip at a picture file.")
    return container


def _not_regular(path: str) -> str:
    return (
        f"{path}: is not a regular file (a pipe, socket or device); "
        "relink the clip to its media file."
    )


def _frame_time(frame: av.VideoFrame, stream: av.video.stream.VideoStream, origin: int):
    """Presentation time in seconds from the media's first frame, as a Fraction."""
    pts = frame.pts if frame.pts is not None else frame.dts
    if pts is None:
        return None
    return (pts - origin) * stream.time_base


def _nominal_frame_s(stream: av.video.stream.VideoStream) -> Fraction:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    return Fraction(1) / Fraction(rate) if rate else Fraction(1, 24)


class _Decoder:
    """One open video stream that decodes forward and seeks when it must."""

    def __init__(self, path: str, *, keyframes_only: bool, sequence_rate: Fraction, stats):
        self.path = path
        self.container = open_media(path, sequence_rate)
        self.stream = self.container.streams.video[0]
        if self.stream.codec_context is None:
            self.container.close()
            raise MediaError(
                f"{path}: its picture codec cannot be decoded by this FFmpeg build; "
                "transcode the clip (e.g. to ProRes or H.264) or relink it to a proxy."
            )
        # Frame threads as well as slice threads: most of the decode-only ceiling comes from it.
        self.stream.thread_type = "AUTO"
        if keyframes_only:
            self.stream.codec_context.skip_frame = "NONKEY"
        self.origin = self.stream.start_time or 0
        self.frame_s = _nominal_frame_s(self.stream)
        # Containers round timestamps to their time base (Matroska: 1 ms), so a boundary is
        # only known to within half a tick of it; never more than a quarter of a frame.
        half_tick = Fraction(self.stream.time_base or 0) / 2
        self.eps = max(TIME_EPS, min(half_tick, self.frame_s / 4))
        self.stats = stats
        self._frames: Iterator[av.VideoFrame] | None = None
        self._last_time: Fraction | None = None
        self._started = False

    def close(self) -> None:
        self.container.close()

    def seek(self, t: Fraction) -> None:
        """Go to the keyframe at or before t (or to the start)."""
        self._frames = None
        self._last_time = None
        if t <= 0:
            if self._started:  # a fresh container is already at the start
                self.container.seek(0, backward=True, any_frame=False)
            return
        target = self.origin + int(t / self.stream.time_base)
        self._started = True  # even a failed seek may have moved the demuxer
        self.container.seek(target, stream=self.stream, backward=True, any_frame=False)

    def frames(self) -> Iterator[tuple[Fraction, av.VideoFrame]]:
        """Decoded frames with their times, from the current position on."""
        if self._frames is None:
            self._frames = self.container.decode(self.stream)
            self._started = True
        for frame in self._frames:
            self.stats.frames_decoded += 1
            t = _frame_time(frame, self.stream, self.origin)
            if t is None:  # no timestamp at all: count on from the last one
                t = (self._last_time + self.frame_s) if self._last_time is not None else 0
            self._last_time = t
            yield t, frame


def _decode_error(path: str, exc: Exception, t: Fraction | None) -> MediaError:
    where = f" near {float(t):.3f} s" if t is not None else ""
    return MediaError(
        f"{path}: decoding failed{where} ({exc}); the file may be truncated or corrupt, "
        "re-export or re-copy it."
    )


def iter_frames(
    path: str,
    start_s: float,
    duration_s: float,
    *,
    keyframes_only: bool = False,
    sequence_rate: Fraction = DEFAULT_SEQUENCE_RATE,
    stats: DecodeStats | None = None,
) -> Iterator[tuple[Fraction, av.VideoFrame]]:
    """Yield (time_s, frame) for every frame on screen during [start_s, start_s + duration_s).

    Seeks to the keyframe before the in point, decodes with codec threads on and stops at the
    out point. If the container's index puts the seek past the in point, it decodes again from
    the start, so a range is exact even in badly indexed files.
    """
    stats = stats if stats is not None else DecodeStats()
    t_in = Fraction(start_s).limit_denominator(1_000_000)
    t_out = t_in + Fraction(duration_s).limit_denominator(1_000_000)
    if duration_s <= 0:
        return
    decoder = _Decoder(
        path, keyframes_only=keyframes_only, sequence_rate=sequence_rate, stats=stats
    )
    try:
        yield from _range(decoder, t_in, t_out, stats, seek_to=t_in)
    finally:
        decoder.close()


def _range(decoder: _Decoder, t_in, t_out, stats: DecodeStats, seek_to: Fraction):
    try:
        decoder.seek(seek_to)
    except av.FFmpegError:
        decoder.seek(Fraction(0))
        seek_to = Fraction(0)
    pending: tuple[Fraction, av.VideoFrame] | None = None
    first = True
    t = None
    try:
        for t, frame in decoder.frames():
            if first and t > t_in + decoder.eps and seek_to > 0:
                # The seek landed after the in point: the index lied. Decode from the start.
                yield from _range(decoder, t_in, t_out, stats, seek_to=Fraction(0))
                return
            first = False
            if t >= t_out - decoder.eps:
                break
            if pending is not None and t > t_in + decoder.eps:
                stats.frames_yielded += 1
                yield pending
            pending = (t, frame)
        else:
            stats.reached_end = True
            if pending is not None:
                stats.media_end_s = float(pending[0] + _frame_duration(decoder, pending[1]))
    except av.FFmpegError as exc:
        raise _decode_error(decoder.path, exc, t) from exc
    if pending is not None:
        end = pending[0] + _frame_duration(decoder, pending[1])
        if not stats.reached_end or end > t_in + decoder.eps:
            stats.frames_yielded += 1
            yield pending


def _frame_duration(decoder: _Decoder, frame: av.VideoFrame) -> Fraction:
    if frame.duration:
        return frame.duration * decoder.stream.time_base
    return decoder.frame_s


def frames_at(
    path: str,
    times_s: list[float],
    *,
    sequence_rate: Fraction = DEFAULT_SEQUENCE_RATE,
    stats: DecodeStats | None = None,
) -> list[av.VideoFrame | None]:
    """The frame on screen at each time (times sorted ascending); None past the media's end.

    Decodes forward between close times and seeks across gaps, so 32 samples of a long clip
    cost 32 GOPs at most, not the whole clip.
    """
    stats = stats if stats is not None else DecodeStats()
    decoder = _Decoder(path, keyframes_only=False, sequence_rate=sequence_rate, stats=stats)
    out: list[av.VideoFrame | None] = []
    try:
        frames = None
        prev: tuple[Fraction, av.VideoFrame] | None = None
        head: tuple[Fraction, av.VideoFrame] | None = None  # decoded, not yet passed
        for time_s in times_s:
            t = Fraction(time_s).limit_denominator(1_000_000)
            ahead = prev[0] if prev else (head[0] if head else None)
            if frames is None or ahead is None or t < ahead or float(t - ahead) > SEEK_GAP_S:
                try:
                    decoder.seek(t)
                    rewound = t <= 0
                except av.FFmpegError:
                    decoder.seek(Fraction(0))
                    rewound = True
                frames, prev, head = decoder.frames(), None, None
            found = None
            while True:
                if head is None:
                    head = next(frames, None)
                    if head is None:  # end of media: the last frame stays on screen a frame
                        if prev and t < prev[0] + _frame_duration(decoder, prev[1]) + decoder.eps:
                            found = prev[1]
                        break
                if head[0] > t + decoder.eps:
                    if prev is None and not rewound:
                        decoder.seek(Fraction(0))  # index lied; decode from the start
                        frames, head, rewound = decoder.frames(), None, True
                        continue
                    found = prev[1] if prev else head[1]
                    break
                prev, head = head, None
            out.append(found)
            stats.frames_yielded += found is not None
    except av.FFmpegError as exc:
        raise _decode_error(path, exc, None) from exc
    finally:
        decoder.close()
    return out


# --- turning frames into small arrays ------------------------------------------------------


def small_size(frame: av.VideoFrame, max_width: int) -> tuple[int, int]:
    """(width, height) about max_width wide, keeping the aspect ratio, at least 1x1."""
    step = max(1, -(-frame.width // max_width))  # ceil: never wider than max_width
    return max(1, frame.width // step), max(1, frame.height // step)


_local = threading.local()


def scaler() -> VideoReformatter:
    """This thread's swscale context holder.

    frame.reformat() builds a new scaler for every frame (with threads=0, a thread pool too):
    that alone halved the throughput at 1080p. One reusable single-threaded scaler per thread
    keeps scaling near 0.1 ms a frame and leaves the cores to the decoder's threads.
    """
    if not hasattr(_local, "reformatter"):
        _local.reformatter = VideoReformatter()
    return _local.reformatter


def scale(frame: av.VideoFrame, width: int, height: int, fmt: str, interpolation: str):
    return scaler().reformat(
        frame, width=width, height=height, format=fmt, interpolation=interpolation, threads=1
    )


def small_planes(frame: av.VideoFrame, max_width: int = 160) -> np.ndarray:
    """The frame as small float32 R, G, B planes in [0, 1], [3, h, w], upright.

    Scaled by swscale straight out of the decoder, whatever the pixel format (8- or 10-bit,
    4:2:0 to 4:4:4, RGB).
    """
    width, height = small_size(frame, max_width)
    small = scale(frame, width, height, "gbrp", "FAST_BILINEAR")
    g, b, r = (
        np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[:height, :width]
        for plane in small.planes
    )
    planes = np.stack([r, g, b]).astype(np.float32)
    planes *= 1.0 / 255.0
    k = _quarter_turns(frame)
    return np.ascontiguousarray(np.rot90(planes, k, axes=(1, 2))) if k else planes


def small_rgb(frame: av.VideoFrame, max_width: int = 160) -> np.ndarray:
    """The frame as a small float32 RGB image in [0, 1], [h, w, 3], upright."""
    return np.ascontiguousarray(small_planes(frame, max_width).transpose(1, 2, 0))


def _quarter_turns(frame: av.VideoFrame) -> int:
    rotation = int(getattr(frame, "rotation", 0) or 0)
    return round(rotation / 90) % 4  # frame.rotation is counterclockwise, like np.rot90


def upright(image: np.ndarray, frame: av.VideoFrame) -> np.ndarray:
    """Apply the stream's display rotation (phone footage) so the picture is upright."""
    k = _quarter_turns(frame)
    return np.ascontiguousarray(np.rot90(image, k)) if k else image


_DONE = object()


def small_frames(
    path: str,
    start_s: float,
    duration_s: float,
    *,
    max_width: int = 160,
    keyframes_only: bool = False,
    sequence_rate: Fraction = DEFAULT_SEQUENCE_RATE,
    stats: DecodeStats | None = None,
    prefetch: int = 8,
) -> Iterator[tuple[Fraction, np.ndarray]]:
    """iter_frames, scaled to small_planes in a worker thread.

    The worker feeds the codec while the caller describes earlier frames: FFmpeg's frame
    threads only decode what has been sent to them, so without it they would wait for every
    frame's descriptors. PyAV releases the GIL while decoding and scaling.
    """
    out: queue.Queue = queue.Queue(maxsize=prefetch)
    stop = threading.Event()

    def work() -> None:
        try:
            for t, frame in iter_frames(
                path,
                start_s,
                duration_s,
                keyframes_only=keyframes_only,
                sequence_rate=sequence_rate,
                stats=stats,
            ):
                item = (t, small_planes(frame, max_width))
                while not stop.is_set():
                    try:
                        out.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            out.put(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            out.put(exc)

    worker = threading.Thread(target=work, name=f"decode {Path(path).name}", daemon=True)
    worker.start()
    try:
        while True:
            item = out.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a worker waiting on a full queue
            try:
                out.get_nowait()
            except queue.Empty:
                worker.join(timeout=0.05)
