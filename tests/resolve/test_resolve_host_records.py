"""The Resolve script against Resolve as documented and as measured (issue 13, defects 3 to 6).

Each test names the record the fake follows (see fake_resolve.py's header); each failed on the
script as it was before issue 13.
"""

from __future__ import annotations

import json
from fractions import Fraction

from tests.resolve import fake_resolve as fake
from tests.resolve import fake_ui
from tests.resolve.conftest import START_24, START_2997, cue_marker, make_resolve

START_5994 = 216000  # 01:00:00:00 at 60000/1001, non-drop


def parts(resolve):
    project = resolve.project_manager.project
    return project, project.current, project.pool


def ours(timeline):
    """Our clips on every audio track: (track name, start, end, name)."""
    return [
        (t.name, i.start, i.end, i.name)
        for t in timeline.audio
        for i in t.items
        if "/cues/" in i.media.path.replace("\\", "/")
    ]


def scope_with_settings(tmp_path, settings, **extra):
    (tmp_path / "cuebridge_settings.json").write_text(json.dumps({**settings, **extra}))
    return {"__file__": str(tmp_path / "cuebridge_score.py")}


# -- defect 3: the free edition's upsell dialog -------------------------------------------------


def test_the_free_edition_never_touches_the_ui_manager_and_scores_the_marks(
    plugin, pictures, settings, tmp_path
):
    """GetProductName says "DaVinci Resolve" (free): reading fu.UIManager would raise the Studio
    upsell dialog, and while it is up Resolve refuses later calls (the placement)."""
    rate = Fraction(24)
    marks = {"video": {"in": 0, "out": 47}}
    resolve = make_resolve(pictures[rate], rate, START_24, None, marks, product=fake.FREE)
    _, timeline, _ = parts(resolve)
    fu = fake_ui.Fusion(fake_ui.UIManager(), resolve)
    bmd = fake_ui.Bmd(lambda dispatcher: None)
    scope = scope_with_settings(tmp_path, settings, prompt="strings")

    report = plugin.main({**scope, "resolve": resolve, "fu": fu, "bmd": bmd})

    assert fu.reads == 0 and resolve.upsells == 0 and not resolve.upsell_dialog
    assert report is not None and report.ok, report and report.text()
    assert [(s, e) for _, s, e, _ in ours(timeline)] == [(START_24, START_24 + 48)]


def test_studio_and_the_free_edition_before_19_1_open_the_window(plugin):
    for product, version, windows in [
        (fake.STUDIO, (20, 2, 0, 5), True),
        (fake.STUDIO, (19, 1, 3, 7), True),
        (fake.FREE, (19, 0, 3, 7), True),
        (fake.FREE, (19, 1, 0, 0), False),
        (fake.FREE, (21, 0, 0, 1), False),
    ]:
        timeline = fake.Timeline("T", Fraction(24), START_24, [])
        resolve = fake.Resolve(fake.Project("P", timeline), version, product)
        assert plugin.has_script_windows(resolve) is windows, (product, version)


# -- defect 4: placement is not all-or-nothing -------------------------------------------------


def test_clips_resolve_placed_but_did_not_return_are_found_by_reading_the_tracks(
    plugin, pictures, settings
):
    """AppendToTimeline's answer can be empty although the clips landed
    (api-limitations.md, "MediaPool.AppendToTimeline (null-id timeline items)")."""
    rate = Fraction(24)
    markers = {0: cue_marker("first", 30), 60: cue_marker("second", 40)}
    resolve = make_resolve(pictures[rate], rate, START_24, markers)
    _, timeline, pool = parts(resolve)
    pool.return_nothing = True

    report = plugin.score_timeline(resolve, {}, settings=settings)

    assert report.ok, report.text()
    assert [(p["name"], p["recordFrame"]) for p in report.placed] == [
        ("first", START_24),
        ("second", START_24 + 60),
    ]
    landed = ours(timeline)
    assert [(s, e, n) for _, s, e, n in landed] == [
        (START_24, START_24 + 30, "first"),
        (START_24 + 60, START_24 + 100, "second"),
    ]
    assert all(i.color == "Orange" for t in timeline.audio for i in t.items)


def _intruder(pool, timeline, frames, at):
    """Someone lays a clip on the track the script chose, just before it places: Resolve then
    drops the cue over it without a word (api-limitations.md, "overlapping records")."""
    wav = pool.all_items()[0].path  # any WAV will do
    real = pool.AppendToTimeline

    def append(infos):
        index = infos[-1]["trackIndex"]
        media = fake.MediaPoolItem(wav, timeline.rate)
        media.path = "/elsewhere/editor.wav"
        timeline.audio[index - 1].items.append(fake.TimelineItem(media, at, at + frames, {}))
        return real(infos)

    pool.AppendToTimeline = append


def test_a_cue_resolve_drops_is_named_and_what_landed_is_taken_back_from_fairlight(
    plugin, pictures, settings
):
    """The editor is on the Fairlight page, where DeleteClips does nothing
    (api-limitations.md, "Timeline.DeleteClips (requires the Edit page ...)")."""
    rate = Fraction(24)
    markers = {0: cue_marker("first", 30), 60: cue_marker("second", 40)}
    resolve = make_resolve(pictures[rate], rate, START_24, markers)
    _, timeline, pool = parts(resolve)
    resolve.page = "fairlight"
    pool.ImportMedia = _import_then(pool, lambda: _intruder(pool, timeline, 10, START_24 + 70))

    report = plugin.score_timeline(resolve, {}, settings=settings)

    assert not report.ok, report.text()
    assert "placed 1 of 2" in report.message and "left out 'second'" in report.message
    assert "'first'" in report.message and "taken back" in report.message
    assert ours(timeline) == []  # the message is true: nothing of ours is left
    # The editor's clip stays, on the track the script made; the page is as the editor left it.
    assert [(i.start, i.end) for t in timeline.audio for i in t.items] == [
        (START_24 + 70, START_24 + 80)
    ]
    assert resolve.page == "fairlight" and resolve.pages_opened == ["edit", "fairlight"]


