"""Another take from inside Resolve, end to end through the real bridge (issue 13).

The editor scores two cue markers, puts the playhead on one cue (or selects its clip) and asks
for another take: only that cue is scored again, with a new seed; the previous take stays on a
"Score takes" track, disabled, to A/B and go back; the other cue is not touched.
"""

from __future__ import annotations

import json
from fractions import Fraction

from tests.resolve.conftest import START_24, cue_marker, make_resolve


def parts(resolve):
    project = resolve.project_manager.project
    return project, project.current, project.pool


def clips(timeline, name):
    [track] = [t for t in timeline.audio if t.name == name]
    return [(i.start, i.end, i.name, i.media.path, i.enabled) for i in track.items]


def scored(plugin, pictures, settings):
    rate = Fraction(24)
    markers = {0: cue_marker("calm", 40), 72: cue_marker("chase", 60)}
    resolve = make_resolve(pictures[rate], rate, START_24, markers)
    first = plugin.score_timeline(resolve, {"prompt": "strings"}, settings=settings)
    assert first.ok, first.text()
    return resolve


def test_another_take_rescores_the_cue_under_the_playhead_and_keeps_the_old_one(
    plugin, pictures, settings
):
    resolve = scored(plugin, pictures, settings)
    _, timeline, pool = parts(resolve)
    [calm, chase] = clips(timeline, "Score")
    old_marker = next(m for m in timeline.markers.values() if m["name"] == "Score: chase")
    old_seed = json.loads(old_marker["customData"])["cuebridge"]["seed"]
    timeline.playhead = START_24 + 100  # inside "chase" (72 to 132)
    asked = []

    class Recording(plugin.Bridge):
        def call(self, method, body):
            asked.extend([body] if method == "StartScore" else [])
            return super().call(method, body)

    bridge = Recording(settings["bridge_url"], settings["token_file"])
    report = plugin.score_timeline(resolve, {"take": True}, bridge=bridge, settings=settings)

    assert report.ok, report.text()
    # Only that cue went to the bridge: its range, its prompt, a new seed.
    [request] = asked
    assert request["selection"] == {
        "mode": "SEGMENT_MODE_RANGE",
        "range": "01:00:03:00-01:00:05:12",
        "rangeName": "chase",
    }
    assert request["prompt"] == "chase" and request["seed"] != str(old_seed)
    # The Score track: calm as it was, chase in its place with a new WAV.
    [calm_now, chase_now] = clips(timeline, "Score")
    assert calm_now == calm
    assert chase_now[:3] == chase[:3] and chase_now[3] != chase[3] and chase_now[4]
    with open(chase_now[3], "rb") as new, open(chase[3], "rb") as old:
        assert new.read() != old.read()  # a new seed made other music
    # The previous take, disabled, at the same frames on "Score takes".
    assert clips(timeline, "Score takes") == [(chase[0], chase[1], "chase", chase[3], False)]
    # The cue's marker holds the new seed and remembers the old take.
    marker = next(m for m in timeline.markers.values() if m["name"] == "Score: chase")
    data = json.loads(marker["customData"])["cuebridge"]
    assert data["seed"] != old_seed and data["audio"] == chase_now[3]
    assert data["earlier"] == [{"seed": str(old_seed), "audio": chase[3]}]
    assert f"earlier take: seed {old_seed}" in marker["note"]
    assert "disabled on 'Score takes'" in report.message
    # The bridge names the one cue it scored after the take, and says the progress line.
    job = bridge.call("GetScore", {"scoreId": report.facts["score_id"]})
    assert [(c["name"], c["state"]) for c in job["cues"]] == [("chase", "SEGMENT_STATE_DONE")]
    assert job["progress"] == "1/1 cues: done 'chase'"
    assert report.placed[0]["previousTrack"] == "Score takes"

    # Another take again: both earlier takes stay, each on a takes track of its own.
    again = plugin.score_timeline(resolve, {"take": True}, bridge=bridge, settings=settings)
    assert again.ok, again.text()
    takes = clips(timeline, "Score takes") + clips(timeline, "Score takes 2")
    assert sorted(t[3] for t in takes) == sorted([chase[3], chase_now[3]])
    assert not any(t[4] for t in takes)
    assert len(clips(timeline, "Score")) == 2 and len(pool.appended) >= 6


def test_another_take_of_the_selected_clip_works_from_the_fairlight_page(
    plugin, pictures, settings
):
    resolve = scored(plugin, pictures, settings)
    _, timeline, _ = parts(resolve)
    [track] = [t for t in timeline.audio if t.name == "Score"]
    calm_item = track.items[0]
    timeline.selected = [calm_item]
    timeline.playhead = START_24 + 100  # over chase: the selection wins
    resolve.page = "fairlight"  # DeleteClips does nothing there; the script opens Edit for it

    report = plugin.score_timeline(resolve, {"take": True}, settings=settings)

    assert report.ok, report.text()
    assert "another take of 'calm'" in report.message
    assert clips(timeline, "Score takes")[0][:3] == (START_24, START_24 + 40, "calm")
    assert resolve.page == "fairlight" and "edit" in resolve.pages_opened


