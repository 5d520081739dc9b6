"""`cuebridge inspect`: the segments a score would make, without making music."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import click
import grpc

from cuebridge.app.commands.common import MODES, RATE, fail, rate_pb, to_json
from cuebridge.app.session import Session
from cuebridge.v1 import bridge_pb2 as bpb


@click.command()
@click.argument("timeline", type=click.Path(path_type=Path))
@click.option(
    "--segments", "mode", type=click.Choice(list(MODES)), default="markers", show_default=True
)
@click.option("--range", "range_", metavar="TC-TC")
@click.option("--rate", type=RATE)
@click.option("--media-dir", "media_dirs", multiple=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True)
def inspect(
    timeline: Path,
    mode: str,
    range_: str | None,
    rate: Fraction | None,
    media_dirs: tuple[Path, ...],
    as_json: bool,
) -> None:
    """Show the segments a score would make, without making music."""
    if range_ and mode == "markers":
        mode = "range"
    request = bpb.InspectRequest(
        timeline_path=str(timeline.resolve()),
        selection=bpb.SegmentSelection(mode=MODES[mode], range=range_ or ""),
        rate=rate_pb(rate),
        media_dirs=[str(d.resolve()) for d in media_dirs],
    )
    try:
        with Session().bridge() as stub:
            info = stub.InspectTimeline(request)
    except grpc.RpcError as exc:
        fail(exc.details())
    if as_json:
        click.echo(to_json(info))
        return
    fps = Fraction(info.rate.num, info.rate.den or 1)
    click.echo(
        f"{info.name or timeline.name}: {float(fps):g} fps, {info.duration_frames} frames, "
        f"{info.video_tracks} video / {info.audio_tracks} audio tracks"
    )
    for s in info.segments:
        seg = s.segment
        click.echo(
            f"  {seg.id}  {s.record_in_timecode}-{s.record_out_timecode}  "
            f"{len(seg.cut_frames)} cuts  {len(seg.hit_frames)} hits  "
            f"media {s.media_online} online/{s.media_offline} offline  {seg.name!r}"
        )
