"""Rates and timecodes as the editors' hosts write them, read in one place for both plugins.

Resolve's `GetSetting("timelineFrameRate")` answers "24", "23.976", "29.97 DF" (its scripting
README documents the DF form); Premiere reports a timebase; editors type "01:00:00;00" on
drop-frame timelines. The plugins pass these strings on; they never parse them themselves.
Timecode arithmetic is OpenTimelineIO's (drop-frame included), so it agrees with the adapters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

import opentimelineio as otio

from cuebridge.bridge.errors import BridgeError

PREMIERE_TICKS_PER_SECOND = 254_016_000_000  # Premiere's TickTime unit
_RATE = re.compile(
    r"^\s*(?P<num>\d+(?:\.\d+)?)(?:\s*/\s*(?P<den>\d+))?\s*(?:fps)?\s*(?P<df>N?DF)?\s*$",
    re.IGNORECASE,
)
DROP_FRAME_RATES = (Fraction(30000, 1001), Fraction(60000, 1001))
# Premiere's drop-frame timecode displays, by their [ref Constants] VideoDisplayFormatType names:
# FPS_29_97 (25.0; its counterpart is FPS_29_97_NON_DROP) and FPS_59_94, the 59.94 display that
# ExtendScript numbers TIMEDISPLAY_5994DropTimecode (beside TIMEDISPLAY_5994NonDropTimecode).
DROP_FRAME_DISPLAYS = frozenset({"FPS_29_97", "FPS_59_94"})
_TIMECODE = re.compile(r"^\s*(\d{1,2}):(\d{2}):(\d{2})([:;.,])(\d{2,3})\s*$")


@dataclass(frozen=True)
class HostRate:
    rate: Fraction
    drop_frame: bool = False

    @property
    def label(self) -> str:
        whole = self.rate.numerator if self.rate.denominator == 1 else None
        text = str(whole) if whole else f"{float(self.rate):.3f}".rstrip("0")
        return text + (" DF" if self.drop_frame else "")


def parse_rate(text: str, drop_frame: bool = False) -> HostRate:
    """ "24", "23.976", "23.98", "29.97 DF", "59.94 NDF", "30000/1001", 25.0 -> an exact rate.

    NTSC decimals mean their x1000/1001 rates; " DF" (or `drop_frame`, the host's own switch)
    marks drop-frame counting, which only 29.97 and 59.94 have.
    """
    m = _RATE.match(str(text))
    if not m:
        raise BridgeError(
            f"frame rate {text!r} is not one the bridge reads; write it as 24, 23.976, "
            "29.97 DF or 30000/1001"
        )
    try:
        if m["den"]:
            rate = Fraction(int(m["num"]), int(m["den"]))
        else:
            rate = Fraction(m["num"])
    except (ValueError, ZeroDivisionError):
        rate = Fraction(0)
    if rate <= 0:
        raise BridgeError(f"frame rate {text!r} is not a positive number of frames per second")
    whole = round(rate)
    ntsc = Fraction(whole * 1000, 1001)
    if rate.denominator != 1 and abs(rate - ntsc) < Fraction(1, 200):
        rate = ntsc
    elif abs(rate - whole) < Fraction(1, 1000):
        rate = Fraction(whole)
    df = (m["df"] or "").upper() == "DF" or (drop_frame and (m["df"] or "").upper() != "NDF")
    if df and rate not in DROP_FRAME_RATES:
        raise BridgeError(f"frame rate {text!r}: only 29.97 and 59.94 count drop-frame timecode")
    return HostRate(rate, df)


def host_rate(text: str, drop_frame: bool = False, display_format: str = "") -> HostRate:
    """The rate as `parse_rate` reads it, counting drop-frame where the host's timecode display
    (`display_format`, a VideoDisplayFormatType name) is a drop-frame one: at 29.97 or 59.94
    alone, since Premiere shows both with its drop-frame display."""
    rate = parse_rate(text, drop_frame)
    shown_drop = display_format.strip().upper() in DROP_FRAME_DISPLAYS
    if shown_drop and not rate.drop_frame and rate.rate in DROP_FRAME_RATES:
        return HostRate(rate.rate, True)
    return rate


def parse_timecode(text: str, rate: HostRate) -> int:
    """HH:MM:SS:FF (or ;FF, .FF drop-frame as hosts write it) -> absolute frames at `rate`.

    A ';' asks for drop-frame counting even when the rate string did not say DF.
    """
    m = _TIMECODE.match(str(text))
    if not m:
        raise BridgeError(
            f"timecode {text!r} is not HH:MM:SS:FF (or HH:MM:SS;FF on drop-frame timelines)"
        )
    hh, mm, ss, sep, ff = m.groups()
    nominal = round(rate.rate)
    if int(mm) > 59 or int(ss) > 59 or int(ff) >= nominal:
        raise BridgeError(f"timecode {text!r} at {rate.label} fps: a field is out of range")
    drop = sep in ";.," or rate.drop_frame
    if drop and rate.rate not in DROP_FRAME_RATES:
        raise BridgeError(
            f"timecode {text!r} is drop-frame but the timeline runs at {rate.label} fps"
        )
    fixed = f"{hh}:{mm}:{ss}{';' if drop else ':'}{ff}"
    try:
        t = otio.opentime.from_timecode(fixed, float(rate.rate))
    except ValueError as exc:  # e.g. 00:01:00;00, a label drop-frame counting skips
        raise BridgeError(f"timecode {text!r} at {rate.label} fps: {exc}") from None
    return round(t.value)


def timecode(frame: int, rate: HostRate) -> str:
    """Absolute frames -> the timecode the host shows (';' on drop-frame timelines)."""
    r = float(rate.rate)
    return otio.opentime.to_timecode(otio.opentime.RationalTime(int(frame), r), r, rate.drop_frame)


def duration_label(frames: int, rate: HostRate) -> str:
    """A length as an editor reads it in a list: "1:05.12" (minutes:seconds.frames)."""
    nominal = round(rate.rate)
    seconds = Fraction(int(frames)) / rate.rate
    whole = int(seconds)
    ff = int(frames) - round(Fraction(whole) * rate.rate)
    return f"{whole // 60}:{whole % 60:02d}.{max(ff, 0) % max(nominal, 1):02d}"


def rescale(frames: int, source: Fraction, target: Fraction) -> int:
    """Frames at one rate as the nearest whole frames at another."""
    if source == target:
        return int(frames)
    return round(Fraction(int(frames)) * target / source)


def ticks(frames: int, rate: Fraction) -> int:
    """Frames as Premiere ticks (whole for every broadcast rate: 8475667200 per 29.97 frame)."""
    return round(Fraction(int(frames)) * PREMIERE_TICKS_PER_SECOND / rate)
