"""Reading and writing timelines through OpenTimelineIO's adapters, never a hand-written parser.

Reading never touches the input file; writing goes to a temporary file beside the output and is
renamed into place, so a failure leaves no half-written output and never replaces the input.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import warnings
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio

from cuebridge.bridge.destinations import check_folder_writable
from cuebridge.bridge.errors import TimelineError
from cuebridge.bridge.provenance import carry_for, spell_aaf, spell_fcpxml
from cuebridge.bridge.timeline_guard import (
    MAX_FILE_BYTES,
    check_json_file,
    check_times,
    open_regular,
    read_otioz_content,
)

# Formats OpenTimelineIO can read (with the adapter plugins cuebridge depends on), by suffix.
READ_SUFFIXES = {".otio", ".otioz", ".otiod", ".edl", ".xml", ".fcpxml", ".aaf"}
# EDL holds one video track and no audio: a scored timeline cannot be written to it.
SCORE_SUFFIXES = {".otio", ".otioz", ".xml", ".fcpxml", ".aaf"}
WRITE_SUFFIXES = SCORE_SUFFIXES | {".edl"}
DEFAULT_EDL_RATE = Fraction(24)
# AAF wants a mob ID per clip; timelines that did not come from AAF have none, so make them.
WRITE_ARGS = {".aaf": {"use_empty_mob_ids": True}}


def read_timeline(path: str | Path, rate: Fraction | None = None) -> otio.schema.Timeline:
    """Read any timeline OpenTimelineIO reads. EDLs carry no rate: `rate` (default 24) sets it."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in READ_SUFFIXES:
        raise TimelineError(
            path,
            f"unknown timeline format {suffix or '(no extension)'!r}",
            f"use one of {', '.join(sorted(READ_SUFFIXES))}",
        )
    if not path.exists():
        raise TimelineError(path, "no such file", "check the path")
    if suffix == ".otiod" and not path.is_dir():
        raise TimelineError(path, "is not an .otiod bundle folder", "give the bundle's folder")
    kwargs = {}
    # Every file is opened without waiting (a FIFO froze the server) and bounded in size before
    # a reader sees it; OTIO JSON also in nesting, as deep nesting crashes the C++ reader.
    content = None
    if suffix == ".otio":
        content = check_json_file(path)
    elif suffix == ".otiod":
        check_json_file(path / "content.otio", shown=path)
    elif suffix == ".otioz":
        content = read_otioz_content(path)
    else:
        open_regular(path, MAX_FILE_BYTES[suffix]).close()
    if suffix == ".edl":
        kwargs["rate"] = float(rate or DEFAULT_EDL_RATE)
        _check_edl_timecodes(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # adapters warn about things we report ourselves
            if content is not None:  # what the otioz adapter reads, decompressed within bounds
                text = content.decode("utf-8", errors="replace")
                result = otio.adapters.read_from_string(text, "otio_json")
            else:
                result = otio.adapters.read_from_file(str(path), **kwargs)
    except Exception as exc:  # adapters raise anything from ValueError to struct.error
        where = _edl_line_of(path, exc) if suffix == ".edl" else ""
        problem = f"{where}cannot be read as {suffix[1:]}: {_reason(exc)}"
        raise TimelineError(path, problem, _read_fix(suffix, exc, rate)) from exc
    timeline = _as_timeline(result)
    if timeline is None:
        raise TimelineError(path, "holds no timeline", "export a sequence/timeline, not a bin")
    check_times(timeline, path)
    if suffix == ".edl":
        _record_start_from_tracks(timeline)
    return timeline


def write_timeline(
    timeline: otio.schema.Timeline,
    path: str | Path,
    *,
    force: bool = False,
    protect: tuple[Path, ...] = (),
    allowed: set[str] = WRITE_SUFFIXES,
) -> Path:
    """Write `timeline` to a new file; the format follows the extension."""
    path = Path(path)
    check_output(path, force=force, protect=protect, allowed=allowed)
    suffix = path.suffix.lower()
    # A private folder beside the output: the adapter creates the file itself (some refuse an
    # existing one), with the user's usual permissions, and the rename stays on one disk.
    try:
        scratch = Path(tempfile.mkdtemp(prefix=f".{path.stem}.", dir=path.parent))
    except OSError as exc:  # the folder changed since check_output
        raise TimelineError(path, f"cannot be written: {exc.strerror or exc}") from exc
    tmp = scratch / path.name
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            otio.adapters.write_to_file(
                _fit_for(suffix, timeline), str(tmp), **WRITE_ARGS.get(suffix, {})
            )
        if suffix == ".fcpxml":
            spell_fcpxml(tmp, timeline)
        elif suffix == ".aaf":
            spell_aaf(tmp, timeline)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        _check_written(tmp, path, timeline)
        os.replace(tmp, path)
    except TimelineError:
        raise
    except Exception as exc:  # adapters raise anything; their words name OTIO's internals
        raise TimelineError(path, *_write_problem(suffix, exc)) from exc
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return path


def _check_written(tmp: Path, path: Path, timeline: otio.schema.Timeline) -> None:
    """A writer can return success on a full disk (OTIO's did, on ENOSPC): before the rename,
    what is on disk must be there and read back as a timeline."""
    size = tmp.stat().st_size
    try:
        if size == 0:
            raise ValueError("nothing was written")
        # Read back only: a format may rightly drop what it cannot hold (an EDL, audio tracks).
        read_timeline(tmp, rate=timeline_rate(timeline))
    except (TimelineError, ValueError) as exc:
        problem = exc.problem if isinstance(exc, TimelineError) else str(exc)
        raise TimelineError(
            path,
            f"was not written whole ({size} bytes; {problem}); the previous file is untouched",
            f"is the disk full? free space in {path.parent} and run again",
        ) from exc


# What the FCP 7 XML writer needs to write a generator item (the rest it takes from the reference).
FCP7_GENERATOR = {"effecttype": "generator", "mediatype": "video", "effectcategory": "Matte"}


def _fit_for(suffix: str, timeline: otio.schema.Timeline) -> otio.schema.Timeline:
    """Spell out what a writer cannot infer, without changing what the timeline means."""
    if suffix in (".xml", ".fcpxml", ".aaf"):
        for clip in timeline.find_clips():
            ref = clip.media_reference
            # The FCP 7 XML writer fails on clips that use their whole media (no source_range).
            if clip.source_range is None and ref.available_range is not None:
                clip.source_range = clip.trimmed_range()
            # ... and on references of unknown length (an EDL's clips: missing references, or
            # "FROM FILE" lines; the AAF writer needs their rate): the media is known to cover
            # at least what the clip uses.
            if ref is not None and ref.available_range is None and clip.source_range is not None:
                ref.available_range = clip.source_range
            # ... and on generators (Resolve's Solid Color, titles) that carry no FCP 7 effect of
            # their own: they go over as FCP 7 generator items of their kind.
            if suffix == ".xml" and isinstance(ref, otio.schema.GeneratorReference):
                effect = ref.metadata.setdefault("fcp_xml", {})
                for key, value in FCP7_GENERATOR.items():
                    effect.setdefault(key, value)
    if suffix == ".edl" and timeline.global_start_time is not None:
        # The EDL writer takes record timecodes from the tracks' own offsets, not from the
        # timeline's start: give each track the offset the EDL reader makes.
        timeline = timeline.deepcopy()
        start = timeline.global_start_time
        for track in timeline.tracks:
            if isinstance(track, otio.schema.Track) and track.source_range is None:
                track.source_range = otio.opentime.TimeRange(
                    otio.opentime.RationalTime(-start.value, start.rate),
                    track.available_range().duration,
                )
    carry_for(suffix, timeline)  # the Score track's name and the cues' provenance
    return timeline


def _record_start_from_tracks(timeline: otio.schema.Timeline) -> None:
    """The EDL reader keeps the first record timecode as a negative offset on each track (and
    cuts that much off the track's end); make it the timeline's start, as editors see it."""
    offsets = {}
    for track in timeline.tracks:
        rng = track.source_range if isinstance(track, otio.schema.Track) else None
        if rng is not None and rng.start_time.value <= 0:
            offsets[track] = -rng.start_time
    if timeline.global_start_time is not None or not any(o.value for o in offsets.values()):
        return
    start = min(offsets.values())
    for track, offset in offsets.items():
        track.source_range = None
        lead = offset - start  # a track whose first event starts later begins with a gap
        if lead.value > 0:
            track.insert(0, otio.schema.Gap(duration=lead))
    timeline.global_start_time = start


def check_output(
    path: Path,
    *,
    force: bool = False,
    protect: tuple[Path, ...] = (),
    allowed: set[str] = WRITE_SUFFIXES,
) -> None:
    """Refuse an output that cannot be written, is the input, or would replace a file."""
    suffix = path.suffix.lower()
    if suffix not in allowed:
        hint = (
            " (EDL holds no audio tracks, so it cannot carry a score)" if suffix == ".edl" else ""
        )
        raise TimelineError(
            path,
            f"cannot write {suffix or '(no extension)'!r}{hint}",
            f"use one of {', '.join(sorted(allowed))}",
        )
    if any(_same_file(path, p) for p in protect):
        raise TimelineError(
            path,
            "is the input timeline; cuebridge never overwrites its input",
            "choose another output path",
        )
    if not path.parent.is_dir():
        raise TimelineError(
            path,
            f"the folder {path.parent} does not exist",
            "create it or choose another output path",
        )
    if path.is_dir():
        raise TimelineError(path, "is a folder", "give a file name for the new timeline")
    if path.exists() and not force:
        raise TimelineError(path, "already exists", "choose another name or pass --force")
    check_folder_writable(
        path.parent, "the new timeline", "make the folder writable, or choose another output path"
    )


def timeline_rate(timeline: otio.schema.Timeline, fallback: Fraction = Fraction(24)) -> Fraction:
    """The timeline's frame rate as an exact fraction (23.976... -> 24000/1001)."""
    if timeline.global_start_time is not None:
        return snap_rate(timeline.global_start_time.rate)
    for clip in timeline.find_clips():
        if clip.source_range is not None:
            return snap_rate(clip.source_range.duration.rate)
    return fallback


def snap_rate(rate: float) -> Fraction:
    """OTIO stores rates as floats; NTSC rates come back as x000/1001."""
    exact = Fraction(rate).limit_denominator(1001)
    return exact if abs(float(exact) - rate) < 1e-6 else Fraction(rate).limit_denominator(100000)


_EVENT = re.compile(r"^\s*(\d{1,6})\s+\S")
_TC_FIELD = re.compile(r"^\d{2}:\d{2}:\d{2}[:;.]\d{2,3}$")
_TC_LIKE = re.compile(r"^[0-9A-Za-z]{2}[:;][0-9A-Za-z]{2}[:;][0-9A-Za-z]{2}[:;.][0-9A-Za-z]{2,3}$")


def _check_edl_timecodes(path: Path) -> None:
    """Name the event and line of a malformed timecode; the adapter's own error does not."""
    text = path.read_text(errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        event = _EVENT.match(line)
        if not event:
            continue
        for field in line.split():
            if _TC_LIKE.match(field) and not _TC_FIELD.match(field):
                raise TimelineError(
                    path,
                    f"line {number} (event {event.group(1)}): "
                    f"{field!r} is not a timecode (HH:MM:SS:FF)",
                    "fix the event or export the EDL again",
                )


def _edl_line_of(path: Path, exc: Exception) -> str:
    """'line N: ' for the first line holding a quoted token or clip the error names."""
    message = str(exc)
    tokens = re.findall(r"'([^']+)'", message)
    tokens += re.findall(r"for clip (\S+)", message)
    tokens += re.findall(r"statement: (.+)$", message)
    lines = path.read_text(errors="replace").splitlines()
    for token in tokens:
        for number, line in enumerate(lines, start=1):
            if token.split() and token.split() == line.split()[: len(token.split())]:
                return f"line {number}: "
            if " " not in token.strip() and token.strip() in line:
                return f"line {number}: "
    return ""


def _as_timeline(result: object) -> otio.schema.Timeline | None:
    if isinstance(result, otio.schema.Timeline):
        return result
    if isinstance(result, otio.schema.SerializableCollection):
        timelines = list(result.find_children(descended_from_type=otio.schema.Timeline))
        return timelines[0] if timelines else None
    return None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == Path(b).resolve()
    except OSError:
        return False


def _write_problem(suffix: str, exc: Exception) -> tuple[str, str]:
    """(problem, fix) for a writer's failure, in the editor's words."""
    text, fmt = str(exc), suffix[1:]
    if suffix == ".aaf" and "Transition" in text:
        where = re.search(r"^\s*(.+?) from (.+?) to (.+?)<", text, re.M)
        at = f" ({where.group(1)}, {where.group(2)} to {where.group(3)})" if where else ""
        return (
            f"cannot be written as aaf: it holds a dissolve or wipe{at} that OpenTimelineIO's "
            "AAF writer can only write when the transition came from an AAF",
            "deliver .xml or .otio instead, or make the transitions cuts in the edit",
        )
    return (
        f"cannot be written as {fmt}: the {fmt} writer refused it ({_plain(text)})",
        "try another format (.otio keeps everything), or export the cut again",
    )


def _plain(text: str) -> str:
    # No Python class names or attribute paths: what the editor can act on, or the error's kind.
    line = re.sub(r"<class '[^']*'>|\b\w+(\.\w+)+\b|\w+\[[^\]]*\]", " ", text)
    line = " ".join(line.split())[:200]
    return line or "no reason given"


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]


def _read_fix(suffix: str, exc: Exception, rate: Fraction | None) -> str:
    text = str(exc)
    if suffix == ".edl" and "rate" in text.lower():
        current = rate or DEFAULT_EDL_RATE
        return f"the EDL's timecodes do not fit {float(current):g} fps: pass its rate with --rate"
    if suffix in (".otio", ".xml", ".fcpxml"):
        return "the file may be truncated or not a timeline: export it again from the editor"
    return "export the timeline again, or try another format"
