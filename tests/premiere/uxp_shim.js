/*
 * Loaded before the panel's scripts when index.html is opened in headless Chromium: a tiny
 * `require` that offers `uxp` (no settings.json in the plugin folder) but no `premierepro`, as
 * outside Premiere, and a recorder that writes every console.error, uncaught error, failed
 * resource load and unhandled rejection into <pre id="__console_errors"> for --dump-dom.
 */
"use strict";
(function () {
  const errors = [];
  function sink() {
    let el = document.getElementById("__console_errors");
    if (!el) {
      el = document.createElement("pre");
      el.id = "__console_errors";
      el.hidden = true;
      (document.body || document.documentElement).appendChild(el);
    }
    el.textContent = JSON.stringify(errors);
  }
  function record(kind, text) {
    errors.push(`${kind}: ${text}`);
    sink();
  }
  const original = console.error.bind(console);
  console.error = (...args) => {
    record("console.error", args.map((a) => (a && a.stack) || String(a)).join(" "));
    original(...args);
  };
  window.addEventListener(
    "error",
    (event) => {
      const target = event.target;
      const what = event.message || (target && (target.src || target.href)) || "a resource";
      record(event.message ? "uncaught" : "failed to load", what);
    },
    true, // capture: resource load failures do not bubble
  );
  window.addEventListener("unhandledrejection", (event) => {
    record("unhandled rejection", (event.reason && event.reason.message) || String(event.reason));
  });
  document.addEventListener("DOMContentLoaded", sink);

  // window.__cuebridgeTestHost (set by the test before this file) asks for a host "inside
  // Premiere": settings.json with a bridge URL, and a sequence with nothing marked.
  const inside = window.__cuebridgeTestHost;
  const uxp = {
    host: { name: "headless chromium" },
    storage: {
      localFileSystem: {
        async getTemporaryFolder() {
          return { nativePath: "/tmp" };
        },
        async getPluginFolder() {
          return {
            async getEntry(name) {
              if (!inside || name !== "settings.json") throw new Error(`${name} is not here`);
              return { read: async () => JSON.stringify(inside.settings) };
            },
          };
        },
      },
    },
  };
  const tick = (ticks) => ({ ticks: String(ticks) });
  const sequence = {
    name: "Reel 1",
    getTimebase: async () => "10584000000",
    getZeroPoint: async () => tick(86400 * 10584000000),
    getEndTime: async () => tick(1200 * 10584000000),
    getInPoint: async () => tick(0),
    getOutPoint: async () => tick(1200 * 10584000000),
    getAudioTrackCount: async () => 0, // an empty sequence: no cue placed earlier
  };
  const premierepro = {
    Project: {
      getActiveProject: async () => ({ path: "", getActiveSequence: async () => sequence }),
    },
    Markers: { getMarkers: async () => ({ getMarkers: () => [] }) },
    ProjectConverter: {},
  };
  window.require = (name) => {
    if (name === "uxp") return uxp;
    if (name === "premierepro" && inside) return premierepro;
    throw new Error(`Cannot find module '${name}'`);
  };

  if (inside && inside.clickScore) {
    // Press Score once the panel has tried the bridge, as an editor would.
    const wait = setInterval(() => {
      const status = document.getElementById("status");
      if (status && status.textContent === "Not connected") {
        clearInterval(wait);
        document.getElementById("score").click();
      }
    }, 50);
  }
})();
