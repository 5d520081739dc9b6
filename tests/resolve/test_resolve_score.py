"""The Resolve script end to end: fake Resolve in, the real bridge (HTTP gateway, token, engine)
scoring, cues placed back through an AppendToTimeline that checks like Resolve 21."""

from __future__ import annotations

import json
import os
import wave
from fractions import Fraction
from pathlib import Path

import pytest

from tests.resolve import fake_ui
from tests.resolve.conftest import (
    START_24,
    START_2997,
    cue_marker,
    free_port,
    make_resolve,
)


def parts(resolve):
    project = resolve.project_manager.project
    return project, project.current, project.pool


def source_frames(length: int, rate: Fraction) -> int:
    """A WAV imported into a project at the timeline's rate counts frames at that rate: the same
    number (davinci-resolve-mcp api-limitations.md: a WAV takes the project rate at import)."""
    return length


def wav_seconds(path: str) -> Fraction:
    with wave.open(path, "rb") as w:
        return Fraction(w.getnframes(), w.getframerate())


def score_track(timeline, name="Score"):
    [index] = [i for i, t in enumerate(timeline.audio, start=1) if t.name == name]
    return index, timeline.audio[index - 1]


MARKER_CASES = {
    "24fps": (Fraction(24), START_24, {0: ("calm morning", 40), 72: ("chase", 60)}),
    "29.97ndf": (Fraction(30000, 1001), START_2997, {0: ("dawn", 50), 90: ("escape", 75)}),
}


@pytest.mark.parametrize("case", MARKER_CASES, ids=list(MARKER_CASES))
def test_cue_markers_land_at_absolute_integer_frames_on_the_score_track(
    plugin, pictures, settings, case
):
    rate, start, cues = MARKER_CASES[case]
    markers = {f: cue_marker(name, n) for f, (name, n) in cues.items()}
    markers[30] = cue_marker("hit", 1, color="Red")  # a plain marker: a hit point, not a cue
    resolve = make_resolve(pictures[rate], rate, start, markers)
    project, timeline, pool = parts(resolve)

    report = plugin.score_timeline(resolve, {"prompt": "strings"}, settings=settings)

    assert report.ok, report.text()
    assert report.facts["export_format"] == "otio"
    [(exported, _)] = timeline.exports
    assert exported.endswith(".otio") and os.path.isfile(exported)
    index, track = score_track(timeline)
    assert [i.name for i in timeline.audio[0].items] == []  # A1 untouched
    assert len(pool.appended) == len(cues) == len(track.items)
    for info, (frame, (_name, length)) in zip(pool.appended, sorted(cues.items()), strict=True):
        numbers = {k: v for k, v in info.items() if k != "mediaPoolItem"}
        assert all(type(v) is int for v in numbers.values()), numbers
        assert numbers == {
            "startFrame": 0,
            "endFrame": source_frames(length, rate),  # exclusive, at the WAV's own FPS
            "mediaType": 2,
            "trackIndex": index,
            "recordFrame": start + frame,  # absolute
        }
        # The WAV holds the whole cue: the frames asked for are frames it has.
        path = info["mediaPoolItem"].path
        assert info["endFrame"] <= wav_seconds(path) * info["mediaPoolItem"].fps + Fraction(1, 2)
        assert abs(wav_seconds(path) - Fraction(length) / rate) < 1 / rate
    # What landed sits exactly under each marker, named after it and coloured.
    assert [(i.start, i.end, i.name, i.color) for i in track.items] == [
        (start + f, start + f + n, name, "Orange") for f, (name, n) in sorted(cues.items())
    ]
    # One marker per cue holds the prompt and the seed; the editor's markers stay as they were.
    ours = {f: m for f, m in timeline.markers.items() if m["name"].startswith("Score: ")}
    assert sorted(ours) == [f + 1 for f in sorted(cues)]  # the cue marker holds frame f
    for (frame, (name, length)), (_, marker) in zip(
        sorted(cues.items()), sorted(ours.items()), strict=True
    ):
        assert marker["name"] == f"Score: {name}" and frame < frame + 1 < frame + length
        assert f"prompt: {name}" in marker["note"]
        data = json.loads(marker["customData"])["cuebridge"]
        assert data["seed"].isdigit() and f"seed: {data['seed']}" in marker["note"]
    for frame, marker in markers.items():
        assert timeline.markers[frame] == marker


