from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GuidanceMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GUIDANCE_MODE_UNSPECIFIED: _ClassVar[GuidanceMode]
    GUIDANCE_MODE_AUTO: _ClassVar[GuidanceMode]
    GUIDANCE_MODE_OSSL: _ClassVar[GuidanceMode]
    GUIDANCE_MODE_TEXT_AND_VIDEO_NULL: _ClassVar[GuidanceMode]

class JobState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_STATE_UNSPECIFIED: _ClassVar[JobState]
    JOB_STATE_QUEUED: _ClassVar[JobState]
    JOB_STATE_RUNNING: _ClassVar[JobState]
    JOB_STATE_SUCCEEDED: _ClassVar[JobState]
    JOB_STATE_PARTIAL: _ClassVar[JobState]
    JOB_STATE_FAILED: _ClassVar[JobState]
    JOB_STATE_CANCELLED: _ClassVar[JobState]

class SegmentState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEGMENT_STATE_UNSPECIFIED: _ClassVar[SegmentState]
    SEGMENT_STATE_PENDING: _ClassVar[SegmentState]
    SEGMENT_STATE_RUNNING: _ClassVar[SegmentState]
    SEGMENT_STATE_DONE: _ClassVar[SegmentState]
    SEGMENT_STATE_FAILED: _ClassVar[SegmentState]
    SEGMENT_STATE_CANCELLED: _ClassVar[SegmentState]
GUIDANCE_MODE_UNSPECIFIED: GuidanceMode
GUIDANCE_MODE_AUTO: GuidanceMode
GUIDANCE_MODE_OSSL: GuidanceMode
GUIDANCE_MODE_TEXT_AND_VIDEO_NULL: GuidanceMode
JOB_STATE_UNSPECIFIED: JobState
JOB_STATE_QUEUED: JobState
JOB_STATE_RUNNING: JobState
JOB_STATE_SUCCEEDED: JobState
JOB_STATE_PARTIAL: JobState
JOB_STATE_FAILED: JobState
JOB_STATE_CANCELLED: JobState
SEGMENT_STATE_UNSPECIFIED: SegmentState
SEGMENT_STATE_PENDING: SegmentState
SEGMENT_STATE_RUNNING: SegmentState
SEGMENT_STATE_DONE: SegmentState
SEGMENT_STATE_FAILED: SegmentState
SEGMENT_STATE_CANCELLED: SegmentState

class Rate(_message.Message):
    __slots__ = ("num", "den")
    NUM_FIELD_NUMBER: _ClassVar[int]
    DEN_FIELD_NUMBER: _ClassVar[int]
    num: int
    den: int
    def __init__(self, num: _Optional[int] = ..., den: _Optional[int] = ...) -> None: ...

class MediaSpan(_message.Message):
    __slots__ = ("path", "source_start_s", "source_duration_s", "record_offset_frames", "record_duration_frames", "name")
    PATH_FIELD_NUMBER: _ClassVar[int]
    SOURCE_START_S_FIELD_NUMBER: _ClassVar[int]
    SOURCE_DURATION_S_FIELD_NUMBER: _ClassVar[int]
    RECORD_OFFSET_FRAMES_FIELD_NUMBER: _ClassVar[int]
    RECORD_DURATION_FRAMES_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    path: str
    source_start_s: float
    source_duration_s: float
    record_offset_frames: int
    record_duration_frames: int
    name: str
    def __init__(self, path: _Optional[str] = ..., source_start_s: _Optional[float] = ..., source_duration_s: _Optional[float] = ..., record_offset_frames: _Optional[int] = ..., record_duration_frames: _Optional[int] = ..., name: _Optional[str] = ...) -> None: ...

