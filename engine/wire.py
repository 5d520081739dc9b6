"""Conversions between the wire messages (cuebridge.v1) and the engine's dataclasses.

The segment, its media and rate are the contract's own type (cuebridge.contract.segment maps
them, for both halves); here are the engine's options, cues and states. The dataclasses and
the messages share field names on purpose, so most fields copy by name.
"""

from __future__ import annotations

from dataclasses import fields

from cuebridge.contract.segment import rate_from_pb, rate_to_pb, segment_from_pb, segment_to_pb
from cuebridge.engine.cue import Cue, Take
from cuebridge.engine.models.base import ModelStatus
from cuebridge.engine.segment import CueFeel, GenerationOptions, options_from_legacy_extra
from cuebridge.engine.states import JobState, SegmentState
from cuebridge.v1 import engine_pb2 as pb


def _plain(obj) -> dict:
    """A dataclass's scalar and list fields by name (nested dataclasses are converted apart)."""
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


def feel_to_pb(feel: CueFeel) -> pb.Feel:
    return pb.Feel(
        style=feel.style,
        valence=feel.valence,
        arousal=feel.arousal,
        decided_by=feel.decided_by,
        source=feel.source,
    )


def feel_from_pb(msg: pb.Feel) -> CueFeel:
    return CueFeel(
        style=msg.style,
        valence=msg.valence if msg.HasField("valence") else None,
        arousal=msg.arousal if msg.HasField("arousal") else None,
        decided_by=msg.decided_by,
        source=msg.source,
    )


def options_from_pb(msg: pb.GenerationOptions) -> GenerationOptions:
    defaults = GenerationOptions()
    # An older client's `extra` strings map onto the typed fields here, and nowhere else; a
    # typed field the client set wins over them.
    legacy = options_from_legacy_extra(dict(msg.extra))
    mode = msg.guidance_mode
    return GenerationOptions(
        model=msg.model,
        soundfont=msg.soundfont,
        guidance_scale=msg.guidance_scale or defaults.guidance_scale,
        top_k=msg.top_k or defaults.top_k,
        temperature=msg.temperature or defaults.temperature,
        takes=max(1, msg.takes),
        loudness_lufs=msg.loudness_lufs,
        stems=msg.stems,
        feel=feel_from_pb(msg.feel) if msg.HasField("feel") else legacy.get("feel", CueFeel()),
        guidance_mode=(
            pb.GuidanceMode.Name(mode).removeprefix("GUIDANCE_MODE_").lower().replace("_", "-")
            if mode
            else legacy.get("guidance_mode", "")
        ),
        duck_off=msg.ducking.off or legacy.get("duck_off", False),
        duck_db=msg.ducking.depth_db or legacy.get("duck_db", 0.0),
        genre=msg.genre or legacy.get("genre", ""),
        thin_under_dialogue=(
            msg.thin_under_dialogue
            if msg.HasField("thin_under_dialogue")
            else legacy.get("thin_under_dialogue")
        ),
    )


def cue_to_pb(cue: Cue) -> pb.Cue:
    return pb.Cue(
        segment_id=cue.segment_id,
        audio_path=cue.audio_path,
        sample_rate=cue.sample_rate,
        num_samples=cue.num_samples,
        midi_path=cue.midi_path,
        model=cue.model,
        metadata=cue.metadata,
        stem_paths=cue.stem_paths,
        feel=feel_to_pb(cue.feel),
        speech=[pb.SpeechSpan(start_s=a, end_s=b) for a, b in cue.speech_s],
        duck_db=cue.duck_db,
        duck_keyframes=[pb.LevelKeyframe(time_s=t, gain_db=g) for t, g in cue.duck_keyframes],
        takes=[pb.Take(**_plain(t)) for t in cue.takes],
    )  # warnings travel on the SegmentResult, beside the cue


def cue_from_pb(msg: pb.Cue) -> Cue:
    return Cue(
        segment_id=msg.segment_id,
        audio_path=msg.audio_path,
        num_samples=msg.num_samples,
        sample_rate=msg.sample_rate,
        midi_path=msg.midi_path,
        model=msg.model,
        metadata=dict(msg.metadata),
        stem_paths=dict(msg.stem_paths),
        feel=feel_from_pb(msg.feel),
        speech_s=[(s.start_s, s.end_s) for s in msg.speech],
        duck_db=msg.duck_db,
        duck_keyframes=[(k.time_s, k.gain_db) for k in msg.duck_keyframes],
        takes=[Take(t.seed, t.score, t.audio_path, t.midi_path, t.chosen) for t in msg.takes],
    )


def model_info_to_pb(status: ModelStatus, default_name: str) -> pb.ModelInfo:
    return pb.ModelInfo(**_plain(status), is_default=status.name == default_name)


__all__ = ["rate_from_pb", "rate_to_pb", "segment_from_pb", "segment_to_pb"]  # re-exported

job_state_to_pb = JobState.to_pb
segment_state_to_pb = SegmentState.to_pb