def test_when_resolve_will_not_take_a_cue_back_the_message_says_where_it_is(
    plugin, pictures, settings
):
    rate = Fraction(24)
    markers = {0: cue_marker("first", 30), 60: cue_marker("second", 40)}
    resolve = make_resolve(pictures[rate], rate, START_24, markers)
    _, timeline, pool = parts(resolve)
    resolve.page = "fairlight"
    resolve.OpenPage = lambda name: False  # a modal dialog keeps Resolve on Fairlight
    pool.ImportMedia = _import_then(pool, lambda: _intruder(pool, timeline, 10, START_24 + 70))

    report = plugin.score_timeline(resolve, {}, settings=settings)

    assert not report.ok, report.text()
    assert "would not take back 'first' on 'Score' at 01:00:00:00" in report.message
    assert [(s, n) for _, s, _, n in ours(timeline)] == [(START_24, "first")]  # as it says


def _import_then(pool, after):
    real = pool.ImportMedia

    def import_media(paths):
        items = real(paths)
        after()
        return items

    return import_media


# -- defect 5: a WAV takes the project's frame rate; Resolve rounds down ------------------------


def test_a_cue_at_5994_lands_on_every_frame_of_its_marker(plugin, pictures, settings):
    """The common case: the WAV is imported at the project's rate, which is the timeline's. A
    63-frame cue at 60000/1001 is 50450.4 samples: rounded to 50450, a hair short of 63 frames,
    which must not cost the cue its last frame."""
    rate = Fraction(60000, 1001)
    resolve = make_resolve(pictures[rate], rate, START_5994, {0: cue_marker("dawn", 63)})
    _, timeline, pool = parts(resolve)

    report = plugin.score_timeline(resolve, {}, settings=settings)

    assert report.ok, report.text()
    [info] = pool.appended
    assert info["mediaPoolItem"].fps == rate  # imported at the project's rate, not 24
    assert info["endFrame"] == 63
    assert [(s, e) for _, s, e, _ in ours(timeline)] == [(START_5994, START_5994 + 63)]
    assert not [w for w in report.warnings if "frame(s)" in w]


def test_a_wav_imported_at_another_project_rate_says_why_the_cue_is_a_frame_off(
    plugin, pictures, settings
):
    """The project was at 24 when the WAV came in, the timeline runs at 29.97: the WAV counts 24
    frames a second and Resolve floors the conversion (api-limitations.md, "GetSourceStartFrame on
    an AUDIO item" and "AppendToTimeline with mixed-fps sources")."""
    rate = Fraction(30000, 1001)
    markers = {0: cue_marker("dawn", 75), 90: cue_marker("escape", 62)}
    resolve = make_resolve(pictures[rate], rate, START_2997, markers, project_rate=Fraction(24))
    _, timeline, pool = parts(resolve)

    report = plugin.score_timeline(resolve, {}, settings=settings)

    assert report.ok, report.text()
    assert all(i["mediaPoolItem"].fps == 24 for i in pool.appended)
    landed = {n: e - s for _, s, e, n in ours(timeline)}
    assert landed["escape"] == 62  # 49.65 source frames: the WAV holds 50, which fill 62
    assert landed["dawn"] == 74  # 60.06 source frames: the WAV holds 60, Resolve makes 74.9 -> 74
    [warning] = [w for w in report.warnings if "frame(s)" in w]
    assert "'dawn' lands 1 frame(s) short" in warning and "24 fps" in warning
    assert "29.97 fps" in warning and "project frame rate" in warning


# -- defect 6: drop-frame playhead, the marker loop ---------------------------------------------


def test_the_error_marker_lands_under_a_drop_frame_playhead(plugin, pictures, settings, tmp_path):
    rate = Fraction(30000, 1001)
    resolve = make_resolve(pictures[rate], rate, 107892, drop_frame=True)  # 01:00:00;00
    _, timeline, _ = parts(resolve)
    timeline.playhead = 107892 + 60  # shows 01:00:02;00 (non-drop reading: frame 168)
    assert timeline.GetCurrentTimecode() == "01:00:02;00"
    scope = scope_with_settings(tmp_path, settings)

    report = plugin.main({**scope, "resolve": resolve})

    assert not report.ok
    [(frame, marker)] = timeline.markers.items()
    assert frame == 60 and marker["color"] == "Red"


def test_a_host_that_always_says_deleted_does_not_hang_the_error_marker(
    plugin, pictures, settings, tmp_path
):
    rate = Fraction(24)
    resolve = make_resolve(pictures[rate], rate, START_24)
    _, timeline, _ = parts(resolve)
    timeline.always_deletes = True
    scope = scope_with_settings(tmp_path, settings)

    report = plugin.main({**scope, "resolve": resolve})

    assert not report.ok
    assert [m["color"] for m in timeline.markers.values()] == ["Red"]
    assert timeline.delete_marker_calls <= len(timeline.markers) + 1
