"""What the plugins no longer decide (issue 20): what to score, the run folder, which cue another
take replaces and its new seed, the takes put aside as clips, and every report's words."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from cuebridge.bridge.errors import BridgeError
from cuebridge.bridge.host_plan import parse_times, plan_placement
from cuebridge.bridge.host_time import parse_rate, timecode
from cuebridge.v1 import bridge_pb2 as bpb
from tests.bridge.test_host_plan import _request, _result

START = 86400  # 01:00:00:00 at 24


def _marker(name, frames, frame=0.0, data=""):
    return bpb.HostMarker(name=name, duration_frames=frames, frame=frame, custom_data=data)


def test_the_marked_range_wins_over_cue_markers_unless_markers_are_asked():
    marks = bpb.HostMarks(has_in=True, has_out=True, mark_in=24, mark_out=95, start_frame=START)
    cue = _marker("calm", 40.0)
    ask = bpb.TimeRequest(rate="24", selection_mode="auto", marks=marks, markers=[cue])
    picked = parse_times(ask).selection
    assert picked.selection.mode == bpb.SEGMENT_MODE_RANGE
    assert picked.selection.range == "01:00:01:00-01:00:04:00"
    assert picked.describe == "the marked range 01:00:01:00-01:00:04:00"
    ask.selection_mode = "markers"
    picked = parse_times(ask).selection
    assert (
        picked.selection.mode == bpb.SEGMENT_MODE_MARKERS and picked.describe == "1 cue marker(s)"
    )


@pytest.mark.parametrize(
    ("mode", "readable", "said"),
    [
        ("auto", True, "nothing to score: mark the scene"),
        ("range", False, "that came in 19.1"),
        ("range", True, "nothing to score"),
        ("sideways", True, "ask for 'auto', 'range' or 'markers'"),
    ],
)
def test_nothing_to_score_is_said_in_the_editors_words(mode, readable, said):
    hit = _marker("a hit", 1.0)  # a plain marker is a hit point, not a cue
    ask = bpb.TimeRequest(rate="24", selection_mode=mode, marks_readable=readable, markers=[hit])
    with pytest.raises(BridgeError, match=said):
        parse_times(ask)


def test_each_score_gets_a_fresh_run_folder_named_after_project_and_timeline(tmp_path):
    asked = bpb.RunFolderRequest(root=str(tmp_path), project="Short film", timeline="Reel 1/v2")
    first = parse_times(bpb.TimeRequest(rate="24", run_folder=asked)).run_folder
    second = parse_times(bpb.TimeRequest(rate="24", run_folder=asked)).run_folder
    assert first != second and all(
        p.startswith(str(tmp_path / "Short_film" / "Reel_1_v2")) for p in (first, second)
    )
    assert (tmp_path / "Short_film" / "Reel_1_v2").is_dir()
    # A refused selection makes no folder.
    refused = bpb.TimeRequest(rate="24", selection_mode="auto", run_folder=asked)
    with pytest.raises(BridgeError):
        parse_times(refused)
    assert len(list((tmp_path / "Short_film" / "Reel_1_v2").iterdir())) == 2


def _take_request(selected=False, playhead="01:00:04:04", rate="24"):
    earlier = [{"seed": "3", "audio": "/cues/old.wav"}]
    record = {"cuebridge": {"audio": "/cues/chase.wav", "seed": "7", "prompt": "a chase",
                            "mood": "tense", "earlier": earlier}}  # fmt: skip
    dialogue = bpb.FrameSpan(start=START, end=START + 400)  # under the playhead too
    tracks = [
        bpb.HostTrack(index=1, name="Dialogue", items=[dialogue]),
        bpb.HostTrack(index=2, name="Score", items=[
            bpb.FrameSpan(start=START, end=START + 40, audio_path="/cues/calm.wav", name="calm",
                          selected=selected),
            bpb.FrameSpan(start=START + 72, end=START + 132, audio_path="/cues/chase.wav",
                          name="chase"),
        ]),
    ]  # fmt: skip
    markers = [_marker("Score: chase", 1.0, 73.0, json.dumps(record)), _marker("calm", 40.0)]
    take = bpb.TakeRequest(tracks=tracks, playhead=playhead)
    return bpb.TimeRequest(rate=rate, start_frame=START, markers=markers, take=take)


def test_another_take_is_the_cue_under_the_playhead_on_a_score_lane_with_a_new_seed():
    take = parse_times(_take_request()).take
    assert (take.track_index, take.track_name, take.name) == (2, "Score", "chase")
    assert (
        take.selection.range == "01:00:03:00-01:00:05:12" and take.selection.range_name == "chase"
    )
    assert (take.prompt, take.mood, take.previous_seed) == ("a chase", "tense", "7")
    assert take.has_marker and take.marker_frame == 73
    assert [(t.seed, t.audio_path) for t in take.earlier] == [
        ("3", "/cues/old.wav"),
        ("7", "/cues/chase.wav"),
    ]
    assert take.seed and str(take.seed) not in ("3", "7")
    assert take.where == "'Score' at 01:00:03:00"
    # A selected clip wins over the playhead; the dialogue track under the playhead never counts.
    assert parse_times(_take_request(selected=True)).take.name == "calm"
    with pytest.raises(BridgeError, match="put the playhead on a cue"):
        parse_times(_take_request(playhead="01:00:02:00"))


def test_a_drop_frame_playhead_is_read_with_drop_frame_rules():
    rate = parse_rate("29.97 DF")
    start = 107892  # 01:00:00;00
    ask = _take_request(playhead=timecode(start + 1800 + 10, rate), rate="29.97 DF")
    ask.start_frame = start
    for item in ask.take.tracks[1].items:
        item.start, item.end = item.start - START + start + 1800, item.end - START + start + 1800
    assert parse_times(ask).take.name == "calm"  # 10 frames into the first cue


def test_ranked_takes_and_the_previous_take_are_planned_as_disabled_clips_on_takes_lanes():
    tracks = [
        (1, "Dialogue", []),
        (2, "Score", [(START, START + 40)]),
        (3, "Score takes", [(START, START + 40)]),
    ]
    req = _request(tracks, timeline_rate="24", start_frame=START, takes_as_clips=True)
    plan = plan_placement(req, _result(("calm", "Score", 0, 40)))
    cue, ranked = plan.clips
    assert cue.role == bpb.CLIP_ROLE_CUE and cue.lane == "Score 2"  # "Score" is taken there
    assert ranked.role == bpb.CLIP_ROLE_RANKED_TAKE and not ranked.enabled
    assert (ranked.audio_path, ranked.lane, ranked.record_frame) == (
        "/cues/b.wav",
        "Score takes 2",
        START,
    )
    assert ranked.source_out == cue.source_out and not ranked.HasField("marker")
    assert [(x.name, x.index, x.create) for x in plan.lanes] == [
        ("Score 2", 4, True),
        ("Score takes 2", 5, True),
    ]
    # Another take: the cue stays on its track, the take it replaces goes aside first.
    req.take.CopyFrom(bpb.TakeChoice(track_index=2, track_name="Score", start=START, end=START + 40,
                                     name="calm", audio_path="/cues/old.wav", has_marker=True,
                                     marker_frame=1))  # fmt: skip
    plan = plan_placement(req, _result(("calm", "Score", 0, 40)))
    roles = [(c.role, c.audio_path, c.lane) for c in plan.clips]
    assert roles == [
        (bpb.CLIP_ROLE_CUE, "/cues/calm.wav", "Score"),
        (bpb.CLIP_ROLE_PREVIOUS_TAKE, "/cues/old.wav", "Score takes 2"),
        (bpb.CLIP_ROLE_RANKED_TAKE, "/cues/b.wav", "Score takes 3"),
    ]
    assert (plan.remove.start, plan.remove_track) == (START, 2)
    assert plan.clips[0].marker.frame == 1 and plan.clips[0].marker.replaces
    # Premiere keeps its takes in markers: without takes_as_clips nothing is added.
    req.takes_as_clips = False
    assert [c.role for c in plan_placement(req, _result(("calm", "Score", 0, 40))).clips] == [0]


def _reported(outcome, take=None, tracks=((1, "Dialogue", []),)):
    req = _request(list(tracks), timeline_rate="24", start_frame=START, takes_as_clips=True)
    req.outcome.CopyFrom(outcome)
    if take is not None:
        req.take.CopyFrom(take)
    return plan_placement(
        req, _result(("first", "Score", 0, 30), ("second", "Score", 60, 40))
    ).report


def test_the_reports_say_what_landed_what_was_taken_back_and_where():
    both = ["/cues/first.wav", "/cues/second.wav"]
    done = _reported(bpb.HostOutcome(landed=both, describe="2 cue marker(s)", ranked=2))
    assert done.startswith("placed 2 cue(s) from 2 cue marker(s) on audio track 'Score'")
    assert "2 more ranked take(s) wait, disabled, on the 'Score takes' tracks" in done
    part = _reported(bpb.HostOutcome(step="place", landed=both[:1], cue_folder="/cues"))
    assert "placed 1 of 2 cue(s): it left out 'second' on 'Score' at 01:00:02:12" in part
    assert "taken back" in part and part.endswith(
        "The cue files are in /cues: drag them to the timeline by hand, or Score again"
    )
    stuck = _reported(
        bpb.HostOutcome(step="place", landed=both[:1], left=both[:1], kept_tracks=["Score"])
    )
    assert "would not take back 'first' on 'Score' at 01:00:00:00" in stuck
    assert "the new track(s) 'Score' hold clips now" in stuck
    assert "refused to place the cues" in _reported(bpb.HostOutcome(step="place"))


def test_the_take_reports_say_where_the_previous_take_and_the_new_one_are():
    take = bpb.TakeChoice(track_index=2, track_name="Score", start=START, end=START + 30,
                          name="first", audio_path="/cues/old.wav", previous_seed="7",
                          where="'Score' at 01:00:00:00")  # fmt: skip
    tracks = [(1, "Dialogue", []), (2, "Score", [(START, START + 30)])]
    said = {
        step: _reported(bpb.HostOutcome(step=step, left=["/cues/old.wav"]), take, tracks)
        for step in ("", "previous", "remove", "place")
    }
    assert said[""].startswith("another take of 'first' (seed 7) is on 'Score' at 01:00:00:00")
    assert "the previous take (seed 7) is disabled on 'Score takes'" in said[""]
    assert "would not put the previous take of 'first' on a 'Score takes' track" in said["previous"]
    assert "a disabled copy of it is left on 'Score takes'" in said["remove"]
    assert "the previous take is on 'Score takes', enabled" in said["place"]
    back = _reported(bpb.HostOutcome(step="place", restored=True), take, tracks)
    assert "the previous take is back on 'Score' at 01:00:00:00" in back


def test_what_was_understood_travels_with_each_cue():
    result = _result(("calm", "Score", 0, 40))
    result.placements[0].cue.feel.style = "grief"
    result.placements[0].cue.feel.decided_by = "coffin, widow"
    plan = plan_placement(_request([], timeline_rate="24", start_frame=START), result)
    assert plan.clips[0].understood == "grief (coffin, widow)"
    req = _request([], timeline_rate="24", start_frame=START)
    req.outcome.CopyFrom(bpb.HostOutcome(landed=["/cues/calm.wav"], describe="1 cue marker(s)"))
    assert "understood: 'calm' as grief (coffin, widow)" in plan_placement(req, result).report


def test_5994_drop_frame_counts_every_frame_both_ways():
    rate = parse_rate("59.94 DF")
    assert rate.rate == Fraction(60000, 1001) and rate.drop_frame
    labels = [timecode(f, rate) for f in range(0, 60000 * 11, 7)]
    back = parse_times(bpb.TimeRequest(rate="59.94 DF", timecodes=labels)).frames
    assert list(back) == list(range(0, 60000 * 11, 7))
    assert timecode(3600, rate) == "00:01:00;04"  # ;00-;03 are dropped at each minute but the tenth
