"""Sampling: per-cue seeds, windowed continuation for long cues, prompts kept."""

from __future__ import annotations

import pytest
import torch

from cuebridge.engine.models.musicgen.modeling import (
    Conditioning,
    SamplingConfig,
    adapter_modules,
    make_generator,
)
from tests.musicgen.helpers import random_video


def conditioning(model, text, video_seed=3):
    ids, mask = text
    cond = model.encode_text(ids, mask)
    cond.video = random_video(2, 7, seed=video_seed)
    return cond


def test_long_cue_windowing_gives_requested_frames(model, text):
    model.set_gates(0.5)
    sampling = SamplingConfig(top_k=16, window_frames=10, stride_frames=6)
    calls = []
    real = model.generate_codes

    def spy(cond, frames, sampling, gens, prompt=None, **kw):
        calls.append((frames, None if prompt is None else prompt.shape[-1]))
        return real(cond, frames, sampling, gens, prompt=prompt, **kw)

    model.generate_codes = spy
    codes = model.generate_long(conditioning(model, text), 27, sampling, [1, 2])
    assert codes.shape == (2, 4, 27)
    assert ((codes >= 0) & (codes < 64)).all()  # no pad token left in the frames
    # first window 10 frames; then windows re-prompted with the last 4 frames, 6 new each
    assert calls == [(10, None), (10, 4), (10, 4), (9, 4)]
    audio = model.decode_audio(codes)
    assert audio.shape == (2, 27 * 640)  # 32 kHz at 50 frames/s


def test_continuation_keeps_the_prompt(model, text):
    cond = conditioning(model, text)
    prompt = torch.randint(0, 64, (2, 4, 5), generator=torch.Generator().manual_seed(5))
    gens = [torch.Generator().manual_seed(1), torch.Generator().manual_seed(2)]
    out = model.generate_codes(cond, 9, SamplingConfig(top_k=16), gens, prompt=prompt)
    assert out.shape == (2, 4, 9)
    assert torch.equal(out[..., :5], prompt)


def test_seed_reproduces_and_differs(model, text):
    model.set_gates(0.5)
    sampling = SamplingConfig(top_k=32, window_frames=8, stride_frames=5)
    cond = conditioning(model, text)
    a = model.generate_long(cond, 15, sampling, [11, 12])
    b = model.generate_long(cond, 15, sampling, [11, 12])
    c = model.generate_long(cond, 15, sampling, [13, 12])
    assert torch.equal(a, b)
    assert not torch.equal(a[0], c[0])
    assert torch.equal(a[1], c[1])  # a cue's seed alone decides it, whatever shares the batch


def test_video_changes_the_sampled_music(model, text):
    gens = [torch.Generator(), torch.Generator()]
    for guidance, gate in (("text-and-video-null", 2.0), ("ossl", 10.0)):
        model.set_gates(gate)  # "ossl" guidance does not amplify the video: a wider gate
        sampling = SamplingConfig(top_k=0, temperature=0.0, guidance=guidance)  # greedy
        a = model.generate_codes(conditioning(model, text, 3), 12, sampling, gens)
        b = model.generate_codes(conditioning(model, text, 4), 12, sampling, gens)
        assert not torch.equal(a, b), guidance


def greedy_reference(model, cond, frames, scale, null_video):
    """Guided greedy decoding written plainly: full teacher-forced forwards, no caches. The
    unconditional half has null text and (null_video=False, as OSSL) the same video."""
    b, k, pad = cond.batch_size, model.num_codebooks, model.pad_token_id
    uncond = Conditioning(torch.zeros_like(cond.text), torch.zeros_like(cond.text_mask),
                          cond.video, cond.video_mask)  # fmt: skip
    present = torch.zeros(b) if null_video else None
    seq = torch.full((b, k, frames + k), pad, dtype=torch.long)
    for s in range(frames + k - 1):
        ids = seq[:, :, : s + 1].reshape(b * k, -1)
        c = model.forward_logits(cond, ids)[:, -1].reshape(b, k, -1)
        u = model.forward_logits(uncond, ids, video_present=present)[:, -1].reshape(b, k, -1)
        nxt = (u + (c - u) * scale).argmax(-1)
        for cb in range(k):
            if 0 <= s - cb < frames:
                seq[:, cb, s + 1] = nxt[:, cb]
    return torch.stack([seq[:, cb, 1 + cb : 1 + cb + frames] for cb in range(k)], dim=1)


