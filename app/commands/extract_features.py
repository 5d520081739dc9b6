"""`cuebridge extract-features VIDEO_DIR OUT_DIR`: OSSL-style ViViT feature files."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("extract-features")
@click.argument("video_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--vivit",
    envvar="CUEBRIDGE_VIVIT",
    required=True,
    help="ViViT folder (google/vivit-b-16x2-kinetics400 layout), offline.",
)
@click.option("--device", envvar="CUEBRIDGE_DEVICE", default="auto", show_default=True)
def extract_features_command(video_dir: Path, out_dir: Path, vivit: str, device: str) -> None:
    """Write OUT_DIR/{name}.pt ViViT features for every video in VIDEO_DIR.

    Name the videos {film_id}_{clip_id}.mp4 and put the .pt files beside the matching .wav
    files and train_meta.csv / valid_meta.csv: that is OSSL's training layout, read by
    `cuebridge train-adapter`. The features are the ones musicgen-video computes at inference.
    Unchanged videos are skipped on a re-run."""
    from cuebridge.engine.models.musicgen.features import extract_features, videos_in
    from cuebridge.engine.models.musicgen.model import resolve_device
    from cuebridge.engine.picture.vivit import VivitTokenizer, VivitWeightsMissing

    if not videos_in(video_dir):
        raise click.ClickException(f"{video_dir}: no video files (.mp4, .mov, .mkv, ...)")
    try:
        tokenizer = VivitTokenizer.from_pretrained(vivit, resolve_device(device))
    except VivitWeightsMissing as exc:
        raise click.ClickException(str(exc)) from exc
    counts = {"written": 0, "cached": 0}
    failed = []
    for video, what in extract_features(video_dir, out_dir, tokenizer, str(vivit)):
        if what in counts:
            counts[what] += 1
            click.echo(f"{what:8s} {out_dir / (video.stem + '.pt')}")
        else:
            failed.append(what)
            click.echo(f"failed   {what}", err=True)
    click.echo(f"{counts['written']} written, {counts['cached']} unchanged, {len(failed)} failed")
    if failed:
        raise click.ClickException(f"{len(failed)} video(s) could not be read; see above")
