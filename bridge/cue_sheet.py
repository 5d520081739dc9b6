"""The music cue sheet of a scored timeline: one CSV row per cue on the Score track(s).

Columns follow production-music cue sheet practice (the form performing-rights societies such
as ASCAP, BMI, PRS and SOCAN take through RapidCue/Soundmouse-style cue sheets): a sequence
number, the cue title, where it sits in the programme (record timecode in and out), its duration
in minutes:seconds, the usage code spelled out (every cue we write is laid under picture
without being seen performed: BI, Background Instrumental), composer and publisher. After those
standard columns come what a studio needs to make the cue again: the model, the seed, the
engine version, and the file.

Read from the timeline itself, so `cuebridge cuesheet` works on any scored timeline, including
one written earlier or converted to another format (where a format drops the cue's metadata,
the model, seed and version columns are empty but the timing is still exact).
"""

from __future__ import annotations

import csv
import io
import math
from fractions import Fraction
from pathlib import Path
from urllib.parse import unquote, urlparse

import opentimelineio as otio

from cuebridge.bridge.errors import TimelineError
from cuebridge.bridge.timeline_io import read_timeline, timeline_rate
from cuebridge.safe_files import replacing

COLUMNS = (
    "Cue No",
    "Cue Title",
    "Timecode In",
    "Timecode Out",
    "Duration",
    "Usage",
    "Composer",
    "Publisher",
    "Model",
    "Seed",
    "Engine Version",
    "File",
    "Weights Licence",
)
USAGE = "BI - Background Instrumental"
COMPOSER = "cuebridge ({model}, machine-composed)"
SCORE_ROLE = "score"


def cue_sheet_path(timeline_path: str | Path) -> Path:
    """Where a scored timeline's cue sheet goes: beside it, `<name>.cuesheet.csv` for an .otio,
    `<name>.<format>.cuesheet.csv` for any other format, so that scoring one cut to .aaf and
    then to .xml keeps two sheets."""
    path = Path(timeline_path)
    name = path.stem if path.suffix.lower() == ".otio" else path.name
    return path.with_name(f"{name}.cuesheet.csv")


def check_cue_sheet(out: str | Path, *, force: bool = False) -> None:
    """Before any work: a cue sheet already filed is replaced only with --force."""
    if Path(out).exists() and not force:
        raise TimelineError(out, "already exists", "pass --force to replace it, or another -o")


def cue_rows(timeline: otio.schema.Timeline, track_name: str = "Score") -> list[dict[str, str]]:
    """One row per cue clip on the score tracks, in record order."""
    rate = timeline_rate(timeline)
    offset = _frames(timeline.global_start_time, rate) if timeline.global_start_time else 0
    found = []
    for track in timeline.audio_tracks():
        if not _is_score_track(track, track_name):
            continue
        for clip in track.find_clips():
            span = clip.range_in_parent()
            start = offset + _frames(span.start_time, rate)
            length = _frames(span.duration, rate)
            found.append((start, track.name, clip, length))
    rows = []
    for n, (start, _track, clip, length) in enumerate(sorted(found, key=lambda f: f[:2]), 1):
        meta = dict(clip.metadata.get("cuebridge", {}) or {})
        model = str(meta.get("model", ""))
        seconds = math.ceil(length / rate) if length else 0
        rows.append(
            {
                "Cue No": str(n),
                "Cue Title": clip.name,
                "Timecode In": _timecode(start, rate),
                "Timecode Out": _timecode(start + length, rate),
                "Duration": f"{seconds // 60:d}:{seconds % 60:02d}",
                "Usage": USAGE,
                "Composer": COMPOSER.format(model=model or "model unknown"),
                "Publisher": "",
                "Model": model,
                "Seed": str(meta.get("seed", "")),
                "Engine Version": str(meta.get("engine_version", "")),
                "File": _file_of(clip),
                # What the model's weights allow (MusicGen: CC-BY-NC-4.0); the composer has none.
                "Weights Licence": str(meta.get("weights_licence", "")),
            }
        )
    return rows


def write_cue_sheet(
    timeline: otio.schema.Timeline, out: str | Path, track_name: str = "Score"
) -> Path:
    """Write the cue sheet CSV atomically (UTF-8 with a BOM so spreadsheet apps read accents)."""
    out = Path(out)
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(cue_rows(timeline, track_name))
    with replacing(out) as (fh, _):  # with the umask's mode, like the timeline beside it
        fh.write(text.getvalue().encode("utf-8-sig"))
    return out


def cue_sheet_for(
    scored: str | Path, out: str | Path | None = None, *, force: bool = False
) -> Path:
    """`cuebridge cuesheet`: the cue sheet of an existing scored timeline."""
    scored = Path(scored)
    out = Path(out) if out else cue_sheet_path(scored)
    check_cue_sheet(out, force=force)
    timeline = read_timeline(scored)
    if not cue_rows(timeline):
        raise TimelineError(
            scored, "has no cues on a Score track", "give a timeline written by cuebridge score"
        )
    return write_cue_sheet(timeline, out)


def _is_score_track(track: otio.schema.Track, track_name: str) -> bool:
    meta = track.metadata.get("cuebridge", {}) or {}
    if meta.get("role") == SCORE_ROLE:
        return True
    # Formats that drop metadata keep the name: "Score", "Score 2", but not "Score - Strings".
    name = track.name or ""
    return name == track_name or (
        name.startswith(track_name + " ") and name[len(track_name) + 1 :].isdigit()
    )


def _frames(t: otio.opentime.RationalTime, rate: Fraction) -> int:
    return round(t.rescaled_to(float(rate)).value)


def _timecode(frames: int, rate: Fraction) -> str:
    return otio.opentime.to_timecode(otio.opentime.RationalTime(frames, float(rate)), float(rate))


def _file_of(clip: otio.schema.Clip) -> str:
    ref = clip.media_reference
    url = getattr(ref, "target_url", "") or ""
    if url.startswith("file:"):
        return unquote(urlparse(url).path)
    return url