class Segment(_message.Message):
    __slots__ = ("id", "rate", "duration_frames", "cut_frames", "hit_frames", "media", "prompt", "mood", "seed", "name", "speech")
    ID_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    DURATION_FRAMES_FIELD_NUMBER: _ClassVar[int]
    CUT_FRAMES_FIELD_NUMBER: _ClassVar[int]
    HIT_FRAMES_FIELD_NUMBER: _ClassVar[int]
    MEDIA_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    MOOD_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SPEECH_FIELD_NUMBER: _ClassVar[int]
    id: str
    rate: Rate
    duration_frames: int
    cut_frames: _containers.RepeatedScalarFieldContainer[int]
    hit_frames: _containers.RepeatedScalarFieldContainer[int]
    media: _containers.RepeatedCompositeFieldContainer[MediaSpan]
    prompt: str
    mood: str
    seed: int
    name: str
    speech: _containers.RepeatedCompositeFieldContainer[FrameRange]
    def __init__(self, id: _Optional[str] = ..., rate: _Optional[_Union[Rate, _Mapping]] = ..., duration_frames: _Optional[int] = ..., cut_frames: _Optional[_Iterable[int]] = ..., hit_frames: _Optional[_Iterable[int]] = ..., media: _Optional[_Iterable[_Union[MediaSpan, _Mapping]]] = ..., prompt: _Optional[str] = ..., mood: _Optional[str] = ..., seed: _Optional[int] = ..., name: _Optional[str] = ..., speech: _Optional[_Iterable[_Union[FrameRange, _Mapping]]] = ...) -> None: ...

class FrameRange(_message.Message):
    __slots__ = ("start_frame", "end_frame")
    START_FRAME_FIELD_NUMBER: _ClassVar[int]
    END_FRAME_FIELD_NUMBER: _ClassVar[int]
    start_frame: int
    end_frame: int
    def __init__(self, start_frame: _Optional[int] = ..., end_frame: _Optional[int] = ...) -> None: ...

class Feel(_message.Message):
    __slots__ = ("style", "valence", "arousal", "decided_by", "source")
    STYLE_FIELD_NUMBER: _ClassVar[int]
    VALENCE_FIELD_NUMBER: _ClassVar[int]
    AROUSAL_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    style: str
    valence: float
    arousal: float
    decided_by: str
    source: str
    def __init__(self, style: _Optional[str] = ..., valence: _Optional[float] = ..., arousal: _Optional[float] = ..., decided_by: _Optional[str] = ..., source: _Optional[str] = ...) -> None: ...

class Ducking(_message.Message):
    __slots__ = ("off", "depth_db")
    OFF_FIELD_NUMBER: _ClassVar[int]
    DEPTH_DB_FIELD_NUMBER: _ClassVar[int]
    off: bool
    depth_db: float
    def __init__(self, off: _Optional[bool] = ..., depth_db: _Optional[float] = ...) -> None: ...

class SpeechSpan(_message.Message):
    __slots__ = ("start_s", "end_s")
    START_S_FIELD_NUMBER: _ClassVar[int]
    END_S_FIELD_NUMBER: _ClassVar[int]
    start_s: float
    end_s: float
    def __init__(self, start_s: _Optional[float] = ..., end_s: _Optional[float] = ...) -> None: ...

class LevelKeyframe(_message.Message):
    __slots__ = ("time_s", "gain_db")
    TIME_S_FIELD_NUMBER: _ClassVar[int]
    GAIN_DB_FIELD_NUMBER: _ClassVar[int]
    time_s: float
    gain_db: float
    def __init__(self, time_s: _Optional[float] = ..., gain_db: _Optional[float] = ...) -> None: ...

class Take(_message.Message):
    __slots__ = ("seed", "score", "audio_path", "midi_path", "chosen")
    SEED_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    AUDIO_PATH_FIELD_NUMBER: _ClassVar[int]
    MIDI_PATH_FIELD_NUMBER: _ClassVar[int]
    CHOSEN_FIELD_NUMBER: _ClassVar[int]
    seed: int
    score: float
    audio_path: str
    midi_path: str
    chosen: bool
    def __init__(self, seed: _Optional[int] = ..., score: _Optional[float] = ..., audio_path: _Optional[str] = ..., midi_path: _Optional[str] = ..., chosen: _Optional[bool] = ...) -> None: ...

