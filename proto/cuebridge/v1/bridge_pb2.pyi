from cuebridge.v1 import engine_pb2 as _engine_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SegmentMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEGMENT_MODE_UNSPECIFIED: _ClassVar[SegmentMode]
    SEGMENT_MODE_MARKERS: _ClassVar[SegmentMode]
    SEGMENT_MODE_RANGE: _ClassVar[SegmentMode]
    SEGMENT_MODE_WHOLE: _ClassVar[SegmentMode]
    SEGMENT_MODE_SCENES: _ClassVar[SegmentMode]

class MarkerKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MARKER_KIND_UNSPECIFIED: _ClassVar[MarkerKind]
    MARKER_KIND_CUE: _ClassVar[MarkerKind]
    MARKER_KIND_HIT_POINT: _ClassVar[MarkerKind]
    MARKER_KIND_PLACED: _ClassVar[MarkerKind]

class ClipRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLIP_ROLE_CUE: _ClassVar[ClipRole]
    CLIP_ROLE_PREVIOUS_TAKE: _ClassVar[ClipRole]
    CLIP_ROLE_RANKED_TAKE: _ClassVar[ClipRole]
SEGMENT_MODE_UNSPECIFIED: SegmentMode
SEGMENT_MODE_MARKERS: SegmentMode
SEGMENT_MODE_RANGE: SegmentMode
SEGMENT_MODE_WHOLE: SegmentMode
SEGMENT_MODE_SCENES: SegmentMode
MARKER_KIND_UNSPECIFIED: MarkerKind
MARKER_KIND_CUE: MarkerKind
MARKER_KIND_HIT_POINT: MarkerKind
MARKER_KIND_PLACED: MarkerKind
CLIP_ROLE_CUE: ClipRole
CLIP_ROLE_PREVIOUS_TAKE: ClipRole
CLIP_ROLE_RANKED_TAKE: ClipRole

class SegmentSelection(_message.Message):
    __slots__ = ("mode", "range", "min_scene_s", "max_scene_s", "range_name")
    MODE_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    MIN_SCENE_S_FIELD_NUMBER: _ClassVar[int]
    MAX_SCENE_S_FIELD_NUMBER: _ClassVar[int]
    RANGE_NAME_FIELD_NUMBER: _ClassVar[int]
    mode: SegmentMode
    range: str
    min_scene_s: float
    max_scene_s: float
    range_name: str
    def __init__(self, mode: _Optional[_Union[SegmentMode, str]] = ..., range: _Optional[str] = ..., min_scene_s: _Optional[float] = ..., max_scene_s: _Optional[float] = ..., range_name: _Optional[str] = ...) -> None: ...

class ScoreRequest(_message.Message):
    __slots__ = ("timeline_path", "output_path", "force", "selection", "rate", "media_dirs", "require_media", "prompt", "mood", "seed", "generation", "cue_dir", "track_name", "fresh", "dialogue_tracks", "no_dialogue")
    TIMELINE_PATH_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_PATH_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    SELECTION_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    MEDIA_DIRS_FIELD_NUMBER: _ClassVar[int]
    REQUIRE_MEDIA_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    MOOD_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    GENERATION_FIELD_NUMBER: _ClassVar[int]
    CUE_DIR_FIELD_NUMBER: _ClassVar[int]
    TRACK_NAME_FIELD_NUMBER: _ClassVar[int]
    FRESH_FIELD_NUMBER: _ClassVar[int]
    DIALOGUE_TRACKS_FIELD_NUMBER: _ClassVar[int]
    NO_DIALOGUE_FIELD_NUMBER: _ClassVar[int]
    timeline_path: str
    output_path: str
    force: bool
    selection: SegmentSelection
    rate: _engine_pb2.Rate
    media_dirs: _containers.RepeatedScalarFieldContainer[str]
    require_media: bool
    prompt: str
    mood: str
    seed: int
    generation: _engine_pb2.GenerationOptions
    cue_dir: str
    track_name: str
    fresh: bool
    dialogue_tracks: _containers.RepeatedScalarFieldContainer[str]
    no_dialogue: bool
    def __init__(self, timeline_path: _Optional[str] = ..., output_path: _Optional[str] = ..., force: _Optional[bool] = ..., selection: _Optional[_Union[SegmentSelection, _Mapping]] = ..., rate: _Optional[_Union[_engine_pb2.Rate, _Mapping]] = ..., media_dirs: _Optional[_Iterable[str]] = ..., require_media: _Optional[bool] = ..., prompt: _Optional[str] = ..., mood: _Optional[str] = ..., seed: _Optional[int] = ..., generation: _Optional[_Union[_engine_pb2.GenerationOptions, _Mapping]] = ..., cue_dir: _Optional[str] = ..., track_name: _Optional[str] = ..., fresh: _Optional[bool] = ..., dialogue_tracks: _Optional[_Iterable[str]] = ..., no_dialogue: _Optional[bool] = ...) -> None: ...

