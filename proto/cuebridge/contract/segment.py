"""The one segment type both halves share: a range of picture to score, in frames at a rate.

The bridge builds Segments from timelines, the engine scores them; neither has its own copy. All
times are integer frames relative to the segment's first frame, so nothing drifts through float
sums. This module also maps them to and from the contract's messages (cuebridge.v1), once, for
both halves' wire modules.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from fractions import Fraction

from cuebridge.v1 import engine_pb2 as pb


class Rate(Fraction):
    """A frame rate as an exact fraction, e.g. Rate(30000, 1001) for 29.97. It is a Fraction, so
    the bridge's frame arithmetic takes it as it is; `num`/`den` name it as the wire does."""

    def __new__(cls, num: int | Fraction = 0, den: int = 1) -> Rate:
        return super().__new__(cls, num, den)

    @property
    def num(self) -> int:
        return self.numerator

    @property
    def den(self) -> int:
        return self.denominator

    @property
    def fps(self) -> Fraction:
        return Fraction(self)

    def seconds(self, frames: int | Fraction) -> Fraction:
        return Fraction(frames) / self

    def samples(self, frames: int, sample_rate: int) -> int:
        """Audio samples covering `frames` frames, rounded to the nearest sample."""
        return round(Fraction(frames) * sample_rate / self)

    def __repr__(self) -> str:
        return f"Rate({self.numerator}, {self.denominator})"


@dataclass(frozen=True)
class MediaSpan:
    """One clip's picture under the segment: which part of which file plays where."""

    path: str  # local path of the media file; "" when the media is offline
    source_start_s: float  # in point inside the media, seconds
    source_duration_s: float
    record_offset_frames: int  # where the clip starts, relative to the segment start
    record_duration_frames: int
    name: str = ""


@dataclass(frozen=True)
class Segment:
    """A range of the timeline to score with one cue."""

    id: str
    rate: Rate
    duration_frames: int
    cut_frames: tuple[int, ...] = ()  # edit points strictly inside the segment
    hit_frames: tuple[int, ...] = ()  # moments the music should accent
    media: tuple[MediaSpan, ...] = ()
    prompt: str = ""
    mood: str = ""
    seed: int = 0
    name: str = ""
    # Where people speak under the cue: [start, end) frame ranges from the segment start. The
    # music makes room there (thinner, quieter, out of the speech band).
    speech: tuple[tuple[int, int], ...] = ()

    @property
    def duration_s(self) -> float:
        return float(self.rate.seconds(self.duration_frames))

    def cut_times_s(self) -> list[float]:
        return [float(self.rate.seconds(f)) for f in self.cut_frames]

    def hit_times_s(self) -> list[float]:
        return [float(self.rate.seconds(f)) for f in self.hit_frames]

    def speech_times_s(self) -> list[tuple[float, float]]:
        return [(float(self.rate.seconds(a)), float(self.rate.seconds(b))) for a, b in self.speech]


def segment_as_dict(seg: Segment) -> dict:
    """The segment as plain JSON-able values, the rate as {"num", "den"}: the shape the engine's
    store and its cue keys have always written."""
    d = asdict(seg)
    d["rate"] = {"num": seg.rate.num, "den": seg.rate.den}
    return d


def segment_from_dict(d: dict) -> Segment:
    """The inverse of segment_as_dict; tolerant of stores written before `speech` existed."""
    return Segment(
        **{
            **d,
            "rate": Rate(d["rate"]["num"], d["rate"].get("den", 1) or 1),
            "media": tuple(MediaSpan(**m) for m in d.get("media", ())),
            "cut_frames": tuple(d.get("cut_frames", ())),
            "hit_frames": tuple(d.get("hit_frames", ())),
            "speech": tuple(tuple(r) for r in d.get("speech", ())),
        }
    )


# -- the wire: cuebridge.v1.Segment and friends ----------------------------------------------


def rate_to_pb(rate: Fraction) -> pb.Rate:
    return pb.Rate(num=rate.numerator, den=rate.denominator)


def rate_from_pb(msg: pb.Rate) -> Rate:
    """The message's rate; a zero denominator reads as 1, a zero numerator stays 0 (the engine
    rejects it with the segment's name)."""
    return Rate(msg.num, msg.den or 1)


def _span_to_pb(span: MediaSpan) -> pb.MediaSpan:
    return pb.MediaSpan(**{f.name: getattr(span, f.name) for f in fields(MediaSpan)})


def segment_to_pb(seg: Segment) -> pb.Segment:
    return pb.Segment(
        id=seg.id,
        rate=rate_to_pb(seg.rate),
        duration_frames=seg.duration_frames,
        cut_frames=seg.cut_frames,
        hit_frames=seg.hit_frames,
        media=[_span_to_pb(m) for m in seg.media],
        prompt=seg.prompt,
        mood=seg.mood,
        seed=seg.seed,
        name=seg.name,
        speech=[pb.FrameRange(start_frame=a, end_frame=b) for a, b in seg.speech],
    )


def segment_from_pb(msg: pb.Segment) -> Segment:
    return Segment(
        id=msg.id,
        rate=rate_from_pb(msg.rate),
        duration_frames=msg.duration_frames,
        cut_frames=tuple(msg.cut_frames),
        hit_frames=tuple(msg.hit_frames),
        media=tuple(
            MediaSpan(**{f.name: getattr(m, f.name) for f in fields(MediaSpan)}) for m in msg.media
        ),
        prompt=msg.prompt,
        mood=msg.mood,
        seed=msg.seed,
        name=msg.name,
        speech=tuple((r.start_frame, r.end_frame) for r in msg.speech),
    )
