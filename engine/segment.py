"""What the engine is asked to score: a segment of picture, in frames at a rational rate.

The bridge turns a timeline range into a Segment; the engine never sees OTIO. All times are
integer frames relative to the segment's first frame, so nothing drifts through float sums.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction


@dataclass(frozen=True)
class Rate:
    """A frame rate as a fraction, e.g. Rate(30000, 1001) for 29.97."""

    num: int
    den: int = 1

    @property
    def fps(self) -> Fraction:
        return Fraction(self.num, self.den)

    def seconds(self, frames: int | Fraction) -> Fraction:
        return Fraction(frames) * self.den / self.num

    def samples(self, frames: int, sample_rate: int) -> int:
        """Audio samples covering `frames` frames, rounded to the nearest sample."""
        return round(Fraction(frames) * self.den * sample_rate / self.num)


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


@dataclass(frozen=True)
class CueFeel:
    """The feel a job asks for (unset values: the model decides), or a cue was made with."""

    style: str = ""
    valence: float | None = None  # [-1, 1]
    arousal: float | None = None  # [-1, 1]
    decided_by: str = ""  # on a cue: given, options, words, picture, picture+words


@dataclass
class GenerationOptions:
    """Per-job knobs; a model ignores what does not apply to it."""

    model: str = ""  # "" = the engine's default model
    soundfont: str = ""  # path to a .sf2/.sf3; "" = the best General MIDI font installed
    guidance_scale: float = 3.0
    top_k: int = 250
    temperature: float = 1.0
    takes: int = 1  # best-of-N
    loudness_lufs: float = 0.0  # delivered integrated loudness; 0 = the default (-24 LUFS)
    stems: bool = False  # also write per-section WAVs that sum to the mix
    feel: CueFeel = field(default_factory=CueFeel)
    guidance_mode: str = ""  # "" = the engine's setting; auto, ossl, text-and-video-null
    duck_off: bool = False  # no dip under speech
    duck_db: float = 0.0  # the dip under speech (<= 0); 0 = the default (-6 dB)
    genre: str = ""  # added to a text-conditioned model's prompt


def options_from_legacy_extra(extra: dict[str, str]) -> dict:
    """GenerationOptions fields from the `extra` strings older clients and stores wrote
    (duck, valence, arousal, genre, guidance). A value that is not a number stays NaN, so the
    model's own check names the segment and the fix."""

    def number(text: str) -> float:
        try:
            return float(text.strip().lower().removesuffix("db").strip())
        except ValueError:
            return float("nan")

    out: dict = {}
    duck = extra.get("duck", "").strip().lower()
    if duck in ("off", "none", "0"):
        out["duck_off"] = True
    elif duck not in ("", "on", "default"):
        out["duck_db"] = -abs(number(duck))
    axes = {a: number(extra[a]) for a in ("valence", "arousal") if a in extra}
    if axes:
        out["feel"] = CueFeel(**axes)
    if extra.get("genre", "").strip():
        out["genre"] = extra["genre"].strip()
    if extra.get("guidance", "").strip():
        out["guidance_mode"] = extra["guidance"].strip()
    return out
