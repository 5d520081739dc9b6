"""cuebridge for DaVinci Resolve (Workspace > Scripts): score the marked scene or the cue markers.

Host calls only: export the timeline, ask the local bridge (`cuebridge serve`, HTTP/JSON) what to
score and where each cue goes, import the WAVs and report their rates, apply the bridge's plan,
read every track back, report what landed, undo what the plan says (plugins/resolve/README.md).
One stdlib-only file, Python 3.6 syntax: Resolve lists every .py under Scripts/ as a menu entry.
"""

# Annotations in the typing-module spelling and no zip(strict=): Resolve may run Python 3.6.
# ruff: noqa: UP006, UP007, UP035, UP041, UP045, B905

import json
import os
import socket
import sys
import time
import urllib.error
import urllib.request
from types import SimpleNamespace as Plan  # what a score read, exported and was answered
from typing import Any, Dict, List, Optional, Tuple

DEFAULT_BRIDGE_URL = "http://127.0.0.1:50052"
SETTINGS_NAME = "cuebridge_settings.json"
CUE_BIN = "cuebridge cues"
CLIP_COLOR = "Orange"  # TimelineItem.SetClipColor names: Orange, Apricot, Yellow, Lime ...
# Made here, not by the bridge: it must also say that the bridge is not running.
ERROR_MARKER = {"color": "Red", "name": "cuebridge: not scored", "durationFrames": 1}
ERROR_MARKER_DATA = "cuebridge-error"  # the next run deletes markers with this custom data
FINAL_STATES = ("JOB_STATE_SUCCEEDED", "JOB_STATE_PARTIAL", "JOB_STATE_FAILED")
FINAL_STATES += ("JOB_STATE_CANCELLED",)
START_HINT = "start it in a terminal with `cuebridge serve` (leave it running), then Score again"
Json = Dict[str, Any]


class ScoreProblem(Exception):
    """Something the editor must hear about: the message says what happened and what to do."""


class Report:
    """What a score did: `ok`, a message for the editor, the cues that landed, warnings, and
    `facts` (export_format, score_id, run_dir)."""

    def __init__(self, ok: bool, message: str, placed=(), warnings=(), **facts):
        self.ok, self.message, self.placed, self.warnings = ok, message, placed, warnings
        self.facts = facts

    def text(self) -> str:
        return "\n".join([self.message] + ["warning: " + w for w in self.warnings])


def _home(env) -> str:
    return env.get("HOME") or env.get("USERPROFILE") or os.path.expanduser("~")


def script_folders(env=None, platform: Optional[str] = None) -> List[str]:
    """Resolve's Scripts/Utility folders, where the installer puts this script and its settings."""
    env, platform = os.environ if env is None else env, platform or sys.platform
    utility = ("Fusion", "Scripts", "Utility")
    if platform.startswith("win"):
        appdata = env.get("APPDATA") or os.path.join(_home(env), "AppData", "Roaming")
        return [os.path.join(appdata, "Blackmagic Design", "DaVinci Resolve", "Support", *utility)]
    if platform == "darwin":
        support = os.path.join(_home(env), "Library", "Application Support")
        return [os.path.join(support, "Blackmagic Design", "DaVinci Resolve", *utility)]
    local = os.path.join(_home(env), ".local", "share", "DaVinciResolve", *utility)
    return [local, os.path.join("/opt/resolve", *utility)]


def load_settings(script_dir: Optional[str] = None, env=None) -> Json:
    """`cuebridge_settings.json` beside the script (or in a Utility folder), as `cuebridge
    install-plugin resolve` writes it: the bridge's address and its token file (where the bridge
    keeps its token is the bridge's rule, so the installer writes it down, not this script)."""
    env = os.environ if env is None else env
    folders = ([script_dir] if script_dir else []) + script_folders(env)
    found = [p for p in (os.path.join(f, SETTINGS_NAME) for f in folders) if os.path.isfile(p)]
    if not found:
        raise ScoreProblem(
            f"no {SETTINGS_NAME} beside the script or in {', '.join(folders)}: run `cuebridge "
            "install-plugin resolve` (it writes the bridge's address and token file), then Score"
        )
    try:
        with open(found[0], encoding="utf-8") as f:
            settings = dict({"bridge_url": DEFAULT_BRIDGE_URL}, **json.load(f))
    except (OSError, ValueError, TypeError) as exc:
        raise ScoreProblem(
            f"cannot read the settings {found[0]}: {exc}. Fix the JSON, or delete the file and "
            "run `cuebridge install-plugin resolve` again"
        ) from exc
    if not settings.get("token_file"):
        raise ScoreProblem(
            f'{found[0]} names no "token_file": run `cuebridge install-plugin resolve` again'
        )
    settings.update(
        settings_file=found[0], bridge_url=env.get("CUEBRIDGE_URL") or settings["bridge_url"]
    )
    return settings


