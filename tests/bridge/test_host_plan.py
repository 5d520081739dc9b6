"""The placement plan the plugins apply: lanes, frames in the host's terms, markers, takes."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from cuebridge.bridge.errors import BridgeError
from cuebridge.bridge.host_plan import parse_times, plan_placement
from cuebridge.bridge.host_time import parse_rate, parse_timecode, timecode
from cuebridge.contract import marker_kind
from cuebridge.v1 import bridge_pb2 as bpb
from cuebridge.v1 import engine_pb2 as pb


def _result(*cues, rate=(24, 1)):
    """cues: (segment id, lane name, start, length) in the scored timeline's frames."""
    out = bpb.ScoreResult()
    for seg, lane, start, length in cues:
        fps = Fraction(*rate)
        out.placements.add(
            segment_id=seg,
            name=seg,
            track_name=lane,
            track_index=int(lane.rsplit(" ", 1)[1]) if " " in lane else 1,
            rate=pb.Rate(num=rate[0], den=rate[1]),
            record_start_frame=start,
            record_duration_frames=length,
            cue=pb.Cue(
                segment_id=seg,
                audio_path=f"/cues/{seg}.wav",
                sample_rate=48000,
                num_samples=int(length / fps * 48000),
                metadata={"prompt": "chase", "seed": "7"},
                takes=[
                    pb.Take(seed=7, score=0.9, audio_path=f"/cues/{seg}.wav", chosen=True),
                    pb.Take(seed=8, score=0.4, audio_path="/cues/b.wav"),
                ],
            ),
        )
    return out


def _request(tracks, **kw):
    req = bpb.PlanRequest(score_id="s1", host=kw.pop("host", "resolve"), **kw)
    for index, name, items in tracks:
        t = req.audio_tracks.add(index=index, name=name)
        for a, b in items:
            t.items.add(start=a, end=b)
    return req


@pytest.mark.parametrize("host,first", [("resolve", 1), ("premiere", 0)])
def test_dialogue_track_with_a_gap_under_the_cue_is_never_a_lane(host, first):
    # Dialogue on A1 before and after the cue, nothing under it: the cue still gets its own lane.
    tracks = [(first, "Dialogue", [(86400, 86400 + 100), (86400 + 400, 86400 + 900)])]
    plan = plan_placement(
        _request(tracks, host=host, timeline_rate="24", start_frame=86400),
        _result(("montage", "Score", 120, 240)),
    )
    (clip,) = plan.clips
    assert clip.lane == "Score" and clip.lane_index == first + 1
    assert [(lane.name, lane.index, lane.create) for lane in plan.lanes] == [
        ("Score", first + 1, True)
    ]
    assert clip.record_frame == 86400 + 120 and clip.record_end_frame == 86400 + 360
    assert clip.source_out == 240 and clip.takes == ["/cues/b.wav"]


def test_a_free_score_track_is_reused_and_a_busy_one_is_not():
    tracks = [(1, "A1", []), (2, "Score", [(100, 200)]), (3, "Score 2", [])]
    plan = plan_placement(
        _request(tracks, timeline_rate="24", start_frame=0),
        _result(("a", "Score", 150, 50), ("b", "Score 2", 160, 50)),
    )
    lanes = {c.segment_id: (c.lane, c.lane_index) for c in plan.clips}
    # "Score" is busy under cue a: a goes to the free "Score 2", b gets a new lane past the last.
    assert lanes["a"] == ("Score 2", 3)
    assert lanes["b"][1] == 4 and lanes["b"][0] not in ("Score", "Score 2", "A1")


@pytest.mark.parametrize("rate_text,start_tc,start", [
    ("29.97 DF", "01:00:00;00", 107892),
    ("59.94 DF", "01:00:00;00", 215784),
    ("23.976", "01:00:00:00", 86400),
])  # fmt: skip
def test_drop_frame_timelines_place_on_every_frame(rate_text, start_tc, start):
    rate = parse_rate(rate_text)
    num, den = rate.rate.numerator, rate.rate.denominator
    cues = [(f"c{k}", "Score", 1799 * k + 1, 1798) for k in range(6)]  # across minute drops
    plan = plan_placement(
        _request([], timeline_rate=rate_text, start_timecode=start_tc),
        _result(*cues, rate=(num, den)),
    )
    assert plan.start_frame == start and plan.drop_frame == ("DF" in rate_text)
    for clip, (_, _, offset, length) in zip(plan.clips, cues, strict=True):
        assert clip.record_frame == start + offset
        assert clip.record_end_frame - clip.record_frame == length
        assert parse_timecode(clip.record_in_timecode, rate) == start + offset
    assert not plan.warnings