class CuePlacement(_message.Message):
    __slots__ = ("segment_id", "name", "track_name", "track_index", "rate", "record_start_frame", "record_duration_frames", "global_start_frame", "record_in_timecode", "record_out_timecode", "cue", "reused")
    SEGMENT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TRACK_NAME_FIELD_NUMBER: _ClassVar[int]
    TRACK_INDEX_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    RECORD_START_FRAME_FIELD_NUMBER: _ClassVar[int]
    RECORD_DURATION_FRAMES_FIELD_NUMBER: _ClassVar[int]
    GLOBAL_START_FRAME_FIELD_NUMBER: _ClassVar[int]
    RECORD_IN_TIMECODE_FIELD_NUMBER: _ClassVar[int]
    RECORD_OUT_TIMECODE_FIELD_NUMBER: _ClassVar[int]
    CUE_FIELD_NUMBER: _ClassVar[int]
    REUSED_FIELD_NUMBER: _ClassVar[int]
    segment_id: str
    name: str
    track_name: str
    track_index: int
    rate: _engine_pb2.Rate
    record_start_frame: int
    record_duration_frames: int
    global_start_frame: int
    record_in_timecode: str
    record_out_timecode: str
    cue: _engine_pb2.Cue
    reused: bool
    def __init__(self, segment_id: _Optional[str] = ..., name: _Optional[str] = ..., track_name: _Optional[str] = ..., track_index: _Optional[int] = ..., rate: _Optional[_Union[_engine_pb2.Rate, _Mapping]] = ..., record_start_frame: _Optional[int] = ..., record_duration_frames: _Optional[int] = ..., global_start_frame: _Optional[int] = ..., record_in_timecode: _Optional[str] = ..., record_out_timecode: _Optional[str] = ..., cue: _Optional[_Union[_engine_pb2.Cue, _Mapping]] = ..., reused: _Optional[bool] = ...) -> None: ...

class ScoreResult(_message.Message):
    __slots__ = ("output_path", "placements", "warnings", "failed", "cue_sheet_path")
    OUTPUT_PATH_FIELD_NUMBER: _ClassVar[int]
    PLACEMENTS_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    CUE_SHEET_PATH_FIELD_NUMBER: _ClassVar[int]
    output_path: str
    placements: _containers.RepeatedCompositeFieldContainer[CuePlacement]
    warnings: _containers.RepeatedScalarFieldContainer[str]
    failed: _containers.RepeatedCompositeFieldContainer[_engine_pb2.SegmentResult]
    cue_sheet_path: str
    def __init__(self, output_path: _Optional[str] = ..., placements: _Optional[_Iterable[_Union[CuePlacement, _Mapping]]] = ..., warnings: _Optional[_Iterable[str]] = ..., failed: _Optional[_Iterable[_Union[_engine_pb2.SegmentResult, _Mapping]]] = ..., cue_sheet_path: _Optional[str] = ...) -> None: ...

class ScoreJob(_message.Message):
    __slots__ = ("id", "state", "total", "done", "failed", "message", "result", "cues", "progress")
    ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    CUES_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    id: str
    state: _engine_pb2.JobState
    total: int
    done: int
    failed: int
    message: str
    result: ScoreResult
    cues: _containers.RepeatedCompositeFieldContainer[CueProgress]
    progress: str
    def __init__(self, id: _Optional[str] = ..., state: _Optional[_Union[_engine_pb2.JobState, str]] = ..., total: _Optional[int] = ..., done: _Optional[int] = ..., failed: _Optional[int] = ..., message: _Optional[str] = ..., result: _Optional[_Union[ScoreResult, _Mapping]] = ..., cues: _Optional[_Iterable[_Union[CueProgress, _Mapping]]] = ..., progress: _Optional[str] = ...) -> None: ...

class CueProgress(_message.Message):
    __slots__ = ("segment_id", "name", "state", "record_start_frame", "error")
    SEGMENT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    RECORD_START_FRAME_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    segment_id: str
    name: str
    state: _engine_pb2.SegmentState
    record_start_frame: int
    error: str
    def __init__(self, segment_id: _Optional[str] = ..., name: _Optional[str] = ..., state: _Optional[_Union[_engine_pb2.SegmentState, str]] = ..., record_start_frame: _Optional[int] = ..., error: _Optional[str] = ...) -> None: ...

