"""A small fake of DaVinci Resolve's scripting API, as documented (README.txt of 19.1-20.x).

Only what the cuebridge script touches, with Resolve's habits: unknown names answer None, marker
dicts are keyed by float frames, a plain marker lasts one frame, and AppendToTimeline checks a
batch the way Resolve 21 does (any non-integer frame number refuses the whole batch; endFrame is
exclusive and counted at the media pool item's own FPS). `Export` writes a real OpenTimelineIO
file (or FCP 7 XML) of the fake timeline, so the real bridge reads what Resolve would hand it.
"""

from __future__ import annotations

import copy
import itertools
import math
import os
import wave
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio

MARKER_COLORS = {
    "Blue", "Cyan", "Green", "Yellow", "Red", "Pink", "Purple", "Fuchsia", "Rose", "Lavender",
    "Sky", "Mint", "Lemon", "Sand", "Cocoa", "Cream",
}  # fmt: skip
CLIP_COLORS = {
    "Orange", "Apricot", "Yellow", "Lime", "Olive", "Green", "Teal", "Navy", "Blue", "Purple",
    "Violet", "Pink", "Tan", "Beige", "Brown", "Chocolate",
}  # fmt: skip
_OTIO_COLORS = {"Blue": "BLUE", "Cyan": "CYAN", "Green": "GREEN", "Yellow": "YELLOW", "Red": "RED"}
_ids = itertools.count(1)


class Scriptable:
    """Resolve's objects answer None for a name they do not have (old versions, typos)."""

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return None


def _is_int(value) -> bool:
    return type(value) is int


# -- media --------------------------------------------------------------------------------------


class MediaPoolItem(Scriptable):
    def __init__(self, path: str, fps: float = 24.0):
        self.path = os.path.abspath(path)
        self.fps = fps  # Resolve's default for a WAV, whatever the timeline's rate
        with wave.open(self.path, "rb") as w:
            self.seconds = Fraction(w.getnframes(), w.getframerate())
        self.frames = math.floor(self.seconds * Fraction(fps).limit_denominator(1001))
        self.name = os.path.basename(path)
        self.color = ""
        self.uid = f"mpi-{next(_ids)}"

    def GetName(self):
        return self.name

    def GetMediaId(self):
        return self.uid

    def GetClipProperty(self, name=None):
        props = {
            "Clip Name": self.name,
            "File Path": self.path,
            "FPS": self.fps,
            "Frames": str(self.frames),
            "Type": "Audio",
        }
        return props if name is None else props.get(name, "")

    def SetClipProperty(self, name, value):
        if name != "Clip Name" or not isinstance(value, str) or not value:
            return False
        self.name = value
        return True

    def SetClipColor(self, color):
        if color not in CLIP_COLORS:
            return False
        self.color = color
        return True


class Folder(Scriptable):
    def __init__(self, name: str):
        self.name, self.clips, self.subfolders = name, [], []

    def GetName(self):
        return self.name

    def GetClipList(self):
        return list(self.clips)

    def GetSubFolderList(self):
        return list(self.subfolders)


@dataclass
class Placed:
    """What landed on a track: the clipInfo as given and where the clip sits."""

    info: dict
    start: int  # absolute record frame
    end: int  # exclusive


class TimelineItem(Scriptable):
    def __init__(self, media: MediaPoolItem, start: int, end: int, info: dict):
        self.media, self.start, self.end, self.info = media, start, end, dict(info)
        self.name = media.name
        self.color = ""

    def GetName(self):
        return self.name

    def GetStart(self):
        return self.start

    def GetEnd(self):
        return self.end

    def GetDuration(self):
        return self.end - self.start

    def GetMediaPoolItem(self):
        return self.media

    def SetClipColor(self, color):
        if color not in CLIP_COLORS:
            return False
        self.color = color
        return True

    def GetClipColor(self):
        return self.color


