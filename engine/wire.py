"""Conversions between the wire messages (cuebridge.v1) and the engine's dataclasses.

The dataclasses and the messages share field names on purpose, so most fields copy by name.
"""

from __future__ import annotations

from dataclasses import fields

from cuebridge.engine.cue import Cue
from cuebridge.engine.models.base import ModelStatus
from cuebridge.engine.segment import GenerationOptions, MediaSpan, Rate, Segment
from cuebridge.engine.states import JobState, SegmentState
from cuebridge.v1 import engine_pb2 as pb


def _plain(obj) -> dict:
    """A dataclass's scalar and list fields by name (nested dataclasses are converted apart)."""
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


def rate_to_pb(rate: Rate) -> pb.Rate:
    return pb.Rate(num=rate.num, den=rate.den)


def rate_from_pb(msg: pb.Rate) -> Rate:
    return Rate(msg.num, msg.den or 1)


def segment_to_pb(seg: Segment) -> pb.Segment:
    values = _plain(seg)
    values["rate"] = rate_to_pb(seg.rate)
    values["media"] = [pb.MediaSpan(**_plain(m)) for m in seg.media]
    values["speech"] = [pb.FrameRange(start_frame=a, end_frame=b) for a, b in seg.speech]
    return pb.Segment(**values)


def segment_from_pb(msg: pb.Segment) -> Segment:
    values = {f.name: getattr(msg, f.name) for f in fields(Segment)}
    values["rate"] = rate_from_pb(msg.rate)
    values["cut_frames"], values["hit_frames"] = tuple(msg.cut_frames), tuple(msg.hit_frames)
    values["speech"] = tuple((r.start_frame, r.end_frame) for r in msg.speech)
    values["media"] = tuple(
        MediaSpan(**{f.name: getattr(m, f.name) for f in fields(MediaSpan)}) for m in msg.media
    )
    return Segment(**values)


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
        loudness_lufs=msg.loudness_lufs,
        stems=msg.stems,
    )


def cue_to_pb(cue: Cue) -> pb.Cue:
    values = _plain(cue)
    values.pop("warnings")  # travels on the SegmentResult, beside the cue
    return pb.Cue(**values)


def cue_from_pb(msg: pb.Cue) -> Cue:
    values = {f.name: getattr(msg, f.name) for f in fields(Cue) if f.name != "warnings"}
    values["metadata"] = dict(msg.metadata)
    values["stem_paths"] = dict(msg.stem_paths)
    return Cue(**values)


def model_info_to_pb(status: ModelStatus, default_name: str) -> pb.ModelInfo:
    return pb.ModelInfo(**_plain(status), is_default=status.name == default_name)


# The engine's states on the wire: mapped by name, so either side can change its numbering.
def job_state_to_pb(state: JobState) -> int:
    return pb.JobState.Value(f"JOB_STATE_{state.name}")


def segment_state_to_pb(state: SegmentState) -> int:
    return pb.SegmentState.Value(f"SEGMENT_STATE_{state.name}")