class ScoreRef(_message.Message):
    __slots__ = ("score_id", "after")
    SCORE_ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    score_id: str
    after: int
    def __init__(self, score_id: _Optional[str] = ..., after: _Optional[int] = ...) -> None: ...

class ScoreEvent(_message.Message):
    __slots__ = ("score", "segment", "cursor", "cue")
    SCORE_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    CUE_FIELD_NUMBER: _ClassVar[int]
    score: ScoreJob
    segment: _engine_pb2.SegmentResult
    cursor: int
    cue: CueProgress
    def __init__(self, score: _Optional[_Union[ScoreJob, _Mapping]] = ..., segment: _Optional[_Union[_engine_pb2.SegmentResult, _Mapping]] = ..., cursor: _Optional[int] = ..., cue: _Optional[_Union[CueProgress, _Mapping]] = ...) -> None: ...

class InspectRequest(_message.Message):
    __slots__ = ("timeline_path", "selection", "rate", "media_dirs")
    TIMELINE_PATH_FIELD_NUMBER: _ClassVar[int]
    SELECTION_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    MEDIA_DIRS_FIELD_NUMBER: _ClassVar[int]
    timeline_path: str
    selection: SegmentSelection
    rate: _engine_pb2.Rate
    media_dirs: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, timeline_path: _Optional[str] = ..., selection: _Optional[_Union[SegmentSelection, _Mapping]] = ..., rate: _Optional[_Union[_engine_pb2.Rate, _Mapping]] = ..., media_dirs: _Optional[_Iterable[str]] = ...) -> None: ...

class SegmentPreview(_message.Message):
    __slots__ = ("segment", "record_start_frame", "record_in_timecode", "record_out_timecode", "media_online", "media_offline")
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    RECORD_START_FRAME_FIELD_NUMBER: _ClassVar[int]
    RECORD_IN_TIMECODE_FIELD_NUMBER: _ClassVar[int]
    RECORD_OUT_TIMECODE_FIELD_NUMBER: _ClassVar[int]
    MEDIA_ONLINE_FIELD_NUMBER: _ClassVar[int]
    MEDIA_OFFLINE_FIELD_NUMBER: _ClassVar[int]
    segment: _engine_pb2.Segment
    record_start_frame: int
    record_in_timecode: str
    record_out_timecode: str
    media_online: int
    media_offline: int
    def __init__(self, segment: _Optional[_Union[_engine_pb2.Segment, _Mapping]] = ..., record_start_frame: _Optional[int] = ..., record_in_timecode: _Optional[str] = ..., record_out_timecode: _Optional[str] = ..., media_online: _Optional[int] = ..., media_offline: _Optional[int] = ...) -> None: ...

class TimelineInfo(_message.Message):
    __slots__ = ("name", "rate", "duration_frames", "global_start_frame", "video_tracks", "audio_tracks", "segments", "warnings")
    NAME_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    DURATION_FRAMES_FIELD_NUMBER: _ClassVar[int]
    GLOBAL_START_FRAME_FIELD_NUMBER: _ClassVar[int]
    VIDEO_TRACKS_FIELD_NUMBER: _ClassVar[int]
    AUDIO_TRACKS_FIELD_NUMBER: _ClassVar[int]
    SEGMENTS_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    name: str
    rate: _engine_pb2.Rate
    duration_frames: int
    global_start_frame: int
    video_tracks: int
    audio_tracks: int
    segments: _containers.RepeatedCompositeFieldContainer[SegmentPreview]
    warnings: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., rate: _Optional[_Union[_engine_pb2.Rate, _Mapping]] = ..., duration_frames: _Optional[int] = ..., global_start_frame: _Optional[int] = ..., video_tracks: _Optional[int] = ..., audio_tracks: _Optional[int] = ..., segments: _Optional[_Iterable[_Union[SegmentPreview, _Mapping]]] = ..., warnings: _Optional[_Iterable[str]] = ...) -> None: ...

class ConvertRequest(_message.Message):
    __slots__ = ("input_path", "output_path", "force", "rate")
    INPUT_PATH_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_PATH_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    input_path: str
    output_path: str
    force: bool
    rate: _engine_pb2.Rate
    def __init__(self, input_path: _Optional[str] = ..., output_path: _Optional[str] = ..., force: _Optional[bool] = ..., rate: _Optional[_Union[_engine_pb2.Rate, _Mapping]] = ...) -> None: ...

