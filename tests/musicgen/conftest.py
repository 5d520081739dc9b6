"""Tiny random MusicGen + adapter models, built in code; nothing is downloaded."""

from __future__ import annotations

import copy

import pytest
import torch

from cuebridge.engine.models.musicgen.modeling import MusicgenVideo
from tests.musicgen.tiny import tiny_musicgen, tiny_musicgen_video, tiny_tokenizer


@pytest.fixture(scope="session")
def tokenizer():
    return tiny_tokenizer()


@pytest.fixture()
def pair():
    """(plain transformers MusicGen, the same weights with the adapter installed)."""
    plain = tiny_musicgen(seed=0)
    return plain, MusicgenVideo.from_musicgen(copy.deepcopy(plain))


@pytest.fixture()
def model():
    return tiny_musicgen_video(seed=0)


@pytest.fixture()
def text(tokenizer):
    enc = tokenizer(
        ["a film soundtrack for a tense scene . strings", "calm piano"],
        padding=True,
        return_tensors="pt",
    )
    return enc["input_ids"], enc["attention_mask"]


# Tiny models are all per-call overhead: on a shared 2-core machine a second intra-op thread only
# spin-waits (measured ~10x slower under load), so these tests decode on one thread.
torch.set_num_threads(1)
