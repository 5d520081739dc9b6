"""ViViT features of the picture: one extractor for training data and for inference.

Inference asks for the tokens of a segment (the clips under a marked range); training asks for
the tokens of a whole clip file. Both go through `segment_features`, i.e. VivitTokenizer.tokens:
the picture reader's range decoding (only the sampled frames are decoded), the same frame
sampling and preprocessing, so an adapter trained on `cuebridge extract-features` output sees
at inference exactly the kind of features it was trained on.

`extract_features` writes OSSL's feature files: `{stem}.pt`, a float32 [T, 768] tensor
(torch.save), one per video, named after the video (OSSL expects `{film_id}_{clip_id}`).
A small index beside them (.cuebridge-features.json) keys each file on the video's identity
(size, mtime, head hash: the picture cache's media_identity) and the extractor settings, so a
re-run decodes only new or changed videos.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from cuebridge.engine.segment import MediaSpan, Rate, Segment
from cuebridge.safe_files import replacing

if TYPE_CHECKING:
    import torch

    from cuebridge.engine.picture.vivit import VivitTokenizer

MAX_VIDEO_S = 150.0  # the paper samples its 32 frames over the first 150 s at most
VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".avi", ".webm", ".mxf", ".m4v")
INDEX_NAME = ".cuebridge-features.json"
EXTRACTOR_VERSION = 1


class FeatureError(Exception):
    """A video could not be read; the message names it."""


def clip_segment(path: Path, max_seconds: float = MAX_VIDEO_S) -> Segment:
    """A whole video file (its first `max_seconds`) as a Segment, so ViViT can sample it."""
    import av

    try:
        with av.open(str(path)) as container:
            seconds = float(container.duration or 0) / av.time_base
            if not container.streams.video:
                raise FeatureError(f"{path}: no video stream")
    except (av.error.FFmpegError, OSError) as exc:
        raise FeatureError(f"{path}: cannot read as a video ({exc})") from exc
    seconds = min(seconds, max_seconds)
    if seconds <= 0:
        raise FeatureError(f"{path}: the container states no duration; re-mux it (ffmpeg -c copy)")
    frames = max(1, int(seconds * 25))
    span = MediaSpan(str(path), 0.0, frames / 25, 0, frames, path.name)
    return Segment(path.stem, Rate(25), frames, media=(span,))


def segment_features(vivit: VivitTokenizer, segment: Segment) -> torch.Tensor:
    """[T, 768] ViViT tokens of the picture under a segment (inference and training alike)."""
    return vivit.tokens(segment)


def clip_features(vivit: VivitTokenizer, path: Path) -> torch.Tensor:
    return segment_features(vivit, clip_segment(path))


def extractor_settings(vivit: VivitTokenizer, weights: str) -> dict[str, object]:
    return {
        "extractor": EXTRACTOR_VERSION,
        "weights": weights,
        "frames": vivit.num_frames,
        "preprocess": asdict(vivit.preprocess),
        "max_s": MAX_VIDEO_S,
    }


def videos_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)


def extract_features(
    video_dir: Path,
    out_dir: Path,
    vivit: VivitTokenizer,
    weights: str,
    on_file: Callable[[Path, str], None] | None = None,
) -> Iterator[tuple[Path, str]]:
    """Write out_dir/{stem}.pt for every video in video_dir; yields (video, what happened):
    "written", "cached" (unchanged since the last run) or the error message."""
    import torch

    from cuebridge.engine.picture.cache import cache_key

    out_dir.mkdir(parents=True, exist_ok=True)
    index_path = out_dir / INDEX_NAME
    try:
        index = json.loads(index_path.read_text()) if index_path.is_file() else {}
    except (OSError, ValueError):
        index = {}  # a damaged index only costs a re-extraction
    settings = extractor_settings(vivit, weights)
    for video in videos_in(video_dir):
        target = out_dir / f"{video.stem}.pt"
        try:
            segment = clip_segment(video)
            key = cache_key(str(video), 0.0, segment.duration_s, settings)
            if target.is_file() and index.get(video.stem) == key:
                yield video, "cached"
                continue
            tokens = segment_features(vivit, segment).float().contiguous()
        except FeatureError as exc:
            yield video, str(exc)
            continue
        with replacing(target) as (fh, _):  # never half a feature file under its name
            torch.save(tokens, fh)
        index[video.stem] = key
        with replacing(index_path) as (fh, _):
            fh.write(json.dumps(index, indent=1, sort_keys=True).encode())
        yield video, "written"