class MediaPool(Scriptable):
    def __init__(self, project: Project):
        self.project = project
        self.root = Folder("Master")
        self.current = self.root
        self.appended: list[dict] = []  # every clipInfo Resolve accepted
        self.refused: list[str] = []  # why a batch was refused
        self.refuse_everything = False  # a locked track, a full disk: Resolve says no

    def GetRootFolder(self):
        return self.root

    def GetCurrentFolder(self):
        return self.current

    def SetCurrentFolder(self, folder):
        self.current = folder
        return True

    def AddSubFolder(self, parent, name):
        folder = Folder(name)
        parent.subfolders.append(folder)
        return folder

    def all_items(self) -> list[MediaPoolItem]:
        out, stack = [], [self.root]
        while stack:
            folder = stack.pop()
            out += folder.clips
            stack += folder.subfolders
        return out

    def ImportMedia(self, paths):
        # Resolve skips what it cannot read and returns the items it made.
        items = []
        for path in paths:
            if not isinstance(path, str) or not os.path.isfile(path):
                continue
            item = MediaPoolItem(path)
            self.current.clips.append(item)
            items.append(item)
        return items

    def DeleteClips(self, items):
        stack = [self.root]
        while stack:
            folder = stack.pop()
            folder.clips = [c for c in folder.clips if c not in items]
            stack += folder.subfolders
        return True

    def AppendToTimeline(self, infos):
        timeline = self.project.current
        problem = self._check(timeline, infos)
        if problem or self.refuse_everything:
            self.refused.append(problem or "refused")
            return []
        landed = []
        for info in infos:
            media = info["mediaPoolItem"]
            source = Fraction(info["endFrame"] - info["startFrame"])
            seconds = source / Fraction(media.fps).limit_denominator(1001)
            length = round(seconds * timeline.rate)
            item = TimelineItem(media, info["recordFrame"], info["recordFrame"] + length, info)
            timeline.audio[info["trackIndex"] - 1].items.append(item)
            self.appended.append(dict(info))
            landed.append(item)
        return landed

    def _check(self, timeline: Timeline, infos) -> str:
        if not isinstance(infos, list) or not infos:
            return "not a list of clipInfos"
        spans: dict[int, list[tuple[int, int]]] = {}
        for info in infos:
            media = info.get("mediaPoolItem")
            if media not in self.all_items():
                return "mediaPoolItem is not in this media pool"
            for key in ("startFrame", "endFrame", "recordFrame", "trackIndex", "mediaType"):
                if key in info and not _is_int(info[key]):
                    return f"{key}={info[key]!r} is not an integer: the whole batch is refused"
            if info.get("mediaType") != 2:
                return f"mediaType {info.get('mediaType')!r}: a WAV has audio only (2)"
            start, end = info.get("startFrame", 0), info.get("endFrame")
            if end is None or not 0 <= start < end <= media.frames:
                return f"startFrame/endFrame {start}-{end} outside the clip's {media.frames} frames"
            index = info.get("trackIndex")
            if index is None or not 1 <= index <= len(timeline.audio):
                return f"trackIndex {index} is not an audio track"
            record = info.get("recordFrame")
            if record is None or record < timeline.start:
                return f"recordFrame {record} is before the timeline's start {timeline.start}"
            seconds = Fraction(end - start) / Fraction(media.fps).limit_denominator(1001)
            span = (record, record + round(seconds * timeline.rate))
            taken = [(i.start, i.end) for i in timeline.audio[index - 1].items]
            taken += spans.get(index, [])
            if any(a < span[1] and span[0] < b for a, b in taken):
                return f"track A{index} already holds a clip at {span}"
            spans.setdefault(index, []).append(span)
        return ""


# -- the timeline -------------------------------------------------------------------------------


@dataclass
class Shot:
    """A clip on V1: frames of a real media file."""

    name: str
    path: str
    source_start: int
    length: int


@dataclass
class Track:
    name: str
    kind: str = "stereo"
    items: list = field(default_factory=list)


