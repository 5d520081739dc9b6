"""The `cuebridge` command line: serve, score, convert, inspect, models, demo.

Exit codes: 0 done; 2 bad input or a refused request (the message says what to do); 3 partial (the
timeline was written, some cues failed); 4 no cue could be made; 5 the engine is unreachable or its
model is not ready; 130 interrupted.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import signal
import sys
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import click
import grpc
from google.protobuf import json_format

from cuebridge.app.moods_command import feel_note, moods_command
from cuebridge.bridge.dialogue import ducking_from_text
from cuebridge.bridge.timeline_io import SCORE_SUFFIXES, snap_rate
from cuebridge.v1 import bridge_pb2 as bpb
from cuebridge.v1 import bridge_pb2_grpc as bpb_grpc
from cuebridge.v1 import engine_pb2 as pb

EXIT_OK, EXIT_BAD_INPUT, EXIT_PARTIAL, EXIT_FAILED, EXIT_ENGINE, EXIT_INTERRUPTED = (
    0,
    2,
    3,
    4,
    5,
    130,
)
MODES = {
    "markers": bpb.SEGMENT_MODE_MARKERS,
    "range": bpb.SEGMENT_MODE_RANGE,
    "whole": bpb.SEGMENT_MODE_WHOLE,
    "scenes": bpb.SEGMENT_MODE_SCENES,
}
ENGINE_CODES = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.DEADLINE_EXCEEDED,
}


ENGINE_CA = click.option(
    "--engine-ca",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM certificate (or its CA) of a remote engine that serves TLS.",
)


class RateType(click.ParamType):
    name = "rate"

    def convert(self, value, param, ctx) -> Fraction:
        if isinstance(value, Fraction):
            return value
        try:
            if "/" in str(value):
                num, den = str(value).split("/", 1)
                rate = Fraction(int(num), int(den))
            else:
                rate = snap_rate(float(value))
        except (ValueError, ZeroDivisionError):
            self.fail(
                f"{value!r} is not a frame rate; write 24, 25, 29.97 or 30000/1001", param, ctx
            )
        if rate <= 0:
            self.fail(f"{value!r}: a frame rate must be positive", param, ctx)
        return rate


RATE = RateType()


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(code)


def _json(message) -> str:
    # Every field, zeros included: a script must not guess what a missing key means.
    return json_format.MessageToJson(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )


def _rate_pb(rate: Fraction | None) -> pb.Rate | None:
    return pb.Rate(num=rate.numerator, den=rate.denominator) if rate else None


@contextlib.contextmanager
def bridge_stub(engine: str | None, engine_ca: Path | None = None) -> Iterator[bpb_grpc.BridgeStub]:
    """A Bridge on a free loopback port in this process, using `engine` or its own engine."""
    from cuebridge.app.host import CHANNEL_OPTIONS, start_server
    from cuebridge.bridge.security import authorized_channel

    token = secrets.token_urlsafe(32)  # this process's own: its loopback port is open meanwhile
    server = start_server("127.0.0.1", 0, engine_target=engine, token=token, engine_ca=engine_ca)
    channel = authorized_channel(server.address, token, options=CHANNEL_OPTIONS)
    try:
        yield bpb_grpc.BridgeStub(channel)
    finally:
        channel.close()
        server.stop(grace=0.5)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cuebridge")
def main() -> None:
    """cuebridge: music that fits the picture, scored onto your timeline."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=50051, show_default=True, type=int, help="0 picks a free port.")