class GenerationOptions(_message.Message):
    __slots__ = ("model", "soundfont", "guidance_scale", "top_k", "temperature", "takes", "extra", "loudness_lufs", "stems", "feel", "guidance_mode", "ducking", "genre", "thin_under_dialogue")
    class ExtraEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    MODEL_FIELD_NUMBER: _ClassVar[int]
    SOUNDFONT_FIELD_NUMBER: _ClassVar[int]
    GUIDANCE_SCALE_FIELD_NUMBER: _ClassVar[int]
    TOP_K_FIELD_NUMBER: _ClassVar[int]
    TEMPERATURE_FIELD_NUMBER: _ClassVar[int]
    TAKES_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    LOUDNESS_LUFS_FIELD_NUMBER: _ClassVar[int]
    STEMS_FIELD_NUMBER: _ClassVar[int]
    FEEL_FIELD_NUMBER: _ClassVar[int]
    GUIDANCE_MODE_FIELD_NUMBER: _ClassVar[int]
    DUCKING_FIELD_NUMBER: _ClassVar[int]
    GENRE_FIELD_NUMBER: _ClassVar[int]
    THIN_UNDER_DIALOGUE_FIELD_NUMBER: _ClassVar[int]
    model: str
    soundfont: str
    guidance_scale: float
    top_k: int
    temperature: float
    takes: int
    extra: _containers.ScalarMap[str, str]
    loudness_lufs: float
    stems: bool
    feel: Feel
    guidance_mode: GuidanceMode
    ducking: Ducking
    genre: str
    thin_under_dialogue: bool
    def __init__(self, model: _Optional[str] = ..., soundfont: _Optional[str] = ..., guidance_scale: _Optional[float] = ..., top_k: _Optional[int] = ..., temperature: _Optional[float] = ..., takes: _Optional[int] = ..., extra: _Optional[_Mapping[str, str]] = ..., loudness_lufs: _Optional[float] = ..., stems: _Optional[bool] = ..., feel: _Optional[_Union[Feel, _Mapping]] = ..., guidance_mode: _Optional[_Union[GuidanceMode, str]] = ..., ducking: _Optional[_Union[Ducking, _Mapping]] = ..., genre: _Optional[str] = ..., thin_under_dialogue: _Optional[bool] = ...) -> None: ...

class Cue(_message.Message):
    __slots__ = ("segment_id", "audio_path", "sample_rate", "num_samples", "midi_path", "model", "metadata", "stem_paths", "feel", "speech", "duck_db", "duck_keyframes", "takes")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class StemPathsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SEGMENT_ID_FIELD_NUMBER: _ClassVar[int]
    AUDIO_PATH_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_RATE_FIELD_NUMBER: _ClassVar[int]
    NUM_SAMPLES_FIELD_NUMBER: _ClassVar[int]
    MIDI_PATH_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    STEM_PATHS_FIELD_NUMBER: _ClassVar[int]
    FEEL_FIELD_NUMBER: _ClassVar[int]
    SPEECH_FIELD_NUMBER: _ClassVar[int]
    DUCK_DB_FIELD_NUMBER: _ClassVar[int]
    DUCK_KEYFRAMES_FIELD_NUMBER: _ClassVar[int]
    TAKES_FIELD_NUMBER: _ClassVar[int]
    segment_id: str
    audio_path: str
    sample_rate: int
    num_samples: int
    midi_path: str
    model: str
    metadata: _containers.ScalarMap[str, str]
    stem_paths: _containers.ScalarMap[str, str]
    feel: Feel
    speech: _containers.RepeatedCompositeFieldContainer[SpeechSpan]
    duck_db: float
    duck_keyframes: _containers.RepeatedCompositeFieldContainer[LevelKeyframe]
    takes: _containers.RepeatedCompositeFieldContainer[Take]
    def __init__(self, segment_id: _Optional[str] = ..., audio_path: _Optional[str] = ..., sample_rate: _Optional[int] = ..., num_samples: _Optional[int] = ..., midi_path: _Optional[str] = ..., model: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ..., stem_paths: _Optional[_Mapping[str, str]] = ..., feel: _Optional[_Union[Feel, _Mapping]] = ..., speech: _Optional[_Iterable[_Union[SpeechSpan, _Mapping]]] = ..., duck_db: _Optional[float] = ..., duck_keyframes: _Optional[_Iterable[_Union[LevelKeyframe, _Mapping]]] = ..., takes: _Optional[_Iterable[_Union[Take, _Mapping]]] = ...) -> None: ...

