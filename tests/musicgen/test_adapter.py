"""The adapter's defining property (gates at 0 = plain MusicGen) and its conditioning."""

from __future__ import annotations

import torch

from cuebridge.engine.models.musicgen.modeling import (
    MusicgenTextVideoAttention,
    SamplingConfig,
    adapter_modules,
)
from tests.musicgen.helpers import random_video


def decoder_ids(batch: int, length: int = 6, seed: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 64, (batch * 4, length), generator=g)


def test_every_layer_has_a_zero_gate_adapter(pair):
    _, model = pair
    mods = adapter_modules(model.musicgen)
    assert len(mods) == model.musicgen.config.decoder.num_hidden_layers
    assert all(isinstance(m, MusicgenTextVideoAttention) for m in mods)
    assert all(m.video.gate.item() == 0.0 for m in mods)
    assert mods[0].video.proj.in_features == 768
    assert mods[0].video.proj.out_features == model.musicgen.config.decoder.hidden_size


def test_gates_at_zero_give_transformers_logits_exactly(pair, text):
    plain, model = pair
    ids, mask = text
    dec = decoder_ids(2)
    with torch.no_grad():
        expected = plain(input_ids=ids, attention_mask=mask, decoder_input_ids=dec).logits
        cond = model.encode_text(ids, mask)
        cond.video = random_video(2, 9, seed=3)
        got = model.forward_logits(cond, dec)
    assert got.shape == expected.shape == (8, 6, 64)
    assert torch.equal(got, expected)


def test_gates_at_zero_sample_what_transformers_generate_samples(pair, text):
    """Greedy decoding through our CFG loop equals transformers' own generate()."""
    plain, model = pair
    ids, mask = text
    with torch.no_grad():
        ours_cond = model.encode_text(ids, mask)
        ours_cond.video = random_video(2, 5, seed=4)
        sampling = SamplingConfig(guidance_scale=3.0, temperature=0.0, window_frames=12)
        gens = [torch.Generator(), torch.Generator()]
        ours = model.generate_codes(ours_cond, 12, sampling, gens)
        theirs = plain.generate(
            input_ids=ids,
            attention_mask=mask,
            do_sample=False,
            guidance_scale=3.0,
            max_new_tokens=12 + 3,
            return_dict_in_generate=False,
        )
    # transformers returns the audio; compare the codes the EnCodec decoder turns into that audio
    audio = model.decode_audio(ours)
    assert audio.shape == theirs[:, 0].shape
    assert torch.allclose(audio, theirs[:, 0].float(), atol=1e-5)


def test_open_gates_make_video_matter(model, text):
    ids, mask = text
    model.set_gates(0.7)
    dec = decoder_ids(2)
    with torch.no_grad():
        cond = model.encode_text(ids, mask)
        cond.video = random_video(2, 9, seed=3)
        a = model.forward_logits(cond, dec)
        cond.video = random_video(2, 9, seed=4)
        b = model.forward_logits(cond, dec)
        cond.video = random_video(2, 40, seed=4)  # any number of video tokens
        c = model.forward_logits(cond, dec)
    assert a.shape == b.shape == c.shape
    assert (a - b).abs().max() > 1e-4
    assert (b - c).abs().max() > 1e-4


def test_null_branch_shapes_and_video_by_guidance(model, text):
    ids, mask = text
    model.set_gates(0.7)
    with torch.no_grad():
        cond = model.encode_text(ids, mask)
        cond.video = random_video(2, 9, seed=3)
        both, b = model.with_null_branch(cond)
        assert b == 2
        assert both.text.shape == (4, *cond.text.shape[1:])
        assert both.text_mask.shape == (4, cond.text_mask.shape[1])
        assert torch.count_nonzero(both.text[2:]) == 0
        assert torch.count_nonzero(both.text_mask[2:]) == 0
        # OSSL: the null rows see their cond row's video; the other mode: no video at all
        ossl = model._video_memory_for(both, b, "ossl")
        assert ossl.tokens.shape == (2, 9, 768) and ossl.rows.tolist() == [0, 1, 0, 1]
        assert ossl.per_video == 2  # cond and null rows of a cue share one K/V
        nulled = model._video_memory_for(both, b, "text-and-video-null")
        assert nulled.rows.tolist() == [0, 1, -1, -1] and nulled.per_video == 1
        # the null rows do not see the video: swapping the video leaves their logits alone
        dec = decoder_ids(4)
        gone = torch.tensor([1.0, 1.0, 0.0, 0.0])
        both.video = torch.cat([cond.video, cond.video])
        null_a = model.forward_logits(both, dec, video_present=gone)[8:]
        both.video = random_video(4, 9, seed=99)
        null_b = model.forward_logits(both, dec, video_present=gone)[8:]
    assert null_a.shape == (8, 6, 64)
    assert torch.equal(null_a, null_b)