def test_a_second_score_goes_on_a_new_track_and_an_empty_score_track_is_reused(
    plugin, pictures, settings
):
    rate = Fraction(24)
    resolve = make_resolve(pictures[rate], rate, START_24, {24: cue_marker("reveal", 48)})
    _, timeline, pool = parts(resolve)
    timeline.AddTrack("audio", "stereo")
    timeline.SetTrackName("audio", 2, "Score")  # made by hand, still empty

    first = plugin.score_timeline(resolve, {}, settings=settings)
    assert first.ok, first.text()
    assert [t.name for t in timeline.audio] == ["Audio 1", "Score"]
    second = plugin.score_timeline(resolve, {}, settings=settings)
    assert second.ok, second.text()
    # The first cue stays; the new one cannot overwrite it, so it gets a track of its own.
    assert [t.name for t in timeline.audio] == ["Audio 1", "Score", "Score 2"]
    assert [(i.start, i.end) for i in timeline.audio[1].items] == [(START_24 + 24, START_24 + 72)]
    assert [(i.start, i.end) for i in timeline.audio[2].items] == [(START_24 + 24, START_24 + 72)]
    assert first.facts["run_dir"] != second.facts["run_dir"]  # nothing of the first overwritten


@pytest.mark.parametrize(
    ("rate", "start", "mark_in", "mark_out"),
    [
        (Fraction(24), START_24, 24, 95),
        (Fraction(30000, 1001), START_2997, 30, 149),
        # 01:00:00;00 drop-frame starts at frame 107892: ranges travel as frame counts.
        (Fraction(30000, 1001), 107892, 30, 149),
    ],
    ids=["24fps", "29.97ndf", "29.97df-start"],
)
def test_a_marked_range_is_scored_over_the_markers(
    plugin, pictures, settings, rate, start, mark_in, mark_out
):
    marks = {"video": {"in": mark_in, "out": mark_out}, "audio": {"in": mark_in, "out": mark_out}}
    resolve = make_resolve(
        pictures[rate], rate, start, {0: cue_marker("ignored while marked", 20)}, marks
    )
    _, timeline, pool = parts(resolve)

    report = plugin.score_timeline(resolve, {"prompt": "slow pulse", "seed": 7}, settings=settings)

    assert report.ok, report.text()
    length = mark_out + 1 - mark_in  # Resolve's out mark is the last frame in the range
    [info] = pool.appended
    assert (info["recordFrame"], info["endFrame"]) == (start + mark_in, source_frames(length, rate))
    _, track = score_track(timeline)
    assert [(i.start, i.end) for i in track.items] == [(start + mark_in, start + mark_in + length)]
    [ours] = [m for m in timeline.markers.values() if m["name"].startswith("Score: ")]
    assert "prompt: slow pulse" in ours["note"]


def test_nothing_to_score_says_how_to_mark_and_changes_nothing(plugin, pictures, settings):
    rate = Fraction(24)
    resolve = make_resolve(pictures[rate], rate, START_24, {10: cue_marker("a hit", 1)})
    _, timeline, pool = parts(resolve)
    before = timeline.snapshot()

    report = plugin.score_timeline(resolve, {}, settings=settings)

    assert not report.ok, report.text()
    assert "in and an out point" in report.message and "marker with a duration" in report.message
    assert timeline.snapshot() == before and not timeline.exports and not pool.all_items()


@pytest.mark.parametrize(
    ("marks", "said"),
    [
        ({"video": {"in": 60}}, "only an in mark is set"),
        ({"audio": {"in": 60, "out": 10}}, "out mark sits before the in mark"),
    ],
)
def test_half_or_crossed_marks_say_how_to_mark_and_export_nothing(
    plugin, pictures, settings, marks, said
):
    """The bridge reads the marks (ParseTime's `marks`); a cue marker does not stand in."""
    rate = Fraction(24)
    markers = {0: cue_marker("calm", 40)}
    resolve = make_resolve(pictures[rate], rate, START_24, markers, marks)
    _, timeline, pool = parts(resolve)
    before = timeline.snapshot()

    report = plugin.score_timeline(resolve, {}, settings=settings)

    assert not report.ok and said in report.message, report.text()
    assert timeline.snapshot() == before and not timeline.exports and not pool.all_items()