@click.option(
    "--engine", metavar="HOST:PORT", help="Use a remote CueEngine instead of hosting one."
)
@ENGINE_CA
@click.option(
    "--output-root",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the engine writes cues when a request names no folder.",
)
@click.option(
    "--keep-days",
    type=float,
    default=30.0,
    show_default=True,
    help="On start, forget finished jobs older than this (cue files are kept).",
)
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where jobs and the cue cache persist (default: the user's data folder).",
)
@click.option(
    "--http-port",
    default=50052,
    show_default=True,
    type=int,
    help="HTTP/JSON face for plugins; 0 picks a free port.",
)
@click.option("--no-http", is_flag=True, help="Serve gRPC only.")
@click.option(
    "--tls-cert",
    type=click.Path(dir_okay=False, path_type=Path),
    help="PEM certificate; with --tls-key, needed to listen beyond 127.0.0.1.",
)
@click.option("--tls-key", type=click.Path(dir_okay=False, path_type=Path), help="PEM key.")
@click.option(
    "--ray",
    "ray_address",
    metavar="ADDRESS",
    help="Run the models on a Ray cluster: its head's HOST:PORT, `auto` on a machine of the "
    "cluster, or `local` for this machine alone. Needs cuebridge[ray].",
)
@click.option(
    "--ray-cpus-per-replica",
    type=click.FloatRange(min=0.01),
    default=1.0,
    show_default=True,
    help="CPUs each composer replica takes on the cluster (GPU models take one GPU each).",
)
@click.option(
    "--ray-replicas",
    type=click.IntRange(min=0),
    default=0,
    help="Replicas per model (default: as many as the cluster's GPUs or CPUs allow).",
)
def serve(
    host: str,
    port: int,
    engine: str | None,
    output_root: Path | None,
    state_dir: Path | None,
    http_port: int,
    no_http: bool,
    tls_cert: Path | None,
    tls_key: Path | None,
    engine_ca: Path | None,
    keep_days: float,
    ray_address: str | None = None,
    ray_cpus_per_replica: float = 1.0,
    ray_replicas: int = 0,
) -> None:
    """Host the Bridge and the CueEngine services over gRPC until stopped."""
    from cuebridge.app.host import start_server
    from cuebridge.bridge.security import SecurityError, load_or_create_token, token_path
    from cuebridge.engine.ray_pool import RayPlan, RayUnavailable

    if bool(tls_cert) != bool(tls_key):
        _fail("give both --tls-cert and --tls-key, or neither")
    if ray_address and engine:
        _fail("--ray runs this server's own engine on a cluster; --engine uses another: pick one")
    try:
        token = load_or_create_token()  # every call must carry it; plugins read the file
        server = start_server(
            host,
            port,
            engine_target=engine,
            engine_ca=engine_ca,
            keep_days=keep_days,
            output_root=output_root,
            state_dir=state_dir,
            resume=True,
            token=token,
            http_port=None if no_http else http_port,
            tls=(tls_cert, tls_key) if tls_cert and tls_key else None,
            ray=ray_address,
            ray_plan=RayPlan(ray_cpus_per_replica, ray_replicas),
        )
    except RayUnavailable as exc:
        _fail(str(exc), EXIT_ENGINE)
    except (OSError, SecurityError) as exc:
        _fail(str(exc))
    click.echo(f"cuebridge serving on {server.address} (Ctrl-C to stop)", err=True)
    if server.http is not None:
        click.echo(f"HTTP/JSON on {server.http.url}", err=True)
    click.echo(f"token file: {token_path()}", err=True)
    if server.jobs is not None and server.jobs.store.moved_aside:
        click.secho(
            f"warning: the job store was damaged and is kept at {server.jobs.store.moved_aside};"
            " a new one was started (unfinished jobs there are not resumed; cue files are safe)",
            fg="yellow",
            err=True,
        )
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    signal.signal(signal.SIGTERM, _interrupt)  # SIGTERM stops as gently as Ctrl-C
    try:
        server.wait()
    except KeyboardInterrupt:
        click.echo(
            "stopping: the cue in progress finishes; queued cues resume on the next start", err=True
        )
    finally:
        server.stop(grace=5)


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


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
        click.option("--model", default="", help="Model name (see `cuebridge models`)."),
        click.option(
            "--soundfont",
            type=click.Path(dir_okay=False, path_type=Path),
            help="A General MIDI SoundFont (.sf2/.sf3) for the composer; default: the best "
            "installed (see `cuebridge models`).",
        ),
        click.option(
            "--loudness",
            type=click.FloatRange(-40.0, -9.0),
            default=-24.0,
            show_default=True,
            metavar="LUFS",
            help="Integrated loudness of every cue (EBU R128 / BS.1770), true peak <= -1 dBTP. "
            "-24 sits level with dialogue-normalised programme; pull it under speech.",
        ),
        click.option(
            "--stems",
            is_flag=True,
            help="Also write per-section WAVs (strings, winds and brass, percussion, keys and "
            'other) that sum to each cue, on tracks under Score ("Score - Strings", ...).',
        ),
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
        click.option(
            "--duck",
            metavar="off|DB",
            default="",
            help="How far each cue dips under speech, in dB (default -6), or off.",
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


@main.command()
@click.argument("timeline", type=click.Path(path_type=Path))
@_score_options
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
    model: str,
    soundfont: Path | None,
    loudness: float,
    stems: bool,
    cue_dir: Path | None,
    track_name: str,
    dialogue_tracks: str,
    no_dialogue: bool,
    duck: str,
    force: bool,
    fresh: bool,
    engine: str | None,
    engine_ca: Path | None,
    as_json: bool,
) -> None:
    """Score TIMELINE: cues on a new "Score" track, written to a NEW timeline file."""
    if range_ and mode == "markers":
        mode = "range"
    if duck and not _duck_ok(duck):
        _fail(f"--duck {duck!r}: give a level in dB such as -6, or off", EXIT_BAD_INPUT)
    request = bpb.ScoreRequest(
        timeline_path=str(timeline.resolve()),
        output_path=str((output or default_output(timeline)).resolve()),
        force=force,
        selection=bpb.SegmentSelection(
            mode=MODES[mode], range=range_ or "", min_scene_s=min_scene, max_scene_s=max_scene
        ),
        rate=_rate_pb(rate),
        media_dirs=[str(d.resolve()) for d in media_dirs],
        require_media=require_media,
        prompt=prompt,
        mood=mood,
        seed=seed,
        generation=pb.GenerationOptions(
            model=model,
            soundfont=str(soundfont.resolve()) if soundfont else "",
            loudness_lufs=loudness,
            stems=stems,
            ducking=ducking_from_text(duck),
        ),
        cue_dir=str(cue_dir.resolve()) if cue_dir else "",
        track_name=track_name,
        fresh=fresh,
        dialogue_tracks=[t.strip() for t in dialogue_tracks.split(",") if t.strip()],
        no_dialogue=no_dialogue,
    )
    if not engine:  # the in-process engine: ask it before the bridge claims any folder
        _require_default_model(model)
    sys.exit(run_score(request, engine, as_json, engine_ca))


