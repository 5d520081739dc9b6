"""Train the OSSL video adapter; everything else in MusicGen stays frozen.

As in the paper: only the per-layer video projections, video attentions and gates learn; AdamW,
a cosine schedule with linear warm-up, gradient clipping at 1.0, cross-entropy on the EnCodec
codes (all codebooks, delay pattern), early stopping on the validation cross-entropy.
Checkpoints are resumable: `last/` holds the adapter plus trainer_state.pt (optimizer,
schedule, step, best loss, RNG); `best/` holds the adapter with the lowest validation loss.

Recipes (`RECIPES`): "default" (this project's: batch 4, 100 warm-up steps, validation every 200
steps, patience 5 validations) and "ossl", OSSL's train.py as published: AdamW lr 1e-4, batch 1,
10 warm-up steps then transformers' cosine schedule, gradient clipping at 1, validation once per
epoch, early stop after 3 epochs without improvement, adapter weights xavier-uniform (packed
in_proj as OSSL holds it), biases 0, scales 0; its data (training_data.OSSL_AUDIO): audio
peak-normalised and padded/cut to 30 s. OSSL sizes the cosine for epochs * batches / 8 steps
(its grad_acc constant) although it steps every batch; the preset keeps that.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from tqdm.auto import tqdm
from transformers import get_cosine_schedule_with_warmup

from cuebridge.engine.models.musicgen.checkpoints import save_adapter
from cuebridge.engine.models.musicgen.modeling import MusicgenVideo, codes_loss
from cuebridge.engine.models.musicgen.training_data import Clip
from cuebridge.safe_files import replacing


@dataclass
class TrainConfig:
    lr: float = 1e-4
    weight_decay: float = 0.01  # torch's AdamW default, as OSSL
    warmup_steps: int = 100
    max_steps: int = 10_000  # used when epochs == 0
    batch_size: int = 4
    grad_clip: float = 1.0
    eval_every: int = 200  # steps between validations; 0 = once per epoch
    patience: int = 5  # validations without improvement before stopping
    epochs: int = 0  # > 0: train for this many epochs (max_steps is then epochs * batches)
    schedule_divisor: int = 1  # the cosine spans total steps / this (OSSL: 8)
    # "ossl": re-initialise the adapter as OSSL's train.py does, and use its schedule
    # (transformers' cosine, warm-up from 0); "keep": this project's warm-up from lr/warmup
    init: str = "keep"
    seed: int = 0
    recipe: str = "default"  # recorded beside the adapter: guidance `auto` serves it accordingly
    progress: bool = True


def ossl_recipe(**overrides) -> TrainConfig:
    """OSSL's train.py hyper-parameters (see the module doc); overrides for tests and tweaks."""
    values = dict(lr=1e-4, weight_decay=0.01, warmup_steps=10, batch_size=1, grad_clip=1.0,
                  eval_every=0, patience=3, epochs=100, schedule_divisor=8,
                  init="ossl", recipe="ossl")  # fmt: skip
    values.update(overrides)
    return TrainConfig(**values)


RECIPES = {"default": TrainConfig, "ossl": ossl_recipe}


def ossl_init(model: MusicgenVideo, seed: int = 0) -> None:
    """OSSL's adapter initialisation: every video weight xavier-uniform in OSSL's own shapes
    (the packed [3d, d] in_proj_weight, then split into q, k, v), biases 0, scales 0."""
    from cuebridge.engine.models.musicgen.modeling import adapter_modules

    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in adapter_modules(model.musicgen):
            v = m.video
            d = v.attn.q_proj.weight.shape[0]
            packed = torch.empty(3 * d, d)
            torch.nn.init.xavier_uniform_(packed, generator=g)
            qkv = (v.attn.q_proj, v.attn.k_proj, v.attn.v_proj)
            for part, w in zip(packed.chunk(3), qkv, strict=True):
                w.weight.copy_(part)
            for w in (v.proj.weight, v.attn.out_proj.weight):
                w.copy_(torch.nn.init.xavier_uniform_(torch.empty(w.shape), generator=g))
            v.proj.bias.zero_()
            v.gate.zero_()


@dataclass
class TrainResult:
    steps: int
    best_val_loss: float
    val_losses: list[float]
    stopped_early: bool


def cosine_with_warmup(step: int, warmup: int, total: int) -> float:
    if step < warmup:
        return (step + 1) / max(1, warmup)
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def freeze_all_but_adapter(model: MusicgenVideo) -> list[torch.nn.Parameter]:
    for p in model.musicgen.parameters():
        p.requires_grad_(False)
    params = model.adapter_parameters()
    for p in params:
        p.requires_grad_(True)
    return params