def test_bridge_not_running_says_cuebridge_serve(plugin, pictures, settings):
    rate = Fraction(24)
    resolve = make_resolve(pictures[rate], rate, START_24, {0: cue_marker("cue", 24)})
    _, timeline, pool = parts(resolve)
    before = timeline.snapshot()
    url = f"http://127.0.0.1:{free_port()}"

    report = plugin.score_timeline(resolve, {}, settings={**settings, "bridge_url": url})

    assert not report.ok, report.text()
    assert "not running" in report.message and "`cuebridge serve`" in report.message
    assert url in report.message
    assert timeline.snapshot() == before and not timeline.exports and not pool.all_items()


def test_a_wrong_token_names_the_token_file(plugin, pictures, settings, tmp_path):
    rate = Fraction(24)
    resolve = make_resolve(pictures[rate], rate, START_24, {0: cue_marker("cue", 24)})
    _, timeline, _ = parts(resolve)
    before = timeline.snapshot()
    wrong = tmp_path / "token"
    wrong.write_text("not-the-token\n")

    report = plugin.score_timeline(resolve, {}, settings={**settings, "token_file": str(wrong)})

    assert (
        not report.ok and "refused the token" in report.message and str(wrong) in report.message
    ), report.text()
    assert timeline.snapshot() == before


def test_a_cue_file_deleted_before_import_places_nothing(plugin, pictures, settings):
    rate = Fraction(24)
    markers = {0: cue_marker("first", 30), 60: cue_marker("second", 40)}
    resolve = make_resolve(pictures[rate], rate, START_24, markers)
    _, timeline, pool = parts(resolve)
    before = timeline.snapshot()
    deleted = []

    class DeletingBridge(plugin.Bridge):
        """The real bridge; someone empties the cue folder the moment the score is over."""

        def call(self, method, body):
            job = super().call(method, body)
            if method != "GetScore":
                return job
            for p in (job.get("result") or {}).get("placements", [])[1:]:
                os.remove(p["cue"]["audioPath"])
                deleted.append(p["cue"]["audioPath"])
            return job

    bridge = DeletingBridge(settings["bridge_url"], settings["token_file"])
    report = plugin.score_timeline(resolve, {}, bridge=bridge, settings=settings)

    assert deleted and not report.ok, report.text()
    assert "vanished" in report.message and deleted[0] in report.message
    assert "Nothing was placed" in report.message
    # The other cue exists, yet nothing at all changed: no half-placed score.
    assert timeline.snapshot() == before and not pool.appended and not pool.all_items()


def test_resolve_without_otio_export_goes_over_fcp7_xml(plugin, pictures, settings):
    rate = Fraction(24)
    markers = {0: cue_marker("first", 30), 60: cue_marker("second", 40)}
    resolve = make_resolve(pictures[rate], rate, START_24, markers, version=(18, 1, 4, 2))
    _, timeline, pool = parts(resolve)
    assert getattr(resolve, "EXPORT_OTIO", None) is None and timeline.GetMarkInOut is None

    report = plugin.score_timeline(resolve, {}, settings=settings)

    assert report.ok, report.text()
    assert report.facts["export_format"] == "fcp7xml"
    [(exported, kind)] = timeline.exports
    assert exported.endswith(".xml") and kind == resolve.EXPORT_FCP_7_XML
    assert any("OpenTimelineIO" in w and "18.5" in w for w in report.warnings)
    _, track = score_track(timeline)
    assert [(i.start, i.end) for i in track.items] == [
        (START_24, START_24 + 30),
        (START_24 + 60, START_24 + 100),
    ]
    # Asking for the in/out range on this version says why it cannot.
    again = plugin.score_timeline(resolve, {"selection": "range"}, settings=settings)
    assert not again.ok and "19.1" in again.message, again.text()