def _duck_ok(text: str) -> bool:
    text = text.strip().lower().removesuffix("db").strip()
    if text == "off":
        return True
    try:
        return -40.0 <= -abs(float(text)) <= 0.0
    except ValueError:
        return False


def run_score(
    request: bpb.ScoreRequest, engine: str | None, as_json: bool, engine_ca: Path | None = None
) -> int:
    from tqdm import tqdm

    with bridge_stub(engine, engine_ca) as stub:
        try:
            job = stub.StartScore(request)
        except grpc.RpcError as exc:
            _fail(exc.details(), EXIT_ENGINE if exc.code() in ENGINE_CODES else EXIT_BAD_INPUT)
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
            click.echo("cancelled", err=True)
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
        click.echo(_json(job))
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
            f"{p.name}  {feel_note(p.cue.feel)}  ->  {p.cue.audio_path}"
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


# Scores a batch keeps in flight on the engine at once (its limit is 64 jobs): enough to keep
# every replica of a cluster busy, few enough to leave room for other users.
BATCH_IN_FLIGHT = 16


@main.command()
@click.argument("reels", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the scored timelines (<reel>.scored.<ext>) and their cues (<reel>_cues/).",
)
@click.option(
    "--segments",
    "mode",
    type=click.Choice(list(MODES)),
    default="markers",
    show_default=True,
    help="What to score in every reel.",
)
@click.option("--rate", type=RATE, help="Frame rate for EDLs (24, 25, 29.97, 30000/1001).")
@click.option(
    "--media-dir",
    "media_dirs",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Folder to search for media (repeatable).",
)
@click.option("--mood", default="", help="Mood for every cue (e.g. tense, warm, epic).")
@click.option("--seed", type=int, default=0, show_default=True, help="Base seed.")
@click.option("--model", default="", help="Model name (see `cuebridge models`).")
@click.option("--force", is_flag=True, help="Replace existing scored timelines in --out.")
@click.option("--fresh", is_flag=True, help="Make every cue again, even unchanged ones.")
@click.option("--engine", metavar="HOST:PORT", help="Use a running CueEngine (a Ray head, say).")
@ENGINE_CA
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def batch(
    reels: tuple[Path, ...],
    out_dir: Path,
    mode: str,
    rate: Fraction | None,
    media_dirs: tuple[Path, ...],
    mood: str,
    seed: int,
    model: str,
    force: bool,
    fresh: bool,
    engine: str | None,
    engine_ca: Path | None,
    as_json: bool,
) -> None:
    """Score many REELS into --out as one stream of jobs; a summary table at the end.

    Exit status: 0 when every cue of every reel was placed, 3 when some cues failed, 4 when a
    reel could not be scored at all (its line says why), 130 when interrupted.
    """
    stems = [r.stem for r in reels]
    twice = sorted({s for s in stems if stems.count(s) > 1})
    if twice:
        _fail(f"reels share a name ({', '.join(twice)}): their outputs would collide in {out_dir}")
    out_dir.mkdir(parents=True, exist_ok=True)
    requests = [
        bpb.ScoreRequest(
            timeline_path=str(reel.resolve()),
            output_path=str((out_dir / default_output(reel).name).resolve()),
            force=force,
            selection=bpb.SegmentSelection(mode=MODES[mode]),
            rate=_rate_pb(rate),
            media_dirs=[str(d.resolve()) for d in media_dirs],
            mood=mood,
            seed=seed,
            generation=pb.GenerationOptions(model=model),
            cue_dir=str((out_dir / f"{reel.stem}_cues").resolve()),
            fresh=fresh,
        )
        for reel in reels
    ]
    with bridge_stub(engine, engine_ca) as stub:
        finals = _run_batch(stub, requests, as_json)
    rows = [_batch_row(reel, final) for reel, final in zip(reels, finals, strict=True)]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    else:
        _print_batch_table(rows)
    if any(r["state"] == "interrupted" for r in rows):
        sys.exit(EXIT_INTERRUPTED)
    if any(r["state"] not in ("succeeded", "partial") for r in rows):
        sys.exit(EXIT_FAILED)
    sys.exit(EXIT_PARTIAL if any(r["failed"] for r in rows) else EXIT_OK)


