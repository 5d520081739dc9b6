"""cuebridge for DaVinci Resolve (Workspace > Scripts): score the marked scene or the cue markers.

Exports the timeline, asks the local bridge (`cuebridge serve`) over HTTP/JSON for cues and for
where they go, imports the WAVs, places them and reads back what landed (plugins/resolve/README.md).
One stdlib-only file, Python 3.6 syntax: Resolve lists every .py under Scripts/ as a menu entry.
"""

# Annotations stay in the typing-module spelling: Resolve may run this under Python 3.6.
# ruff: noqa: UP006, UP007, UP035, UP041, UP045

import json
import os
import random
import re
import socket
import sys
import time
import urllib.error
import urllib.request
from fractions import Fraction
from typing import Any, Callable, Dict, List, Optional, Tuple

DEFAULT_BRIDGE_URL = "http://127.0.0.1:50052"
SETTINGS_NAME = "cuebridge_settings.json"
TRACK_NAME = "Score"
PREVIEW_TRACK = "Score (preview)"  # muted: the editor auditions by enabling it
TAKES_TRACK = "Score takes"  # earlier takes, disabled clips, to A/B and go back
CUE_BIN = "cuebridge cues"
CLIP_COLOR = "Orange"  # TimelineItem.SetClipColor names: Orange, Apricot, Yellow, Lime ...
MARKER_COLOR = "Cream"  # Timeline.AddMarker colours: Blue, Cyan, Green ... Sand, Cocoa, Cream
ERROR_MARKER_COLOR = "Red"
ERROR_MARKER_DATA = "cuebridge-error"
POLL_SECONDS = 0.5
FINAL_STATES = (
    "JOB_STATE_SUCCEEDED",
    "JOB_STATE_PARTIAL",
    "JOB_STATE_FAILED",
    "JOB_STATE_CANCELLED",
)
START_HINT = (
    "start it in a terminal with `cuebridge serve` (leave it running), then press Score again"
)

Progress = Callable[[str], None]


class ScoreProblem(Exception):
    """Something the editor must hear about: the message says what happened and what to do."""


class Report:
    """What a score did: `ok`, a message for the editor, and the cues that landed."""

    def __init__(self, ok: bool, message: str, placed=None, warnings=None, **facts):
        self.ok = ok
        self.message = message
        self.placed = list(placed or [])  # one dict per cue: name, track, recordFrame ...
        self.warnings = list(warnings or [])
        self.facts = facts  # export_format, score_id, run_dir ...

    def text(self) -> str:
        lines = [self.message] + ["warning: " + w for w in self.warnings]
        return "\n".join(lines)


# -- where things are ------------------------------------------------------------------------


def _home(env) -> str:
    return env.get("HOME") or env.get("USERPROFILE") or os.path.expanduser("~")


def config_dir(env=None, platform: Optional[str] = None) -> str:
    """The bridge's config folder (holds `token`); the same rule as the bridge's, stdlib only."""
    env, platform = os.environ if env is None else env, platform or sys.platform
    if env.get("CUEBRIDGE_CONFIG_DIR"):
        return env["CUEBRIDGE_CONFIG_DIR"]
    if platform.startswith("win"):
        base = env.get("APPDATA") or os.path.join(_home(env), "AppData", "Roaming")
    elif platform == "darwin":
        base = os.path.join(_home(env), "Library", "Application Support")
    else:
        base = env.get("XDG_CONFIG_HOME") or os.path.join(_home(env), ".config")
    return os.path.join(base, "cuebridge")


def data_dir(env=None, platform: Optional[str] = None) -> str:
    """Where exported timelines and cue WAVs live (Resolve keeps reading the WAVs)."""
    env, platform = os.environ if env is None else env, platform or sys.platform
    if platform.startswith("win"):
        base = env.get("LOCALAPPDATA") or os.path.join(_home(env), "AppData", "Local")
    elif platform == "darwin":
        base = os.path.join(_home(env), "Library", "Application Support")
    else:
        base = env.get("XDG_DATA_HOME") or os.path.join(_home(env), ".local", "share")
    return os.path.join(base, "cuebridge", "resolve")


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


def load_settings(script_dir: Optional[str] = None, env=None) -> Dict[str, Any]:
    """Defaults, then `cuebridge_settings.json` beside the script (or in a Utility folder)."""
    env = os.environ if env is None else env
    settings = {
        "bridge_url": DEFAULT_BRIDGE_URL,
        "token_file": os.path.join(config_dir(env), "token"),
        "cue_root": data_dir(env),
        "poll_seconds": POLL_SECONDS,
        "timeout_seconds": 3600,
        "prompt": "",
        "mood": "",
        "model": "",
        "seed": 0,
    }
    folders = ([script_dir] if script_dir else []) + script_folders(env)
    for folder in folders:
        path = os.path.join(folder, SETTINGS_NAME)
        if os.path.isfile(path):
            try:
                with open(path, encoding="utf-8") as f:
                    settings.update(json.load(f))
            except (OSError, ValueError) as exc:
                raise ScoreProblem(
                    f"cannot read the settings {path}: {exc}. Fix the JSON, or delete the file "
                    "and run `cuebridge install-plugin resolve` again"
                ) from exc
            settings["settings_file"] = path
            break
    if env.get("CUEBRIDGE_URL"):
        settings["bridge_url"] = env["CUEBRIDGE_URL"]
    return settings


# -- the bridge ------------------------------------------------------------------------------


