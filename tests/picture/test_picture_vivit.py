"""ViViT tokens from a tiny random VivitModel built in code; nothing is downloaded."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import VivitConfig, VivitModel

from cuebridge.engine.picture.vivit import (
    VivitPreprocess,
    VivitTokenizer,
    VivitWeightsMissing,
    sample_times,
)
from cuebridge.engine.segment import MediaSpan, Rate, Segment
from tests.picture.media import pan, shots, write_video

TINY = dict(
    image_size=32,
    num_frames=8,
    tubelet_size=[2, 8, 8],
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=64,
)
TOKENS = (8 // 2) * (32 // 8) ** 2 + 1  # tubelets plus the CLS token


@pytest.fixture(scope="module")
def tiny_model() -> VivitModel:
    torch.manual_seed(0)
    return VivitModel(VivitConfig(**TINY)).eval()


def test_tokens_from_frames_shape_and_dtype(tiny_model):
    tokenizer = VivitTokenizer(tiny_model)
    frames = np.random.default_rng(0).integers(0, 256, (8, 48, 80, 3), dtype=np.uint8)
    tokens = tokenizer.tokens_from_frames(frames)
    assert tokens.shape == (TOKENS, 32) and tokens.dtype == torch.float32
    assert torch.isfinite(tokens).all()
    with pytest.raises(ValueError, match=r"expected frames \[8, H, W, 3\]"):
        tokenizer.tokens_from_frames(frames[:4])


def test_preprocessing_matches_vivit_image_processor_defaults(tiny_model):
    # VivitImageProcessor: shortest edge 256, centre crop 224, x / 127.5 - 1, then (x - .5) / .5.
    p = VivitPreprocess.from_processor({})
    assert (p.short_edge, p.crop, p.offset) == (256, (224, 224), True)
    tokenizer = VivitTokenizer(tiny_model)
    frames = np.full((8, 36, 36, 3), 255, np.uint8)
    frames[:, :, :, 0] = 0
    pixels = tokenizer._pixel_values(frames)
    assert pixels.shape == (1, 8, 3, 32, 32)
    assert torch.allclose(pixels[0, :, 0], torch.tensor(-3.0))  # 0 -> -1 -> -3
    assert torch.allclose(pixels[0, :, 1], torch.tensor(1.0))  # 255 -> 1 -> 1


def test_tokens_for_a_segment_follow_its_clips(tiny_model, media_dir):
    red = write_video(media_dir / "vivit-red.mp4", frames=48, paint=shots([(220, 30, 30)], []))
    blue = write_video(media_dir / "vivit-blue.mp4", frames=48, paint=pan(4.0))
    rate = Rate(24)
    one_clip = Segment("a", rate, 48, media=(MediaSpan(str(red), 0.0, 2.0, 0, 48),))
    two_clips = Segment(
        "b",
        rate,
        48,
        media=(MediaSpan(str(red), 0.0, 1.0, 0, 24), MediaSpan(str(blue), 0.5, 1.0, 24, 24)),
    )
    tokenizer = VivitTokenizer(tiny_model)
    frames = tokenizer.frames(two_clips)
    assert frames.shape[0] == 8 and tokenizer.frames_decoded == 8
    # Frames 0-3 come from the red clip, 4-7 from the pan.
    assert frames[:4, ..., 0].mean() > frames[:4, ..., 2].mean() + 100
    assert abs(float(frames[4:, ..., 0].mean()) - float(frames[4:, ..., 2].mean())) < 60
    a, b = tokenizer.tokens(one_clip), tokenizer.tokens(two_clips)
    assert a.shape == b.shape == (TOKENS, 32)
    assert not torch.allclose(a, b)


def test_offline_picture_is_black(tiny_model):
    tokenizer = VivitTokenizer(tiny_model)
    segment = Segment("c", Rate(24), 48, media=(MediaSpan("", 0.0, 2.0, 0, 48),))
    assert tokenizer.frames(segment).max() == 0
    assert tokenizer.tokens(segment).shape == (TOKENS, 32)


def test_frames_are_evenly_spaced_over_the_first_150_seconds():
    assert sample_times(3.2, 32)[0] == pytest.approx(0.05)
    long = sample_times(600.0, 32)
    assert long[-1] < 150.0 and long[1] - long[0] == pytest.approx(150.0 / 32)


def test_from_pretrained_loads_a_local_folder(tiny_model, tmp_path):
    tiny_model.save_pretrained(tmp_path / "vivit")
    tokenizer = VivitTokenizer.from_pretrained(str(tmp_path / "vivit"))
    frames = np.zeros((8, 32, 32, 3), np.uint8)
    expected = VivitTokenizer(tiny_model).tokens_from_frames(frames)
    assert torch.allclose(tokenizer.tokens_from_frames(frames), expected, atol=1e-5)


def test_missing_weights_name_the_files_and_where_to_put_them(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(VivitWeightsMissing) as info:
        VivitTokenizer.from_pretrained(str(tmp_path / "empty"))
    message = str(info.value)
    assert "config.json" in message and "model.safetensors" in message
    assert str(tmp_path / "empty") in message and "hf download" in message
    with pytest.raises(VivitWeightsMissing, match="neither a local folder nor in the Hugging"):
        VivitTokenizer.from_pretrained("nobody/no-such-vivit-model")
