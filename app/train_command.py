"""`cuebridge train-adapter`: the click command (the lead registers it on the CLI group)."""

from __future__ import annotations

from pathlib import Path

import click

OSSL_MAX_VIDEO_S = 150.0  # the paper samples its 32 frames over the first 150 s at most


def clip_segment(path: Path):
    """A whole video file (its first 150 s) as a Segment, so ViViT can sample it."""
    import av

    from cuebridge.engine.segment import MediaSpan, Rate, Segment

    with av.open(str(path)) as container:
        seconds = float(container.duration or 0) / av.time_base
    seconds = min(seconds, OSSL_MAX_VIDEO_S)
    frames = max(1, int(seconds * 25))
    span = MediaSpan(str(path), 0.0, frames / 25, 0, frames, path.name)
    return Segment(path.stem, Rate(25), frames, media=(span,))


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
    help="ViViT folder, to tokenize clips that have video files but no token files.",
)
@click.option("--device", envvar="CUEBRIDGE_DEVICE", default="auto", show_default=True)
@click.option("--lr", default=1e-4, show_default=True)
@click.option("--batch-size", default=4, show_default=True)
@click.option("--warmup-steps", default=100, show_default=True)
@click.option("--max-steps", default=10_000, show_default=True)
@click.option("--eval-every", default=200, show_default=True)
@click.option("--patience", default=5, show_default=True)
@click.option("--seconds", default=30.0, show_default=True, help="Audio per clip.")
@click.option("--resume/--no-resume", default=True, show_default=True)
def train_adapter_command(data, musicgen, out_dir, vivit, device, lr, batch_size, warmup_steps,
                          max_steps, eval_every, patience, seconds, resume):  # fmt: skip
    """Train the video adapter of musicgen-video on an OSSL-format data set in DATA."""
    from cuebridge.engine.errors import CueError
    from cuebridge.engine.models.musicgen.checkpoints import WeightsMissing, load_musicgen_video
    from cuebridge.engine.models.musicgen.model import resolve_device
    from cuebridge.engine.models.musicgen.training import TrainConfig, train_adapter
    from cuebridge.engine.models.musicgen.training_data import load_clips

    try:
        loaded = load_musicgen_video(musicgen, device=resolve_device(device))
        tokenize = None
        if vivit:
            from cuebridge.engine.picture.vivit import VivitTokenizer

            vt = VivitTokenizer.from_pretrained(vivit, resolve_device(device))
            tokenize = lambda path: vt.tokens(clip_segment(path))  # noqa: E731
        train = load_clips(data, loaded.model, "train", seconds, tokenize)
        valid = load_clips(data, loaded.model, "valid", seconds, tokenize)
    except (WeightsMissing, CueError) as exc:
        raise click.ClickException(str(exc)) from exc
    config = TrainConfig(lr=lr, batch_size=batch_size, warmup_steps=warmup_steps,
                         max_steps=max_steps, eval_every=eval_every, patience=patience)  # fmt: skip
    result = train_adapter(loaded.model, loaded.tokenizer, train, valid, out_dir, config, resume)
    click.echo(
        f"{result.steps} steps, best validation cross-entropy {result.best_val_loss:.4f}"
        f"{' (stopped early)' if result.stopped_early else ''}; adapter in {out_dir / 'best'}"
    )