class ConvertResponse(_message.Message):
    __slots__ = ("output_path",)
    OUTPUT_PATH_FIELD_NUMBER: _ClassVar[int]
    output_path: str
    def __init__(self, output_path: _Optional[str] = ...) -> None: ...

class Mood(_message.Message):
    __slots__ = ("name", "style", "description")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STYLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    style: str
    description: str
    def __init__(self, name: _Optional[str] = ..., style: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class ListMoodsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListMoodsResponse(_message.Message):
    __slots__ = ("moods",)
    MOODS_FIELD_NUMBER: _ClassVar[int]
    moods: _containers.RepeatedCompositeFieldContainer[Mood]
    def __init__(self, moods: _Optional[_Iterable[_Union[Mood, _Mapping]]] = ...) -> None: ...

class FrameSpan(_message.Message):
    __slots__ = ("start", "end", "audio_path", "selected", "name")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    AUDIO_PATH_FIELD_NUMBER: _ClassVar[int]
    SELECTED_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    start: int
    end: int
    audio_path: str
    selected: bool
    name: str
    def __init__(self, start: _Optional[int] = ..., end: _Optional[int] = ..., audio_path: _Optional[str] = ..., selected: _Optional[bool] = ..., name: _Optional[str] = ...) -> None: ...

class HostTrack(_message.Message):
    __slots__ = ("index", "name", "items")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    index: int
    name: str
    items: _containers.RepeatedCompositeFieldContainer[FrameSpan]
    def __init__(self, index: _Optional[int] = ..., name: _Optional[str] = ..., items: _Optional[_Iterable[_Union[FrameSpan, _Mapping]]] = ...) -> None: ...

class HostMedia(_message.Message):
    __slots__ = ("audio_path", "rate")
    AUDIO_PATH_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    audio_path: str
    rate: str
    def __init__(self, audio_path: _Optional[str] = ..., rate: _Optional[str] = ...) -> None: ...

class PlanRequest(_message.Message):
    __slots__ = ("score_id", "host", "timeline_rate", "start_timecode", "start_frame", "audio_tracks", "media", "marker_frames", "track_name", "disabled", "drop_frame", "segment_ids", "earlier_takes", "outcome", "take", "takes_as_clips", "display_format")
    SCORE_ID_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    TIMELINE_RATE_FIELD_NUMBER: _ClassVar[int]
    START_TIMECODE_FIELD_NUMBER: _ClassVar[int]
    START_FRAME_FIELD_NUMBER: _ClassVar[int]
    AUDIO_TRACKS_FIELD_NUMBER: _ClassVar[int]
    MEDIA_FIELD_NUMBER: _ClassVar[int]
    MARKER_FRAMES_FIELD_NUMBER: _ClassVar[int]
    TRACK_NAME_FIELD_NUMBER: _ClassVar[int]
    DISABLED_FIELD_NUMBER: _ClassVar[int]
    DROP_FRAME_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_IDS_FIELD_NUMBER: _ClassVar[int]
    EARLIER_TAKES_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    TAKE_FIELD_NUMBER: _ClassVar[int]
    TAKES_AS_CLIPS_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_FORMAT_FIELD_NUMBER: _ClassVar[int]
    score_id: str
    host: str
    timeline_rate: str
    start_timecode: str
    start_frame: int
    audio_tracks: _containers.RepeatedCompositeFieldContainer[HostTrack]
    media: _containers.RepeatedCompositeFieldContainer[HostMedia]
    marker_frames: _containers.RepeatedScalarFieldContainer[int]
    track_name: str
    disabled: bool
    drop_frame: bool
    segment_ids: _containers.RepeatedScalarFieldContainer[str]
    earlier_takes: _containers.RepeatedCompositeFieldContainer[EarlierTake]
    outcome: HostOutcome
    take: TakeChoice
    takes_as_clips: bool
    display_format: str
    def __init__(self, score_id: _Optional[str] = ..., host: _Optional[str] = ..., timeline_rate: _Optional[str] = ..., start_timecode: _Optional[str] = ..., start_frame: _Optional[int] = ..., audio_tracks: _Optional[_Iterable[_Union[HostTrack, _Mapping]]] = ..., media: _Optional[_Iterable[_Union[HostMedia, _Mapping]]] = ..., marker_frames: _Optional[_Iterable[int]] = ..., track_name: _Optional[str] = ..., disabled: _Optional[bool] = ..., drop_frame: _Optional[bool] = ..., segment_ids: _Optional[_Iterable[str]] = ..., earlier_takes: _Optional[_Iterable[_Union[EarlierTake, _Mapping]]] = ..., outcome: _Optional[_Union[HostOutcome, _Mapping]] = ..., take: _Optional[_Union[TakeChoice, _Mapping]] = ..., takes_as_clips: _Optional[bool] = ..., display_format: _Optional[str] = ...) -> None: ...

class HostOutcome(_message.Message):
    __slots__ = ("step", "landed", "left", "kept_tracks", "cue_folder", "restored", "ranked", "describe")
    STEP_FIELD_NUMBER: _ClassVar[int]
    LANDED_FIELD_NUMBER: _ClassVar[int]
    LEFT_FIELD_NUMBER: _ClassVar[int]
    KEPT_TRACKS_FIELD_NUMBER: _ClassVar[int]
    CUE_FOLDER_FIELD_NUMBER: _ClassVar[int]
    RESTORED_FIELD_NUMBER: _ClassVar[int]
    RANKED_FIELD_NUMBER: _ClassVar[int]
    DESCRIBE_FIELD_NUMBER: _ClassVar[int]
    step: str
    landed: _containers.RepeatedScalarFieldContainer[str]
    left: _containers.RepeatedScalarFieldContainer[str]
    kept_tracks: _containers.RepeatedScalarFieldContainer[str]
    cue_folder: str
    restored: bool
    ranked: int
    describe: str
    def __init__(self, step: _Optional[str] = ..., landed: _Optional[_Iterable[str]] = ..., left: _Optional[_Iterable[str]] = ..., kept_tracks: _Optional[_Iterable[str]] = ..., cue_folder: _Optional[str] = ..., restored: _Optional[bool] = ..., ranked: _Optional[int] = ..., describe: _Optional[str] = ...) -> None: ...

class EarlierTake(_message.Message):
    __slots__ = ("seed", "audio_path")
    SEED_FIELD_NUMBER: _ClassVar[int]
    AUDIO_PATH_FIELD_NUMBER: _ClassVar[int]
    seed: str
    audio_path: str
    def __init__(self, seed: _Optional[str] = ..., audio_path: _Optional[str] = ...) -> None: ...

class PlannedLane(_message.Message):
    __slots__ = ("name", "index", "create")
    NAME_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    CREATE_FIELD_NUMBER: _ClassVar[int]
    name: str
    index: int
    create: bool
    def __init__(self, name: _Optional[str] = ..., index: _Optional[int] = ..., create: _Optional[bool] = ...) -> None: ...

class PlannedMarker(_message.Message):
    __slots__ = ("kind", "replaces", "frame", "duration_frames", "name", "note", "custom_data", "color")
    KIND_FIELD_NUMBER: _ClassVar[int]
    REPLACES_FIELD_NUMBER: _ClassVar[int]
    FRAME_FIELD_NUMBER: _ClassVar[int]
    DURATION_FRAMES_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_DATA_FIELD_NUMBER: _ClassVar[int]
    COLOR_FIELD_NUMBER: _ClassVar[int]
    kind: MarkerKind
    replaces: bool
    frame: int
    duration_frames: int
    name: str
    note: str
    custom_data: str
    color: str
    def __init__(self, kind: _Optional[_Union[MarkerKind, str]] = ..., replaces: _Optional[bool] = ..., frame: _Optional[int] = ..., duration_frames: _Optional[int] = ..., name: _Optional[str] = ..., note: _Optional[str] = ..., custom_data: _Optional[str] = ..., color: _Optional[str] = ...) -> None: ...

class PlannedClip(_message.Message):
    __slots__ = ("segment_id", "name", "lane", "lane_index", "audio_path", "record_frame", "record_end_frame", "record_offset_frames", "source_in", "source_out", "record_offset_ticks", "duration_ticks", "enabled", "marker", "takes", "record_in_timecode", "duration_timecode", "prompt", "mood", "seed", "model", "understood", "role")
    SEGMENT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    LANE_FIELD_NUMBER: _ClassVar[int]
    LANE_INDEX_FIELD_NUMBER: _ClassVar[int]
    AUDIO_PATH_FIELD_NUMBER: _ClassVar[int]
    RECORD_FRAME_FIELD_NUMBER: _ClassVar[int]
    RECORD_END_FRAME_FIELD_NUMBER: _ClassVar[int]
    RECORD_OFFSET_FRAMES_FIELD_NUMBER: _ClassVar[int]
    SOURCE_IN_FIELD_NUMBER: _ClassVar[int]
    SOURCE_OUT_FIELD_NUMBER: _ClassVar[int]
    RECORD_OFFSET_TICKS_FIELD_NUMBER: _ClassVar[int]
    DURATION_TICKS_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    MARKER_FIELD_NUMBER: _ClassVar[int]
    TAKES_FIELD_NUMBER: _ClassVar[int]
    RECORD_IN_TIMECODE_FIELD_NUMBER: _ClassVar[int]
    DURATION_TIMECODE_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    MOOD_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    UNDERSTOOD_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    segment_id: str
    name: str
    lane: str
    lane_index: int
    audio_path: str
    record_frame: int
    record_end_frame: int
    record_offset_frames: int
    source_in: int
    source_out: int
    record_offset_ticks: int
    duration_ticks: int
    enabled: bool
    marker: PlannedMarker
    takes: _containers.RepeatedScalarFieldContainer[str]
    record_in_timecode: str
    duration_timecode: str
    prompt: str
    mood: str
    seed: str
    model: str
    understood: str
    role: ClipRole
    def __init__(self, segment_id: _Optional[str] = ..., name: _Optional[str] = ..., lane: _Optional[str] = ..., lane_index: _Optional[int] = ..., audio_path: _Optional[str] = ..., record_frame: _Optional[int] = ..., record_end_frame: _Optional[int] = ..., record_offset_frames: _Optional[int] = ..., source_in: _Optional[int] = ..., source_out: _Optional[int] = ..., record_offset_ticks: _Optional[int] = ..., duration_ticks: _Optional[int] = ..., enabled: _Optional[bool] = ..., marker: _Optional[_Union[PlannedMarker, _Mapping]] = ..., takes: _Optional[_Iterable[str]] = ..., record_in_timecode: _Optional[str] = ..., duration_timecode: _Optional[str] = ..., prompt: _Optional[str] = ..., mood: _Optional[str] = ..., seed: _Optional[str] = ..., model: _Optional[str] = ..., understood: _Optional[str] = ..., role: _Optional[_Union[ClipRole, str]] = ...) -> None: ...

class PlacementPlan(_message.Message):
    __slots__ = ("score_id", "rate", "drop_frame", "start_frame", "lanes", "clips", "warnings", "hit_point_max_frames", "dialogue_note", "remove", "remove_track", "report")
    SCORE_ID_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    DROP_FRAME_FIELD_NUMBER: _ClassVar[int]
    START_FRAME_FIELD_NUMBER: _ClassVar[int]
    LANES_FIELD_NUMBER: _ClassVar[int]
    CLIPS_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    HIT_POINT_MAX_FRAMES_FIELD_NUMBER: _ClassVar[int]
    DIALOGUE_NOTE_FIELD_NUMBER: _ClassVar[int]
    REMOVE_FIELD_NUMBER: _ClassVar[int]
    REMOVE_TRACK_FIELD_NUMBER: _ClassVar[int]
    REPORT_FIELD_NUMBER: _ClassVar[int]
    score_id: str
    rate: _engine_pb2.Rate
    drop_frame: bool
    start_frame: int
    lanes: _containers.RepeatedCompositeFieldContainer[PlannedLane]
    clips: _containers.RepeatedCompositeFieldContainer[PlannedClip]
    warnings: _containers.RepeatedScalarFieldContainer[str]
    hit_point_max_frames: int
    dialogue_note: str
    remove: FrameSpan
    remove_track: int
    report: str
    def __init__(self, score_id: _Optional[str] = ..., rate: _Optional[_Union[_engine_pb2.Rate, _Mapping]] = ..., drop_frame: _Optional[bool] = ..., start_frame: _Optional[int] = ..., lanes: _Optional[_Iterable[_Union[PlannedLane, _Mapping]]] = ..., clips: _Optional[_Iterable[_Union[PlannedClip, _Mapping]]] = ..., warnings: _Optional[_Iterable[str]] = ..., hit_point_max_frames: _Optional[int] = ..., dialogue_note: _Optional[str] = ..., remove: _Optional[_Union[FrameSpan, _Mapping]] = ..., remove_track: _Optional[int] = ..., report: _Optional[str] = ...) -> None: ...

class TimeRequest(_message.Message):
    __slots__ = ("rate", "timecodes", "frames", "drop_frame", "markers", "track_names", "lane_names", "marks", "selection_mode", "marks_readable", "run_folder", "take", "start_frame", "display_format")
    RATE_FIELD_NUMBER: _ClassVar[int]
    TIMECODES_FIELD_NUMBER: _ClassVar[int]
    FRAMES_FIELD_NUMBER: _ClassVar[int]
    DROP_FRAME_FIELD_NUMBER: _ClassVar[int]
    MARKERS_FIELD_NUMBER: _ClassVar[int]
    TRACK_NAMES_FIELD_NUMBER: _ClassVar[int]
    LANE_NAMES_FIELD_NUMBER: _ClassVar[int]
    MARKS_FIELD_NUMBER: _ClassVar[int]
    SELECTION_MODE_FIELD_NUMBER: _ClassVar[int]
    MARKS_READABLE_FIELD_NUMBER: _ClassVar[int]
    RUN_FOLDER_FIELD_NUMBER: _ClassVar[int]
    TAKE_FIELD_NUMBER: _ClassVar[int]
    START_FRAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_FORMAT_FIELD_NUMBER: _ClassVar[int]
    rate: str
    timecodes: _containers.RepeatedScalarFieldContainer[str]
    frames: _containers.RepeatedScalarFieldContainer[int]
    drop_frame: bool
    markers: _containers.RepeatedCompositeFieldContainer[HostMarker]
    track_names: _containers.RepeatedScalarFieldContainer[str]
    lane_names: _containers.RepeatedScalarFieldContainer[str]
    marks: HostMarks
    selection_mode: str
    marks_readable: bool
    run_folder: RunFolderRequest
    take: TakeRequest
    start_frame: int
    display_format: str
    def __init__(self, rate: _Optional[str] = ..., timecodes: _Optional[_Iterable[str]] = ..., frames: _Optional[_Iterable[int]] = ..., drop_frame: _Optional[bool] = ..., markers: _Optional[_Iterable[_Union[HostMarker, _Mapping]]] = ..., track_names: _Optional[_Iterable[str]] = ..., lane_names: _Optional[_Iterable[str]] = ..., marks: _Optional[_Union[HostMarks, _Mapping]] = ..., selection_mode: _Optional[str] = ..., marks_readable: _Optional[bool] = ..., run_folder: _Optional[_Union[RunFolderRequest, _Mapping]] = ..., take: _Optional[_Union[TakeRequest, _Mapping]] = ..., start_frame: _Optional[int] = ..., display_format: _Optional[str] = ...) -> None: ...

class RunFolderRequest(_message.Message):
    __slots__ = ("root", "project", "timeline")
    ROOT_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    TIMELINE_FIELD_NUMBER: _ClassVar[int]
    root: str
    project: str
    timeline: str
    def __init__(self, root: _Optional[str] = ..., project: _Optional[str] = ..., timeline: _Optional[str] = ...) -> None: ...

class TakeRequest(_message.Message):
    __slots__ = ("tracks", "playhead")
    TRACKS_FIELD_NUMBER: _ClassVar[int]
    PLAYHEAD_FIELD_NUMBER: _ClassVar[int]
    tracks: _containers.RepeatedCompositeFieldContainer[HostTrack]
    playhead: str
    def __init__(self, tracks: _Optional[_Iterable[_Union[HostTrack, _Mapping]]] = ..., playhead: _Optional[str] = ...) -> None: ...

class TakeChoice(_message.Message):
    __slots__ = ("track_index", "track_name", "start", "end", "name", "audio_path", "selection", "describe", "prompt", "mood", "seed", "previous_seed", "earlier", "has_marker", "marker_frame", "where")
    TRACK_INDEX_FIELD_NUMBER: _ClassVar[int]
    TRACK_NAME_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    AUDIO_PATH_FIELD_NUMBER: _ClassVar[int]
    SELECTION_FIELD_NUMBER: _ClassVar[int]
    DESCRIBE_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    MOOD_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_SEED_FIELD_NUMBER: _ClassVar[int]
    EARLIER_FIELD_NUMBER: _ClassVar[int]
    HAS_MARKER_FIELD_NUMBER: _ClassVar[int]
    MARKER_FRAME_FIELD_NUMBER: _ClassVar[int]
    WHERE_FIELD_NUMBER: _ClassVar[int]
    track_index: int
    track_name: str
    start: int
    end: int
    name: str
    audio_path: str
    selection: SegmentSelection
    describe: str
    prompt: str
    mood: str
    seed: int
    previous_seed: str
    earlier: _containers.RepeatedCompositeFieldContainer[EarlierTake]
    has_marker: bool
    marker_frame: int
    where: str
    def __init__(self, track_index: _Optional[int] = ..., track_name: _Optional[str] = ..., start: _Optional[int] = ..., end: _Optional[int] = ..., name: _Optional[str] = ..., audio_path: _Optional[str] = ..., selection: _Optional[_Union[SegmentSelection, _Mapping]] = ..., describe: _Optional[str] = ..., prompt: _Optional[str] = ..., mood: _Optional[str] = ..., seed: _Optional[int] = ..., previous_seed: _Optional[str] = ..., earlier: _Optional[_Iterable[_Union[EarlierTake, _Mapping]]] = ..., has_marker: _Optional[bool] = ..., marker_frame: _Optional[int] = ..., where: _Optional[str] = ...) -> None: ...

class HostSelection(_message.Message):
    __slots__ = ("selection", "describe")
    SELECTION_FIELD_NUMBER: _ClassVar[int]
    DESCRIBE_FIELD_NUMBER: _ClassVar[int]
    selection: SegmentSelection
    describe: str
    def __init__(self, selection: _Optional[_Union[SegmentSelection, _Mapping]] = ..., describe: _Optional[str] = ...) -> None: ...

class HostMarks(_message.Message):
    __slots__ = ("has_in", "has_out", "mark_in", "mark_out", "start_frame")
    HAS_IN_FIELD_NUMBER: _ClassVar[int]
    HAS_OUT_FIELD_NUMBER: _ClassVar[int]
    MARK_IN_FIELD_NUMBER: _ClassVar[int]
    MARK_OUT_FIELD_NUMBER: _ClassVar[int]
    START_FRAME_FIELD_NUMBER: _ClassVar[int]
    has_in: bool
    has_out: bool
    mark_in: int
    mark_out: int
    start_frame: int
    def __init__(self, has_in: _Optional[bool] = ..., has_out: _Optional[bool] = ..., mark_in: _Optional[int] = ..., mark_out: _Optional[int] = ..., start_frame: _Optional[int] = ...) -> None: ...

class HostMarker(_message.Message):
    __slots__ = ("name", "duration_frames", "frame", "custom_data")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DURATION_FRAMES_FIELD_NUMBER: _ClassVar[int]
    FRAME_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_DATA_FIELD_NUMBER: _ClassVar[int]
    name: str
    duration_frames: float
    frame: float
    custom_data: str
    def __init__(self, name: _Optional[str] = ..., duration_frames: _Optional[float] = ..., frame: _Optional[float] = ..., custom_data: _Optional[str] = ...) -> None: ...

class TimeAnswer(_message.Message):
    __slots__ = ("rate", "drop_frame", "frames", "timecodes", "marker_kinds", "score_lanes", "marked_range", "selection", "run_folder", "take")
    RATE_FIELD_NUMBER: _ClassVar[int]
    DROP_FRAME_FIELD_NUMBER: _ClassVar[int]
    FRAMES_FIELD_NUMBER: _ClassVar[int]
    TIMECODES_FIELD_NUMBER: _ClassVar[int]
    MARKER_KINDS_FIELD_NUMBER: _ClassVar[int]
    SCORE_LANES_FIELD_NUMBER: _ClassVar[int]
    MARKED_RANGE_FIELD_NUMBER: _ClassVar[int]
    SELECTION_FIELD_NUMBER: _ClassVar[int]
    RUN_FOLDER_FIELD_NUMBER: _ClassVar[int]
    TAKE_FIELD_NUMBER: _ClassVar[int]
    rate: _engine_pb2.Rate
    drop_frame: bool
    frames: _containers.RepeatedScalarFieldContainer[int]
    timecodes: _containers.RepeatedScalarFieldContainer[str]
    marker_kinds: _containers.RepeatedScalarFieldContainer[MarkerKind]
    score_lanes: _containers.RepeatedScalarFieldContainer[bool]
    marked_range: str
    selection: HostSelection
    run_folder: str
    take: TakeChoice
    def __init__(self, rate: _Optional[_Union[_engine_pb2.Rate, _Mapping]] = ..., drop_frame: _Optional[bool] = ..., frames: _Optional[_Iterable[int]] = ..., timecodes: _Optional[_Iterable[str]] = ..., marker_kinds: _Optional[_Iterable[_Union[MarkerKind, str]]] = ..., score_lanes: _Optional[_Iterable[bool]] = ..., marked_range: _Optional[str] = ..., selection: _Optional[_Union[HostSelection, _Mapping]] = ..., run_folder: _Optional[str] = ..., take: _Optional[_Union[TakeChoice, _Mapping]] = ...) -> None: ...