class Timeline(Scriptable):
    def __init__(
        self,
        name: str,
        rate: Fraction,
        start: int,
        shots: list[Shot],
        markers: dict[int, dict] | None = None,
        marks: dict | None = None,
        media_rate: Fraction | None = None,
    ):
        self.name, self.rate, self.start, self.shots = name, Fraction(rate), start, shots
        self.media_rate = media_rate or self.rate
        self.markers = {int(f): dict(m) for f, m in (markers or {}).items()}
        self.marks = marks or {}
        self.audio = [Track("Audio 1", "stereo")]
        self.uid = f"tl-{next(_ids)}"
        self.exports: list[tuple[str, int]] = []

    # settings and time
    def GetName(self):
        return self.name

    def GetUniqueId(self):
        return self.uid

    def GetSetting(self, key=None):
        if key == "timelineFrameRate":
            if self.rate.denominator == 1:
                return str(self.rate.numerator)
            return f"{float(self.rate):.3f}".rstrip("0")  # "29.97", "23.976"
        if key == "timelineDropFrameTimecode":
            return "0"
        return ""

    @property
    def duration(self) -> int:
        return sum(s.length for s in self.shots)

    def GetStartFrame(self):
        return self.start

    def GetEndFrame(self):
        return self.start + self.duration

    def GetCurrentTimecode(self):
        fps = round(self.rate)
        f = self.start
        return f"{f // fps // 3600:02d}:{f // fps // 60 % 60:02d}:{f // fps % 60:02d}:{f % fps:02d}"

    def GetMarkInOut(self):  # since 19.1
        return copy.deepcopy(self.marks)

    # markers
    def GetMarkers(self):
        return {float(f): dict(m) for f, m in sorted(self.markers.items())}

    def AddMarker(self, frameId, color, name, note, duration, customData=""):
        frame = int(frameId)
        if frame != frameId or not 0 <= frame < self.duration or frame in self.markers:
            return False
        if color not in MARKER_COLORS or not _is_int(duration) or duration < 1:
            return False
        self.markers[frame] = {
            "color": color,
            "duration": float(duration),
            "note": note,
            "name": name,
            "customData": customData,
        }
        return True

    def DeleteMarkerByCustomData(self, customData):
        for frame, marker in sorted(self.markers.items()):
            if marker["customData"] == customData:
                del self.markers[frame]
                return True
        return False

    # tracks
    def _tracks(self, kind):
        if kind == "audio":
            return self.audio
        if kind == "video":
            return [Track("Video 1", "video", self.shots)]
        return []

    def GetTrackCount(self, kind):
        return len(self._tracks(kind))

    def AddTrack(self, kind, sub_type=None):
        if kind != "audio":
            return False
        self.audio.append(Track(f"Audio {len(self.audio) + 1}", sub_type or "mono"))
        return True

    def DeleteTrack(self, kind, index):
        if kind != "audio" or not 1 <= index <= len(self.audio):
            return False
        del self.audio[index - 1]
        return True

    def GetTrackName(self, kind, index):
        tracks = self._tracks(kind)
        return tracks[index - 1].name if 1 <= index <= len(tracks) else ""

    def SetTrackName(self, kind, index, name):
        tracks = self._tracks(kind)
        if kind != "audio" or not 1 <= index <= len(tracks):
            return False
        tracks[index - 1].name = name
        return True

    def GetItemListInTrack(self, kind, index):
        if kind != "audio" or not 1 <= index <= len(self.audio):
            return []
        return list(self.audio[index - 1].items)

    def DeleteClips(self, items, ripple=False):
        for track in self.audio:
            track.items = [i for i in track.items if i not in items]
        return True

    # export
    def Export(self, path, export_type, export_subtype=None):
        resolve = self._resolve
        if export_type is None or export_type not in (resolve.otio_type, resolve.fcp7_type):
            return False
        adapter = "otio_json" if export_type == resolve.otio_type else "fcp_xml"
        otio.adapters.write_to_file(self.to_otio(), path, adapter_name=adapter)
        self.exports.append((path, export_type))
        return True

    def to_otio(self) -> otio.schema.Timeline:
        r = float(self.rate)

        def rng(a, n, rate=r):
            return otio.opentime.TimeRange(
                otio.opentime.RationalTime(a, rate), otio.opentime.RationalTime(n, rate)
            )

        timeline = otio.schema.Timeline(name=self.name)
        timeline.global_start_time = otio.opentime.RationalTime(self.start, r)
        video = otio.schema.Track(name="Video 1", kind=otio.schema.TrackKind.Video)
        for shot in self.shots:
            ref = otio.schema.ExternalReference(
                target_url=Path(shot.path).resolve().as_uri(), available_range=rng(0, 100000)
            )
            video.append(
                otio.schema.Clip(
                    name=shot.name,
                    media_reference=ref,
                    source_range=rng(shot.source_start, shot.length),
                )
            )
        timeline.tracks.append(video)
        for track in self.audio:
            out = otio.schema.Track(name=track.name, kind=otio.schema.TrackKind.Audio)
            cursor = 0
            for item in sorted(track.items, key=lambda i: i.start):
                if item.start - self.start > cursor:
                    out.append(
                        otio.schema.Gap(source_range=rng(0, item.start - self.start - cursor))
                    )
                out.append(
                    otio.schema.Clip(
                        name=item.name,
                        media_reference=otio.schema.ExternalReference(
                            target_url=Path(item.media.path).as_uri()
                        ),
                        source_range=rng(0, item.end - item.start),
                    )
                )
                cursor = item.end - self.start
            timeline.tracks.append(out)
        for frame, m in sorted(self.markers.items()):
            timeline.tracks.markers.append(
                otio.schema.Marker(
                    name=m["name"],
                    marked_range=rng(frame, int(m["duration"])),
                    color=_OTIO_COLORS.get(m["color"], "RED"),
                    comment=m["note"],
                    metadata={"Resolve_OTIO": {"Note": m["note"], "Keywords": []}},
                )
            )
        return timeline

    # for tests
    def snapshot(self):
        """Everything an editor would see change: tracks, clips and markers."""
        return (
            [(t.name, [(i.start, i.end, i.name) for i in t.items]) for t in self.audio],
            sorted(self.markers.items()),
        )