def make_batch(model: MusicgenVideo, tokenizer, clips: list[Clip]):
    """Text conditioning, padded video tokens and codes cropped to the shortest clip."""
    enc = tokenizer([c.prompt for c in clips], padding=True, return_tensors="pt")
    cond = model.encode_text(enc["input_ids"], enc["attention_mask"])
    length = max(c.video.shape[0] for c in clips)
    video = torch.zeros(len(clips), length, clips[0].video.shape[-1])
    mask = torch.zeros(len(clips), length, dtype=torch.long)
    for i, c in enumerate(clips):
        video[i, : c.video.shape[0]] = c.video
        mask[i, : c.video.shape[0]] = 1
    cond.video, cond.video_mask = video.to(model.device), mask.to(model.device)
    n = min(c.codes.shape[-1] for c in clips)
    codes = torch.stack([c.codes[:, :n] for c in clips]).to(model.device)
    return cond, codes


@torch.no_grad()
def validation_loss(model: MusicgenVideo, tokenizer, clips: list[Clip], batch_size: int) -> float:
    total, count = 0.0, 0
    for i in range(0, len(clips), batch_size):
        chunk = clips[i : i + batch_size]
        cond, codes = make_batch(model, tokenizer, chunk)
        total += float(codes_loss(model, cond, codes)) * len(chunk)
        count += len(chunk)
    return total / max(1, count)


def _save_state(folder: Path, model, optimizer, scheduler, state: dict, recipe: str) -> None:
    save_adapter(model, folder, recipe=recipe)
    with replacing(folder / "trainer_state.pt") as (fh, _):
        torch.save(
            {
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "rng": torch.get_rng_state(),
                "py_rng": random.getstate(),
                **state,
            },
            fh,
        )


def train_adapter(
    model: MusicgenVideo,
    tokenizer,
    train: list[Clip],
    valid: list[Clip],
    out_dir: str | Path,
    config: TrainConfig | None = None,
    resume: bool = True,
) -> TrainResult:
    """Train the adapter on `train`, early-stop on `valid`; resumes from out_dir/last."""
    config = config or TrainConfig()
    if not train or not valid:
        raise ValueError(f"need train and valid clips (got {len(train)} and {len(valid)})")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(config.seed)
    random.seed(config.seed)
    if config.init == "ossl":
        ossl_init(model, config.seed)
    params = freeze_all_but_adapter(model)
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    per_epoch = math.ceil(len(train) / config.batch_size)
    total = config.epochs * per_epoch if config.epochs > 0 else config.max_steps
    span = max(1, total // max(1, config.schedule_divisor))
    if config.init == "ossl":  # OSSL's: transformers' schedule (warm-up from lr 0)
        scheduler = get_cosine_schedule_with_warmup(optimizer, config.warmup_steps, span)
    else:
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda s: cosine_with_warmup(s, config.warmup_steps, span)
        )
    step, best, bad_evals, history = 0, float("inf"), 0, []
    last = out_dir / "last"
    if resume and (last / "trainer_state.pt").is_file():
        from cuebridge.engine.models.musicgen.checkpoints import load_adapter

        load_adapter(model, last)
        state = torch.load(last / "trainer_state.pt", map_location="cpu", weights_only=False)
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["rng"])
        random.setstate(state["py_rng"])
        step, best, bad_evals = state["step"], state["best"], state["bad_evals"]
        history = state["history"]
    (out_dir / "train_config.json").write_text(json.dumps(asdict(config)))
    stopped = False
    bar = tqdm(total=total, initial=step, disable=not config.progress, desc="adapter")
    while step < total and not stopped:
        order = list(range(len(train)))
        random.shuffle(order)
        for i in range(0, len(order), config.batch_size):
            cond, codes = make_batch(
                model, tokenizer, [train[j] for j in order[i : i + config.batch_size]]
            )
            loss = codes_loss(model, cond, codes)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, config.grad_clip)
            optimizer.step()
            scheduler.step()
            step += 1
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}")
            end_of_epoch = i + config.batch_size >= len(order)
            due = step % config.eval_every == 0 if config.eval_every > 0 else end_of_epoch
            if due or step >= total:
                val = validation_loss(model, tokenizer, valid, config.batch_size)
                history.append(val)
                bar.set_postfix(loss=f"{loss.item():.3f}", val=f"{val:.3f}")
                if val < best:
                    best, bad_evals = val, 0
                    save_adapter(model, out_dir / "best", recipe=config.recipe)
                else:
                    bad_evals += 1
                state = {"step": step, "best": best, "bad_evals": bad_evals, "history": history}
                _save_state(last, model, optimizer, scheduler, state, config.recipe)
                if bad_evals >= config.patience:
                    stopped = True
            if stopped or step >= total:
                break
    bar.close()
    return TrainResult(step, best, history, stopped)
