"""Conversions between the wire messages (cuebridge.v1) and the engine's dataclasses."""

from __future__ import annotations

from cuebridge.v1 import engine_pb2 as pb
from engine.cue import Cue
from engine.models.base import ModelStatus
from engine.segment import GenerationOptions, MediaSpan, Rate, Segment


def rate_to_pb(rate: Rate) -> pb.Rate:
    return pb.Rate(num=rate.num, den=rate.den)


def rate_from_pb(msg: pb.Rate) -> Rate:
    return Rate(msg.num, msg.den or 1)


def segment_to_pb(seg: Segment) -> pb.Segment:
    return pb.Segment(
        id=seg.id,
        rate=rate_to_pb(seg.rate),
        duration_frames=seg.duration_frames,
        cut_frames=list(seg.cut_frames),
        hit_frames=list(seg.hit_frames),
        media=[
            pb.MediaSpan(
                path=m.path,
                source_start_s=m.source_start_s,
                source_duration_s=m.source_duration_s,
                record_offset_frames=m.record_offset_frames,
                record_duration_frames=m.record_duration_frames,
                name=m.name,
            )
            for m in seg.media
        ],
        prompt=seg.prompt,
        mood=seg.mood,
        seed=seg.seed,
        name=seg.name,
    )


def segment_from_pb(msg: pb.Segment) -> Segment:
    return Segment(
        id=msg.id,
        rate=rate_from_pb(msg.rate),
        duration_frames=msg.duration_frames,
        cut_frames=tuple(msg.cut_frames),
        hit_frames=tuple(msg.hit_frames),
        media=tuple(
            MediaSpan(
                path=m.path,
                source_start_s=m.source_start_s,
                source_duration_s=m.source_duration_s,
                record_offset_frames=m.record_offset_frames,
                record_duration_frames=m.record_duration_frames,
                name=m.name,
            )
            for m in msg.media
        ),
        prompt=msg.prompt,
        mood=msg.mood,
        seed=msg.seed,
        name=msg.name,
    )


def options_from_pb(msg: pb.GenerationOptions) -> GenerationOptions:
    defaults = GenerationOptions()
    return GenerationOptions(
        model=msg.model,
        soundfont=msg.soundfont,
        guidance_scale=msg.guidance_scale or defaults.guidance_scale,
        top_k=msg.top_k or defaults.top_k,
        temperature=msg.temperature or defaults.temperature,
        takes=max(1, msg.takes),
        extra=dict(msg.extra),
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
    )


def cue_from_pb(msg: pb.Cue) -> Cue:
    return Cue(
        segment_id=msg.segment_id,
        audio_path=msg.audio_path,
        num_samples=msg.num_samples,
        sample_rate=msg.sample_rate,
        midi_path=msg.midi_path,
        model=msg.model,
        metadata=dict(msg.metadata),
    )


def model_info_to_pb(status: ModelStatus, default_name: str) -> pb.ModelInfo:
    return pb.ModelInfo(
        name=status.name,
        description=status.description,
        ready=status.ready,
        reason=status.reason,
        device=status.device,
        is_default=status.name == default_name,
    )
