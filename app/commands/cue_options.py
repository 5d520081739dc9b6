"""How each cue is made: the options `score` and `batch` share, as one typed object, and the one
function that maps them onto the contract's typed GenerationOptions."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import click

from cuebridge.app.commands.common import EXIT_BAD_INPUT, fail
from cuebridge.bridge.dialogue import ducking_from_text
from cuebridge.v1 import engine_pb2 as pb

GUIDANCE_MODES = ("auto", "ossl", "text-and-video-null")
_GUIDANCE = {
    "": pb.GUIDANCE_MODE_UNSPECIFIED,
    "auto": pb.GUIDANCE_MODE_AUTO,
    "ossl": pb.GUIDANCE_MODE_OSSL,
    "text-and-video-null": pb.GUIDANCE_MODE_TEXT_AND_VIDEO_NULL,
}


@dataclass(frozen=True)
class CueOptions:
    model: str = ""
    soundfont: Path | None = None
    loudness: float = -24.0
    stems: bool = False
    duck: str = ""  # "" the engine's default dip, "off", or a level in dB
    thin_under_dialogue: bool | None = None  # None: follows the duck
    takes: int = 0  # best-of-N; 0 or 1: one take
    guidance_scale: float = 0.0  # 0: the model's default
    guidance_mode: str = ""  # "": the engine's setting (CUEBRIDGE_MUSICGEN_GUIDANCE)
    temperature: float = 0.0  # 0: the model's default
    top_k: int = 0  # 0: the model's default


def generation_options(cue: CueOptions) -> pb.GenerationOptions:
    """The contract's form of `cue`: the one mapping from CLI options to what the engine reads."""
    options = pb.GenerationOptions(
        model=cue.model,
        soundfont=str(cue.soundfont.resolve()) if cue.soundfont else "",
        loudness_lufs=cue.loudness,
        stems=cue.stems,
        takes=cue.takes,
        guidance_scale=cue.guidance_scale,
        guidance_mode=_GUIDANCE[cue.guidance_mode],
        temperature=cue.temperature,
        top_k=cue.top_k,
    )
    if cue.duck:
        options.ducking.CopyFrom(ducking_from_text(cue.duck))
    if cue.thin_under_dialogue is not None:
        options.thin_under_dialogue = cue.thin_under_dialogue
    return options


def duck_ok(text: str) -> bool:
    text = text.strip().lower().removesuffix("db").strip()
    if text == "off":
        return True
    try:
        return -40.0 <= -abs(float(text)) <= 0.0
    except ValueError:
        return False


OPTIONS = [
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
        "--duck",
        metavar="off|DB",
        default="",
        help="How far each cue dips under speech, in dB (default -6), or off.",
    ),
    click.option(
        "--thin-under-dialogue/--no-thin-under-dialogue",
        default=None,
        help="Whether the composer thins its parts under each line (the melody rests). "
        "Default: on, except with --duck off.",
    ),
    click.option(
        "--takes",
        type=click.IntRange(min=0, max=16),
        default=0,
        help="Make N takes of each cue and keep the best (default one).",
    ),
    click.option(
        "--guidance-scale",
        type=click.FloatRange(min=0.0, max=20.0),
        default=0.0,
        help="Classifier-free guidance scale (MusicGen; default the model's).",
    ),
    click.option(
        "--guidance-mode",
        type=click.Choice(GUIDANCE_MODES),
        default=None,
        help="What guidance leaves out for musicgen-video; auto: what its adapter was trained "
        "for. Default: CUEBRIDGE_MUSICGEN_GUIDANCE, else auto.",
    ),
    click.option(
        "--temperature",
        type=click.FloatRange(min=0.0, max=5.0),
        default=0.0,
        help="Sampling temperature (MusicGen; default the model's).",
    ),
    click.option(
        "--top-k",
        type=click.IntRange(min=0),
        default=0,
        help="Sample from the K likeliest tokens (MusicGen; default the model's).",
    ),
]
NAMES = [f.name for f in fields(CueOptions)]


def with_cue_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Add the cue options to a command; it receives them as one `cue: CueOptions`."""

    @functools.wraps(f)
    def command(**kwargs: Any) -> Any:
        kwargs["guidance_mode"] = kwargs["guidance_mode"] or ""  # unset: the engine's setting
        cue = CueOptions(**{n: kwargs.pop(n) for n in NAMES})
        if cue.duck and not duck_ok(cue.duck):
            fail(f"--duck {cue.duck!r}: give a level in dB such as -6, or off", EXIT_BAD_INPUT)
        return f(cue=cue, **kwargs)

    for option in reversed(OPTIONS):
        command = option(command)
    return command
