"""Data sets for adapter training, in two layouts.

OSSL's own layout (what its audiocraft/dataset.py reads; one folder):

    train_meta.csv, valid_meta.csv   columns film_id, clip_id, mood, caption (others ignored)
    {film_id}_{clip_id}.wav          the soundtrack clip (any rate; resampled to 32 kHz mono)
    {film_id}_{clip_id}.pt           its ViViT features, a [T, 768] tensor (torch.save);
                                     `cuebridge extract-features` writes them from the videos
                                     (or {film_id}_{clip_id}.mp4 beside it, tokenized on the fly)

The prompt is OSSL's: "a film soundtrack for a {mood} scene. {caption}". OSSL's audio handling
(OSSL_AUDIO): peak-normalised, cut or zero-padded to 30 s.

cuebridge's earlier layout ("jsonl"; one folder):

    metadata.jsonl     one JSON object a line:
                       {"id": "clip001", "audio": "audio/clip001.wav",
                        "video_tokens": "tokens/clip001.npy",      # or "video": "video/clip001.mp4"
                        "mood": "tense", "caption": "strings swell as the door opens",
                        "split": "train"}                            # or "valid"
    audio/*.wav        the soundtrack, 32 kHz mono (other rates are resampled)
    tokens/*.npy|.pt   ViViT last_hidden_state, [3137, 768] (any [T, 768])
    video/*.mp4        when there are no token files: tokenized once with the configured ViViT

Each clip becomes (prompt, video tokens, EnCodec codes); codes are computed once and kept.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from cuebridge.engine.audio import read_wav, resample
from cuebridge.engine.errors import CueError
from cuebridge.engine.models.musicgen.model import OSSL_TEMPLATE
from cuebridge.engine.models.musicgen.modeling import MusicgenVideo

LAYOUTS = ("auto", "ossl", "jsonl")
OSSL_SPLIT_FILES = {"train": "train_meta.csv", "valid": "valid_meta.csv"}
OSSL_COLUMNS = ("film_id", "clip_id", "mood", "caption")
VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".avi", ".webm", ".mxf")


@dataclass(frozen=True)
class AudioPrep:
    """How a clip's soundtrack becomes the waveform that is encoded."""

    seconds: float = 30.0  # cut to this long
    pad: bool = False  # zero-pad shorter clips to `seconds` (OSSL)
    peak_normalise: bool = False  # divide by the peak (+1e-10), as OSSL's normalize_audio


OSSL_AUDIO = AudioPrep(seconds=30.0, pad=True, peak_normalise=True)


def prepare_audio(audio: np.ndarray, rate: int, target_rate: int, prep: AudioPrep) -> np.ndarray:
    """[samples, channels] or [samples] at `rate` -> mono float32 at `target_rate`, cut/padded
    and normalised as `prep` says."""
    mono = audio.mean(axis=1) if audio.ndim == 2 else audio
    if rate != target_rate:
        mono = resample(mono, rate, target_rate)
    length = int(round(prep.seconds * target_rate))
    mono = mono[:length]
    if prep.pad and mono.shape[0] < length:
        mono = np.pad(mono, (0, length - mono.shape[0]))
    if prep.peak_normalise:
        mono = mono / (np.max(np.abs(mono), initial=0.0) + 1e-10)
    return np.ascontiguousarray(mono, dtype=np.float32)


def detect_layout(folder: Path, layout: str = "auto") -> str:
    if layout not in LAYOUTS:
        raise CueError(f"layout {layout!r}: use one of {', '.join(LAYOUTS)}")
    if layout != "auto":
        return layout
    if (folder / "train_meta.csv").is_file():
        return "ossl"
    if (folder / "metadata.jsonl").is_file():
        return "jsonl"
    raise CueError(
        f"{folder}: no train_meta.csv (OSSL's layout) and no metadata.jsonl; see "
        "cuebridge.engine.models.musicgen.training_data for both layouts"
    )


def read_ossl_meta(folder: Path, split: str) -> list[dict]:
    """Rows of train_meta.csv / valid_meta.csv, each with its file stem and csv line."""
    path = folder / OSSL_SPLIT_FILES[split]
    if not path.is_file():
        raise CueError(f"{path}: missing; OSSL's layout lists the {split} clips there")
    rows = []
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        lacking = [c for c in OSSL_COLUMNS if c not in (reader.fieldnames or [])]
        if lacking:
            raise CueError(f"{path}, line 1: no column {', '.join(lacking)} "
                           f"(OSSL's columns: {', '.join(OSSL_COLUMNS)})")  # fmt: skip
        for row in reader:
            line = reader.line_num
            if not (row["film_id"] or "").strip() or not (row["clip_id"] or "").strip():
                raise _line_error(path, line, "empty film_id or clip_id")
            row["_stem"] = f"{row['film_id'].strip()}_{row['clip_id'].strip()}"
            row["_line"] = line
            rows.append(row)
    return rows