def _run_batch(
    stub: bpb_grpc.BridgeStub, requests: list[bpb.ScoreRequest], quiet: bool
) -> list[bpb.ScoreJob | str]:
    """Each reel's last state (or why it was refused), keeping BATCH_IN_FLIGHT on the engine."""
    finals: list[bpb.ScoreJob | str] = [""] * len(requests)
    started: dict[int, str] = {}  # reel index -> score id, in flight
    upcoming = iter(range(len(requests)))
    try:
        for i in upcoming:
            if len(started) >= BATCH_IN_FLIGHT:
                oldest = min(started)
                finals[oldest] = _follow_score(stub, started.pop(oldest))
                _say_reel(requests[oldest], finals[oldest], quiet)
            try:
                started[i] = stub.StartScore(requests[i]).id
            except grpc.RpcError as exc:
                finals[i] = exc.details() or str(exc.code())
                _say_reel(requests[i], finals[i], quiet)
        for i in sorted(started):
            finals[i] = _follow_score(stub, started[i])
            _say_reel(requests[i], finals[i], quiet)
            del started[i]
    except KeyboardInterrupt:
        for i, score_id in started.items():
            with contextlib.suppress(grpc.RpcError):
                stub.CancelScore(bpb.ScoreRef(score_id=score_id), timeout=10)
            finals[i] = "interrupted"
        for i, final in enumerate(finals):
            finals[i] = final or "interrupted"
    return finals


def _follow_score(stub: bpb_grpc.BridgeStub, score_id: str) -> bpb.ScoreJob:
    for _ in stub.WatchScore(bpb.ScoreRef(score_id=score_id)):
        pass
    return stub.GetScore(bpb.ScoreRef(score_id=score_id))  # events carry deltas, not the result


def _say_reel(request: bpb.ScoreRequest, final: bpb.ScoreJob | str, quiet: bool) -> None:
    if not quiet:
        message = final if isinstance(final, str) else final.message
        click.echo(f"{Path(request.timeline_path).name}: {message}", err=True)


STATE_WORDS = {
    pb.JOB_STATE_SUCCEEDED: "succeeded",
    pb.JOB_STATE_PARTIAL: "partial",
    pb.JOB_STATE_FAILED: "failed",
    pb.JOB_STATE_CANCELLED: "cancelled",
}


def _batch_row(reel: Path, final: bpb.ScoreJob | str) -> dict:
    if isinstance(final, str):  # refused before any cue was made, or interrupted
        state = "interrupted" if final == "interrupted" else "refused"
        return {"reel": str(reel), "state": state, "cues": 0, "placed": 0, "failed": 0,
                "output": "", "message": final}  # fmt: skip
    placed = len(final.result.placements)
    failed = len(final.result.failed) if final.HasField("result") else final.failed
    return {
        "reel": str(reel),
        "state": STATE_WORDS.get(final.state, "failed"),
        "cues": final.total,
        "placed": placed,
        "failed": failed,
        "output": final.result.output_path,
        "message": final.message,
    }