class Bridge:
    """The bridge's HTTP/JSON face: POST /cuebridge.v1.Bridge/<Method> with a bearer token."""

    def __init__(self, url: str = DEFAULT_BRIDGE_URL, token_file: Optional[str] = None, timeout=60):
        self.url = url.rstrip("/")
        self.token_file = token_file or os.path.join(config_dir(), "token")
        self.timeout = timeout
        # Never through a proxy: the bridge is on this machine; http_proxy must not see the token.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    @classmethod
    def from_settings(cls, settings: Dict[str, Any]) -> "Bridge":
        return cls(settings["bridge_url"], settings["token_file"])

    def token(self) -> str:
        try:
            with open(self.token_file, encoding="utf-8") as f:
                token = f.read().strip()
        except FileNotFoundError:
            raise ScoreProblem(
                f"there is no cuebridge token at {self.token_file}: the bridge makes it on its "
                f"first start, so {START_HINT}. If the bridge runs as another user or with "
                f'CUEBRIDGE_CONFIG_DIR, set "token_file" in {SETTINGS_NAME}'
            ) from None
        except OSError as exc:
            raise ScoreProblem(
                f"cannot read the cuebridge token {self.token_file}: {exc}"
            ) from None
        if not token:
            raise ScoreProblem(
                f"the cuebridge token file {self.token_file} is empty: delete it and restart "
                "`cuebridge serve`"
            )
        return token

    def healthy(self) -> None:
        """Raise a ScoreProblem saying how to start the bridge unless it answers /healthz."""
        self._send("GET", "/healthz", None, auth=False)

    def call(self, service: str, method: str, body: Dict[str, Any]) -> Dict[str, Any]:
        return self._send("POST", f"/cuebridge.v1.{service}/{method}", body)

    def start_score(self, request: Dict[str, Any]) -> Dict[str, Any]:
        return self.call("Bridge", "StartScore", request)

    def get_score(self, score_id: str) -> Dict[str, Any]:
        return self.call("Bridge", "GetScore", {"scoreId": score_id})

    def cancel_score(self, score_id: str) -> Dict[str, Any]:
        return self.call("Bridge", "CancelScore", {"scoreId": score_id})

    def engine_info(self) -> Dict[str, Any]:
        return self.call("Bridge", "GetEngineInfo", {})

    def plan(self, request: Dict[str, Any]) -> Dict[str, Any]:
        """The placement plan: lanes, frames, markers and takes, in Resolve's terms."""
        return self.call("Bridge", "PlanPlacement", request)

    def times(self, facts, timecodes=(), frames=(), markers=(), tracks=(), lanes=(), marks=None):
        """Rates, timecodes, marks and which markers are cues are the bridge's, never read here."""
        body = {
            "rate": facts["rate_text"],
            "dropFrame": facts["drop_frame"],
            "timecodes": list(timecodes),
            "frames": [str(int(f)) for f in frames],
            "markers": list(markers),
            "trackNames": list(tracks),
            "laneNames": list(lanes),
        }
        if marks:
            body["marks"] = marks
        return self.call("Bridge", "ParseTime", body)

    def _send(self, verb: str, route: str, body, auth: bool = True) -> Dict[str, Any]:
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if auth:
            headers["Authorization"] = "Bearer " + self.token()
        req = urllib.request.Request(self.url + route, data=data, headers=headers, method=verb)
        try:
            with self._opener.open(req, timeout=self.timeout) as reply:
                raw = reply.read()
        except urllib.error.HTTPError as exc:
            raise ScoreProblem(self._refusal(exc, route)) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            # Before 3.10 socket.timeout is no TimeoutError: test for both, for Resolve's Python.
            if isinstance(reason, (socket.timeout, TimeoutError)):
                raise ScoreProblem(
                    f"the bridge at {self.url} did not answer {route} within {self.timeout} s: "
                    "it may be busy reading a long timeline; try again, or restart "
                    "`cuebridge serve`"
                ) from None
            raise ScoreProblem(
                f"the cuebridge bridge is not running at {self.url} ({reason}): {START_HINT}"
            ) from None
        try:
            return json.loads(raw.decode("utf-8") or "{}")
        except ValueError:
            raise ScoreProblem(
                f"{self.url}{route} answered something that is not JSON: is another program on "
                f'that port? Check "bridge_url" in {SETTINGS_NAME}'
            ) from None

    def _refusal(self, exc, route: str) -> str:
        try:
            detail = json.loads(exc.read().decode("utf-8"))
            message = detail.get("message") or detail.get("code") or ""
        except (ValueError, OSError, AttributeError):
            message = ""
        if exc.code == 401:
            return (
                "the bridge at {} refused the token in {} ({}). Restart `cuebridge serve` as the "
                'same user, or point "token_file" in {} at the bridge\'s token'.format(
                    self.url, self.token_file, message or "wrong token", SETTINGS_NAME
                )
            )
        if exc.code == 400 and message:  # the bridge's words for the editor: a mark, a rate
            return message
        if exc.code == 404 and not message:
            return f"{self.url}{route} does not exist: is this a cuebridge bridge, and up to date?"
        return f"the bridge refused ({exc.code} {exc.reason}): {message or route}"


# -- reading the timeline --------------------------------------------------------------------


def _method(obj, name: str):
    # Resolve's scripting objects answer None for names they do not know (older versions).
    try:
        fn = getattr(obj, name, None)
    except Exception:
        return None
    return fn if callable(fn) else None


def current_timeline(resolve):
    manager = resolve.GetProjectManager() if resolve else None
    project = manager.GetCurrentProject() if manager else None
    if not project:
        raise ScoreProblem("no project is open in Resolve: open one with a timeline, then Score")
    timeline = project.GetCurrentTimeline()
    if not timeline:
        raise ScoreProblem(
            "the project has no current timeline: open the timeline to score in the Edit page"
        )
    return project, timeline, project.GetMediaPool()


def timeline_facts(timeline, bridge: "Bridge") -> Dict[str, Any]:
    """The timeline's rate as Resolve writes it ("29.97 DF" ...), read by the bridge."""
    rate_text = timeline.GetSetting("timelineFrameRate")
    if not rate_text:
        raise ScoreProblem("Resolve did not say the timeline's frame rate; open its settings once")
    drop = str(timeline.GetSetting("timelineDropFrameTimecode") or "0").strip() in ("1", "True")
    facts = {
        "name": timeline.GetName() or "Timeline",
        "rate_text": str(rate_text),
        "start": int(timeline.GetStartFrame()),
        "drop_frame": drop,
        "bridge": bridge,
    }
    rate = bridge.times(facts)
    facts["rate"] = Fraction(int(rate["rate"]["num"]), int(rate["rate"]["den"]))
    facts["drop_frame"] = bool(rate.get("dropFrame"))
    return facts


def timecodes(facts: Dict[str, Any], *frames: int) -> List[str]:
    return list(facts["bridge"].times(facts, frames=frames)["timecodes"])


def playhead(timeline, facts: Dict[str, Any]) -> int:
    """The playhead as an absolute frame (Resolve answers its timecode only)."""
    get_tc = _method(timeline, "GetCurrentTimecode")
    text = get_tc() if get_tc else ""
    if not text:
        return facts["start"]
    return int(facts["bridge"].times(facts, timecodes=[text])["frames"][0])


def cue_markers(timeline, facts: Dict[str, Any]) -> List[Tuple[int, Dict[str, Any]]]:
    """The timeline's cue markers (the bridge says which are cues), by frame from its start."""
    markers = sorted((int(round(float(f))), m) for f, m in (timeline.GetMarkers() or {}).items())
    if not markers:
        return []
    asked = [
        {"name": str(m.get("name") or ""), "durationFrames": float(m.get("duration") or 0)}
        for _, m in markers
    ]
    kinds = facts["bridge"].times(facts, markers=asked).get("markerKinds") or []
    return [fm for n, fm in enumerate(markers) if kinds[n : n + 1] == ["MARKER_KIND_CUE"]]


