"""The panel's HTML in headless Chromium, outside Premiere: it renders, says where it is, logs
no errors, and fits a 320 px panel in every state. Chromium is Debian's package, installed by
install_chromium.sh when missing.

Chromium has no Spectrum UXP widgets (Premiere draws them natively): spectrum_stand_ins.js
defines minimal custom elements of the same names that lay out like them, so the layout test
measures the panel's own HTML and CSS around widgets of Spectrum's sizes."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PLUGIN = HERE.parents[1] / "plugins" / "premiere"
CHROMIUM = Path("/usr/bin/chromium")
CONTROLS = {
    "prompt": "sp-textarea",
    "mood": "sp-picker",
    "seed": "sp-textfield",
    "model": "sp-picker",
    "mode": "sp-picker",
    "score": "sp-button",
    "cancel": "sp-button",
    "progress": "sp-progressbar",
    "status": "div",
    "bridge-url": "sp-textfield",
    "token": "sp-textfield",
    "audition": "sp-checkbox",
    "take": "sp-button",
    "place": "sp-button",
    "cues": "div",
}
PANEL_WIDTH = 320
STATES = ("idle", "scoring", "takes", "error")


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        started = time.monotonic()
        done = subprocess.run(
            ["sh", str(HERE / "install_chromium.sh")], capture_output=True, text=True, timeout=1200
        )
        assert done.returncode == 0, f"installing chromium failed:\n{done.stderr[-3000:]}"
        print(f"chromium installed in {time.monotonic() - started:.0f} s")
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing after install_chromium.sh"
    return CHROMIUM


class _Dom(HTMLParser):
    """Elements by id (tag, attributes, text) from Chromium's --dump-dom."""

    def __init__(self):
        super().__init__()
        self.by_id: dict[str, dict] = {}
        self.options: dict[str, list[str]] = {}
        self._open: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        node = {"tag": tag, "attrs": attrs, "text": ""}
        if "id" in attrs:
            self.by_id[attrs["id"]] = node
        if tag == "sp-menu-item" and self._open:
            select = next((n for t, n in reversed(self._open) if t == "sp-picker"), None)
            if select is not None:
                self.options.setdefault(select["attrs"].get("id"), []).append(node)
        if tag not in ("input", "meta", "link", "br", "img"):
            self._open.append((tag, node))

    def handle_endtag(self, tag):
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                del self._open[i:]
                break

    def handle_data(self, data):
        for _, node in self._open:
            node["text"] += data


def _page(
    folder: Path, extra_body: str = "", host: dict | None = None, layout: str | None = None
) -> Path:
    """The plugin's files with the shim and the widget stand-ins loaded first (optional: planted
    mistakes, a host, a state for the layout probe)."""
    for path in PLUGIN.iterdir():
        if path.suffix in {".html", ".js", ".css", ".json"}:
            shutil.copyfile(path, folder / path.name)
    for name in ("uxp_shim.js", "spectrum_stand_ins.js", "layout_probe.js"):
        shutil.copyfile(HERE / name, folder / name)
    html = (PLUGIN / "index.html").read_text()
    shim = '<script src="uxp_shim.js"></script><script src="spectrum_stand_ins.js"></script>'
    if layout is not None:
        shim = f"<script>window.__cuebridgeLayoutState = {json.dumps(layout)};</script>{shim}"
        extra_body += '<script src="layout_probe.js"></script>'
    if host is not None:
        shim = f"<script>window.__cuebridgeTestHost = {json.dumps(host)};</script>{shim}"
    html = html.replace("<head>", f"<head>\n    {shim}", 1)
    html = html.replace("</body>", f"{extra_body}</body>", 1)
    page = folder / "panel.html"
    page.write_text(html)
    return page