@pytest.mark.parametrize("rate,display,drop", [
    ("30000/1001", "FPS_29_97", True),
    ("60000/1001", "FPS_29_97", True),  # Premiere shows 59.94 with its drop-frame display too
    ("60000/1001", "FPS_59_94", True),
    ("60000/1001", "FPS_59_94_NON_DROP", False),
    ("30000/1001", "FPS_29_97_NON_DROP", False),
    ("24/1", "FPS_29_97", False),  # no drop-frame at 24: the display cannot make one
    ("60000/1001", "", False),
])  # fmt: skip
def test_premiere_display_format_decides_drop_frame_in_the_bridge(rate, display, drop):
    """Premiere says its timecode display by VideoDisplayFormatType name; the bridge alone says
    whether it counts drop-frame, for ParseTime and the plan alike."""
    answer = parse_times(bpb.TimeRequest(rate=rate, display_format=display, frames=[3600]))
    assert answer.drop_frame is drop
    fps = Fraction(rate)
    start = 3600 * round(fps) if not drop else (107892 if fps < 40 else 215784)
    plan = plan_placement(
        _request([], host="premiere", timeline_rate=rate, display_format=display,
                 start_frame=start),
        _result(("c1", "Score", 3600, 120), rate=(fps.numerator, fps.denominator)),
    )  # fmt: skip
    assert plan.drop_frame is drop
    [clip] = plan.clips
    assert (";" in clip.record_in_timecode) is drop
    assert parse_timecode(clip.record_in_timecode, parse_rate(rate, drop)) == start + 3600


def test_wav_imported_at_another_rate_never_lands_short_or_over_the_next_cue():
    # A WAV imported at 25 on a 24 fps timeline: Resolve rounds placed frames down.
    req = _request([], timeline_rate="24", start_frame=0)
    req.media.add(audio_path="/cues/a.wav", rate="25")
    result = _result(("a", "Score", 0, 100), ("b", "Score", 100, 100))
    plan = plan_placement(req, result)
    a = plan.clips[0]
    # The WAV holds 104.17 frames at 25: it cannot fill 100 timeline frames once floored.
    assert (a.source_out, a.record_end_frame) == (104, 99)
    assert "lands 1 frame(s) short" in plan.warnings[0] and "25 fps" in plan.warnings[0]
    result.placements[0].cue.num_samples *= 2  # room to spare: ceil(100 * 25 / 24) frames
    a, b = plan_placement(req, result).clips
    assert (a.source_out, a.record_end_frame) == (105, 100) and b.record_frame == 100


def test_marker_is_a_placed_record_that_carries_the_takes():
    plan = plan_placement(
        bpb.PlanRequest(score_id="s", timeline_rate="24", marker_frames=[10]),
        _result(("a", "Score", 10, 48)),
    )
    m = plan.clips[0].marker
    assert m.frame == 11 and m.kind == bpb.MARKER_KIND_PLACED  # frame 10 already held one
    assert json.loads(m.custom_data)["cuebridge"]["takes"] == ["/cues/b.wav"]
    assert "seed: 7" in m.note and plan.hit_point_max_frames == 1


def test_after_another_take_the_marker_keeps_the_earlier_takes_apart_from_the_ranked_ones():
    earlier = [bpb.EarlierTake(seed="7", audio_path="/cues/a.wav")]
    earlier.append(bpb.EarlierTake(seed="12", audio_path="/cues/a2.wav"))
    request = bpb.PlanRequest(score_id="s", timeline_rate="24", earlier_takes=earlier)
    m = plan_placement(request, _result(("a", "Score", 10, 48))).clips[0].marker
    data = json.loads(m.custom_data)["cuebridge"]
    assert data["takes"] == ["/cues/b.wav"]  # ranked lower by the engine: paths, best first
    assert data["earlier"] == [
        {"seed": "7", "audio": "/cues/a.wav"},
        {"seed": "12", "audio": "/cues/a2.wav"},
    ]
    assert m.note.endswith(
        "earlier take: seed 7 (/cues/a.wav)\nearlier take: seed 12 (/cues/a2.wav)"
    )


def test_in_out_marks_become_the_range_to_score_with_the_out_frame_included():
    def ask(**marks):
        request = bpb.TimeRequest(rate="24", marks=bpb.HostMarks(start_frame=86400, **marks))
        return parse_times(request).marked_range

    assert ask(has_in=True, has_out=True, mark_in=48, mark_out=95) == "01:00:02:00-01:00:04:00"
    assert ask() == "" and parse_times(bpb.TimeRequest(rate="24")).marked_range == ""
    with pytest.raises(BridgeError, match="only an in mark is set: mark both"):
        ask(has_in=True, mark_in=48)
    with pytest.raises(BridgeError, match="out mark sits before the in mark"):
        ask(has_in=True, has_out=True, mark_in=48, mark_out=10)


def test_marker_rule():
    assert marker_kind("Score: a", 1) == bpb.MARKER_KIND_PLACED
    assert marker_kind("boom", 1) == bpb.MARKER_KIND_HIT_POINT
    assert marker_kind("boom", 0) == bpb.MARKER_KIND_HIT_POINT
    assert marker_kind("chase", 2) == bpb.MARKER_KIND_CUE