def host_marks(timeline, facts: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The in/out marks for the bridge to read, out INCLUDED as Resolve shows it; None if unset.
    GetMarkInOut exists since Resolve 19.1; older versions answer None and score markers only."""
    get = _method(timeline, "GetMarkInOut")
    marks = get() if get else None
    if not isinstance(marks, dict):
        return None
    mark = marks.get("video") or marks.get("audio")  # a clip's marks are set on one of them
    if not mark:
        return None
    return {
        "hasIn": "in" in mark,
        "hasOut": "out" in mark,
        "markIn": str(int(mark.get("in", 0))),
        "markOut": str(int(mark.get("out", 0))),
        "startFrame": str(facts["start"]),
    }


def choose_selection(timeline, facts: Dict[str, Any], mode: str = "auto") -> Dict[str, Any]:
    """What to score: the in/out range, or the cue markers. `mode`: auto, range or markers."""
    marks = host_marks(timeline, facts) if mode in ("auto", "range") else None
    markers = cue_markers(timeline, facts) if mode in ("auto", "markers") else []
    nothing = (
        "nothing to score: mark the scene with an in and an out point (I and O), or lay a "
        "marker with a duration over each scene (its name is the prompt), then press Score again"
    )
    if mode == "range" and marks is None:
        if not _method(timeline, "GetMarkInOut"):
            raise ScoreProblem(
                "this Resolve version cannot tell scripts its in/out marks (that came in 19.1): "
                "lay a marker with a duration over the scene and score the markers instead"
            )
        raise ScoreProblem(nothing)
    if marks is not None:
        text = facts["bridge"].times(facts, marks=marks)["markedRange"]
        return {
            "mode": "SEGMENT_MODE_RANGE",
            "range": text,
            "describe": "the marked range " + text,
        }
    if markers:
        return {
            "mode": "SEGMENT_MODE_MARKERS",
            "range": "",
            "describe": f"{len(markers)} cue marker(s)",
        }
    raise ScoreProblem(nothing)


# -- export ----------------------------------------------------------------------------------


def resolve_version(resolve) -> Tuple[int, int]:
    get = _method(resolve, "GetVersion")
    fields = get() if get else None
    try:
        return int(fields[0]), int(fields[1])
    except (TypeError, ValueError, IndexError):
        return (0, 0)


def export_timeline(resolve, timeline, folder: str) -> Tuple[str, str, List[str]]:
    """Export to OTIO (18.5+) or FCP 7 XML; returns (path, format, warnings)."""
    warnings = []
    otio_type = getattr(resolve, "EXPORT_OTIO", None)
    if otio_type is not None and resolve_version(resolve) >= (18, 5):
        path = os.path.join(folder, "timeline.otio")
        if timeline.Export(path, otio_type, getattr(resolve, "EXPORT_NONE", 0)) and os.path.isfile(
            path
        ):
            return path, "otio", warnings
        warnings.append("Resolve's OTIO export failed; the timeline went over as FCP 7 XML")
    else:
        warnings.append(
            "this Resolve has no OpenTimelineIO export (18.5 and later have): the timeline went "
            "over as FCP 7 XML instead"
        )
    xml_type = getattr(resolve, "EXPORT_FCP_7_XML", None)
    path = os.path.join(folder, "timeline.xml")
    if xml_type is None or not timeline.Export(path, xml_type, getattr(resolve, "EXPORT_NONE", 0)):
        raise ScoreProblem(
            "Resolve could not export the timeline (neither OpenTimelineIO nor FCP 7 XML) to "
            f"{folder}: check that the folder is writable, or export it by hand "
            "(File > Export > Timeline) and run `cuebridge score` on it"
        )
    if not os.path.isfile(path):
        raise ScoreProblem(f"Resolve said it exported {path} but the file is not there")
    return path, "fcp7xml", warnings


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "timeline"


def new_run_dir(cue_root: str, project_name: str, timeline_name: str) -> str:
    """A fresh folder per score: Resolve keeps pointing at the WAVs, so nothing is overwritten."""
    base = os.path.join(cue_root, _safe(project_name), _safe(timeline_name))
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1000):
        path = os.path.join(base, stamp if n == 0 else f"{stamp}-{n + 1}")
        try:
            os.makedirs(path)
            return path
        except FileExistsError:
            continue
        except OSError as exc:
            raise ScoreProblem(
                f'cannot make a folder for the cues in {base}: {exc}. Set "cue_root" in '
                f"{SETTINGS_NAME} to a writable folder"
            ) from None
    raise ScoreProblem(f"too many scores this second in {base}")


# -- one score, in three steps -------------------------------------------------------------------

DEFAULT_CHOICES = {"prompt": "", "mood": "", "model": "", "seed": 0, "selection": "auto"}


class Plan:
    """What `prepare_score` found and exported, and the request for the bridge."""

    def __init__(self, **fields):
        self.__dict__.update(fields)


def prepare_score(
    resolve,
    choices: Dict[str, Any],
    settings: Dict[str, Any],
    bridge: "Bridge",
) -> Plan:
    """Read the timeline, pick what to score, export it: every check fails before the export."""
    choices = dict(DEFAULT_CHOICES, **{k: v for k, v in choices.items() if v is not None})
    if choices.get("preview"):
        choices["track_name"] = PREVIEW_TRACK
    project, timeline, media_pool = current_timeline(resolve)
    bridge.healthy()  # is the bridge there? It reads the rate, before a long export
    facts = timeline_facts(timeline, bridge)
    take = chosen_cue(resolve, timeline, facts) if choices.get("take") else None
    if take is not None:
        selection = take_selection(take, facts)
        choices["prompt"] = choices.get("prompt") or take["prompt"]
        choices["mood"] = choices.get("mood") or take["mood"]
        choices["seed"] = new_seed(take)
        choices["track_name"] = take["trackName"]
    else:
        selection = choose_selection(timeline, facts, choices.get("selection") or "auto")
    try:
        seed = int(choices.get("seed") or 0)
    except ValueError:
        raise ScoreProblem(f"seed {choices.get('seed')!r} is not a whole number") from None
    run_dir = new_run_dir(settings["cue_root"], project.GetName() or "project", facts["name"])
    path, fmt, warnings = export_timeline(resolve, timeline, run_dir)
    request = {
        "timelinePath": os.path.abspath(path),
        "outputPath": os.path.abspath(os.path.join(run_dir, "scored.otio")),
        "force": False,
        "selection": {
            "mode": selection["mode"],
            "range": selection["range"],
            "rangeName": take["name"] if take else "",  # the bridge names the cue after it
        },
        "prompt": choices.get("prompt") or "",
        "mood": choices.get("mood") or "",
        "seed": str(max(seed, 0)),
        "generation": {"model": choices.get("model") or ""},
        "cueDir": os.path.abspath(os.path.join(run_dir, "cues")),
        "trackName": TRACK_NAME,
    }
    return Plan(
        bridge=bridge,
        project=project,
        timeline=timeline,
        media_pool=media_pool,
        facts=facts,
        selection=selection,
        run_dir=run_dir,
        export_path=path,
        export_format=fmt,
        warnings=warnings,
        choices=choices,
        request=request,
        take=take,
    )


def finish_score(resolve, plan: Plan, job: Dict[str, Any]) -> Report:
    """Import the cues and place them. Every check comes before the first change to the timeline."""
    facts, warnings = _job_facts(plan, job), list(plan.warnings)
    unfinished = _unfinished(plan, job, "nothing was placed", "score " + plan.selection["describe"])
    if unfinished is not None:
        return unfinished
    result = job.get("result") or {}
    warnings += list(result.get("warnings") or [])
    for failed in result.get("failed") or []:
        warnings.append("{}: no cue ({})".format(failed.get("segmentId"), failed.get("error")))
    placements = result.get("placements") or []
    if not placements:
        text = "the bridge made no cue: " + (job.get("message") or "")
        return Report(False, text, warnings=warnings, **facts)
    placed = place_cues(resolve, plan, job.get("id"), placements, warnings)
    tracks = sorted({p["trackName"] for p in placed})
    message = (
        "placed {} cue(s) from {} on audio track {} (prompt and seed are in the {} markers)".format(
            len(placed),
            plan.selection["describe"],
            ", ".join(repr(t) for t in tracks),
            MARKER_COLOR,
        )
    )
    ranked = sum(p.get("rankedTakes") or 0 for p in placed)
    if ranked:
        message += f"; {ranked} more ranked take(s) wait, disabled, on the {TAKES_TRACK!r} tracks"
    if getattr(plan, "dialogue_note", ""):
        message += "; " + plan.dialogue_note
    return Report(True, message, placed=placed, warnings=warnings, **facts)


def _job_facts(plan: Plan, job: Dict[str, Any]) -> Dict[str, Any]:
    return dict(export_format=plan.export_format, score_id=job.get("id"), run_dir=plan.run_dir)


def _unfinished(plan: Plan, job: Dict[str, Any], kept: str, what: str) -> Optional[Report]:
    """The Report of a score that was cancelled or failed; None when it made cues."""
    state, said = job.get("state"), job.get("message") or ""
    if state == "JOB_STATE_CANCELLED":
        return Report(False, f"cancelled: {kept}. {said}", **_job_facts(plan, job))
    if state in ("JOB_STATE_SUCCEEDED", "JOB_STATE_PARTIAL"):
        if (job.get("result") or {}).get("placements") or not plan.take:
            return None
    text = f"the bridge could not {what}: {said or state}"
    return Report(False, text, warnings=plan.warnings, **_job_facts(plan, job))


class ScoreSession:
    """One score from start to placement, one step at a time, so a window can poll it."""

    def __init__(self, resolve, bridge: Bridge, settings: Dict[str, Any]):
        self.resolve, self.bridge, self.settings = resolve, bridge, settings
        self.plan = None  # type: Optional[Plan]
        self.job = {}  # type: Dict[str, Any]
        self.report = None  # type: Optional[Report]
        self.cancel_asked = False
        self.started_at = 0.0

    def start(self, choices: Dict[str, Any]) -> Dict[str, Any]:
        self.plan = prepare_score(self.resolve, choices, self.settings, self.bridge)
        self.started_at = time.monotonic()
        self.job = self.bridge.start_score(self.plan.request)
        return self.job

    def progress(self) -> str:
        """The bridge's progress line: "1/3 cues: scoring 'chase'; done 'calm'"."""
        return self.job.get("progress") or self.job.get("message") or "working"

    def poll(self) -> Optional[Report]:
        """Ask the bridge once; the Report when the score is over (cues placed), else None."""
        if self.report is not None:
            return self.report
        if self.job.get("state") not in FINAL_STATES:
            timeout = float(self.settings.get("timeout_seconds", 3600))
            if time.monotonic() - self.started_at > timeout and not self.cancel_asked:
                self.cancel()
            self.job = self.bridge.get_score(self.job["id"])
        if self.job.get("state") not in FINAL_STATES:
            return None
        if self.cancel_asked:
            # The editor said stop: a score that finished before the cancel arrived is not placed.
            self.report = Report(
                False,
                "cancelled: nothing was placed. " + (self.job.get("message") or ""),
                score_id=self.job.get("id"),
                run_dir=self.plan.run_dir,
            )
            return self.report
        try:
            finish = finish_take if self.plan.take is not None else finish_score
            self.report = finish(self.resolve, self.plan, self.job)
        except ScoreProblem as exc:
            self.report = Report(
                False, str(exc), score_id=self.job.get("id"), run_dir=self.plan.run_dir
            )
        return self.report

    def cancel(self) -> None:
        if self.job.get("id") and not self.cancel_asked:
            self.cancel_asked = True
            self.job = self.bridge.cancel_score(self.job["id"])


def score_timeline(
    resolve,
    choices: Optional[Dict[str, Any]] = None,
    bridge: Optional[Bridge] = None,
    progress: Optional[Progress] = None,
    cancelled: Optional[Callable[[], bool]] = None,
    settings: Optional[Dict[str, Any]] = None,
) -> Report:
    """The whole job: export, ask the bridge, wait, place. Problems come back as a Report."""
    try:
        settings = settings or load_settings()
        session = ScoreSession(resolve, bridge or Bridge.from_settings(settings), settings)
        session.start(choices or {})
        poll_seconds = float(settings.get("poll_seconds", POLL_SECONDS))
        while True:
            report = session.poll()
            if progress:
                progress(session.progress())
            if report is not None:
                return report
            if cancelled is not None and cancelled():
                session.cancel()
            time.sleep(poll_seconds)
    except ScoreProblem as exc:
        return Report(False, str(exc))


# -- placing the cues ------------------------------------------------------------------------


def _file_path(item) -> str:
    path = item.GetClipProperty("File Path") or ""
    return os.path.normcase(os.path.abspath(path)) if path else ""


def _cue_bin(media_pool):
    root = media_pool.GetRootFolder()
    for folder in root.GetSubFolderList() or []:
        if folder.GetName() == CUE_BIN:
            return folder
    return media_pool.AddSubFolder(root, CUE_BIN) or root


def import_cues(media_pool, paths: List[str]) -> Tuple[Dict[str, Any], List[Any]]:
    """Media pool items for `paths` (reusing ones already in the cue bin) and the new ones."""
    wanted = {os.path.normcase(os.path.abspath(p)): p for p in paths}
    folder = _cue_bin(media_pool)
    items = {}
    for item in folder.GetClipList() or []:
        key = _file_path(item)
        if key in wanted:
            items[key] = item
    fresh = [wanted[k] for k in wanted if k not in items]
    new_items = []
    if fresh:
        before = media_pool.GetCurrentFolder()
        media_pool.SetCurrentFolder(folder)
        try:
            new_items = list(media_pool.ImportMedia(fresh) or [])
        finally:
            if before:
                media_pool.SetCurrentFolder(before)
        for item in new_items:
            items[_file_path(item)] = item
    missing = [wanted[k] for k in wanted if k not in items]
    if missing:
        if new_items:
            media_pool.DeleteClips(new_items)
        raise ScoreProblem(
            "Resolve could not import {}: nothing was placed. Check the file(s) play, "
            "then Score again".format(", ".join(missing))
        )
    return items, new_items


def host_tracks(timeline) -> List[Dict[str, Any]]:
    """Every audio track with its clips, as the plan request reports them to the bridge."""
    tracks = []
    for index in range(1, int(timeline.GetTrackCount("audio") or 0) + 1):
        items = timeline.GetItemListInTrack("audio", index) or []
        spans = [{"start": str(int(i.GetStart())), "end": str(int(i.GetEnd()))} for i in items]
        name = timeline.GetTrackName("audio", index) or ""
        tracks.append({"index": index, "name": name, "items": spans})
    return tracks


def ask_plan(plan: Plan, score_id, items: Dict[str, Any], track_name: str, only=()):
    """The bridge's placement plan for this timeline as it is now, with the FPS Resolve gave
    each imported WAV (a WAV takes the project's rate at import, not the timeline's)."""
    facts, timeline = plan.facts, plan.timeline
    markers = [str(int(round(float(f)))) for f in (timeline.GetMarkers() or {})]
    return plan.bridge.plan(
        {
            "scoreId": score_id,
            "host": "resolve",
            "timelineRate": facts["rate_text"],
            "dropFrame": facts["drop_frame"],
            "startFrame": str(facts["start"]),
            "audioTracks": host_tracks(timeline),
            "media": [
                {"audioPath": path, "rate": str(item.GetClipProperty("FPS") or "")}
                for path, item in items.items()
            ],
            "markerFrames": markers,
            "trackName": track_name,
            "disabled": bool(plan.choices.get("preview")),
            "segmentIds": list(only),
            "earlierTakes": plan.take["earlier"] if plan.take else [],
        }
    )


def _info(item, track: int, record: int, source_in: int, source_out: int) -> Dict[str, Any]:
    """A MediaPool.AppendToTimeline clipInfo: audio only (mediaType 2), source frames at the
    item's own FPS with the out exclusive, recordFrame absolute."""
    return {
        "mediaPoolItem": item,
        "startFrame": int(source_in),
        "endFrame": int(source_out),
        "mediaType": 2,
        "trackIndex": int(track),
        "recordFrame": int(record),
    }


def _clip_info(item, c: Dict[str, Any]) -> Dict[str, Any]:
    return _info(item, c["laneIndex"], c["recordFrame"], c["sourceIn"], c["sourceOut"])


def takes_lane(plan: Plan, score_id, segment_id: str, path: str, item) -> Tuple[int, List[int]]:
    """A free "Score takes" lane at the frames of one cue, as the bridge chooses it (made past
    the last track if need be): (its index, tracks created)."""
    answer = ask_plan(plan, score_id, {path: item}, TAKES_TRACK, [segment_id])
    (clip,) = answer["clips"]
    lanes = [lane for lane in answer["lanes"] if lane["name"] == clip["lane"]]
    return int(clip["laneIndex"]), make_lanes(plan.timeline, lanes)


def make_lanes(timeline, lanes: List[Dict[str, Any]]) -> List[int]:
    """The plan's new lanes, added past the last audio track and named; returns their indexes."""
    created = []
    for lane in sorted(lanes, key=lambda lane: int(lane["index"])):
        if not lane.get("create"):
            continue
        if not timeline.AddTrack("audio", "stereo"):
            _remove_empty_tracks(timeline, created)
            raise ScoreProblem("Resolve would not add an audio track for the score")
        index = int(timeline.GetTrackCount("audio"))
        created.append(index)
        if index != int(lane["index"]):
            _remove_empty_tracks(timeline, created)
            raise ScoreProblem(
                "the timeline's audio tracks changed while the cues were planned: press Score again"
            )
        timeline.SetTrackName("audio", index, lane["name"])
    return created


def _media_key(media) -> str:
    get = _method(media, "GetMediaId") if media is not None else None
    if get:
        return "id:" + str(get())
    return "path:" + _file_path(media) if media is not None else ""


def find_placed(timeline, info: Dict[str, Any]):
    """The timeline item a clipInfo made, read back from its track: same start, same media."""
    want = _media_key(info["mediaPoolItem"])
    for item in timeline.GetItemListInTrack("audio", info["trackIndex"]) or []:
        if int(item.GetStart()) != int(info["recordFrame"]):
            continue
        get = _method(item, "GetMediaPoolItem")
        if get is None or _media_key(get()) == want:
            return item
    return None


def _on_timeline(timeline, item) -> bool:
    uid = _method(item, "GetUniqueId")
    key = uid() if uid else None
    for index in range(1, int(timeline.GetTrackCount("audio") or 0) + 1):
        for other in timeline.GetItemListInTrack("audio", index) or []:
            if other is item or (
                key and _method(other, "GetUniqueId") and other.GetUniqueId() == key
            ):
                return True
    return False


def remove_clips(resolve, timeline, items: List[Any]) -> List[Any]:
    """Delete timeline items, read back, return those still there. DeleteClips does nothing on
    the Fairlight page and can fail once then work (davinci-resolve-mcp api-limitations.md,
    "Timeline.DeleteClips"): delete from the Edit page, twice, then go back."""
    if not items:
        return []
    page = resolve.GetCurrentPage() if _method(resolve, "GetCurrentPage") else None
    switched = bool(
        page and page != "edit" and _method(resolve, "OpenPage") and resolve.OpenPage("edit")
    )
    try:
        still = list(items)
        for _attempt in range(2):
            timeline.DeleteClips(still, False)
            still = [i for i in still if _on_timeline(timeline, i)]
            if not still:
                break
    finally:
        if switched:
            resolve.OpenPage(page)
    return still


def _remove_empty_tracks(timeline, created: List[int]) -> List[int]:
    kept = []
    for index in sorted(created, reverse=True):
        if timeline.GetItemListInTrack("audio", index) or not timeline.DeleteTrack("audio", index):
            kept.append(index)
    return kept


def _where(c: Dict[str, Any]) -> str:
    return "{!r} on {!r} at {}".format(c["name"], c["lane"], c["recordInTimecode"])


def _not_all_placed(resolve, plan, clips, landed, created, new_media, cue_folder) -> str:
    """Resolve placed part of the batch: take back what landed, and say exactly what is where."""
    timeline = plan.timeline
    pairs = [(clips[i], landed[i]) for i in range(len(clips))]
    got = [_where(c) for c, item in pairs if item]
    lost = [_where(c) for c, item in pairs if not item]
    still = remove_clips(resolve, timeline, [item for item in landed if item])
    kept_tracks = _remove_empty_tracks(timeline, created)
    if new_media and not still:
        plan.media_pool.DeleteClips(new_media)
    if got:
        text = "Resolve placed {} of {} cue(s): it left out {}".format(
            len(got), len(clips), ", ".join(lost)
        )
    else:
        text = "Resolve refused to place the cues ({})".format(", ".join(lost))
    text += " (something already sits there, a track is locked, or a dialog is open in Resolve)"
    if still:
        left = [_where(c) for c, item in pairs if item in still]
        text += (
            "; it would not take back {} either, so they are still on the timeline: delete them by "
            "hand (open the Edit page first: Resolve refuses script deletes on the Fairlight "
            "page)".format(", ".join(left))
        )
    elif got:
        text += "; the ones that landed ({}) were taken back, so the timeline is as it was".format(
            ", ".join(got)
        )
    else:
        text += "; nothing was placed"
    if kept_tracks:
        text += "; the new track(s) {} hold clips now and were left".format(
            ", ".join(repr(timeline.GetTrackName("audio", i)) for i in kept_tracks)
        )
    return (
        text
        + f". The cue files are in {cue_folder}: drag them to the timeline by hand, or Score again"
    )


def place_cues(resolve, plan: Plan, score_id, placements, warnings: List[str]):
    timeline, media_pool = plan.timeline, plan.media_pool
    # 1. Every cue file must still be there before anything changes.
    paths = [(p.get("cue") or {}).get("audioPath", "") for p in placements]
    gone = [p or "(no path)" for p in paths if not p or not os.path.isfile(p)]
    if gone:
        raise ScoreProblem(
            "cue file(s) vanished before Resolve could import them: {}. Nothing was placed; "
            "press Score again to make them anew".format(", ".join(gone))
        )
    # 2. Import (media pool only), then ask the bridge where everything goes.
    items, new_media = import_cues(media_pool, paths)
    by_path = {p: items[os.path.normcase(os.path.abspath(p))] for p in paths}
    # 3. The timeline may have changed under a long score: place on the one that was scored.
    project = plan.project
    current = project.GetCurrentTimeline()
    if current is None or _uid(current) != _uid(timeline):
        if not project.SetCurrentTimeline(timeline):
            _forget(media_pool, new_media)
            raise ScoreProblem(
                "the scored timeline {!r} is no longer open; open it and press Score again".format(
                    plan.facts["name"]
                )
            )
    try:
        answer = ask_plan(plan, score_id, by_path, plan.choices.get("track_name") or TRACK_NAME)
    except ScoreProblem:
        _forget(media_pool, new_media)
        raise
    warnings += list(answer.get("warnings") or [])
    plan.dialogue_note = answer.get("dialogueNote") or ""  # the bridge's words, reported as is
    clips = list(answer.get("clips") or [])
    for c in clips:
        if c["name"]:
            by_path[c["audioPath"]].SetClipProperty("Clip Name", c["name"])
    # 4. Lanes, then one AppendToTimeline for all cues: Resolve takes or refuses the batch whole.
    created = make_lanes(timeline, list(answer.get("lanes") or []))
    infos = [_clip_info(by_path[c["audioPath"]], c) for c in clips]
    media_pool.AppendToTimeline(infos)
    # Resolve's answer is no proof: it drops a clip over another without a word, and the items
    # it returns can be empty or not on the timeline at all. Read every track back instead.
    landed = [find_placed(timeline, info) for info in infos]
    if not all(landed):
        raise ScoreProblem(
            _not_all_placed(
                resolve, plan, clips, landed, created, new_media, os.path.dirname(paths[0])
            )
        )
    for index in sorted({int(c["laneIndex"]) for c in clips if not c.get("enabled")}):
        # A preview: the editor auditions by enabling the track (Timeline.SetTrackEnable).
        if not timeline.SetTrackEnable("audio", index, False):
            warnings.append(
                "Resolve would not mute the preview track {!r}; mute it by hand".format(
                    timeline.GetTrackName("audio", index)
                )
            )
    # 5. Colour and mark what landed, and report exactly what is where, read back.
    placed = []
    for n, c in enumerate(clips):
        item = landed[n]
        if _method(item, "SetClipColor"):
            item.SetClipColor(CLIP_COLOR)
        m = c.get("marker") or {}
        frame = int(m["frame"]) if m.get("name") else None
        if frame is None or not add_marker(timeline, m, frame):
            warnings.append("no room for a marker on the cue {!r}".format(c["name"]))
            frame = None
        start, length = int(item.GetStart()), int(item.GetEnd()) - int(item.GetStart())
        placed.append(
            {
                "name": c["name"],
                "segmentId": c["segmentId"],
                "trackIndex": int(c["laneIndex"]),
                "trackName": timeline.GetTrackName("audio", int(c["laneIndex"])),
                "recordFrame": start,
                "startFrame": int(c["sourceIn"]),
                "endFrame": int(c["sourceOut"]),
                "durationFrames": length,
                "audioPath": c["audioPath"],
                "markerFrame": frame,
                "rankedTakes": offer_ranked_takes(
                    resolve, plan, score_id, c, by_path[c["audioPath"]], start, warnings
                ),
            }
        )
    return placed


def _uid(timeline) -> str:
    get = _method(timeline, "GetUniqueId")
    return get() if get else timeline.GetName()


# -- another take --------------------------------------------------------------------------------


def _score_tracks(timeline, facts: Dict[str, Any]) -> List[Tuple[int, str]]:
    """The audio tracks that are Score lanes (preview ones too): which they are is the bridge's."""
    count = int(timeline.GetTrackCount("audio") or 0)
    names = [timeline.GetTrackName("audio", i) or "" for i in range(1, count + 1)]
    if not names:
        return []
    asked = facts["bridge"].times(facts, tracks=names, lanes=[TRACK_NAME, PREVIEW_TRACK])
    lanes = asked.get("scoreLanes") or []
    return [(n + 1, name) for n, name in enumerate(names) if lanes[n : n + 1] == [True]]


def _cue_marker_data(timeline, facts: Dict[str, Any], start: int, end: int, path: str):
    """The 'Score: ...' marker of a placed cue: (frame, its data), or (None, {})."""
    norm = os.path.normcase(os.path.abspath(path)) if path else ""
    for frame, marker in sorted((timeline.GetMarkers() or {}).items()):
        frame = int(round(float(frame)))
        if not start - facts["start"] <= frame < end - facts["start"]:
            continue
        try:
            data = json.loads(marker.get("customData") or "{}").get("cuebridge") or {}
        except (ValueError, AttributeError):
            continue
        audio = data.get("audio") or ""
        if data and (not norm or os.path.normcase(os.path.abspath(audio)) == norm):
            return frame, data
    return None, {}


def chosen_cue(resolve, timeline, facts: Dict[str, Any]) -> Dict[str, Any]:
    """The cue to take again: a selected clip on a Score track, else the one under the playhead."""
    tracks = _score_tracks(timeline, facts)
    on_tracks = [
        (index, name, item)
        for index, name in tracks
        for item in timeline.GetItemListInTrack("audio", index) or []
    ]
    get_selected = _method(timeline, "GetSelectedClips")  # in the README of recent versions
    selected = list(get_selected() or []) if get_selected else []
    chosen = [c for c in on_tracks if any(c[2] is s or _same_item(c[2], s) for s in selected)]
    if not chosen:
        frame = playhead(timeline, facts)
        chosen = [c for c in on_tracks if int(c[2].GetStart()) <= frame < int(c[2].GetEnd())]
    if not chosen:
        raise ScoreProblem(
            f"no cue to take again: put the playhead on a cue on the {TRACK_NAME!r} track (or "
            "select the cue's clip), then ask for another take"
        )
    index, name, item = chosen[0]
    media = item.GetMediaPoolItem() if _method(item, "GetMediaPoolItem") else None
    path = media.GetClipProperty("File Path") if media is not None else ""
    start, end = int(item.GetStart()), int(item.GetEnd())
    marker_frame, data = _cue_marker_data(timeline, facts, start, end, path)
    # Its takes before (markers written before "earlier" kept them in "takes", as dicts).
    kept = data.get("earlier") or [t for t in data.get("takes") or [] if isinstance(t, dict)]
    earlier = [{"seed": str(t.get("seed")), "audioPath": t.get("audio") or ""} for t in kept]
    return {
        "item": item,
        "media": media,
        "trackIndex": index,
        "trackName": name,
        "start": start,
        "end": end,
        "name": item.GetName() or "cue",
        "audioPath": path or "",
        "markerFrame": marker_frame,
        "prompt": data.get("prompt", ""),
        "mood": data.get("mood", ""),
        "seed": str(data.get("seed", "")),
        "earlier": earlier + [{"seed": str(data.get("seed", "")), "audioPath": path or ""}],
    }


def _same_item(a, b) -> bool:
    ua, ub = _method(a, "GetUniqueId"), _method(b, "GetUniqueId")
    return bool(ua and ub and ua() == ub())


def take_selection(take: Dict[str, Any], facts: Dict[str, Any]) -> Dict[str, Any]:
    text = "-".join(timecodes(facts, take["start"], take["end"]))
    return {
        "mode": "SEGMENT_MODE_RANGE",
        "range": text,
        "describe": "another take of {!r} ({})".format(take["name"], text),
    }


def new_seed(take: Dict[str, Any]) -> int:
    # Any seed the cue has not had: the bridge derives the cue's own seed from it.
    used = {t["seed"] for t in take["earlier"]}  # the take it replaces too
    while True:
        seed = random.SystemRandom().randrange(1, 2**31)
        if str(seed) not in used:
            return seed


def _place_one(timeline, media_pool, media, track_index: int, start: int, source_frames: int):
    info = _info(media, track_index, start, 0, source_frames)
    media_pool.AppendToTimeline([info])
    return find_placed(timeline, info)


def finish_take(resolve, plan: Plan, job: Dict[str, Any]) -> Report:
    """Swap the new take in: the old one goes, disabled, to a "Score takes" track, the new one
    onto the cue's own track at the same frame. Every step is read back; a step that fails
    puts back what the steps before it changed, and the message says where everything is."""
    take, timeline, media_pool = plan.take, plan.timeline, plan.media_pool
    facts, warnings = _job_facts(plan, job), list(plan.warnings)
    what = "make another take of {!r}".format(take["name"])
    unfinished = _unfinished(plan, job, "the cue keeps its take", what)
    if unfinished is not None:
        return unfinished
    cue = job["result"]["placements"][0].get("cue") or {}
    path = cue.get("audioPath", "")
    if not path or not os.path.isfile(path):
        raise ScoreProblem(
            f"the new take's file {path or '(none)'} vanished: the cue keeps its take"
        )
    items, new_media = import_cues(media_pool, [path])
    new_item = items[os.path.normcase(os.path.abspath(path))]
    new_item.SetClipProperty("Clip Name", take["name"])
    # The bridge's plan gives the frames and the marker; the take keeps its own track.
    try:
        (clip,) = ask_plan(plan, job.get("id"), {path: new_item}, TRACK_NAME)["clips"]
    except ScoreProblem:
        _forget(media_pool, new_media)
        raise
    length = int(clip["sourceOut"])  # source frames: every take was imported at the same FPS
    where = "{!r} at {}".format(take["trackName"], timecodes(plan.facts, take["start"])[0])

    # 1. A disabled copy of the old take on a "Score takes" track.
    takes_index, created = takes_lane(plan, job.get("id"), clip["segmentId"], path, new_item)
    copy = _place_one(timeline, media_pool, take["media"], takes_index, take["start"], length)
    if copy is None:
        _remove_empty_tracks(timeline, created)
        _forget(media_pool, new_media)
        raise ScoreProblem(
            "Resolve would not put the previous take of {!r} on a {!r} track, so the cue keeps "
            "it; the new take is {}".format(take["name"], TAKES_TRACK, path)
        )
    if not copy.SetClipEnabled(False):
        warnings.append(f"Resolve would not disable the previous take on {TAKES_TRACK!r}")
    # 2. The old take off the cue's track.
    if remove_clips(resolve, timeline, [take["item"]]):
        copy_left = bool(remove_clips(resolve, timeline, [copy]))
        _remove_empty_tracks(timeline, created)
        _forget(media_pool, new_media)
        left = (
            "; a disabled copy of it is left on {!r}: delete it by hand".format(
                timeline.GetTrackName("audio", takes_index)
            )
            if copy_left
            else ""
        )
        raise ScoreProblem(
            "Resolve would not take the previous take of {!r} off {} (open the Edit page: Resolve "
            "refuses script deletes on the Fairlight page), so the cue keeps it{}; the new take "
            "is {}".format(take["name"], where, left, path)
        )
    # 3. The new take where the old one was.
    landed = _place_one(timeline, media_pool, new_item, take["trackIndex"], take["start"], length)
    if landed is None:
        back = _place_one(
            timeline, media_pool, take["media"], take["trackIndex"], take["start"], length
        )
        if back is not None:
            remove_clips(resolve, timeline, [copy])
            _remove_empty_tracks(timeline, created)
            state = "the previous take is back on " + where
        else:
            copy.SetClipEnabled(True)
            state = "the previous take is on {!r}, enabled".format(
                timeline.GetTrackName("audio", takes_index)
            )
        raise ScoreProblem(
            "Resolve would not place the new take of {!r} on {}: {}; the new take is {}".format(
                take["name"], where, state, path
            )
        )
    if _method(landed, "SetClipColor"):
        landed.SetClipColor(CLIP_COLOR)
    seed = (cue.get("metadata") or {}).get("seed", "")
    _mark_take(timeline, take, clip["marker"])
    # 4. Best-of-N: the engine's other takes, disabled, on further "Score takes" tracks.
    others = offer_ranked_takes(
        resolve, plan, job.get("id"), clip, new_item, take["start"], warnings
    )
    previous = timeline.GetTrackName("audio", takes_index)
    message = (
        "another take of {!r} (seed {}) is on {}; the previous take (seed {}) is disabled on "
        "{!r}: enable it there (and disable this one) to go back".format(
            take["name"], seed, where, take["seed"] or "?", previous
        )
    )
    if others:
        message += f"; {others} more ranked take(s) wait on the takes tracks"
    placed = [
        {
            "name": take["name"],
            "trackIndex": take["trackIndex"],
            "trackName": take["trackName"],
            "recordFrame": take["start"],
            "durationFrames": take["end"] - take["start"],
            "audioPath": path,
            "seed": seed,
            "previousTrack": previous,
        }
    ]
    return Report(True, message, placed=placed, warnings=warnings, **facts)


def _forget(media_pool, new_media) -> None:
    # A take that never reached the timeline leaves nothing in the media pool either.
    if new_media:
        media_pool.DeleteClips(new_media)


def _mark_take(timeline, take, marker: Dict[str, Any]) -> None:
    """The plan's marker (new take, earlier takes) replaces the cue's, on the same frame."""
    frame = take["markerFrame"]
    if frame is not None:
        timeline.DeleteMarkerAtFrame(frame)
    elif marker.get("name"):
        frame = int(marker["frame"])
    if frame is not None:
        add_marker(timeline, marker, frame)


def add_marker(timeline, m: Dict[str, Any], frame: int) -> bool:
    """One of the plan's markers (PlannedMarker), at `frame` from the timeline's start."""
    length = int(m["durationFrames"])
    return bool(
        timeline.AddMarker(frame, m["color"], m["name"], m["note"], length, m["customData"])
    )


def offer_ranked_takes(resolve, plan, score_id, clip, item, start: int, warnings) -> int:
    """Best-of-N: the takes the engine ranked lower (the plan's clip `takes`), each a disabled
    clip on a "Score takes" track at the cue's frames, to A/B with `item`, the one placed."""
    name, source_frames = clip["name"], int(clip["sourceOut"])
    cue = (score_id, clip["segmentId"], clip["audioPath"], item)
    others = [t for t in clip.get("takes") or [] if os.path.isfile(t)]
    if not others:
        return 0
    timeline, media_pool = plan.timeline, plan.media_pool
    items, _new = import_cues(media_pool, others)
    offered = 0
    for other in others:
        media = items[os.path.normcase(os.path.abspath(other))]
        media.SetClipProperty("Clip Name", name)
        index, _made = takes_lane(plan, *cue)
        offer = _place_one(timeline, media_pool, media, index, start, source_frames)
        if offer is None or not offer.SetClipEnabled(False):
            warnings.append(f"a ranked take of {name!r} ({other}) could not be offered")
            continue
        offered += 1
    return offered


# -- telling the editor ------------------------------------------------------------------------


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


def error_marker(resolve, report: Report, settings: Dict[str, Any]) -> bool:
    """Without a window (the free edition) a red marker at the playhead carries the message."""
    try:
        _project, timeline, _mp = current_timeline(resolve)
        delete = _method(timeline, "DeleteMarkerByCustomData")
        if delete:
            # One call per old error marker; never more than there are markers, so a host that
            # keeps answering True cannot hang the script.
            for _marker in range(len(timeline.GetMarkers() or {}) + 1):
                if not delete(ERROR_MARKER_DATA):
                    break
        frame = 0
        try:  # at the playhead when the bridge can read its timecode, else at the start
            facts = timeline_facts(timeline, Bridge.from_settings(settings))
            frame = max(0, playhead(timeline, facts) - facts["start"])
        except ScoreProblem:
            pass
        marker = {"color": ERROR_MARKER_COLOR, "name": "cuebridge: not scored", "durationFrames": 1}
        marker.update(note=report.text(), customData=ERROR_MARKER_DATA)
        return add_marker(timeline, marker, frame)
    except Exception:
        return False


# -- the window (Studio; fu.UIManager is gone from the free edition since 19.1) ---------------


def has_script_windows(resolve) -> bool:
    """Studio, or the free edition before 19.1. Asked BEFORE fu.UIManager is read: on the free
    edition 19.1+ that read opens the Studio upsell dialog, and later calls fail under it."""
    get = _method(resolve, "GetProductName")
    name = str(get() or "") if get else ""
    if "Studio" in name:
        return True
    version = resolve_version(resolve)
    return bool(name) and (0, 0) < version < (19, 1)


def ui_manager(fu):
    try:
        ui = getattr(fu, "UIManager", None) if fu else None
    except Exception:
        return None
    return ui or None


class ScoreWindow:
    """Prompt, mood, model, what to score; Score, Another take, Cancel and a progress line.

    A UIManager timer polls the bridge, so the window stays responsive and Cancel works; where
    no timer can be made the click handler waits instead (progress goes to the Console).
    """

    SELECTIONS = [
        ("auto", "In/out if marked, else cue markers"),
        ("range", "In/out range"),
        ("markers", "Cue markers"),
    ]
    # The window, row by row: (UIManager widget, ID, text). A LineEdit's text is its setting.
    ROWS = [
        [("Label", "", "Prompt (a cue marker's name is its own prompt)")],
        [("LineEdit", "Prompt", "prompt")],
        [("Label", "", "Mood"), ("LineEdit", "Mood", "mood")]
        + [("Label", "", "Model"), ("ComboBox", "Model", "")],
        [("Label", "", "Score"), ("ComboBox", "Selection", "")],
        [("CheckBox", "Preview", "Place on a muted 'Score (preview)' track to audition")],
        [("Label", "Status", "")],
        [("Button", "Score", "Score"), ("Button", "Take", "Another take")]
        + [("Button", "Cancel", "Close")],
    ]

    def __init__(self, resolve, fu, bmd, settings: Dict[str, Any]):
        self.resolve, self.settings = resolve, settings
        self.ui = ui_manager(fu)
        self.dispatcher = bmd.UIDispatcher(self.ui)
        self.bridge = Bridge.from_settings(settings)
        self.session = None  # type: Optional[ScoreSession]
        self.timer = None
        self.models = [""]
        rows = [self.ui.HGroup([self._widget(*w) for w in row]) for row in self.ROWS]
        window = {"ID": "CueBridge", "WindowTitle": "cuebridge: score"}
        window["Geometry"] = [200, 200, 480, 300]
        self.window = self.dispatcher.AddWindow(window, self.ui.VGroup(rows))
        self.items = self.window.GetItems()

    def _widget(self, kind: str, wid: str, text: str):
        props = {"ID": wid, "Text": text} if wid else {"Text": text, "Weight": 0}
        if kind == "LineEdit":
            props["Text"] = self.settings.get(text, "")
        elif kind == "CheckBox":
            props["Checked"] = bool(self.settings.get("preview"))
        elif wid == "Status":
            props["WordWrap"] = True
        return getattr(self.ui, kind)(props)

    def say(self, text: str) -> None:
        self.items["Status"].Text = text
        console(text)

    def run(self) -> None:
        for _key, label in self.SELECTIONS:
            self.items["Selection"].AddItem(label)
        try:
            info = self.bridge.engine_info()
            self.models += [m["name"] for m in info.get("models", []) if m.get("ready")]
            self.say(f"bridge ready at {self.bridge.url}")
        except ScoreProblem as exc:
            self.say(str(exc))
        for name in self.models:
            self.items["Model"].AddItem(name or "(engine default)")
        on = self.window.On
        on.Score.Clicked = self.on_score
        on.Take.Clicked = self.on_take
        on.Cancel.Clicked = self.on_cancel
        on.CueBridge.Close = lambda _ev: self.dispatcher.ExitLoop()
        self.timer = self._make_timer()
        self.window.Show()
        self.dispatcher.RunLoop()
        self.window.Hide()

    def _make_timer(self):
        try:
            timer = self.ui.Timer({"ID": "CueBridgePoll", "Interval": 700, "SingleShot": False})
            self.dispatcher.On.Timeout = self.on_tick
            return timer
        except Exception:
            return None

    def choices(self) -> Dict[str, Any]:
        model = self.items["Model"].CurrentIndex
        pick = max(int(self.items["Selection"].CurrentIndex), 0)
        return {
            "prompt": self.items["Prompt"].Text,
            "mood": self.items["Mood"].Text,
            "model": self.models[model] if 0 <= model < len(self.models) else "",
            "selection": self.SELECTIONS[pick][0],
            "seed": self.settings.get("seed", 0),
            "preview": bool(self.items["Preview"].Checked),
        }

    def on_take(self, ev) -> None:
        """Another take of the cue under the playhead (or the selected cue clip)."""
        self.on_score(ev, take=True)

    def on_score(self, _ev, take: bool = False) -> None:
        if self.session is not None:
            return
        self.say("exporting the timeline and asking the bridge ...")
        session = ScoreSession(self.resolve, self.bridge, self.settings)
        choices = self.choices()
        if take:
            choices.update(take=True, prompt="", mood="")  # the cue's own prompt and mood
        try:
            session.start(choices)
        except ScoreProblem as exc:
            self.say(str(exc))
            return
        except Exception as exc:
            self.say(unexpected(exc).text())
            return
        self.session = session
        self.items["Cancel"].Text = "Cancel"
        if self.timer is not None:
            self.timer.Start()
            return
        while self.session is not None:  # no timer: wait here
            self.on_tick(None)
            time.sleep(float(self.settings.get("poll_seconds", POLL_SECONDS)))

    def on_tick(self, _ev) -> None:
        session = self.session
        if session is None:
            return
        try:
            report = session.poll()
        except ScoreProblem as exc:
            report = Report(False, str(exc))
        except Exception as exc:
            report = unexpected(exc)
        if report is None:
            self.say(session.progress())
            return
        if self.timer is not None:
            self.timer.Stop()
        self.session = None
        self.items["Cancel"].Text = "Close"
        self.say(report.text())

    def on_cancel(self, _ev) -> None:
        if self.session is None:
            self.dispatcher.ExitLoop()
            return
        try:
            self.session.cancel()
            self.say("cancelling after the cue in progress ...")
        except ScoreProblem as exc:
            self.say(str(exc))


# -- entry point -----------------------------------------------------------------------------


def get_resolve(scope: Dict[str, Any]):
    if scope.get("resolve"):
        return scope["resolve"]
    app = scope.get("app")
    if app is not None and _method(app, "GetResolve"):
        return app.GetResolve()
    bmd = scope.get("bmd")
    if bmd is not None:
        found = bmd.scriptapp("Resolve")
        if found:
            return found
    try:
        import DaVinciResolveScript as dvr  # only outside Resolve (Studio, external scripting)

        return dvr.scriptapp("Resolve")
    except ImportError:
        return None


def main(scope: Optional[Dict[str, Any]] = None) -> Optional[Report]:
    scope = scope if scope is not None else {}
    resolve = get_resolve(scope)
    if not resolve:
        console(
            "cannot reach DaVinci Resolve: run this from Workspace > Scripts inside Resolve "
            "(external scripting needs Resolve Studio)"
        )
        return None
    script = scope.get("__file__")
    try:
        settings = load_settings(os.path.dirname(os.path.abspath(script)) if script else None)
    except ScoreProblem as exc:
        console(str(exc))
        return Report(False, str(exc))
    bmd = scope.get("bmd")
    take = bool(scope.get("cuebridge_take"))  # Workspace > Scripts > cuebridge_another_take
    if bmd is not None and not take and has_script_windows(resolve):
        fu = (
            scope.get("fu")
            or scope.get("fusion")
            or (_method(resolve, "Fusion") and resolve.Fusion())
        )
        if ui_manager(fu) is not None:
            ScoreWindow(resolve, fu, bmd, settings).run()
            return None
    # No window (the free edition since 19.1): score what is marked with the saved choices.
    choices = {k: settings.get(k) for k in ("prompt", "mood", "model", "seed", "preview")}
    if take:
        console("another take of the cue under the playhead (or the selected cue clip)")
        choices.update(take=True, prompt="", mood="", seed=0)
    else:
        console("no script window in this Resolve: scoring the marks with the settings' prompt")
    said = []

    def progress(line: str) -> None:
        if not said or said[-1] != line:  # each change once, not every poll
            said.append(line)
            console(line)

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
