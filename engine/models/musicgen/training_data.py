"""An OSSL-format data set for adapter training.

Layout (one folder):

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


def load_clips(
    folder: str | Path,
    model: MusicgenVideo,
    split: str,
    max_seconds: float = 30.0,
    video_tokenizer: Callable[[Path], torch.Tensor] | None = None,
) -> list[Clip]:
    """The clips of one split, encoded: prompt text, video tokens, EnCodec codes."""
    folder = Path(folder)
    meta = folder / "metadata.jsonl"
    clips = []
    for row in read_metadata(folder):
        if row.get("split", "train") != split:
            continue
        audio_path = folder / row["audio"]
        if not audio_path.is_file():
            raise _line_error(meta, row["_line"], f"audio file not found: {audio_path}")
        audio, rate = read_wav(audio_path)
        mono = audio.mean(axis=1)
        if rate != model.sampling_rate:
            mono = resample(mono, rate, model.sampling_rate)
        mono = mono[: int(max_seconds * model.sampling_rate)]
        if "video_tokens" in row:
            tokens = load_tokens(folder / row["video_tokens"])
        elif video_tokenizer is not None:
            tokens = video_tokenizer(folder / row["video"])
        else:
            raise _line_error(meta, row["_line"], "has a video but no ViViT is configured")
        codes = model.encode_audio(torch.from_numpy(np.ascontiguousarray(mono))[None])[0].cpu()
        prompt = OSSL_TEMPLATE.format(mood=row.get("mood") or "cinematic",
                                      caption=row.get("caption", "")).strip()  # fmt: skip
        clips.append(Clip(str(row.get("id", audio_path.stem)), prompt, tokens, codes))
    return clips