def _print_batch_table(rows: list[dict]) -> None:
    width = max(len(Path(r["reel"]).name) for r in rows)
    click.echo(f"{'reel':<{width}}  {'state':<11} {'cues':>5} {'placed':>6} {'failed':>6}  output")
    for r in rows:
        click.echo(
            f"{Path(r['reel']).name:<{width}}  {r['state']:<11} {r['cues']:>5} {r['placed']:>6} "
            f"{r['failed']:>6}  {r['output'] or r['message']}"
        )
    total = sum(r["cues"] for r in rows)
    placed = sum(r["placed"] for r in rows)
    click.echo(f"{len(rows)} reel(s): {placed}/{total} cue(s) placed")


@main.command("convert")
@click.argument("source", type=click.Path(path_type=Path))
@click.argument("output", type=click.Path(path_type=Path))
@click.option("--rate", type=RATE, help="Frame rate for EDL input.")
@click.option("--force", is_flag=True, help="Replace an existing output file.")
def convert_cmd(source: Path, output: Path, rate: Fraction | None, force: bool) -> None:
    """Convert a timeline between formats (no scoring): .otio .otioz .edl .xml .fcpxml .aaf"""
    from cuebridge.bridge.errors import BridgeError
    from cuebridge.bridge.scoring import convert

    try:
        out = convert(source, output, force=force, rate=rate)
    except BridgeError as exc:
        _fail(str(exc))
    click.echo(f"wrote {out}")


@main.command()
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
        rate=_rate_pb(rate),
        media_dirs=[str(d.resolve()) for d in media_dirs],
    )
    from cuebridge.app.host import CHANNEL_OPTIONS, start_server
    from cuebridge.bridge.security import authorized_channel

    token = secrets.token_urlsafe(32)
    server = start_server("127.0.0.1", 0, token=token)
    try:
        with authorized_channel(server.address, token, options=CHANNEL_OPTIONS) as channel:
            info = bpb_grpc.BridgeStub(channel).InspectTimeline(request)
    except grpc.RpcError as exc:
        _fail(exc.details())
    finally:
        server.stop(0.5)
    if as_json:
        click.echo(_json(info))
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


@main.command("cuesheet")
@click.argument("scored", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV to write. Default: <scored>.cuesheet.csv beside the timeline.",
)
@click.option("--force", is_flag=True, help="Replace an existing cue sheet.")
def cuesheet_cmd(scored: Path, output: Path | None, force: bool) -> None:
    """Write the music cue sheet (CSV) of a scored timeline: cue, in/out, duration, usage ..."""
    from cuebridge.bridge.cue_sheet import cue_sheet_for
    from cuebridge.bridge.errors import BridgeError

    try:
        out = cue_sheet_for(scored, output, force=force)
    except BridgeError as exc:
        _fail(str(exc))
    click.echo(f"wrote {out}")


@main.command()
@click.option("--engine", metavar="HOST:PORT", help="Ask a running engine instead.")
@ENGINE_CA
@click.option("--json", "as_json", is_flag=True)
def models(engine: str | None, as_json: bool, engine_ca: Path | None = None) -> None:
    """List the models and whether each is ready here."""
    if engine:
        from cuebridge.v1 import engine_pb2_grpc

        try:
            from cuebridge.bridge.security import authorized_channel, engine_token

            with authorized_channel(engine, engine_token(engine), root_cert=engine_ca) as channel:
                info = engine_pb2_grpc.CueEngineStub(channel).GetEngineInfo(
                    pb.EngineInfoRequest(), timeout=30
                )
        except grpc.RpcError as exc:
            _fail(f"engine {engine}: {exc.details()}", EXIT_ENGINE)
    else:
        from cuebridge.engine.registry import ModelRegistry
        from cuebridge.engine.service import engine_info

        info = engine_info(ModelRegistry())
    if as_json:
        click.echo(_json(info))
        return
    for m in info.models:
        mark = click.style("ready", fg="green") if m.ready else click.style("not ready", fg="red")
        default = " (default)" if m.is_default else ""
        click.echo(f"{m.name}{default}: {mark} on {m.device or 'cpu'} — {m.description}")
        if m.reason:
            click.echo(f"    {m.reason}")


