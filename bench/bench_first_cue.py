"""The first 30 s cue over HTTP/JSON from a freshly started server, beside a warm one.

Each run is a fresh process (the parsed font lives per process) hosting both services and the
HTTP/JSON gateway, as `serve` does. The editor presses "Score" the moment the port answers; the
bench times that first cue and then a second one (warm). Two kinds of start, side by side:
previous (no warm-up: the font is parsed inside the first job), new (`serve`'s warm-up), and
new with the press made once /healthz answers 200 (SERVING), and the real `cuebridge serve`
command started in a child process, pressed the moment it prints its HTTP address (what an
editor's plugin meets; its own start, before the port answers, is not counted in the cue's
time but shown as "press at"). Each kind runs for this checkout
and for a previous git revision (default `main`, exported as bench_first_press does). Beside
each: the longest a /healthz call waited while the server warmed up (a font load that holds
the GIL in the server's own process stalls every call).
The decoded-font cache is filled once before both, so neither pays the one decode per machine.

    python bench/bench_first_cue.py
    python bench/bench_first_cue.py --baseline REV
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from fractions import Fraction
from pathlib import Path

MODES = ("previous", "new", "new, pressed when healthy", "cuebridge serve, pressed at once")
TOKEN = "t" * 32


def one(mode: str, tmp: Path) -> dict[str, float]:
    import opentimelineio as otio

    from cuebridge.app.demo_film import make_feature_timeline
    from cuebridge.app.host import start_server

    timeline = tmp / "half-minute.otio"
    otio.adapters.write_to_file(
        make_feature_timeline(minutes=Fraction(1, 2), cues=1), str(timeline)
    )
    t0 = time.time()
    if mode.startswith("cuebridge serve"):
        url, token, stop = _serve_command(tmp / "serve-state")
    else:
        running = start_server(
            "127.0.0.1",
            0,
            state_dir=tmp / mode.replace(",", "").replace(" ", "-"),
            token=TOKEN,
            http_port=0,
            resume=mode != "previous",
        )
        url, token, stop = running.http.url, TOKEN, lambda: running.stop(0)
    stall = 0.0
    try:
        if mode == "new, pressed when healthy":  # a plugin that checks /healthz first
            while True:
                asked = time.perf_counter()
                healthy = _healthy(url)
                stall = max(stall, time.perf_counter() - asked)
                if healthy:
                    break
                time.sleep(0.05)
        healthy_after = time.time() - t0
        times = []
        for n in range(2):
            body = {
                "timelinePath": str(timeline),
                "outputPath": str(tmp / f"{mode}-{n}.otio"),
                "force": True,
                "selection": {"mode": "SEGMENT_MODE_WHOLE"},
                "seed": str(n),
                "cueDir": str(tmp / f"{mode}-cues-{n}"),
            }
            start = time.perf_counter()
            job = _post(url, token, "/cuebridge.v1.Bridge/StartScore", body)
            while not job["state"].endswith(("SUCCEEDED", "FAILED", "CANCELLED")):
                time.sleep(0.05)
                job = _post(url, token, "/cuebridge.v1.Bridge/GetScore", {"scoreId": job["id"]})
            assert job["state"] == "JOB_STATE_SUCCEEDED", job
            times.append(time.perf_counter() - start)
    finally:
        stop()
    return {"first": times[0], "warm": times[1], "healthy_after": healthy_after, "stall": stall}


def _serve_command(state: Path):
    """`cuebridge serve` in a child process (this interpreter, the same PYTHONPATH): its HTTP
    address, its token and how to stop it, once it prints where it serves."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_first_press import LAUNCH

    child = subprocess.Popen(
        [sys.executable, "-P", "-c", LAUNCH, "serve", "--port", "0", "--http-port", "0",
         "--state-dir", str(state)],
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    url = token_file = ""
    for line in child.stderr:
        if found := re.match(r"HTTP/JSON on (\S+)", line):
            url = found.group(1)
        if found := re.match(r"token file: (.+)", line):
            token_file = found.group(1).strip()
        if url and token_file:
            break
    else:
        sys.exit(f"bench_first_cue: serve ended before it served (exit {child.wait()})")
    threading.Thread(target=child.stderr.read, daemon=True).start()  # never blocks its writes

    def stop() -> None:
        child.terminate()
        child.wait(60)

    return url, Path(token_file).read_text().strip(), stop


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=5) as resp:
            return resp.status == 200
    except urllib.error.HTTPError:
        return False


def _post(url: str, token: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(
        url + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + token},
    )
    with urllib.request.urlopen(request, timeout=120) as resp:
        return json.loads(resp.read())


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(one(sys.argv[2], Path(os.environ["BENCH_TMP"]))))
        return
    baseline = sys.argv[sys.argv.index("--baseline") + 1] if "--baseline" in sys.argv else "main"
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_first_press import export

    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, CUEBRIDGE_DATA_DIR=str(Path(tmp) / "data"), BENCH_TMP=tmp)
        (Path(tmp) / "old").mkdir()
        versions = {baseline: str(export(baseline, Path(tmp) / "old")), "this checkout": ""}
        rows = {}
        for mode in ("fill", *MODES):  # "fill": decodes the font into the cache
            for label, pythonpath in versions.items():
                if mode == "fill" and pythonpath:
                    continue
                # PYTHONPATH (with -P) comes before the editable install: the export runs.
                run_env = dict(env, PYTHONPATH=pythonpath) if pythonpath else dict(env)
                own = Path(tmp) / ("run-old" if pythonpath else "run-new")  # its own cue store
                own.mkdir(exist_ok=True)
                run_env["BENCH_TMP"] = str(own)
                done = subprocess.run(
                    [sys.executable, "-P", __file__, "--one", mode],
                    env=run_env,
                    capture_output=True,
                    text=True,
                )
                if done.returncode:
                    sys.exit(f"bench_first_cue {label} {mode}: {done.stderr[-2000:]}")
                rows[label, mode] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"load average {os.getloadavg()}; wall seconds of one 30 s cue over HTTP/JSON")
    for label in versions:
        for mode in MODES:
            r = rows[label, mode]
            stall = f", /healthz stalled up to {r['stall']:5.2f} s" if r.get("stall") else ""
            print(
                f"{label:14} {mode:33} (press at {r['healthy_after']:5.2f} s) first "
                f"{r['first']:6.2f} s  warm {r['warm']:6.2f} s  first/warm "
                f"{r['first'] / r['warm']:5.1f}x (goal <= 2x, first <= 6 s){stall}"
            )


if __name__ == "__main__":
    main()
