"""What the engine is asked to score, and how: the contract's one Segment type (with its Rate
and MediaSpan, from cuebridge.contract.segment, shared with the bridge) and the engine's
GenerationOptions.

The bridge turns a timeline range into a Segment; the engine never sees OTIO.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cuebridge.contract.segment import MediaSpan, Rate, Segment

__all__ = [
    "CueFeel",
    "GenerationOptions",
    "MediaSpan",
    "Rate",
    "Segment",
    "options_from_legacy_extra",
]


@dataclass(frozen=True)
class CueFeel:
    """The feel a job asks for (unset values: the model decides), or a cue was made with."""

    style: str = ""
    valence: float | None = None  # [-1, 1]
    arousal: float | None = None  # [-1, 1]
    decided_by: str = ""  # on a cue: the words that decided it ("mood: playful", "coffin, widow")
    source: str = ""  # on a cue: where the feel came from: given, options, words, picture(+words)


@dataclass
class GenerationOptions:
    """Per-job knobs; a model ignores what does not apply to it."""

    model: str = ""  # "" = the engine's default model
    soundfont: str = ""  # path to a .sf2/.sf3; "" = the best General MIDI font installed
    guidance_scale: float = 3.0
    top_k: int = 250
    temperature: float = 1.0
    takes: int = 1  # best-of-N
    loudness_lufs: float = 0.0  # delivered integrated loudness; 0 = the default (-24 LUFS)
    stems: bool = False  # also write per-section WAVs that sum to the mix
    feel: CueFeel = field(default_factory=CueFeel)
    guidance_mode: str = ""  # "" = the engine's setting; auto, ossl, text-and-video-null
    duck_off: bool = False  # no dip under speech
    duck_db: float = 0.0  # the dip under speech (<= 0); 0 = the default (-6 dB)
    genre: str = ""  # added to a text-conditioned model's prompt
    # Thin the model's own parts under the lines; None: follow the duck (engine/mix.py)
    thin_under_dialogue: bool | None = None


def options_from_legacy_extra(extra: dict[str, str]) -> dict:
    """GenerationOptions fields from the `extra` strings older clients and stores wrote
    (duck, thin, valence, arousal, genre, guidance). A value that is not a number stays NaN, so the
    model's own check names the segment and the fix."""

    def number(text: str) -> float:
        try:
            return float(text.strip().lower().removesuffix("db").strip())
        except ValueError:
            return float("nan")

    out: dict = {}
    duck = extra.get("duck", "").strip().lower()
    if duck in ("off", "none", "0"):
        out["duck_off"] = True
    elif duck not in ("", "on", "default"):
        out["duck_db"] = -abs(number(duck))
    axes = {a: number(extra[a]) for a in ("valence", "arousal") if a in extra}
    if axes:
        out["feel"] = CueFeel(**axes)
    if extra.get("genre", "").strip():
        out["genre"] = extra["genre"].strip()
    thin = extra.get("thin", "").strip().lower()
    if thin in ("on", "1", "true", "yes"):
        out["thin_under_dialogue"] = True
    elif thin in ("off", "0", "false", "no"):
        out["thin_under_dialogue"] = False
    if extra.get("guidance", "").strip():
        out["guidance_mode"] = extra["guidance"].strip()
    return out
