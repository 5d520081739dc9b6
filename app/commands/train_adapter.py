"""`cuebridge train-adapter`: train the video adapter of musicgen-video (torch only when run)."""

from __future__ import annotations

from pathlib import Path

import click

RECIPE_NAMES = ("default", "ossl")


@click.command("train-adapter")
@click.argument("data", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--musicgen",
    envvar="CUEBRIDGE_MUSICGEN",
    required=True,
    help="MusicGen folder or cached Hugging Face id (offline).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Where best/ and last/ adapter checkpoints go.",
)
@click.option(
    "--vivit",
    envvar="CUEBRIDGE_VIVIT",
    default="",
    help="ViViT folder, to tokenize clips that have video files but no feature files.",
)
@click.option("--device", envvar="CUEBRIDGE_DEVICE", default="auto", show_default=True)
@click.option(
    "--recipe",
    type=click.Choice(RECIPE_NAMES),
    default="default",
    show_default=True,
    help="Hyper-parameter preset. ossl = OSSL's train.py: AdamW 1e-4, batch 1, 10 warm-up "
    "steps then cosine, clip 1, validation each epoch, stop after 3 epochs without "
    "improvement, xavier adapter init, audio peak-normalised and padded/cut to 30 s. "
    "Options given below override the preset.",
)
@click.option(
    "--layout",
    type=click.Choice(("auto", "ossl", "jsonl")),
    default="auto",
    show_default=True,
    help="ossl: train_meta.csv/valid_meta.csv + {film_id}_{clip_id}.wav/.pt (OSSL's own); "
    "jsonl: metadata.jsonl; auto: whichever DATA holds.",
)
@click.option("--lr", type=float, default=None, help="[default 1e-4]")
@click.option("--batch-size", type=int, default=None, help="[default 4; ossl 1]")
@click.option("--warmup-steps", type=int, default=None, help="[default 100; ossl 10]")
@click.option("--max-steps", type=int, default=None, help="[default 10000; ossl: epochs]")
@click.option("--epochs", type=int, default=None, help="[default: max-steps; ossl 100]")
@click.option(
    "--eval-every", type=int, default=None, help="Steps; 0 = once per epoch [default 200; ossl 0]"
)
@click.option("--patience", type=int, default=None, help="Validations [default 5; ossl 3]")
@click.option("--seconds", type=float, default=None, help="Audio per clip [30].")
@click.option("--resume/--no-resume", default=True, show_default=True)
def train_adapter_command(data, musicgen, out_dir, vivit, device, recipe, layout, lr, batch_size,
                          warmup_steps, max_steps, epochs, eval_every, patience, seconds,
                          resume):  # fmt: skip
    """Train the video adapter of musicgen-video on the data set in DATA."""
    from dataclasses import replace

    from cuebridge.engine.errors import CueError
    from cuebridge.engine.models.musicgen.checkpoints import WeightsMissing, load_musicgen_video
    from cuebridge.engine.models.musicgen.features import FeatureError, clip_features
    from cuebridge.engine.models.musicgen.model import resolve_device
    from cuebridge.engine.models.musicgen.training import RECIPES, train_adapter
    from cuebridge.engine.models.musicgen.training_data import OSSL_AUDIO, AudioPrep, load_clips

    given = dict(lr=lr, batch_size=batch_size, warmup_steps=warmup_steps, max_steps=max_steps,
                 epochs=epochs, eval_every=eval_every, patience=patience)  # fmt: skip
    config = RECIPES[recipe](**{k: v for k, v in given.items() if v is not None})
    if max_steps is not None and epochs is None:
        config.epochs = 0  # an explicit step budget replaces the preset's epochs
    prep = OSSL_AUDIO if recipe == "ossl" else AudioPrep()
    if seconds is not None:
        prep = replace(prep, seconds=seconds)
    try:
        loaded = load_musicgen_video(musicgen, device=resolve_device(device))
        tokenize = None
        if vivit:
            from cuebridge.engine.picture.vivit import VivitTokenizer

            vt = VivitTokenizer.from_pretrained(vivit, resolve_device(device))
            tokenize = lambda path: clip_features(vt, path)  # noqa: E731
        train = load_clips(data, loaded.model, "train", prep.seconds, tokenize, layout, prep)
        valid = load_clips(data, loaded.model, "valid", prep.seconds, tokenize, layout, prep)
    except (WeightsMissing, CueError, FeatureError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from exc
    result = train_adapter(loaded.model, loaded.tokenizer, train, valid, out_dir, config, resume)
    click.echo(
        f"recipe {recipe}: {result.steps} steps, best validation cross-entropy "
        f"{result.best_val_loss:.4f}{' (stopped early)' if result.stopped_early else ''}; "
        f"adapter in {out_dir / 'best'}"
    )