@dataclass
class Clip:
    id: str
    prompt: str
    video: torch.Tensor  # [T, 768]
    codes: torch.Tensor  # [K, N]


def _line_error(path: Path, line: int, what: str) -> CueError:
    return CueError(f"{path}, line {line}: {what}")


def read_metadata(folder: Path) -> list[dict]:
    path = folder / "metadata.jsonl"
    if not path.is_file():
        raise CueError(f"{path}: missing; an OSSL-format data set lists its clips there")
    rows = []
    for n, text in enumerate(path.read_text().splitlines(), start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _line_error(path, n, f"not JSON ({exc.msg})") from exc
        if "audio" not in row or ("video_tokens" not in row and "video" not in row):
            raise _line_error(path, n, "needs 'audio' and 'video_tokens' (or 'video')")
        row["_line"] = n
        rows.append(row)
    return rows


def load_tokens(path: Path) -> torch.Tensor:
    if path.suffix == ".npy":
        return torch.from_numpy(np.load(path)).float()
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return next(iter(load_file(str(path)).values())).float()
    return torch.load(str(path), map_location="cpu", weights_only=True).float()


def load_tokens_checked(path: Path) -> torch.Tensor:
    tokens = load_tokens(path)
    if tokens.dim() == 3 and tokens.shape[0] == 1:
        tokens = tokens[0]  # [1, T, 768] as a batch of one
    if tokens.dim() != 2:
        raise CueError(f"{path}: features shaped {tuple(tokens.shape)}, expected [T, 768]")
    return tokens


def _encode(model: MusicgenVideo, audio_path: Path, prep: AudioPrep) -> torch.Tensor:
    audio, rate = read_wav(audio_path)
    mono = prepare_audio(audio, rate, model.sampling_rate, prep)
    return model.encode_audio(torch.from_numpy(mono)[None])[0].cpu()


def load_clips(
    folder: str | Path,
    model: MusicgenVideo,
    split: str,
    max_seconds: float = 30.0,
    video_tokenizer: Callable[[Path], torch.Tensor] | None = None,
    layout: str = "auto",
    prep: AudioPrep | None = None,
) -> list[Clip]:
    """The clips of one split, encoded: prompt text, video tokens, EnCodec codes. `prep`
    (default: cut to max_seconds) says how audio is cut, padded and normalised."""
    folder = Path(folder)
    prep = prep or AudioPrep(seconds=max_seconds)
    if detect_layout(folder, layout) == "ossl":
        return _load_ossl_clips(folder, model, split, prep, video_tokenizer)
    meta = folder / "metadata.jsonl"
    clips = []
    for row in read_metadata(folder):
        if row.get("split", "train") != split:
            continue
        audio_path = folder / row["audio"]
        if not audio_path.is_file():
            raise _line_error(meta, row["_line"], f"audio file not found: {audio_path}")
        if "video_tokens" in row:
            tokens = load_tokens(folder / row["video_tokens"])
        elif video_tokenizer is not None:
            tokens = video_tokenizer(folder / row["video"])
        else:
            raise _line_error(meta, row["_line"], "has a video but no ViViT is configured")
        codes = _encode(model, audio_path, prep)
        prompt = OSSL_TEMPLATE.format(mood=row.get("mood") or "cinematic",
                                      caption=row.get("caption", "")).strip()  # fmt: skip
        clips.append(Clip(str(row.get("id", audio_path.stem)), prompt, tokens, codes))
    return clips


def _load_ossl_clips(folder, model, split, prep, video_tokenizer) -> list[Clip]:
    meta = folder / OSSL_SPLIT_FILES[split]
    clips = []
    for row in read_ossl_meta(folder, split):
        stem, line = row["_stem"], row["_line"]
        audio_path = folder / f"{stem}.wav"
        if not audio_path.is_file():
            raise _line_error(meta, line, f"audio file not found: {audio_path}")
        features = folder / f"{stem}.pt"
        if features.is_file():
            tokens = load_tokens_checked(features)
        else:
            video = next((folder / f"{stem}{s}" for s in VIDEO_SUFFIXES
                          if (folder / f"{stem}{s}").is_file()), None)  # fmt: skip
            if video is None or video_tokenizer is None:
                raise _line_error(
                    meta, line, f"features not found: {features}; write them with "
                    f"`cuebridge extract-features VIDEO_DIR {folder}`",
                )  # fmt: skip
            tokens = video_tokenizer(video)
        prompt = OSSL_TEMPLATE.format(mood=(row["mood"] or "").strip() or "cinematic",
                                      caption=(row["caption"] or "").strip()).strip()  # fmt: skip
        clips.append(Clip(stem, prompt, tokens, _encode(model, audio_path, prep)))
    return clips