@main.command("install-plugin")
@click.argument("host", type=click.Choice(["resolve", "premiere"]))
@click.option(
    "--target",
    type=click.Path(file_okay=False, path_type=Path),
    help="Install here instead of the host's usual folder.",
)
@click.option(
    "--bridge-url",
    default="http://127.0.0.1:50052",
    show_default=True,
    help="The HTTP/JSON face of `cuebridge serve` the plugin calls.",
)
def install_plugin(host: str, target: Path | None, bridge_url: str) -> None:
    """Install the DaVinci Resolve script or the Premiere Pro panel (from this checkout)."""
    from cuebridge.bridge.errors import BridgeError

    try:
        if host == "resolve":
            from cuebridge.app.install_resolve import install_resolve

            where = install_resolve(target, bridge_url=bridge_url)
            click.echo(
                f"installed {where}\nIn Resolve: Workspace > Scripts > "
                f"{where.stem}. Start the bridge first: cuebridge serve"
            )
        else:
            from cuebridge.app.install_premiere import install_premiere

            where = install_premiere(target, bridge_url=bridge_url)
            click.echo(
                f"installed {where}\nIn UXP Developer Tool: Add Plugin > "
                f"{where / 'manifest.json'}, then Load. Start the bridge first: "
                "cuebridge serve"
            )
    except (BridgeError, FileExistsError, OSError) as exc:
        _fail(str(exc))


@main.command()
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--rate", type=RATE, default="24", show_default=True)
@click.option("--force", is_flag=True, help="Replace an existing demo in FOLDER.")
def demo(folder: Path | None, rate: Fraction, force: bool) -> None:
    """Make a short film with cue markers, score it, and say how to open the result."""
    from cuebridge.app.demo_film import make_demo_film

    folder = (folder or Path("cuebridge-demo")).resolve()
    output = folder / "demo.scored.otio"
    if output.exists() and not force:
        _fail(f"{output} already exists: pass --force to make the demo again, or another FOLDER")
    _require_default_model()  # before any file is written: no half-made demo
    folder.mkdir(parents=True, exist_ok=True)
    click.echo(f"making a {float(rate):g} fps demo film in {folder} ...", err=True)
    film = make_demo_film(folder, rate=rate)
    request = bpb.ScoreRequest(
        timeline_path=str(film.timeline_path),
        output_path=str(output),
        force=force,
        cue_dir=str(folder / "cues"),
    )
    code = run_score(request, None, as_json=False)
    if code not in (EXIT_OK, EXIT_PARTIAL):
        sys.exit(code)
    xml = folder / "demo.scored.xml"
    from cuebridge.bridge.scoring import convert

    convert(output, xml, force=True)
    click.echo(
        json.dumps(
            {
                "film": str(film.film_path),
                "timeline": str(film.timeline_path),
                "scored_otio": str(output),
                "scored_fcp7_xml": str(xml),
                "cues": str(folder / "cues"),
            },
            indent=2,
        )
    )
    click.echo(
        "\nOpen it:\n"
        f"  DaVinci Resolve 18.5+: File > Import > Timeline... and pick {output.name}\n"
        f"  Premiere Pro: File > Import... and pick {xml.name} (FCP 7 XML)\n"
        '  Each cue sits on the audio track "Score" under its marker; the WAVs and MIDI files '
        "are in cues/."
    )
    sys.exit(code)


def _require_default_model(name: str = "") -> None:
    """Exit 5 with the fix, before anything is written, when the model this machine would
    score with (`name`, or the default) cannot make a cue."""
    from cuebridge.app.settings import engine_settings
    from cuebridge.engine.registry import ModelRegistry
    from cuebridge.engine.service import engine_info

    info = engine_info(ModelRegistry(settings=engine_settings()))
    wanted = [m for m in info.models if m.name == name] if name else info.models
    if wanted and not any(m.ready for m in wanted):
        reasons = "; ".join(f"{m.name}: {m.reason}" for m in wanted)
        _fail(f"model not ready: {reasons}", EXIT_ENGINE)


def _register_training() -> None:
    # The command object imports no torch; training itself needs cuebridge[musicgen].
    from cuebridge.app.train_command import train_adapter_command

    main.add_command(train_adapter_command, "train-adapter")
    from cuebridge.app.extract_command import extract_features_command

    main.add_command(extract_features_command, "extract-features")
    main.add_command(moods_command, "moods")


_register_training()

if __name__ == "__main__":
    main()
