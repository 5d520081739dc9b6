"""Media linking: find the file behind each clip, or say it is offline.

Order: the reference's own path or file URL (relative paths from the timeline's folder), then each
--media-dir searched by the file name, the clip name and the reel name (EDLs know only reels).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

import opentimelineio as otio

from cuebridge.bridge.errors import TimelineError

MEDIA_SUFFIXES = (".mov", ".mp4", ".mxf", ".mkv", ".webm", ".avi", ".m4v", ".mts", ".mpg")
# Dialogue and production sound, for audio clips found by name.
MEDIA_SUFFIXES += (".wav", ".bwf", ".aif", ".aiff", ".m4a", ".aac", ".mp3", ".flac")


@dataclass(frozen=True)
class MediaLink:
    path: Path | None  # None when offline
    wanted: str  # what the timeline asked for, for messages

    @property
    def online(self) -> bool:
        return self.path is not None


def url_to_path(url: str) -> Path:
    """A file:// URL or a plain path (Windows or POSIX) as a local Path."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return Path(url2pathname(unquote(parsed.path)))
    return Path(url)


class MediaLinker:
    def __init__(self, timeline_path: Path, media_dirs: list[Path] | None = None):
        self.base = Path(timeline_path).resolve().parent
        self.media_dirs = [Path(d) for d in media_dirs or []]
        for d in self.media_dirs:
            if not d.is_dir():
                raise TimelineError(d, "is not a folder", "--media-dir takes folders to search")
        self._index: dict[str, Path] | None = None

    def link(self, clip: otio.schema.Clip) -> MediaLink:
        ref = clip.media_reference
        if isinstance(ref, otio.schema.ImageSequenceReference):
            return self._link_sequence(clip, ref)
        wanted = ""
        if isinstance(ref, otio.schema.ExternalReference) and ref.target_url:
            wanted = ref.target_url
            path = url_to_path(ref.target_url)
            if not path.is_absolute():
                path = self.base / path
            if path.exists():
                return MediaLink(self._checked(path, clip), wanted)
        names = [url_to_path(wanted).name] if wanted else []
        names += [clip.name, _reel(clip)]
        for name in filter(None, names):
            found = self._search(name)
            if found is not None:
                return MediaLink(self._checked(found, clip), wanted or name)
        return MediaLink(None, wanted or clip.name or "(unnamed clip)")

    def _link_sequence(
        self, clip: otio.schema.Clip, ref: otio.schema.ImageSequenceReference
    ) -> MediaLink:
        """An image sequence as a frame-number pattern ("shot.%04d.exr") the picture reader takes;
        online when its first frame is on disk (beside the timeline or in a --media-dir)."""
        folder = url_to_path(ref.target_url_base or "")
        pad = max(1, ref.frame_zero_padding)
        first = f"{ref.name_prefix}{ref.start_frame:0{pad}d}{ref.name_suffix}"
        pattern = f"{ref.name_prefix}%0{pad}d{ref.name_suffix}"
        wanted = str(folder / pattern)
        for base in (
            folder if folder.is_absolute() else self.base / folder,
            *(self._search_folder(first) or []),
        ):
            if (base / first).is_file():
                return MediaLink(base / pattern, wanted)
        return MediaLink(None, wanted)

    def _search_folder(self, name: str) -> list[Path]:
        found = self._search(name)
        return [found.parent] if found is not None else []

    def _checked(self, path: Path, clip: otio.schema.Clip) -> Path:
        if path.is_dir():
            raise TimelineError(
                path,
                f"clip {clip.name!r} links to a folder, not a media file",
                "relink the clip to its file, or pass --media-dir",
            )
        if not path.is_file():  # a FIFO would block whoever opens it; a device is no movie
            raise TimelineError(
                path,
                f"clip {clip.name!r} links to something that is not a regular file "
                "(a pipe, socket or device)",
                "relink the clip to its media file, or pass --media-dir",
            )
        return path

    def _search(self, name: str) -> Path | None:
        if not self.media_dirs:
            return None
        if self._index is None:
            self._index = {}
            for d in self.media_dirs:
                for p in sorted(d.rglob("*")):
                    if p.is_file():
                        self._index.setdefault(p.name.lower(), p)
                        self._index.setdefault(p.stem.lower(), p)
        key = name.strip().lower()
        if key in self._index:
            return self._index[key]
        # Reel and clip names usually lack the extension: try the common ones.
        for suffix in MEDIA_SUFFIXES:
            if key + suffix in self._index:
                return self._index[key + suffix]
        return None


def _reel(clip: otio.schema.Clip) -> str:
    meta = clip.metadata.get("cmx_3600", {})
    return str(meta.get("reel", "")) if hasattr(meta, "get") else ""
