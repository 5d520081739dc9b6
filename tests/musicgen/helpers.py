"""Shared helpers for the musicgen tests."""

from __future__ import annotations

import torch


def random_video(batch: int, tokens: int, seed: int) -> torch.Tensor:
    """Stand-in ViViT tokens [batch, tokens, 768], reproducible from the seed."""
    return torch.randn(batch, tokens, 768, generator=torch.Generator().manual_seed(seed))