def test_parse_time_sorts_the_hosts_markers_by_the_marker_rule():
    # As Resolve answers GetMarkers: a plain marker lasts one frame, durations come as floats.
    request = bpb.TimeRequest(rate="29.97 DF")
    for name, duration in [("chase", 48.0), ("boom", 1.0), ("Score: chase", 48.0), ("", 1.6)]:
        request.markers.add(name=name, duration_frames=duration)
    answer = parse_times(request)
    assert list(answer.marker_kinds) == [
        bpb.MARKER_KIND_CUE,
        bpb.MARKER_KIND_HIT_POINT,
        bpb.MARKER_KIND_PLACED,
        bpb.MARKER_KIND_CUE,  # 1.6 frames rounds to 2: longer than a hit point
    ]


def test_parse_time_says_which_tracks_are_score_lanes():
    names = ["Dialogue", "Score", "Score 2", "Score (3)", "Score (preview)", "Scored FX", "A1"]
    answer = parse_times(bpb.TimeRequest(rate="24", track_names=names))
    assert list(answer.score_lanes) == [False, True, True, True, False, False, False]
    answer = parse_times(
        bpb.TimeRequest(rate="24", track_names=names, lane_names=["Score", "Score (preview)"])
    )
    assert list(answer.score_lanes) == [False, True, True, True, True, False, False]


@pytest.mark.parametrize("text", ["24 DF", "fast", "0", "-5", "25 fps DF"])
def test_bad_rates_are_refused_with_what_to_write(text):
    with pytest.raises(BridgeError, match="rate"):
        parse_rate(text)


def test_timecodes_round_trip_drop_frame():
    rate = parse_rate("29.97 DF")
    for frame in (0, 1799, 1800, 17982, 107892, 107892 + 1800):
        assert parse_timecode(timecode(frame, rate), rate) == frame
    assert timecode(1800, rate) == "00:01:00;02"
    with pytest.raises(BridgeError, match="HH:MM:SS"):
        parse_timecode("1:00", rate)
    with pytest.raises(BridgeError, match="drop-frame"):
        parse_timecode("01:00:00;00", parse_rate("25"))


@pytest.mark.parametrize(
    ("text", "rate", "frame"),
    [
        ("01:00:00:00", "24", 86400),
        ("01:00:00:00", "29.97", 108000),
        ("01:00:00;00", "29.97", 107892),  # a ';' is drop-frame even without " DF"
        ("01:00:10;00", "29.97 DF", 108192),
        ("00:01:00;02", "29.97 DF", 1800),
        ("00:10:00;00", "29.97 DF", 17982),
        ("00:01:00;04", "59.94 DF", 3600),
        ("01:00:00:00", "23.976", 86400),
    ],
)
def test_timecodes_as_hosts_write_them(text, rate, frame):
    assert parse_timecode(text, parse_rate(rate)) == frame


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("24", Fraction(24)), ("24.000", Fraction(24)), ("25", Fraction(25)),
        ("23.976", Fraction(24000, 1001)), ("23.98", Fraction(24000, 1001)),
        ("29.97", Fraction(30000, 1001)), ("59.94", Fraction(60000, 1001)),
        ("30000/1001", Fraction(30000, 1001)), ("12.5", Fraction(25, 2)),
    ],
)  # fmt: skip
def test_rates_as_hosts_write_them_become_exact(text, rate):
    assert parse_rate(text).rate == rate


def test_source_frames_follow_resolves_rounding_so_no_cue_lands_short():
    """Resolve floors an item's frames to timeline frames when the rates differ
    (davinci-resolve-mcp api-limitations.md, "AppendToTimeline with mixed-fps sources")."""
    for timeline, wav in (("29.97", "24"), ("25", "24"), ("24", "29.97")):
        for length in (1, 2, 47, 150, 399):
            req = _request([], timeline_rate=timeline)
            req.media.add(audio_path="/cues/a.wav", rate=wav)
            t, w = parse_rate(timeline).rate, parse_rate(wav).rate
            result = _result(("a", "Score", 0, length), rate=(t.numerator, t.denominator))
            result.placements[0].cue.num_samples = 48000 * 60  # room to spare
            (clip,) = plan_placement(req, result).clips
            landed = int(clip.source_out * t / w)
            assert landed >= length  # never a frame short (one long where no count is exact)
            assert int((clip.source_out - 1) * t / w) < length  # and no more than needed
            assert clip.record_end_frame - clip.record_frame == landed  # the plan says so


def test_the_plan_says_what_dialogue_the_music_made_room_for():
    result = _result(("a", "Score", 0, 48), ("b", "Score", 100, 48), ("c", "Score", 200, 48))
    speech = {"a": [(1.0, 2.2), (3.6, 5.6)], "b": [], "c": [(0.5, 1.5)]}
    for p in result.placements:
        for start, end in speech[p.segment_id]:
            p.cue.speech.add(start_s=start, end_s=end)
    plan = plan_placement(_request([], timeline_rate="24"), result)
    assert plan.dialogue_note == (
        "dialogue read: 3 line(s) under 2 cue(s), the music dips and thins there"
    )
    assert len(plan.clips) == 3

    for p in result.placements:
        del p.cue.speech[:]
    assert plan_placement(_request([], timeline_rate="24"), result).dialogue_note == ""