def test_guidance_modes_match_their_definitions(model, text):
    """ "ossl" keeps the video in both halves of classifier-free guidance, as OSSL's lm.py does;
    "text-and-video-null" drops it from the unconditional half."""
    model.set_gates(10.0)
    gens = [torch.Generator(), torch.Generator()]
    with torch.no_grad():
        cond = conditioning(model, text)
        got = {}
        for guidance in ("ossl", "text-and-video-null"):
            sampling = SamplingConfig(top_k=0, temperature=0.0, guidance=guidance)
            got[guidance] = model.generate_codes(cond, 10, sampling, gens)
        assert torch.equal(got["ossl"], greedy_reference(model, cond, 10, 3.0, False))
        assert torch.equal(got["text-and-video-null"], greedy_reference(model, cond, 10, 3.0, True))
        assert not torch.equal(got["ossl"], got["text-and-video-null"])
    with pytest.raises(ValueError, match="guidance 'video-only'"):
        SamplingConfig(guidance="video-only")


def test_static_kv_cache_samples_the_same(model, text):
    """The GPU decode path (fixed-shape KV cache) draws exactly the default path's samples."""
    model.set_gates(0.5)
    sampling = SamplingConfig(top_k=16, window_frames=8, stride_frames=5)
    cond = conditioning(model, text)
    dynamic = model.generate_long(cond, 14, sampling, [21, 22])
    model.static_cache = True
    static = model.generate_long(cond, 14, sampling, [21, 22])
    assert torch.equal(dynamic, static)


def count_video_rows(model):
    """Forward hooks recording how many rows the video projection and queries see."""
    seen = {"proj": [], "q": []}
    mods = adapter_modules(model.musicgen)
    hooks = [
        m.video.proj.register_forward_hook(
            lambda _m, args, _o: seen["proj"].append(args[0].shape[0])
        )
        for m in mods
    ]
    hooks += [
        m.video.attn.q_proj.register_forward_hook(
            lambda _m, args, _o: seen["q"].append(args[0].shape[0])
        )
        for m in mods
    ]
    return seen, hooks


def test_takes_share_the_video_kv_and_sample_the_same(model, text):
    """Three takes of each of two cues: each video is projected once per layer (not per take,
    not per guidance half), and the samples equal those of one video copy per row."""
    model.set_gates(3.0)
    ids, mask = text
    sampling = SamplingConfig(top_k=16, guidance="ossl")
    seeds = [1, 2, 3, 4, 5, 6]
    with torch.no_grad():
        base = model.encode_text(ids, mask)
        cond = base.select([0, 0, 0, 1, 1, 1])
        video = random_video(2, 7, seed=3)
        cond.video = torch.cat([video[[0]].repeat(3, 1, 1), video[[1]].repeat(3, 1, 1)])
        copies = model.generate_codes(cond, 6, sampling, [make_generator(s, "cpu") for s in seeds])
        seen, hooks = count_video_rows(model)
        cond.video, cond.video_rows = video, torch.tensor([0, 0, 0, 1, 1, 1])
        shared = model.generate_codes(cond, 6, sampling, [make_generator(s, "cpu") for s in seeds])
        for h in hooks:
            h.remove()
    assert torch.equal(copies, shared)
    layers = model.musicgen.config.decoder.num_hidden_layers
    assert seen["proj"] == [2] * layers  # 2 distinct videos, projected once, on the first step
    assert set(seen["q"]) == {12}  # 6 rows x 2 guidance halves, all attending (OSSL guidance)


def test_null_rows_skip_the_video_work(model, text):
    """Under text-and-video-null guidance the unconditional rows' video term is 0: their
    queries never reach the video attention, and the samples are unchanged by skipping."""
    model.set_gates(3.0)
    sampling = SamplingConfig(top_k=16, guidance="text-and-video-null")
    with torch.no_grad():
        cond = conditioning(model, text)
        seen, hooks = count_video_rows(model)
        got = model.generate_codes(cond, 6, sampling, [make_generator(s, "cpu") for s in (1, 2)])
        for h in hooks:
            h.remove()
    assert set(seen["q"]) == {2} and seen["proj"] == [2, 2]  # B rows, not 2B
    # the same samples as a plain, unskipped evaluation of the definition
    greedy = SamplingConfig(top_k=0, temperature=0.0, guidance="text-and-video-null")
    with torch.no_grad():
        fast = model.generate_codes(cond, 6, greedy, [torch.Generator(), torch.Generator()])
    assert torch.equal(fast, greedy_reference(model, cond, 6, 3.0, True))
    assert got.shape == (2, 4, 6)
