"""`cuebridge batch`: many reels scored as one stream of jobs, a summary at the end."""

from __future__ import annotations

import contextlib
import json
import sys
from fractions import Fraction
from pathlib import Path

import click
import grpc

from cuebridge.app.commands.common import (
    ENGINE_CA,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PARTIAL,
    MODES,
    RATE,
    fail,
    rate_pb,
)
from cuebridge.app.commands.cue_options import CueOptions, generation_options, with_cue_options
from cuebridge.app.commands.score import default_output
from cuebridge.app.session import Session
from cuebridge.v1 import bridge_pb2 as bpb
from cuebridge.v1 import bridge_pb2_grpc as bpb_grpc
from cuebridge.v1 import engine_pb2 as pb

# Scores a batch keeps in flight on the engine at once (its limit is 64 jobs): enough to keep
# every replica of a cluster busy, few enough to leave room for other users.
BATCH_IN_FLIGHT = 16


@click.command()
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
@click.option("--force", is_flag=True, help="Replace existing scored timelines in --out.")
@click.option("--fresh", is_flag=True, help="Make every cue again, even unchanged ones.")
@click.option("--engine", metavar="HOST:PORT", help="Use a running CueEngine (a Ray head, say).")
@ENGINE_CA
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@with_cue_options
def batch(
    reels: tuple[Path, ...],
    out_dir: Path,
    mode: str,
    rate: Fraction | None,
    media_dirs: tuple[Path, ...],
    mood: str,
    seed: int,
    force: bool,
    fresh: bool,
    engine: str | None,
    engine_ca: Path | None,
    as_json: bool,
    cue: CueOptions,
) -> None:
    """Score many REELS into --out as one stream of jobs; a summary table at the end.

    Exit status: 0 when every cue of every reel was placed, 3 when some cues failed, 4 when a
    reel could not be scored at all (its line says why), 130 when interrupted.
    """
    stems = [r.stem for r in reels]
    twice = sorted({s for s in stems if stems.count(s) > 1})
    if twice:
        fail(f"reels share a name ({', '.join(twice)}): their outputs would collide in {out_dir}")
    out_dir.mkdir(parents=True, exist_ok=True)
    requests = [
        bpb.ScoreRequest(
            timeline_path=str(reel.resolve()),
            output_path=str((out_dir / default_output(reel).name).resolve()),
            force=force,
            selection=bpb.SegmentSelection(mode=MODES[mode]),
            rate=rate_pb(rate),
            media_dirs=[str(d.resolve()) for d in media_dirs],
            mood=mood,
            seed=seed,
            generation=generation_options(cue),
            cue_dir=str((out_dir / f"{reel.stem}_cues").resolve()),
            fresh=fresh,
        )
        for reel in reels
    ]
    with Session(engine, engine_ca).bridge() as stub:
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
