/*
 * Loaded last by the layout test: once the panel has started, put it into the state that
 * window.__cuebridgeLayoutState names (idle, scoring, takes, error) through the panel's own
 * rendering functions, then measure every visible element and write what overflows into
 * <pre id="__layout"> for --dump-dom. An element overflows when its box leaves the panel's
 * width or its content is wider than its box (clipped or spilling text).
 *
 * Headless Chromium keeps its window at least 500 px wide, so the probe makes the page itself
 * PANEL px wide (the <html> element: the panel's CSS has no vw units or media queries, so it
 * lays out exactly as in a panel that wide) and measures against that edge.
 */
"use strict";
(function () {
  const PANEL = 320;
  document.documentElement.style.width = `${PANEL}px`;
  document.documentElement.style.outline = "1px solid #ff00ff"; // the panel's edge, in shots
  const LONG = "Scene 12 — the long walk home through the rain, with the whole crowd watching";
  const STATES = {
    idle(p) {
      p.setStatus("Connected to http://127.0.0.1:50052 (engine 0.9.0)");
    },
    scoring(p) {
      p.setRunning(true);
      p.setStatus(`Scoring cue 2 of 3: "${LONG}"…`, 2, 3);
    },
    takes(p) {
      const take = (seed, placed, ranked = false) => ({
        path: `/Users/editor/Projects/Feature/cuebridge cues/${seed}.wav`,
        seed: String(seed),
        ranked,
        placed,
      });
      p.state.cues = [
        {
          name: LONG,
          timecode: "01:00:12;04",
          duration: "00:00:41;16",
          audioTrack: 2,
          takes: [take(1234567890, true), take(987654321, false, true), take(42, false)],
        },
        {
          name: "Opening titles",
          timecode: "01:00:00;00",
          duration: "00:00:12;04",
          audioTrack: null,
          takes: [take(7, false)],
        },
      ];
      p.state.chosen = 0;
      p.setRunning(false);
      p.renderCues();
      p.setStatus("Placed 2 cue(s) for Reel 1 (29.97 DF, 2 scenes).", 1, 1);
      p.showResults(
        'A3 "Score 1": Scene 12\nA4 "Score 2": Opening titles\n' +
          "/Users/editor/Projects/Feature/cuebridge cues/Reel_1-20261207-081500/cue_0001.wav",
      );
    },
    error(p) {
      p.showNotice(
        "The bridge refused the token in /Users/editor/Library/Application Support/cuebridge/" +
          "settings.json.\nCopy the token that `cuebridge serve` printed into Connection > Token, " +
          "then press Save and reconnect.",
      );
      p.setStatus("Nothing was placed.");
    },
  };

  function describe(el) {
    const cls = el.className && typeof el.className === "string" ? "." + el.className.split(" ").join(".") : "";
    return `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${cls}`;
  }

  function measure() {
    const page = document.documentElement;
    const width = page.getBoundingClientRect().width;
    const found = [];
    const body = document.body;
    if (body.scrollWidth > body.clientWidth) {
      found.push(`the panel scrolls sideways: ${body.scrollWidth} > ${body.clientWidth}`);
    }
    let seen = 0;
    for (const el of document.body.querySelectorAll("*")) {
      if (["SCRIPT", "STYLE"].includes(el.tagName) || el.id.startsWith("__")) continue;
      const box = el.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue; // not shown (display: none)
      seen += 1;
      if (box.left < -0.5 || box.right > width + 0.5) {
        found.push(`${describe(el)} leaves the panel: ${box.left.toFixed(1)}..${box.right.toFixed(1)} of ${width}`);
      }
      if (el.scrollWidth > el.clientWidth && el.clientWidth > 0) {
        found.push(`${describe(el)} clips its content: ${el.scrollWidth} > ${el.clientWidth}`);
      }
    }
    return { width, seen, found };
  }

  function report(result) {
    const out = document.createElement("pre");
    out.id = "__layout";
    out.hidden = true;
    out.textContent = JSON.stringify(result);
    document.body.appendChild(out);
  }

  const name = window.__cuebridgeLayoutState;
  const started = Date.now();
  const wait = setInterval(() => {
    const status = document.getElementById("status");
    const ready = window.cuebridge && window.cuebridge.panel && status.textContent !== "Starting…";
    if (!ready && Date.now() - started < 2000) return;
    clearInterval(wait);
    const panel = window.cuebridge.panel;
    panel.showNotice("");
    panel.state.host = { ppro: {} }; // drawn as inside Premiere: the buttons live
    panel.setRunning(false);
    STATES[name](panel);
    setTimeout(() => report({ state: name, ...measure() }), 50); // after the layout settles
  }, 20);
})();