class SegmentResult(_message.Message):
    __slots__ = ("segment_id", "state", "cue", "error", "warnings", "reused")
    SEGMENT_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CUE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    REUSED_FIELD_NUMBER: _ClassVar[int]
    segment_id: str
    state: SegmentState
    cue: Cue
    error: str
    warnings: _containers.RepeatedScalarFieldContainer[str]
    reused: bool
    def __init__(self, segment_id: _Optional[str] = ..., state: _Optional[_Union[SegmentState, str]] = ..., cue: _Optional[_Union[Cue, _Mapping]] = ..., error: _Optional[str] = ..., warnings: _Optional[_Iterable[str]] = ..., reused: _Optional[bool] = ...) -> None: ...

class Job(_message.Message):
    __slots__ = ("id", "state", "model", "segments", "total", "done", "failed")
    ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    SEGMENTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    id: str
    state: JobState
    model: str
    segments: _containers.RepeatedCompositeFieldContainer[SegmentResult]
    total: int
    done: int
    failed: int
    def __init__(self, id: _Optional[str] = ..., state: _Optional[_Union[JobState, str]] = ..., model: _Optional[str] = ..., segments: _Optional[_Iterable[_Union[SegmentResult, _Mapping]]] = ..., total: _Optional[int] = ..., done: _Optional[int] = ..., failed: _Optional[int] = ...) -> None: ...

class SubmitJobRequest(_message.Message):
    __slots__ = ("segments", "options", "output_dir", "fresh")
    SEGMENTS_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_DIR_FIELD_NUMBER: _ClassVar[int]
    FRESH_FIELD_NUMBER: _ClassVar[int]
    segments: _containers.RepeatedCompositeFieldContainer[Segment]
    options: GenerationOptions
    output_dir: str
    fresh: bool
    def __init__(self, segments: _Optional[_Iterable[_Union[Segment, _Mapping]]] = ..., options: _Optional[_Union[GenerationOptions, _Mapping]] = ..., output_dir: _Optional[str] = ..., fresh: _Optional[bool] = ...) -> None: ...

class JobRef(_message.Message):
    __slots__ = ("job_id", "after")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    after: int
    def __init__(self, job_id: _Optional[str] = ..., after: _Optional[int] = ...) -> None: ...

class JobEvent(_message.Message):
    __slots__ = ("job", "segment", "cursor")
    JOB_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    job: Job
    segment: SegmentResult
    cursor: int
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ..., segment: _Optional[_Union[SegmentResult, _Mapping]] = ..., cursor: _Optional[int] = ...) -> None: ...

class ModelInfo(_message.Message):
    __slots__ = ("name", "description", "ready", "reason", "device", "is_default")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    READY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    IS_DEFAULT_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    ready: bool
    reason: str
    device: str
    is_default: bool
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., ready: _Optional[bool] = ..., reason: _Optional[str] = ..., device: _Optional[str] = ..., is_default: _Optional[bool] = ...) -> None: ...

class EngineInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class EngineInfo(_message.Message):
    __slots__ = ("version", "models", "default_model")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    MODELS_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_MODEL_FIELD_NUMBER: _ClassVar[int]
    version: str
    models: _containers.RepeatedCompositeFieldContainer[ModelInfo]
    default_model: str
    def __init__(self, version: _Optional[str] = ..., models: _Optional[_Iterable[_Union[ModelInfo, _Mapping]]] = ..., default_model: _Optional[str] = ...) -> None: ...

class CueFilesRequest(_message.Message):
    __slots__ = ("job_id", "segment_id")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    segment_id: str
    def __init__(self, job_id: _Optional[str] = ..., segment_id: _Optional[str] = ...) -> None: ...

class CueFileChunk(_message.Message):
    __slots__ = ("kind", "size", "sha256", "data")
    KIND_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    kind: str
    size: int
    sha256: str
    data: bytes
    def __init__(self, kind: _Optional[str] = ..., size: _Optional[int] = ..., sha256: _Optional[str] = ..., data: _Optional[bytes] = ...) -> None: ...