class Project(Scriptable):
    def __init__(self, name: str, timeline: Timeline):
        self.name = name
        self.current = timeline
        self.timelines = [timeline]
        self.pool = MediaPool(self)

    def GetName(self):
        return self.name

    def GetMediaPool(self):
        return self.pool

    def GetCurrentTimeline(self):
        return self.current

    def SetCurrentTimeline(self, timeline):
        if timeline not in self.timelines:
            return False
        self.current = timeline
        return True


class ProjectManager(Scriptable):
    def __init__(self, project: Project):
        self.project = project

    def GetCurrentProject(self):
        return self.project


class Resolve(Scriptable):
    """Resolve 20.2 by default; `version=(18, 1)` has neither OTIO export nor GetMarkInOut."""

    EXPORT_AAF, EXPORT_DRT, EXPORT_EDL, EXPORT_FCP_7_XML = 0, 1, 2, 3
    EXPORT_FCPXML_1_10, EXPORT_NONE = 14, 100

    def __init__(self, project: Project, version: tuple[int, ...] = (20, 2, 0, 5)):
        self.project_manager = ProjectManager(project)
        self.version = tuple(version)
        self.fcp7_type = self.EXPORT_FCP_7_XML
        self.otio_type = 31 if self.version >= (18, 5) else None
        if self.otio_type is not None:
            self.EXPORT_OTIO = self.otio_type
        for timeline in project.timelines:
            timeline._resolve = self
            if self.version < (19, 1):
                timeline.GetMarkInOut = None  # unknown to this version: None, as Resolve answers

    def GetProjectManager(self):
        return self.project_manager

    def GetVersion(self):
        return [*self.version[:4], ""]

    def GetVersionString(self):
        return ".".join(str(v) for v in self.version)

    def GetProductName(self):
        return "DaVinci Resolve Studio"