def test_another_take_with_no_cue_under_the_playhead_says_where_to_put_it(
    plugin, pictures, settings
):
    resolve = scored(plugin, pictures, settings)
    _, timeline, _ = parts(resolve)
    timeline.playhead = START_24 + 50  # between the cues
    before = timeline.snapshot()

    report = plugin.score_timeline(resolve, {"take": True}, settings=settings)

    assert not report.ok and "put the playhead on a cue" in report.message
    assert timeline.snapshot() == before


def test_preview_places_on_a_muted_preview_track(plugin, pictures, settings):
    rate = Fraction(24)
    resolve = make_resolve(pictures[rate], rate, START_24, {24: cue_marker("reveal", 48)})
    _, timeline, _ = parts(resolve)

    report = plugin.score_timeline(resolve, {"preview": True}, settings=settings)

    assert report.ok, report.text()
    [track] = [t for t in timeline.audio if t.name == "Score (preview)"]
    assert [(i.start, i.end) for i in track.items] == [(START_24 + 24, START_24 + 72)]
    assert track.enabled is False  # muted until the editor enables it
    assert [t.name for t in timeline.audio] == ["Audio 1", "Score (preview)"]


def test_the_another_take_menu_entry_takes_the_cue_under_the_playhead(
    plugin, pictures, settings, tmp_path
):
    """Workspace > Scripts > cuebridge_another_take: the free edition's way to ask (no window)."""
    import ast
    import importlib.util
    import shutil

    from tests.resolve.conftest import SCRIPT

    entry = SCRIPT.with_name("cuebridge_another_take.py")
    ast.parse(entry.read_text(), feature_version=(3, 6))
    for path in (SCRIPT, entry):
        shutil.copyfile(path, tmp_path / path.name)
    (tmp_path / "cuebridge_settings.json").write_text(json.dumps(settings))
    spec = importlib.util.spec_from_file_location("take_entry", tmp_path / entry.name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    resolve = scored(plugin, pictures, settings)
    _, timeline, _ = parts(resolve)
    timeline.playhead = START_24 + 10  # inside "calm"

    report = module.run({"__file__": str(tmp_path / entry.name), "resolve": resolve})

    assert report.ok, report.text()
    assert clips(timeline, "Score takes")[0][:3] == (START_24, START_24 + 40, "calm")


def test_the_window_names_the_cue_in_progress_and_asks_for_another_take(
    plugin, pictures, settings, tmp_path
):
    """Studio's window: Score shows per-cue progress by name; Another take re-scores one cue."""
    from tests.resolve import fake_ui

    (tmp_path / "cuebridge_settings.json").write_text(json.dumps(settings))
    rate = Fraction(24)
    markers = {0: cue_marker("calm", 40), 72: cue_marker("chase", 60)}
    resolve = make_resolve(pictures[rate], rate, START_24, markers)
    _, timeline, _ = parts(resolve)
    seen = []

    def editor(dispatcher):
        items = dispatcher.window.GetItems()
        dispatcher.click("Score")
        while any(t.running for t in dispatcher.ui.timers):
            dispatcher.On.Timeout({"who": "timer"})
            seen.append(items["Status"].Text)
        timeline.playhead = START_24 + 100
        dispatcher.click("Take")
        dispatcher.wait_for_timer()
        seen.append(items["Status"].Text)
        dispatcher.click("Cancel")

    bmd = fake_ui.Bmd(editor)
    fu = fake_ui.Fusion(fake_ui.UIManager(), resolve)
    plugin.main({"__file__": str(tmp_path / "s.py"), "bmd": bmd, "resolve": resolve, "fu": fu})

    named = [line for line in seen if "'calm'" in line or "'chase'" in line]
    # Each poll names the cues: waiting for, scoring, done (how far it gets depends on timing).
    assert any("cues:" in line for line in named), seen
    assert seen[-1].startswith("another take of 'chase'"), seen[-1]
    assert clips(timeline, "Score takes")[0][2] == "chase"


def test_ranked_takes_of_a_best_of_n_score_wait_disabled_on_the_takes_tracks(
    plugin, pictures, settings, tmp_path
):
    """Best-of-N: the engine keeps the takes it ranked lower (the cue's `takes`, as the
    musicgen model writes them), and the bridge plans each as a disabled clip on a "Score takes"
    lane (tests/bridge/test_host_choices.py). The composer makes one take, so the bridge's answer
    is given that clip here, with a second, real WAV per cue."""
    import wave

    class RankedBridge(plugin.Bridge):
        def call(self, method, request):
            answer = super().call(method, request)
            if method != "PlanPlacement":
                return answer
            made = [x for x in answer["lanes"] if x["create"]]
            index = max(
                [int(t["index"]) for t in request["audioTracks"]] + [x["index"] for x in made]
            )
            lane = {"name": "Score takes", "index": index + 1, "create": True}
            for c in [c for c in answer["clips"] if c["role"] == "CLIP_ROLE_CUE"]:
                other = tmp_path / (c["segmentId"] + ".take2.wav")
                with wave.open(c["audioPath"], "rb") as r, wave.open(str(other), "wb") as w:
                    w.setparams(r.getparams())
                    w.writeframes(bytes(len(r.readframes(r.getnframes()))))  # silence, same length
                ranked = dict(c, audioPath=str(other), role="CLIP_ROLE_RANKED_TAKE", enabled=False)
                answer["clips"].append(dict(ranked, lane=lane["name"], laneIndex=lane["index"]))
            answer["lanes"].append(lane)
            return answer

    rate = Fraction(24)
    markers = {0: cue_marker("calm", 40), 72: cue_marker("chase", 60)}
    resolve = make_resolve(pictures[rate], rate, START_24, markers)
    _, timeline, _ = parts(resolve)
    bridge = RankedBridge(settings["bridge_url"], settings["token_file"])

    report = plugin.score_timeline(resolve, {}, bridge=bridge, settings=settings)

    assert report.ok, report.text()
    assert "2 more ranked take(s) wait, disabled, on the 'Score takes' tracks" in report.message
    assert [(s, e, n, on) for s, e, n, _p, on in clips(timeline, "Score takes")] == [
        (START_24, START_24 + 40, "calm", False),
        (START_24 + 72, START_24 + 132, "chase", False),
    ]
    assert [p["rankedTakes"] for p in report.placed] == [1, 1]

    # Another take of a cue with ranked takes: its earlier takes are kept in "earlier", apart
    # from the marker's "takes" (the ranked takes' paths), so a path is never read as a take.
    timeline.playhead = START_24 + 100
    plain = plugin.Bridge(settings["bridge_url"], settings["token_file"])
    again = plugin.score_timeline(resolve, {"take": True}, bridge=plain, settings=settings)
    assert again.ok, again.text()
    [marker] = [m for m in timeline.markers.values() if m["name"] == "Score: chase"]
    assert len(json.loads(marker["customData"])["cuebridge"]["earlier"]) == 1


def test_cancel_in_the_window_stops_the_score_and_places_nothing(
    plugin, pictures, settings, tmp_path
):
    from tests.resolve import fake_ui

    (tmp_path / "cuebridge_settings.json").write_text(json.dumps(settings))
    rate = Fraction(24)
    markers = {0: cue_marker("calm", 40), 72: cue_marker("chase", 60)}
    resolve = make_resolve(pictures[rate], rate, START_24, markers)
    _, timeline, pool = parts(resolve)
    before = timeline.snapshot()
    seen = {}

    def editor(dispatcher):
        items = dispatcher.window.GetItems()
        dispatcher.click("Score")
        dispatcher.click("Cancel")  # at once: the job is running on the bridge
        seen["cancelling"] = items["Status"].Text
        dispatcher.wait_for_timer()
        seen["done"] = items["Status"].Text
        dispatcher.click("Cancel")

    bmd = fake_ui.Bmd(editor)
    fu = fake_ui.Fusion(fake_ui.UIManager(), resolve)
    plugin.main({"__file__": str(tmp_path / "s.py"), "bmd": bmd, "resolve": resolve, "fu": fu})

    assert seen["cancelling"].startswith("cancelling"), seen
    assert seen["done"].startswith("cancelled: nothing was placed"), seen
    assert timeline.snapshot() == before and not pool.appended


def test_a_take_resolve_will_not_swap_leaves_the_cue_as_it_was_and_says_what_is_left(
    plugin, pictures, settings
):
    """Fairlight page and a dialog that keeps Resolve there: DeleteClips does nothing
    (api-limitations.md, "Timeline.DeleteClips ..."). The cue keeps its take, and the message
    says where the disabled copy went, because Resolve would not delete that either."""
    resolve = scored(plugin, pictures, settings)
    _, timeline, _ = parts(resolve)
    [calm, chase] = clips(timeline, "Score")
    timeline.playhead = START_24 + 100
    resolve.page = "fairlight"
    resolve.OpenPage = lambda name: False

    report = plugin.score_timeline(resolve, {"take": True}, settings=settings)

    assert not report.ok
    assert "would not take the previous take of 'chase' off 'Score' at 01:00:03:00" in (
        report.message
    )
    assert clips(timeline, "Score") == [calm, chase]  # the cue keeps its take
    left = clips(timeline, "Score takes")
    assert [(s, e, on) for s, e, _n, _p, on in left] == [(chase[0], chase[1], False)]
    assert "a disabled copy of it is left on 'Score takes'" in report.message