def test_resolve_refusing_the_batch_leaves_no_track_clip_or_media(plugin, pictures, settings):
    rate = Fraction(24)
    resolve = make_resolve(pictures[rate], rate, START_24, {0: cue_marker("cue", 24)})
    _, timeline, pool = parts(resolve)
    pool.refuse_everything = True
    before = timeline.snapshot()

    report = plugin.score_timeline(resolve, {}, settings=settings)

    assert not report.ok and "refused to place" in report.message, report.text()
    assert timeline.snapshot() == before and not pool.all_items()
    cue_dir = Path(report.message.split("files are in ")[1].split(":")[0])
    assert sorted(p.suffix for p in cue_dir.iterdir() if p.suffix == ".wav") == [".wav"]


def test_main_without_a_window_scores_the_marks_with_the_saved_prompt(
    plugin, pictures, settings, tmp_path
):
    """The free edition since 19.1: no fu.UIManager; the settings beside the script choose."""
    (tmp_path / "cuebridge_settings.json").write_text(
        json.dumps({**settings, "prompt": "warm strings", "mood": "calm"})
    )
    scope = {"__file__": str(tmp_path / "cuebridge_score.py"), "fu": object(), "bmd": None}
    rate = Fraction(24)
    marks = {"video": {"in": 0, "out": 47}}
    resolve = make_resolve(pictures[rate], rate, START_24, None, marks)
    _, timeline, _ = parts(resolve)

    report = plugin.main({**scope, "resolve": resolve})

    assert report.ok, report.text()
    [ours] = [m for m in timeline.markers.values() if m["name"].startswith("Score: ")]
    assert "prompt: warm strings" in ours["note"] and "mood: calm" in ours["note"]

    # With nothing marked, the message reaches the timeline as a red marker at the playhead.
    bare = make_resolve(pictures[rate], rate, START_24)
    failed = plugin.main({**scope, "resolve": bare})
    _, bare_timeline, _ = parts(bare)
    assert not failed.ok, failed.text()
    [(frame, marker)] = bare_timeline.markers.items()
    assert frame == 0 and marker["color"] == "Red" and "in and an out point" in marker["note"]
    assert plugin.main({**scope, "resolve": bare}) is not None  # the old one is replaced
    assert len(bare_timeline.markers) == 1


def test_the_window_scores_with_what_the_editor_typed(plugin, pictures, settings, tmp_path):
    """Studio: fu.UIManager exists; the window polls the bridge on a timer, Cancel then Close."""
    (tmp_path / "cuebridge_settings.json").write_text(json.dumps(settings))
    rate = Fraction(30000, 1001)
    marks = {"video": {"in": 60, "out": 119}}
    resolve = make_resolve(pictures[rate], rate, START_2997, {0: cue_marker("not now", 30)}, marks)
    _, timeline, pool = parts(resolve)
    seen = {}

    def editor(dispatcher):
        items = dispatcher.window.GetItems()
        seen["opened"] = items["Status"].Text
        items["Prompt"].Text = "low strings"
        items["Selection"].CurrentIndex = 1  # "In/out range"
        dispatcher.click("Score")
        seen["button while scoring"] = items["Cancel"].Text
        dispatcher.wait_for_timer()
        seen["done"] = items["Status"].Text
        seen["button after"] = items["Cancel"].Text
        dispatcher.click("Cancel")

    bmd = fake_ui.Bmd(editor)
    scope = {"__file__": str(tmp_path / "cuebridge_score.py"), "bmd": bmd}
    assert (
        plugin.main(
            {**scope, "resolve": resolve, "fu": fake_ui.Fusion(fake_ui.UIManager(), resolve)}
        )
        is None
    )

    assert seen["opened"] == f"bridge ready at {settings['bridge_url']}"
    assert (seen["button while scoring"], seen["button after"]) == ("Cancel", "Close")
    assert seen["done"].startswith("placed 1 cue(s) from the marked range 01:00:02:00-01:00:04:00")
    assert bmd.dispatcher.exited
    [info] = pool.appended
    assert (info["recordFrame"], info["endFrame"]) == (START_2997 + 60, source_frames(60, rate))
    [ours] = [m for m in timeline.markers.values() if m["name"].startswith("Score: ")]
    assert "prompt: low strings" in ours["note"]