def _chromium(binary: Path, page: Path, profile: Path, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            str(binary),
            "--headless=new",
            "--no-sandbox",  # CI containers run as root
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=3000",  # let the panel's promises settle before the dump
            *flags,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _render(binary: Path, page: Path, profile: Path) -> tuple[_Dom, list[str]]:
    done = _chromium(binary, page, profile, "--dump-dom")
    assert done.returncode == 0, done.stderr[-3000:]
    dom = _Dom()
    dom.feed(done.stdout)
    assert "__console_errors" in dom.by_id, "the shim did not run:\n" + done.stdout[:2000]
    errors = json.loads(dom.by_id["__console_errors"]["text"])
    # Uncaught errors also reach Chromium's log, even ones thrown before the shim could listen.
    errors += re.findall(r'CONSOLE[^\]]*\] "(Uncaught[^"]*)"', done.stderr)
    return dom, errors


def test_panel_renders_outside_premiere_with_its_controls_and_no_errors(chromium, tmp_path):
    page = _page(tmp_path)
    dom, errors = _render(chromium, page, tmp_path / "profile")
    assert errors == []
    for element_id, tag in CONTROLS.items():
        assert element_id in dom.by_id, f"#{element_id} is missing"
        assert dom.by_id[element_id]["tag"] == tag, element_id
    assert dom.by_id["score"]["text"].strip() == "Score"
    assert dom.by_id["cancel"]["text"].strip() == "Cancel"
    # Outside Premiere: a notice instead of a crash, and nothing to score with.
    notice = dom.by_id["notice"]
    assert "display: block" in notice["attrs"]["style"]
    assert "Outside Premiere Pro" in notice["text"]
    assert "premierepro module is missing" in notice["text"]
    assert "disabled" in dom.by_id["score"]["attrs"]
    assert "disabled" in dom.by_id["cancel"]["attrs"]
    assert "disabled" in dom.by_id["take"]["attrs"] and "disabled" in dom.by_id["place"]["attrs"]
    assert "Score to list the cues here." in dom.by_id["cues"]["text"]
    assert dom.by_id["status"]["text"] == "Not in Premiere Pro"
    modes = [o["attrs"]["value"] for o in dom.options["mode"]]
    assert modes == ["auto", "markers", "inout", "whole"]
    assert dom.by_id["token"]["attrs"]["type"] == "password"

    shot = tmp_path / "panel.png"
    done = _chromium(
        chromium, page, tmp_path / "profile", f"--screenshot={shot}", "--window-size=360,820"
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 5000
    if keep := os.environ.get("CUEBRIDGE_PANEL_SCREENSHOT"):
        shutil.copyfile(shot, keep)  # for a person to look at


def test_the_error_recorder_catches_what_it_must(chromium, tmp_path):
    """Planted mistakes: the recorder must see each one, or the test above proves nothing."""
    planted = (
        '<script>console.error("planted console error")</script>'
        '<script src="no_such_module.js"></script>'
        '<script>Promise.reject(new Error("planted rejection"))</script>'
        '<script>throw new Error("planted throw")</script>'
    )
    _, errors = _render(chromium, _page(tmp_path, planted), tmp_path / "profile")
    text = "\n".join(errors)
    assert "console.error: planted console error" in text
    assert "failed to load: " in text and "no_such_module.js" in text
    assert "planted rejection" in text
    assert "uncaught: Uncaught Error: planted throw" in text


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens here once the socket closes


def test_panel_in_a_host_reports_a_missing_bridge_and_an_unmarked_sequence(chromium, tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}"
    host = {"settings": {"bridgeUrl": url, "token": "t0k"}, "clickScore": True}
    dom, errors = _render(chromium, _page(tmp_path, host=host), tmp_path / "profile")
    assert errors == []
    assert dom.by_id["token"]["attrs"]["placeholder"] == "from settings.json"
    assert "disabled" not in dom.by_id["score"]["attrs"]  # inside a host, Score is live
    # Score was pressed: the sequence has neither markers nor In/Out, so nothing was sent.
    notice = dom.by_id["notice"]["text"]
    assert '"Reel 1" has no markers with a duration and no In/Out' in notice
    assert dom.by_id["status"]["text"] == "Nothing was placed."


def test_panel_in_a_host_says_to_start_the_bridge(chromium, tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}"
    host = {"settings": {"bridgeUrl": url, "token": "t0k"}, "clickScore": False}
    dom, errors = _render(chromium, _page(tmp_path, host=host), tmp_path / "profile")
    assert errors == []
    notice = dom.by_id["notice"]["text"]
    assert f"Cannot reach the cuebridge bridge at {url}" in notice
    assert "`cuebridge serve`" in notice
    assert dom.by_id["status"]["text"] == "Not connected"
    # No ListMoods answer: the mood picker falls back to the composer's styles.
    moods = [o["attrs"]["value"] for o in dom.options["mood"]]
    assert moods[0] == "" and "suspense" in moods and "pastoral" in moods, moods
    assert "tense" not in moods, moods


def _layout(binary: Path, page: Path, profile: Path) -> dict:
    done = _chromium(binary, page, profile, "--dump-dom", f"--window-size={PANEL_WIDTH},1400")
    assert done.returncode == 0, done.stderr[-3000:]
    dom = _Dom()
    dom.feed(done.stdout)
    assert "__layout" in dom.by_id, "the layout probe did not report:\n" + done.stdout[-2000:]
    errors = json.loads(dom.by_id["__console_errors"]["text"])
    assert errors == [], errors
    return json.loads(dom.by_id["__layout"]["text"])


@pytest.mark.parametrize("state", STATES)
def test_panel_fits_320_px_in_every_state(chromium, tmp_path, state):
    """Nothing leaves a 320 px panel and no text is clipped: idle, scoring (progress and a long
    cue name), takes (two cues with timecode, duration and takes), error (a two-line notice)."""
    page = _page(tmp_path, layout=state)
    result = _layout(chromium, page, tmp_path / "profile")
    assert result["state"] == state
    assert result["width"] == PANEL_WIDTH, result
    assert result["seen"] > 20, result  # the probe measured the panel, not an empty page
    assert result["found"] == [], "\n".join(result["found"])

    # The window is wider than the panel (headless Chromium's minimum); the probe's magenta
    # outline marks the panel's 320 px edge in the screenshot.
    shot = tmp_path / f"panel-{state}.png"
    done = _chromium(
        chromium, page, tmp_path / "profile", f"--screenshot={shot}", "--window-size=500,1300"
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 5000
    if keep := os.environ.get("CUEBRIDGE_PANEL_SCREENSHOTS"):
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, Path(keep) / shot.name)  # for a person to look at


def test_the_layout_probe_sees_a_planted_overflow(chromium, tmp_path):
    """A planted 600 px line in the cue list: the probe must report it, or the test above
    proves nothing."""
    planted = (
        "<script>document.getElementById('cues').insertAdjacentHTML('beforeend',"
        ' \'<div id="planted" style="white-space: nowrap">\''
        " + 'W'.repeat(80) + '</div>')</script>"
    )
    page = _page(tmp_path, extra_body=planted, layout="idle")
    result = _layout(chromium, page, tmp_path / "profile")
    text = "\n".join(result["found"])
    assert "panel scrolls sideways" in text or "div#planted" in text, text
    assert "div#cues" in text or "div#planted" in text, text
