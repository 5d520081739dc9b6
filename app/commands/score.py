"""`cuebridge score`: one timeline scored onto a new timeline file."""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import click
import grpc

from cuebridge.app.commands.common import (
    ENGINE_CA,
    ENGINE_CODES,
    EXIT_BAD_INPUT,
    EXIT_ENGINE,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PARTIAL,
    MODES,
    RATE,
    fail,
    rate_pb,
    to_json,
)
from cuebridge.app.commands.cue_options import CueOptions, generation_options, with_cue_options
from cuebridge.app.session import Session
from cuebridge.bridge.host_plan import understood
from cuebridge.bridge.timeline_io import SCORE_SUFFIXES
from cuebridge.v1 import bridge_pb2 as bpb
from cuebridge.v1 import engine_pb2 as pb


def _score_options(f):
    options = [
        click.option(
            "-o",
            "--output",
            type=click.Path(dir_okay=False, path_type=Path),
            help="New timeline to write; its extension picks the format. Default: "
            "<input>.scored.<ext> (.otio for EDL input).",
        ),
        click.option(
            "--segments",
            "mode",
            type=click.Choice(list(MODES)),
            default="markers",
            show_default=True,
            help="What to score: duration markers, a --range, the "
            "whole timeline, or automatic scenes.",
        ),
        click.option(
            "--range",
            "range_",
            metavar="TC-TC",
            help="Record timecodes to score, e.g. 01:00:10:00-01:00:40:00.",
        ),
        click.option(
            "--min-scene",
            type=float,
            default=20.0,
            show_default=True,
            help="Shortest automatic cue, seconds.",
        ),
        click.option(
            "--max-scene",
            type=float,
            default=120.0,
            show_default=True,
            help="Longest automatic cue, seconds.",
        ),
        click.option("--rate", type=RATE, help="Frame rate for EDLs (24, 25, 29.97, 30000/1001)."),
        click.option(
            "--media-dir",
            "media_dirs",
            multiple=True,
            type=click.Path(path_type=Path),
            help="Folder to search for media by file, clip or reel name (repeatable).",
        ),
        click.option(
            "--require-media",
            is_flag=True,
            help="Fail when media is offline instead of scoring from the cuts alone.",
        ),
        click.option("--prompt", default="", help="Prompt for cues whose marker carries none."),
        click.option(
            "--mood",
            default="",
            help="Mood for cues whose marker sets none (e.g. tense, warm, epic); a marker's "
            "own mood wins, and the result names the cues where it did.",
        ),
        click.option("--seed", type=int, default=0, show_default=True, help="Base seed."),
        click.option(
            "--cue-dir",
            type=click.Path(file_okay=False, path_type=Path),
            help="Folder for the cue WAV/MIDI files. Default: <output>_cues/ beside an .otio "
            "output, <output>_<format>_cues/ beside others (x.xml: x_xml_cues/), so one cut "
            "scored to two formats keeps two folders.",
        ),
        click.option("--track-name", default="Score", show_default=True),
        click.option(
            "--dialogue-tracks",
            metavar="A1,A2",
            default="",
            help="Audio tracks holding the dialogue (A1 = first audio track, or track names). "
            "Default: every audio track but the Score tracks.",
        ),
        click.option(
            "--no-dialogue",
            is_flag=True,
            help="Do not read the audio tracks: no room made for the dialogue.",
        ),
        click.option("--force", is_flag=True, help="Replace an existing output file."),
        click.option(
            "--fresh",
            is_flag=True,
            help="Make every cue again, even those unchanged since an earlier score.",
        ),
        click.option(
            "--engine", metavar="HOST:PORT", help="Use a running CueEngine (e.g. on a GPU machine)."
        ),
        ENGINE_CA,
        click.option("--json", "as_json", is_flag=True, help="Print the result as JSON."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def default_output(timeline: Path) -> Path:
    suffix = timeline.suffix if timeline.suffix.lower() in SCORE_SUFFIXES else ".otio"
    return timeline.with_name(f"{timeline.stem}.scored{suffix}")


@click.command()
@click.argument("timeline", type=click.Path(path_type=Path))
@_score_options
@with_cue_options
def score(
    timeline: Path,
    output: Path | None,
    mode: str,
    range_: str | None,
    min_scene: float,
    max_scene: float,
    rate: Fraction | None,
    media_dirs: tuple[Path, ...],
    require_media: bool,
    prompt: str,
    mood: str,
    seed: int,
    cue_dir: Path | None,
    track_name: str,
    dialogue_tracks: str,
    no_dialogue: bool,
    force: bool,
    fresh: bool,
    engine: str | None,
    engine_ca: Path | None,
    as_json: bool,
    cue: CueOptions,
) -> None:
    """Score TIMELINE: cues on a new "Score" track, written to a NEW timeline file."""
    if range_ and mode == "markers":
        mode = "range"
    request = bpb.ScoreRequest(
        timeline_path=str(timeline.resolve()),
        output_path=str((output or default_output(timeline)).resolve()),
        force=force,
        selection=bpb.SegmentSelection(
            mode=MODES[mode], range=range_ or "", min_scene_s=min_scene, max_scene_s=max_scene
        ),
        rate=rate_pb(rate),
        media_dirs=[str(d.resolve()) for d in media_dirs],
        require_media=require_media,
        prompt=prompt,
        mood=mood,
        seed=seed,
        generation=generation_options(cue),
        cue_dir=str(cue_dir.resolve()) if cue_dir else "",
        track_name=track_name,
        fresh=fresh,
        dialogue_tracks=[t.strip() for t in dialogue_tracks.split(",") if t.strip()],
        no_dialogue=no_dialogue,
    )
    session = Session(engine, engine_ca)
    if session.local:  # the in-process engine: ask it before the bridge claims any folder
        require_default_model(session, cue.model)
    sys.exit(run_score(session, request, as_json))


def run_score(session: Session, request: bpb.ScoreRequest, as_json: bool) -> int:
    from tqdm import tqdm

    with session.bridge() as stub:
        try:
            job = stub.StartScore(request)
        except grpc.RpcError as exc:
            fail(exc.details(), EXIT_ENGINE if exc.code() in ENGINE_CODES else EXIT_BAD_INPUT)
        bar = tqdm(
            total=job.total,
            unit="cue",
            # On a terminal, with or without --json (the JSON goes to stdout); never in a log.
            disable=None,
            file=sys.stderr,
            desc="scoring",
            dynamic_ncols=True,
        )
        try:
            for event in stub.WatchScore(bpb.ScoreRef(score_id=job.id)):
                job = event.score
                bar.n = job.done + job.failed
                bar.set_postfix_str(job.message, refresh=True)
                if event.HasField("segment") and event.segment.error:
                    bar.write(f"cue {event.segment.segment_id} failed: {event.segment.error}")
        except KeyboardInterrupt:
            stub.CancelScore(bpb.ScoreRef(score_id=job.id))
            bar.close()
            click.echo("cancelled: run the same command again to resume", err=True)
            return EXIT_INTERRUPTED
        bar.close()
        job = stub.GetScore(bpb.ScoreRef(score_id=job.id))  # events carry deltas, not the result
    return report_score(job, as_json)


def report_score(job: bpb.ScoreJob, as_json: bool) -> int:
    code = {
        pb.JOB_STATE_SUCCEEDED: EXIT_OK,
        pb.JOB_STATE_PARTIAL: EXIT_PARTIAL,
        pb.JOB_STATE_CANCELLED: EXIT_INTERRUPTED,
    }.get(job.state, EXIT_FAILED)
    if as_json:
        click.echo(to_json(job))
        return code
    if job.state not in (pb.JOB_STATE_SUCCEEDED, pb.JOB_STATE_PARTIAL):
        click.secho(f"error: {job.message}", fg="red", err=True)
        return code
    result = job.result
    for w in result.warnings:
        click.secho(f"warning: {w}", fg="yellow", err=True)
    for p in result.placements:
        click.echo(
            f"{p.record_in_timecode}-{p.record_out_timecode}  {p.track_name:<8} "
            f"{p.name}  {understood(p.cue)}  ->  {p.cue.audio_path}"
            f"{'  (unchanged, reused)' if p.reused else ''}"
        )
    spoken = [len(p.cue.speech) for p in result.placements]
    if any(spoken):
        click.echo(
            f"dialogue read: {sum(spoken)} line(s) under {sum(1 for n in spoken if n)} cue(s); "
            "the music dips and thins there"
        )
    for f in result.failed:
        click.secho(f"failed: {f.segment_id}: {f.error}", fg="red", err=True)
    click.echo(f"wrote {result.output_path}")
    if result.cue_sheet_path:
        click.echo(f"cue sheet {result.cue_sheet_path}")
    return code


def require_default_model(session: Session, name: str = "") -> None:
    """Exit 5 with the fix, before anything is written, when the model this machine would
    score with (`name`, or the default) cannot make a cue."""
    info = session.engine_info()
    wanted = [m for m in info.models if m.name == name] if name else info.models
    if wanted and not any(m.ready for m in wanted):
        reasons = "; ".join(f"{m.name}: {m.reason}" for m in wanted)
        fail(f"model not ready: {reasons}", EXIT_ENGINE)