class Bridge:
    """The bridge's HTTP/JSON face: POST /cuebridge.v1.Bridge/<Method> with a bearer token."""

    def __init__(self, url: str, token_file: str, timeout=60):
        self.url, self.timeout, self.token_file = url.rstrip("/"), timeout, token_file
        # Never through a proxy: the bridge is on this machine; http_proxy must not see the token.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    @classmethod
    def from_settings(cls, settings: Json) -> "Bridge":
        return cls(settings["bridge_url"], settings["token_file"])

    def token(self) -> str:
        try:
            with open(self.token_file, encoding="utf-8") as f:
                token = f.read().strip()
        except OSError as exc:
            raise ScoreProblem(
                f"there is no cuebridge token at {self.token_file}: the bridge makes it on its "
                f"first start, so {START_HINT}. If the bridge runs as another user or with "
                f'CUEBRIDGE_CONFIG_DIR, set "token_file" in {SETTINGS_NAME}'
                if isinstance(exc, FileNotFoundError)
                else f"cannot read the cuebridge token {self.token_file}: {exc}"
            ) from None
        if not token:
            raise ScoreProblem(
                f"the token file {self.token_file} is empty: delete it, restart the bridge"
            )
        return token

    def call(self, method: str, body: Json) -> Json:
        return self._send("/cuebridge.v1.Bridge/" + method, body)

    def times(self, facts: Json, **asked) -> Json:
        """ParseTime: rates, timecodes, marks, which markers are cues, what to score, which cue
        another take replaces, the run folder: the bridge's answers, never worked out here."""
        body = {"rate": facts["rate_text"], "dropFrame": facts["drop_frame"]}
        return self.call("ParseTime", dict(body, startFrame=str(facts["start"]), **asked))

    def _send(self, route: str, body: Optional[Json]) -> Json:
        """POST `body`, or GET /healthz (no token) when None."""
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if body is not None:
            headers["Authorization"] = "Bearer " + self.token()
        data = json.dumps(body).encode("utf-8") if body is not None else None
        req = urllib.request.Request(self.url + route, data=data, headers=headers)
        try:
            with self._opener.open(req, timeout=self.timeout) as reply:
                return json.loads(reply.read().decode("utf-8") or "{}")
        except urllib.error.HTTPError as exc:
            raise ScoreProblem(self._refusal(exc, route)) from None
        except ValueError:
            raise ScoreProblem(
                f"{self.url}{route} answered something that is not JSON: is another program on "
                f'that port? Check "bridge_url" in {SETTINGS_NAME}'
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            # Before 3.10 socket.timeout is no TimeoutError: test for both, for Resolve's Python.
            if isinstance(reason, (socket.timeout, TimeoutError)):
                raise ScoreProblem(
                    f"the bridge at {self.url} did not answer {route} within {self.timeout} s: it "
                    "may be busy reading a long timeline; try again, or restart `cuebridge serve`"
                ) from None
            raise ScoreProblem(
                f"the cuebridge bridge is not running at {self.url} ({reason}): {START_HINT}"
            ) from None

    def _refusal(self, exc, route: str) -> str:
        try:
            message = json.loads(exc.read().decode("utf-8")).get("message") or ""
        except (ValueError, OSError, AttributeError):
            message = ""
        if exc.code == 401:
            return (
                f"the bridge at {self.url} refused the token in {self.token_file} ({message}). "
                'Restart `cuebridge serve` as the same user, or point "token_file" in '
                f"{SETTINGS_NAME} at the bridge's token"
            )
        if exc.code == 400 and message:  # the bridge's words for the editor: a mark, a rate
            return message
        message = message or "is this a cuebridge bridge, and up to date?"
        return f"the bridge refused {route} ({exc.code} {exc.reason}): {message}"


def _method(obj, name: str):
    # Resolve's scripting objects answer None for names they do not know (older versions).
    try:
        fn = getattr(obj, name, None)
    except Exception:
        return None
    return fn if callable(fn) else None


def _call(obj, name: str):
    fn = _method(obj, name)
    return fn() if fn else None


def _uid(obj) -> str:
    return str(_call(obj, "GetUniqueId") or id(obj))


def _path(item) -> str:
    path = item.GetClipProperty("File Path") if item is not None else ""
    return os.path.normcase(os.path.abspath(path)) if path else ""


def current_timeline(resolve):
    manager = resolve.GetProjectManager() if resolve else None
    project = manager.GetCurrentProject() if manager else None
    if not project:
        raise ScoreProblem("no project is open in Resolve: open one with a timeline, then Score")
    timeline = project.GetCurrentTimeline()
    if not timeline:
        raise ScoreProblem("the project has no current timeline: open the one to score")
    return project, timeline, project.GetMediaPool()


def timeline_facts(timeline, bridge: Bridge) -> Json:
    """The timeline's rate as Resolve writes it ("29.97 DF" ...), read by the bridge."""
    rate_text = timeline.GetSetting("timelineFrameRate")
    if not rate_text:
        raise ScoreProblem("Resolve did not say the timeline's frame rate; open its settings once")
    drop = str(timeline.GetSetting("timelineDropFrameTimecode") or "0").strip() in ("1", "True")
    facts = {"name": timeline.GetName() or "Timeline", "rate_text": str(rate_text)}
    facts.update(drop_frame=drop, start=int(timeline.GetStartFrame()), bridge=bridge)
    facts["drop_frame"] = bool(bridge.times(facts).get("dropFrame"))
    return facts


def audio_tracks(timeline) -> List[Tuple[int, str, List[Any]]]:
    count = int(timeline.GetTrackCount("audio") or 0)
    return [
        (i, timeline.GetTrackName("audio", i) or "", timeline.GetItemListInTrack("audio", i) or [])
        for i in range(1, count + 1)
    ]


def host_tracks(timeline, take: bool = False) -> List[Json]:
    """Every audio track and its clips (HostTrack); for another take with their files, names and
    whether each is selected."""
    selected = {_uid(s) for s in (_call(timeline, "GetSelectedClips") if take else None) or []}
    tracks = []
    for index, name, items in audio_tracks(timeline):
        spans = [{"start": str(int(i.GetStart())), "end": str(int(i.GetEnd()))} for i in items]
        for span, item in zip(spans, items) if take else ():
            media = _call(item, "GetMediaPoolItem")
            span.update(selected=_uid(item) in selected, name=item.GetName() or "")
            span["audioPath"] = (media.GetClipProperty("File Path") or "") if media else ""
        tracks.append({"index": index, "name": name, "items": spans})
    return tracks


def resolve_version(resolve) -> Tuple[int, int]:
    fields = _call(resolve, "GetVersion")
    try:
        return int(fields[0]), int(fields[1])
    except (TypeError, ValueError, IndexError):
        return (0, 0)


def export_timeline(resolve, timeline, folder: str) -> Tuple[str, str, List[str]]:
    """Export to OTIO (18.5+) or FCP 7 XML; returns (path, format, warnings)."""
    none, otio_type = getattr(resolve, "EXPORT_NONE", 0), getattr(resolve, "EXPORT_OTIO", None)
    path = os.path.join(folder, "timeline.otio")
    if otio_type is not None and resolve_version(resolve) >= (18, 5):
        if timeline.Export(path, otio_type, none) and os.path.isfile(path):
            return path, "otio", []
        warning = "Resolve's OTIO export failed; the timeline went over as FCP 7 XML"
    else:
        warning = "this Resolve has no OpenTimelineIO export (18.5 and later have): the "
        warning += "timeline went over as FCP 7 XML instead"
    xml_type, path = (
        getattr(resolve, "EXPORT_FCP_7_XML", None),
        os.path.join(folder, "timeline.xml"),
    )
    if xml_type is None or not timeline.Export(path, xml_type, none) or not os.path.isfile(path):
        raise ScoreProblem(
            f"Resolve could not export the timeline (neither OpenTimelineIO nor FCP 7 XML) to "
            f"{folder}: check that the folder is writable, or export it by hand (File > Export > "
            "Timeline) and run `cuebridge score` on it"
        )
    return path, "fcp7xml", [warning]


def prepare_score(resolve, choices: Json, settings: Json, bridge: Bridge) -> Plan:
    """Read the timeline, ask the bridge what to score, export: every check before the export."""
    project, timeline, media_pool = current_timeline(resolve)
    bridge._send("/healthz", None)  # is the bridge there? Before a long export
    facts = timeline_facts(timeline, bridge)
    try:
        seed = max(int(choices.get("seed") or 0), 0)
    except ValueError:
        raise ScoreProblem(f"seed {choices.get('seed')!r} is not a whole number") from None
    asked = {"markers": [
        {"name": str(m.get("name") or ""), "durationFrames": float(m.get("duration") or 0),
         "frame": float(f), "customData": str(m.get("customData") or "")}
        for f, m in sorted((timeline.GetMarkers() or {}).items())
    ], "runFolder": {"root": settings.get("cue_root") or "", "timeline": facts["name"],
                     "project": project.GetName() or "project"}}  # fmt: skip
    if choices.get("take"):
        playhead = _call(timeline, "GetCurrentTimecode") or ""
        asked["take"] = {"tracks": host_tracks(timeline, take=True), "playhead": playhead}
    else:
        asked["selectionMode"] = choices.get("selection") or "auto"
        asked["marksReadable"] = _method(timeline, "GetMarkInOut") is not None
        marks = _call(timeline, "GetMarkInOut")  # Resolve 19.1+; a clip's marks on video or audio
        mark = (marks.get("video") or marks.get("audio")) if isinstance(marks, dict) else None
        if mark:  # out INCLUDED, as Resolve shows it
            asked["marks"] = {"hasIn": "in" in mark, "hasOut": "out" in mark}
            asked["marks"].update(
                markIn=str(int(mark.get("in", 0))), startFrame=str(facts["start"])
            )
            asked["marks"]["markOut"] = str(int(mark.get("out", 0)))
    answer = bridge.times(facts, **asked)
    take = answer["take"] if choices.get("take") else None
    chosen = take or answer["selection"]
    if take is not None:
        index, start = int(take["trackIndex"]), int(take["start"])
        found = [i for t, _n, items in audio_tracks(timeline) if t == index for i in items]
        take["item"] = [i for i in found if int(i.GetStart()) == start][0]
        take["media"], seed = _call(take["item"], "GetMediaPoolItem"), int(take["seed"])
    run_dir = answer["runFolder"]
    path, fmt, warnings = export_timeline(resolve, timeline, run_dir)
    sel = chosen["selection"]
    request = {
        "timelinePath": path, "outputPath": os.path.join(run_dir, "scored.otio"),
        "selection": {"mode": sel["mode"], "range": sel["range"], "rangeName": sel["rangeName"]},
        "prompt": choices.get("prompt") or (take or {}).get("prompt", ""),
        "mood": choices.get("mood") or (take or {}).get("mood", ""), "seed": str(seed),
        "generation": {"model": choices.get("model") or ""},
        "cueDir": os.path.join(run_dir, "cues"),
    }  # fmt: skip
    return Plan(
        bridge=bridge, project=project, timeline=timeline, media_pool=media_pool, facts=facts,
        describe=chosen["describe"], run_dir=run_dir, export_format=fmt, warnings=warnings,
        choices=choices, request=request, take=take,
    )  # fmt: skip


def finish(resolve, plan: Plan, job: Json) -> Report:
    """Place what the score made; a cancelled or failed score places nothing."""
    take, state, said = plan.take, job.get("state"), job.get("message") or ""
    facts = dict(export_format=plan.export_format, score_id=job.get("id"), run_dir=plan.run_dir)
    result, warnings = job.get("result") or {}, list(plan.warnings)
    if state == "JOB_STATE_CANCELLED":
        kept = "the cue keeps its take" if take else "nothing was placed"
        return Report(False, f"cancelled: {kept}. {said}", **facts)
    if state not in ("JOB_STATE_SUCCEEDED", "JOB_STATE_PARTIAL") or not result.get("placements"):
        what = f"make another take of {take['name']!r}" if take else "score " + plan.describe
        return Report(
            False, f"the bridge could not {what}: {said or state}", warnings=warnings, **facts
        )
    warnings += list(result.get("warnings") or [])
    warnings += [
        f"{f.get('segmentId')}: no cue ({f.get('error')})" for f in result.get("failed") or []
    ]
    placed, text = place_cues(resolve, plan, job.get("id"), result["placements"], warnings)
    return Report(True, text, placed=placed, warnings=warnings, **facts)


class ScoreSession:
    """One score from start to placement, one step at a time, so a window can poll it."""

    def __init__(self, resolve, bridge: Bridge, settings: Json):
        self.resolve, self.bridge, self.settings = resolve, bridge, settings
        self.job, self.report, self.cancel_asked = {}, None, False  # type: Json, Any, bool

    def start(self, choices: Json) -> None:
        self.plan = prepare_score(self.resolve, choices, self.settings, self.bridge)
        self.started_at = time.monotonic()
        self.job = self.bridge.call("StartScore", self.plan.request)

    def progress(self) -> str:
        """The bridge's progress line: "1/3 cues: scoring 'chase'; done 'calm'"."""
        return self.job.get("progress") or self.job.get("message") or "working"

    def poll(self) -> Optional[Report]:
        """Ask the bridge once; the Report when the score is over (cues placed), else None."""
        late = time.monotonic() - self.started_at > float(
            self.settings.get("timeout_seconds") or 3600
        )
        if self.report is not None or self.job.get("state") in FINAL_STATES:
            pass
        elif late:
            self.cancel()
        else:
            self.job = self.bridge.call("GetScore", {"scoreId": self.job["id"]})
        if self.report is not None or self.job.get("state") not in FINAL_STATES:
            return self.report
        facts = {"score_id": self.job.get("id"), "run_dir": self.plan.run_dir}
        try:
            if self.cancel_asked:  # a score that finished before the cancel came is not placed
                raise ScoreProblem(
                    "cancelled: nothing was placed. " + (self.job.get("message") or "")
                )
            self.report = finish(self.resolve, self.plan, self.job)
        except ScoreProblem as exc:
            self.report = Report(False, str(exc), **facts)
        return self.report

    def cancel(self) -> None:
        if self.job.get("id") and not self.cancel_asked:
            self.cancel_asked = True
            self.job = self.bridge.call("CancelScore", {"scoreId": self.job["id"]})


def score_timeline(resolve, choices=None, bridge=None, progress=None, settings=None) -> Report:
    """The whole job: export, ask the bridge, wait, place. Problems come back as a Report."""
    try:
        settings = settings or load_settings()
        session = ScoreSession(resolve, bridge or Bridge.from_settings(settings), settings)
        session.start({k: v for k, v in (choices or {}).items() if v is not None})
        while session.poll() is None:
            (progress or (lambda _line: None))(session.progress())
            time.sleep(float(settings.get("poll_seconds") or 0.5))
        return session.report
    except ScoreProblem as exc:
        return Report(False, str(exc))


def import_cues(media_pool, paths: List[str]) -> Tuple[Json, List[Any]]:
    """Media pool items by path (reusing those already in the cue bin), and the new ones."""
    gone = [p or "(no path)" for p in paths if not p or not os.path.isfile(p)]
    if gone:
        raise ScoreProblem(
            f"cue file(s) vanished before Resolve could import them: {', '.join(gone)}. Nothing "
            "was placed; press Score again to make them anew"
        )
    root = media_pool.GetRootFolder()
    bins = [f for f in root.GetSubFolderList() or [] if f.GetName() == CUE_BIN]
    folder = bins[0] if bins else media_pool.AddSubFolder(root, CUE_BIN) or root
    have = {_path(i): i for i in folder.GetClipList() or []}
    key = lambda p: os.path.normcase(os.path.abspath(p))  # noqa: E731
    fresh, new_items = [p for p in dict.fromkeys(paths) if key(p) not in have], []
    if fresh:
        before = media_pool.GetCurrentFolder()
        media_pool.SetCurrentFolder(folder)  # ImportMedia imports into the current folder
        new_items = list(media_pool.ImportMedia(fresh) or [])
        media_pool.SetCurrentFolder(before or folder)
        have.update((_path(i), i) for i in new_items)
    missing = [p for p in paths if key(p) not in have]
    if missing:
        forget(media_pool, new_items)
        raise ScoreProblem(f"Resolve could not import {', '.join(missing)}: nothing was placed")
    return {p: have[key(p)] for p in paths}, new_items


def forget(media_pool, new_media) -> None:
    if new_media:  # a cue that never reached the timeline leaves nothing in the media pool
        media_pool.DeleteClips(new_media)


def ask_plan(plan: Plan, score_id, items: Json, **asked) -> Json:
    """The bridge's plan for the timeline as it is now, with the FPS Resolve gave each imported
    WAV (a WAV takes the project's rate at import, not the timeline's)."""
    facts, timeline = plan.facts, plan.timeline
    media = [
        {"audioPath": p, "rate": str(i.GetClipProperty("FPS") or "")} for p, i in items.items()
    ]
    request = {
        "scoreId": score_id, "host": "resolve", "timelineRate": facts["rate_text"],
        "dropFrame": facts["drop_frame"], "startFrame": str(facts["start"]), "media": media,
        "audioTracks": host_tracks(timeline), "disabled": bool(plan.choices.get("preview")),
        "markerFrames": [str(int(round(float(f)))) for f in timeline.GetMarkers() or {}],
        "takesAsClips": True,
    }  # fmt: skip
    if plan.take:
        request["take"] = {k: v for k, v in plan.take.items() if k not in ("item", "media")}
    return plan.bridge.call("PlanPlacement", dict(request, **asked))  # lanes, clips, markers


def make_lanes(timeline, lanes: List[Json]) -> List[int]:
    """The plan's new lanes, added past the last audio track and named; returns their indexes."""
    created = []  # type: List[int]
    for lane in sorted((x for x in lanes if x.get("create")), key=lambda x: int(x["index"])):
        added = timeline.AddTrack("audio", "stereo")
        index = int(timeline.GetTrackCount("audio"))
        created += [index] if added else []
        if not added or index != int(lane["index"]):
            remove_empty_tracks(timeline, created)
            raise ScoreProblem(
                "the timeline's audio tracks changed while the cues were planned: Score again"
                if added else "Resolve would not add an audio track for the score"
            )  # fmt: skip
        timeline.SetTrackName("audio", index, lane["name"])
    return created


def remove_empty_tracks(timeline, created: List[int]) -> List[str]:
    """Delete the tracks this run made, unless something sits on them; returns those kept."""
    kept = []
    for index in sorted(created, reverse=True):
        if timeline.GetItemListInTrack("audio", index) or not timeline.DeleteTrack("audio", index):
            kept.append(timeline.GetTrackName("audio", index))
    return kept


def place(timeline, media_pool, media, clips: List[Json]) -> List[Any]:
    """One AppendToTimeline for the plan's `clips` (`media(clip)` their items), each read back
    from its track: same start, same file. Resolve's answer is no proof: it drops a clip over
    another without a word, and the items it returns can be empty or not on the timeline."""
    # Audio only (mediaType 2); source frames at the item's FPS, out exclusive; record absolute.
    infos = [
        {"mediaPoolItem": media(c), "startFrame": int(c["sourceIn"]),
         "endFrame": int(c["sourceOut"]),
         "mediaType": 2, "trackIndex": int(c["laneIndex"]), "recordFrame": int(c["recordFrame"])}
        for c in clips
    ]  # fmt: skip
    if infos:
        media_pool.AppendToTimeline(infos)
    return [next((
        i for i in timeline.GetItemListInTrack("audio", x["trackIndex"]) or []
        if int(i.GetStart()) == x["recordFrame"]
        and _path(_call(i, "GetMediaPoolItem")) in ("", _path(x["mediaPoolItem"]))
    ), None) for x in infos]  # fmt: skip


def remove_clips(resolve, timeline, items: List[Any]) -> List[Any]:
    """Delete timeline items, read back, return those still there. DeleteClips does nothing on
    the Fairlight page and can fail once then work (davinci-resolve-mcp api-limitations.md,
    "Timeline.DeleteClips"): delete from the Edit page, twice, then go back."""
    page, still = _call(resolve, "GetCurrentPage"), [i for i in items if i]
    switched = still and page and page != "edit" and _method(resolve, "OpenPage")
    switched = switched and resolve.OpenPage("edit")
    for _attempt in range(2 if still else 0):
        timeline.DeleteClips(still, False)
        there = {_uid(i) for _t, _n, items in audio_tracks(timeline) for i in items}
        still = [i for i in still if _uid(i) in there]
        if not still:
            break
    if switched:
        resolve.OpenPage(page)
    return still


def add_marker(timeline, m: Json, frame: int) -> bool:
    """One of the plan's markers (PlannedMarker), at `frame` from the timeline's start."""
    length, data = int(m["durationFrames"]), m["customData"]
    return bool(timeline.AddMarker(frame, m["color"], m["name"], m["note"], length, data))


def place_cues(resolve, plan: Plan, score_id, placements, warnings: List[str]):
    """Apply the bridge's plan: lanes, then its clips role by role, each batch read back. What
    fails is undone (a take taken off goes back) and the bridge's report says what is where."""
    timeline, media_pool, project, take = plan.timeline, plan.media_pool, plan.project, plan.take
    # 1. Every cue file is there and imported (media pool only) before anything changes.
    paths = [(p.get("cue") or {}).get("audioPath", "") for p in placements]
    items, new_media = import_cues(media_pool, paths)
    items.update({take["audioPath"]: take["media"]} if take else {})
    # 2. The timeline may have changed under a long score: place on the one that was scored.
    if _uid(project.GetCurrentTimeline()) != _uid(timeline) and not project.SetCurrentTimeline(
        timeline
    ):
        forget(media_pool, new_media)
        raise ScoreProblem(
            f"the scored timeline {plan.facts['name']!r} is no longer open; open it, Score again"
        )
    before = host_tracks(timeline)  # what the plan, and its report, are about

    def report(step: str, **outcome) -> str:  # what landed, in the bridge's words
        outcome.update(step=step, describe=plan.describe, cueFolder=os.path.dirname(paths[0]))
        return ask_plan(plan, score_id, items, audioTracks=before, outcome=outcome)["report"]

    try:
        answer = ask_plan(plan, score_id, items, audioTracks=before)
    except ScoreProblem:
        forget(media_pool, new_media)
        raise
    warnings += list(answer.get("warnings") or [])
    role = {r: [] for r in ("CUE", "PREVIOUS_TAKE", "RANKED_TAKE")}  # type: Dict[str, List[Json]]
    for c in answer.get("clips") or []:
        if c["role"] != "CLIP_ROLE_RANKED_TAKE" or os.path.isfile(c["audioPath"]):
            role[c["role"][len("CLIP_ROLE_") :]].append(c)
    items.update(import_cues(media_pool, [c["audioPath"] for c in role["RANKED_TAKE"]])[0])
    for c in role["CUE"] + role["RANKED_TAKE"]:
        items[c["audioPath"]].SetClipProperty("Clip Name", c["name"])
    created = make_lanes(timeline, list(answer.get("lanes") or []))
    done, removed = [], []  # type: List[Tuple[Json, Any]], List[Any]

    def fail(step: str, tried: List[Json], got: List[Any]) -> None:
        landed = done + [(c, i) for c, i in zip(tried, got) if i]
        back = removed and place(timeline, media_pool, lambda _c: take["media"], role["CUE"])[0]
        if removed and not back:  # the previous take stays where it was put aside, enabled
            still = [i for _c, i in landed if i.SetClipEnabled(True) or True]
        else:
            still = remove_clips(resolve, timeline, [i for _c, i in landed])
        kept = remove_empty_tracks(timeline, created)
        if not [c for c, i in landed if i in still and c["role"] == "CLIP_ROLE_CUE"]:
            forget(media_pool, new_media)
        left = [c["audioPath"] for c, i in landed if i in still]
        got = [c["audioPath"] for c, _i in landed]
        raise ScoreProblem(
            report(step, landed=got, left=left, keptTracks=kept, restored=bool(back))
        )

    def put(kind: str) -> List[Any]:
        return place(timeline, media_pool, lambda c: items[c["audioPath"]], role[kind])

    # 3. Another take's previous take put aside, then taken off; then the cues, in one batch
    # (Resolve takes or refuses it whole).
    got = put("PREVIOUS_TAKE")
    if not all(got):
        fail("previous", role["PREVIOUS_TAKE"], got)
    done += list(zip(role["PREVIOUS_TAKE"], got))
    for c, item in done:
        if not item.SetClipEnabled(False):
            warnings.append(f"Resolve would not disable the previous take on {c['lane']!r}")
    if take and remove_clips(resolve, timeline, [take["item"]]):
        fail("remove", [], [])
    removed += [take["item"]] if take else []
    landed = put("CUE")
    if not all(landed):
        fail("place", role["CUE"], landed)
    for index in sorted({int(c["laneIndex"]) for c in role["CUE"] if not c.get("enabled")}):
        if not timeline.SetTrackEnable("audio", index, False):  # a preview, muted to audition
            name = timeline.GetTrackName("audio", index)
            warnings.append(f"Resolve would not mute the preview track {name!r}; mute it by hand")
    # 4. Colour and mark what landed; offer the ranked takes (one not offered is a warning).
    placed = []
    for c, item in zip(role["CUE"], landed):
        if _method(item, "SetClipColor"):
            item.SetClipColor(CLIP_COLOR)
        m, frame = c.get("marker") or {}, None
        if m.get("replaces"):  # another take's record, rewritten on its frame
            timeline.DeleteMarkerAtFrame(int(m["frame"]))
        if m.get("name") and add_marker(timeline, m, int(m["frame"])):
            frame = int(m["frame"])
        elif m.get("name"):
            warnings.append(f"no room for a marker on the cue {c['name']!r}")
        start, lane, previous = int(item.GetStart()), int(c["laneIndex"]), role["PREVIOUS_TAKE"]
        placed.append({
            "name": c["name"], "segmentId": c["segmentId"], "trackIndex": lane,
            "trackName": timeline.GetTrackName("audio", lane), "recordFrame": start,
            "startFrame": int(c["sourceIn"]), "endFrame": int(c["sourceOut"]),
            "durationFrames": int(item.GetEnd()) - start, "audioPath": c["audioPath"],
            "markerFrame": frame, "seed": c["seed"], "rankedTakes": 0,
            "previousTrack": previous[0]["lane"] if previous else "",
        })  # fmt: skip
    for c, item in zip(role["RANKED_TAKE"], put("RANKED_TAKE")):
        if item is None or not item.SetClipEnabled(False):
            warnings.append(
                f"a ranked take of {c['name']!r} ({c['audioPath']}) could not be offered"
            )
        for p in placed if item else ():
            p["rankedTakes"] += p["segmentId"] == c["segmentId"]
    landed_paths = [c["audioPath"] for c in role["CUE"]]
    return placed, report("", landed=landed_paths, ranked=sum(p["rankedTakes"] for p in placed))


def console(text: str) -> None:
    print("[cuebridge] " + text.replace("\n", "\n[cuebridge] "))


def unexpected(exc: BaseException) -> Report:
    """A bug, not the editor's doing: the trace goes to the console, a sentence to the editor."""
    import traceback

    traceback.print_exception(type(exc), exc, exc.__traceback__)
    return Report(
        False,
        f"cuebridge stopped on an unexpected error ({exc!r}); the timeline was left as it was "
        "if the cues had not been placed yet. The details are in Workspace > Console: please "
        "report them",
    )


def error_marker(resolve, report: Report, settings: Json) -> bool:
    """Without a window (the free edition) a red marker at the playhead carries the message."""
    try:
        timeline, frame = current_timeline(resolve)[1], 0
        delete = _method(timeline, "DeleteMarkerByCustomData")
        # One call per old error marker, never more than there are markers (no endless loop).
        for _marker in range(len(timeline.GetMarkers() or {}) + 1 if delete else 0):
            if not delete(ERROR_MARKER_DATA):
                break
        try:  # at the playhead when the bridge can read its timecode, else at the start
            facts, playhead = (
                timeline_facts(timeline, Bridge.from_settings(settings)),
                _call(timeline, "GetCurrentTimecode"),
            )
            at = facts["bridge"].times(facts, timecodes=[playhead])["frames"][0] if playhead else 0
            frame = max(0, int(at) - facts["start"])
        except ScoreProblem:
            pass
        marker = dict(ERROR_MARKER, note=report.text(), customData=ERROR_MARKER_DATA)
        return add_marker(timeline, marker, frame)
    except Exception:
        return False


def has_script_windows(resolve) -> bool:
    """Studio, or the free edition before 19.1. Asked BEFORE fu.UIManager is read: on the free
    edition 19.1+ that read opens the Studio upsell dialog, and later calls fail under it."""
    name = str(_call(resolve, "GetProductName") or "")
    return "Studio" in name or (bool(name) and (0, 0) < resolve_version(resolve) < (19, 1))


def ui_manager(fu):
    try:
        return (getattr(fu, "UIManager", None) if fu else None) or None
    except Exception:
        return None


class ScoreWindow:
    """Prompt, mood (the bridge's moods), model, what to score, preview; Score, Another take,
    Cancel and the bridge's progress line. A UIManager timer polls, so Cancel works."""

    def __init__(self, resolve, fu, bmd, settings: Json):
        ui = self.ui = ui_manager(fu)
        self.resolve, self.settings, self.dispatcher = resolve, settings, bmd.UIDispatcher(ui)
        self.bridge, self.session = Bridge.from_settings(settings), None
        models, moods = [], []  # type: List[str], List[Json]
        try:
            info = self.bridge.call("GetEngineInfo", {})
            models = [m["name"] for m in info.get("models", []) if m.get("ready")]
            moods = self.bridge.call("ListMoods", {}).get("moods") or []  # the picker's list
            status = f"bridge ready at {self.bridge.url}"
        except ScoreProblem as exc:
            status = str(exc)
        self.picks = {"Selection": ["auto", "range", "markers"], "Model": [""] + models}
        self.picks["Mood"] = [""] + [m["name"] for m in moods]
        labels = {
            "Selection": ["In/out if marked, else cue markers", "In/out range", "Cue markers"]
        }
        labels["Mood"] = ["(no mood)"] + [f"{m['name']} ({m['style']})" for m in moods]
        labels["Model"] = ["(engine default)"] + models
        box, text = (lambda wid: ui.ComboBox({"ID": wid})), (lambda t: ui.Label({"Text": t}))
        preview = {"ID": "Preview", "Checked": bool(settings.get("preview"))}
        preview["Text"] = "Place on a muted 'Score (preview)' track to audition"
        buttons = [("Score", "Score"), ("Take", "Another take"), ("Cancel", "Close")]
        rows = [
            [text("Prompt (a cue marker's name is its own prompt)")],
            [ui.LineEdit({"ID": "Prompt", "Text": settings.get("prompt") or ""})],
            [text("Mood"), box("Mood"), text("Model"), box("Model")],
            [text("Score"), box("Selection"), ui.CheckBox(preview)],
            [ui.Label({"ID": "Status", "Text": status, "WordWrap": True})],
            [ui.Button({"ID": wid, "Text": label}) for wid, label in buttons],
        ]
        window = {"ID": "CueBridge", "WindowTitle": "cuebridge: score"}
        window["Geometry"] = [200, 200, 480, 300]
        self.window = self.dispatcher.AddWindow(window, ui.VGroup([ui.HGroup(r) for r in rows]))
        self.items = self.window.GetItems()
        for wid, names in labels.items():
            for name in names:
                self.items[wid].AddItem(name)
        if settings.get("mood") in self.picks["Mood"]:
            self.items["Mood"].CurrentIndex = self.picks["Mood"].index(settings["mood"])
        self.timer = ui.Timer({"ID": "CueBridgePoll", "Interval": 700, "SingleShot": False})
        console(status)

    def say(self, text: str) -> None:
        self.items["Status"].Text = text
        console(text)

    def run(self) -> None:
        on = self.window.On
        on.Score.Clicked, on.Take.Clicked = self.on_score, lambda ev: self.on_score(ev, True)
        on.Cancel.Clicked, on.CueBridge.Close = (
            self.on_cancel,
            lambda _ev: self.dispatcher.ExitLoop(),
        )
        self.dispatcher.On.Timeout = self.on_tick
        self.window.Show()
        self.dispatcher.RunLoop()
        self.window.Hide()

    def on_score(self, _ev, take: bool = False) -> None:
        if self.session is not None:
            return
        self.say("exporting the timeline and asking the bridge ...")
        choices = {"prompt": self.items["Prompt"].Text, "seed": self.settings.get("seed", 0)}
        for wid, values in self.picks.items():
            n = int(self.items[wid].CurrentIndex)
            choices[wid.lower()] = values[n] if 0 <= n < len(values) else values[0]
        choices["preview"] = bool(self.items["Preview"].Checked)
        if take:
            choices.update(take=True, prompt="", mood="")  # the cue's own prompt and mood
        session = ScoreSession(self.resolve, self.bridge, self.settings)
        try:
            session.start(choices)
        except Exception as exc:
            return self.say(str(exc) if isinstance(exc, ScoreProblem) else unexpected(exc).text())
        self.session, self.items["Cancel"].Text = session, "Cancel"
        self.timer.Start()

    def on_tick(self, _ev) -> None:
        try:
            report = self.session.poll() if self.session is not None else None
        except Exception as exc:
            report = Report(False, str(exc)) if isinstance(exc, ScoreProblem) else unexpected(exc)
        if report is None:
            return self.say(self.session.progress()) if self.session is not None else None
        self.timer.Stop()
        self.session, self.items["Cancel"].Text = None, "Close"
        self.say(report.text())

    def on_cancel(self, _ev) -> None:
        if self.session is None:
            return self.dispatcher.ExitLoop()
        try:
            self.session.cancel()
            self.say("cancelling after the cue in progress ...")
        except ScoreProblem as exc:
            self.say(str(exc))


def get_resolve(scope: Json):
    app, bmd = scope.get("app"), scope.get("bmd")
    found = scope.get("resolve") or (app.GetResolve() if _method(app, "GetResolve") else None)
    try:  # DaVinciResolveScript only outside Resolve (Studio, external scripting)
        found = found or (bmd.scriptapp("Resolve") if bmd is not None else None)
        return found or __import__("DaVinciResolveScript").scriptapp("Resolve")
    except ImportError:
        return found


def main(scope: Optional[Json] = None) -> Optional[Report]:
    scope = scope if scope is not None else {}
    resolve, script, bmd = get_resolve(scope), scope.get("__file__"), scope.get("bmd")
    if not resolve:
        console("cannot reach DaVinci Resolve: run this from Workspace > Scripts inside Resolve")
        return None
    try:
        settings = load_settings(os.path.dirname(os.path.abspath(script)) if script else None)
    except ScoreProblem as exc:
        console(str(exc))
        return Report(False, str(exc))
    take = bool(scope.get("cuebridge_take"))  # Workspace > Scripts > cuebridge_another_take
    if bmd is not None and not take and has_script_windows(resolve):
        fu = scope.get("fu") or scope.get("fusion") or _call(resolve, "Fusion")
        if ui_manager(fu) is not None:
            return ScoreWindow(resolve, fu, bmd, settings).run()
    # No window (the free edition since 19.1): score what is marked with the saved choices.
    choices = {k: settings.get(k) for k in ("prompt", "mood", "model", "seed", "preview")}
    if take:
        choices.update(take=True, prompt="", mood="", seed=0)
    console("another take of the cue under the playhead" if take else "scoring the marks")
    said = [""]  # each progress line once, not every poll
    progress = lambda line: said[-1] != line and (said.append(line) or console(line))  # noqa: E731
    try:
        report = score_timeline(resolve, choices, progress=progress, settings=settings)
    except Exception as exc:
        report = unexpected(exc)
    console(report.text())
    if not report.ok:
        error_marker(resolve, report, settings)
    return report


if __name__ == "__main__" or any(k in globals() for k in ("app", "bmd", "resolve")):
    main(globals())
