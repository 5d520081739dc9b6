/*
 * The panel's UI wiring: fields in, one call to score.scoreActiveSequence, messages out.
 * Outside Premiere (no `premierepro` module) it shows a notice instead of failing.
 */
"use strict";
(function (root) {
  const cb = root.cuebridge;
  const { PanelError } = cb.errors;
  const $ = (id) => document.getElementById(id);

  /** The UXP modules, or why they are missing (a browser, or a host without premierepro). */
  function detectHost() {
    if (typeof root.require !== "function" && typeof require !== "function") {
      return { reason: "this is not a UXP host (there is no require())" };
    }
    const load = typeof require === "function" ? require : root.require;
    const host = {};
    try {
      host.uxp = load("uxp");
    } catch (err) {
      return { reason: `the uxp module is missing (${err.message})` };
    }
    try {
      host.ppro = load("premierepro");
    } catch (err) {
      return { uxp: host.uxp, reason: `the premierepro module is missing (${err.message})` };
    }
    const project = host.ppro && host.ppro.Project;
    if (!project || typeof project.getActiveProject !== "function") {
      return { uxp: host.uxp, reason: "the premierepro module has no Project API" };
    }
    for (const name of ["fs", "os"]) {
      try {
        host[name] = load(name);
      } catch (_) {
        host[name] = null;
      }
    }
    return host;
  }

  const fileUrl = (path) =>
    "file:" + (path.startsWith("/") ? path : "/" + path.replace(/\\/g, "/"));

  /** files.exists(path) over UXP's fs module, falling back to localFileSystem entries. */
  function uxpFiles(host) {
    return {
      async exists(path) {
        if (host.fs && typeof host.fs.lstat === "function") {
          for (const candidate of [path, fileUrl(path)]) {
            try {
              if (await host.fs.lstat(candidate)) return true;
            } catch (_) {
              // Try the next spelling of the path.
            }
          }
        }
        try {
          return Boolean(await host.uxp.storage.localFileSystem.getEntryWithUrl(fileUrl(path)));
        } catch (_) {
          return false;
        }
      },
    };
  }

  const state = {
    host: null,
    settings: null,
    control: null,
    running: false,
    cues: [], // the last score's cues, each with its takes
    chosen: null, // the cue picked in the list (else Another take uses the playhead)
    pending: null, // placements waiting for Place (audition first)
  };

  function showNotice(text, kind = "error") {
    const box = $("notice");
    box.textContent = text;
    box.className = `notice ${kind}`;
    box.style.display = text ? "block" : "none"; // UXP ignores the `hidden` attribute
  }

  function setStatus(text, done = 0, total = 0) {
    $("status").textContent = text;
    // sp-progressbar reads its max and value attributes (UXP reference, sp-progressbar).
    const bar = $("progress");
    bar.setAttribute("max", String(total > 0 ? total : 1));
    bar.setAttribute("value", String(total > 0 ? done : 0));
  }

  /** Spectrum widgets take `disabled` as an attribute; a property alone may not re-render them. */
  function enable(element, on) {
    if (on) element.removeAttribute("disabled");
    else element.setAttribute("disabled", "");
  }

  function setRunning(running) {
    state.running = running;
    const live = Boolean(state.host && state.host.ppro);
    enable($("score"), !running && live);
    enable($("take"), !running && live && state.cues.length > 0 && !state.pending);
    enable($("place"), !running && live && Boolean(state.pending));
    enable($("cancel"), running);
  }

  /** Fill an sp-picker's menu: [{value, label, title?, disabled?}], the first one selected. */
  function fillPicker(picker, items, selected = 0) {
    const menu = picker.querySelector("sp-menu");
    while (menu.firstChild) menu.removeChild(menu.firstChild);
    items.forEach((item, index) => {
      const entry = document.createElement("sp-menu-item");
      entry.setAttribute("value", item.value);
      entry.textContent = item.label;
      if (item.title) entry.setAttribute("title", item.title);
      if (item.disabled) entry.setAttribute("disabled", "");
      if (index === selected) entry.setAttribute("selected", "");
      menu.appendChild(entry);
    });
    picker.selectedIndex = selected;
  }

  /** The value of the picked menu item (sp-picker documents selectedIndex). */
  function pickerValue(picker) {
    const items = picker.querySelectorAll("sp-menu-item");
    const index = typeof picker.selectedIndex === "number" ? picker.selectedIndex : -1;
    const item = items[index] || picker.querySelector("sp-menu-item[selected]");
    return item ? item.getAttribute("value") || "" : "";
  }

  /** Hear a take in the Source Monitor (UXP renders no <audio>). */
  async function play(path) {
    try {
      await cb.audition.audition(state.host.ppro, path, { files: uxpFiles(state.host) });
      showNotice(`Playing ${path} in the Source Monitor.`, "info");
    } catch (err) {
      report(err);
    }
  }

  function button(text, onClick, disabled = false) {
    const b = document.createElement("sp-button");
    b.textContent = text;
    b.setAttribute("variant", "secondary");
    b.setAttribute("size", "s");
    enable(b, !(disabled || state.running));
    b.addEventListener("click", onClick);
    return b;
  }

  /** The cues and their takes: pick a cue for Another take, play a take, place a take. */
  function renderCues() {
    const box = $("cues");
    while (box.firstChild) box.removeChild(box.firstChild);
    if (!state.cues.length) {
      const hint = document.createElement("span");
      hint.className = "hint";
      hint.textContent = "Score to list the cues here.";
      box.appendChild(hint);
      return;
    }
    state.cues.forEach((cue, index) => {
      const row = document.createElement("div");
      row.className = `cue${state.chosen === index ? " chosen" : ""}`;
      const title = document.createElement("div");
      title.className = "name";
      title.textContent = cue.name;
      const where = cue.audioTrack === null ? "not placed" : `A${cue.audioTrack + 1}`;
      // Timecode and duration as the bridge wrote them for this sequence.
      const when = document.createElement("div");
      when.className = "when";
      when.textContent = `${cue.timecode}  ·  ${cue.duration}  ·  ${where}`;
      row.addEventListener("click", (event) => {
        if (event.target && event.target.tagName === "SP-BUTTON") return;
        state.chosen = state.chosen === index ? null : index;
        renderCues();
      });
      row.appendChild(title);
      row.appendChild(when);
      cue.takes.forEach((take, n) => {
        const line = document.createElement("div");
        line.className = `take${take.placed ? " placed" : ""}`;
        const label = document.createElement("span");
        const how = take.ranked ? "ranked take" : `seed ${take.seed || "?"}`;
        label.textContent = `Take ${n + 1} (${how})${take.placed ? ", on the timeline" : ""}`;
        line.appendChild(label);
        line.appendChild(button("Play", () => play(take.path)));
        line.appendChild(
          button("Place", () => onPlaceTake(cue, take), take.placed || Boolean(state.pending)),
        );
        row.appendChild(line);
      });
      box.appendChild(row);
    });
  }

  function client() {
    const { bridgeUrl, token } = state.settings;
    return cb.bridge_client.createClient({ baseUrl: bridgeUrl, token });
  }

  function report(err) {
    if (err instanceof PanelError) {
      showNotice(err.message);
    } else {
      console.error(err); // A bug: keep the trace for the developer, tell the editor plainly.
      showNotice(`Unexpected problem: ${err && err.message}. Nothing was placed on the timeline.`);
    }
  }

  async function loadSettings() {
    const fromFile = state.host && state.host.uxp
      ? await cb.settings.readPluginSettings(state.host.uxp)
      : {};
    state.settings = cb.settings.mergeSettings(fromFile, root.localStorage);
    $("bridge-url").value = state.settings.bridgeUrl;
    $("token").value = state.settings.tokenSource === "pasted" ? state.settings.token : "";
    $("token").placeholder =
      state.settings.tokenSource === "settings.json" ? "from settings.json" : "paste the token";
    if (state.settings.problem) showNotice(state.settings.problem);
  }

  async function refreshModels() {
    try {
      const info = await client().engineInfo();
      fillPicker($("model"), [
        { value: "", label: `Engine default (${info.defaultModel || "?"})` },
        ...(info.models || []).map((model) => ({
          value: model.name,
          label: model.ready ? model.name : `${model.name} (not ready)`,
          title: model.ready ? model.description : model.reason,
          disabled: !model.ready,
        })),
      ]);
      setStatus(`Connected to ${client().baseUrl} (engine ${info.version || "?"})`);
    } catch (err) {
      report(err);
      setStatus("Not connected");
    }
  }

  /** Moods from Bridge.ListMoods (each shows the style it scores as), else the styles. */
  async function refreshMoods() {
    fillPicker($("mood"), await cb.moods.moodChoices(client()));
  }

  function cueRoot(projectPath) {
    const folder = projectPath ? projectPath.replace(/[\\/][^\\/]*$/, "") : "";
    const home = state.host.os && state.host.os.homedir ? state.host.os.homedir() : "";
    return cb.sequence.joinPath(folder || home, "cuebridge cues");
  }

  /** What every request from the panel needs: the host, the bridge, and where files go. */
  async function requestContext() {
    const { ppro, uxp } = state.host;
    const project = await ppro.Project.getActiveProject();
    const temp = await uxp.storage.localFileSystem.getTemporaryFolder();
    return {
      ppro,
      client: client(),
      files: uxpFiles(state.host),
      workDir: temp.nativePath,
      cueRoot: cueRoot(project && project.path),
    };
  }

  async function onScore() {
    showNotice("");
    $("results").textContent = "";
    const control = { cancelled: false, scoreId: null };
    state.control = control;
    setRunning(true);
    try {
      const outcome = await cb.score.scoreActiveSequence({
        ...(await requestContext()),
        choices: {
          prompt: $("prompt").value,
          mood: pickerValue($("mood")),
          model: pickerValue($("model")),
          mode: pickerValue($("mode")),
          seed: $("seed").value,
          audition: $("audition").checked,
        },
        control,
        onStatus: ({ message, done, total, warning }) => {
          setStatus(message, done, total);
          if (warning) showNotice(message, "warning");
        },
      });
      if (outcome.state === "cancelled") {
        setStatus("Cancelled: nothing was placed.");
      } else if (outcome.state === "ready") {
        state.cues = outcome.cues;
        state.pending = outcome.plan;
        state.chosen = null;
        setStatus(`${outcome.cues.length} cue(s) ready: play them below, then press Place.`, 1, 1);
        $("results").textContent = outcome.notes.join("\n");
      } else {
        state.cues = outcome.cues || [];
        state.pending = null;
        state.chosen = null;
        const lines = outcome.placed.map((p) => `A${p.audioTrack + 1} "${p.lane}": ${p.name}`);
        setStatus(`Placed ${outcome.placed.length} cue(s) for ${outcome.description}.`, 1, 1);
        $("results").textContent = [...lines, ...outcome.notes].join("\n");
      }
    } catch (err) {
      report(err);
      setStatus("Nothing was placed.");
    } finally {
      setRunning(false);
      renderCues();
    }
  }

  /** Another take of the chosen cue (or the one under the playhead). */
  async function onTake() {
    showNotice("");
    const control = { cancelled: false, scoreId: null };
    state.control = control;
    setRunning(true);
    try {
      const out = await cb.score.anotherTake({
        ...(await requestContext()),
        cues: state.cues,
        chosen: state.chosen,
        choices: { model: pickerValue($("model")), audition: $("audition").checked },
        control,
        onStatus: ({ message, done, total }) => setStatus(message, done, total),
      });
      if (out.state === "cancelled") setStatus("Cancelled: the cue keeps its take.");
      else if (out.state === "ready") {
        setStatus(`A new take of "${out.cue.name}" is ready: play it below, then Place it.`, 1, 1);
      } else {
        setStatus(`A new take of "${out.cue.name}" is on the timeline; the earlier ones are listed.`, 1, 1);
      }
    } catch (err) {
      report(err);
      setStatus("The cue keeps its take.");
    } finally {
      setRunning(false);
      renderCues();
    }
  }

  /** Place what was auditioned: every cue of the score, in one undoable step. */
  async function onPlace() {
    if (!state.pending) return;
    showNotice("");
    setRunning(true);
    try {
      const { ppro } = state.host;
      const project = await ppro.Project.getActiveProject();
      const seq = await project.getActiveSequence();
      // Planned again: the editor may have changed the tracks while auditioning.
      const { client } = await requestContext();
      const plan = await cb.place.askPlan(ppro, seq, client, state.pending.scoreId);
      const { placed, notes } = await cb.place.placeCues(ppro, project, seq, plan, {
        files: uxpFiles(state.host),
      });
      $("results").textContent = notes.join("\n");
      const takes = state.cues.map((c) => c.takes);
      state.cues = cb.score.cueList(plan, placed);
      state.cues.forEach((c, i) => (c.takes = takes[i].map((t, n) => ({ ...t, placed: n === 0 }))));
      state.pending = null;
      setStatus(`Placed ${placed.length} cue(s).`, 1, 1);
    } catch (err) {
      report(err);
      setStatus("Nothing was placed.");
    } finally {
      setRunning(false);
      renderCues();
    }
  }

  /** Put one take of a placed cue on the timeline (go back to an earlier take, or a new one). */
  async function onPlaceTake(cue, take) {
    showNotice("");
    setRunning(true);
    try {
      const { ppro } = state.host;
      const project = await ppro.Project.getActiveProject();
      const seq = await project.getActiveSequence();
      await cb.place.placeTake(ppro, project, seq, cue, take, { files: uxpFiles(state.host) });
      setStatus(`"${cue.name}" now plays take ${cue.takes.indexOf(take) + 1}.`, 1, 1);
    } catch (err) {
      report(err);
    } finally {
      setRunning(false);
      renderCues();
    }
  }

  async function onCancel() {
    const control = state.control;
    if (!control) return;
    control.cancelled = true;
    setStatus("Cancelling…");
    if (control.scoreId) {
      try {
        await client().cancelScore(control.scoreId);
      } catch (err) {
        report(err);
      }
    }
  }

  async function onSaveConnection() {
    cb.settings.savePasted(root.localStorage, {
      token: $("token").value,
      bridgeUrl: $("bridge-url").value,
    });
    showNotice("");
    await loadSettings();
    if (state.host && state.host.ppro) {
      await refreshModels();
      await refreshMoods();
    }
  }

  async function init() {
    fillPicker(
      $("mode"),
      Object.entries(cb.sequence.MODES).map(([value, label]) => ({ value, label })),
    );
    $("score").addEventListener("click", onScore);
    $("cancel").addEventListener("click", onCancel);
    $("take").addEventListener("click", onTake);
    $("place").addEventListener("click", onPlace);
    $("save-connection").addEventListener("click", onSaveConnection);

    state.host = detectHost();
    setRunning(false);
    await loadSettings();
    if (!state.host.ppro) {
      showNotice(
        `Outside Premiere Pro: ${state.host.reason}. Load this panel in Premiere Pro 26.2 or ` +
          "later with UXP Developer Tool (see the plugin's README).",
        "info",
      );
      setStatus("Not in Premiere Pro");
      return;
    }
    await refreshModels();
    await refreshMoods();
    await restoreCues();
  }

  /** The cues placed earlier on the active sequence, read back from its markers (a reload). */
  async function restoreCues() {
    try {
      const { ppro } = state.host;
      const project = await ppro.Project.getActiveProject();
      const seq = project && (await project.getActiveSequence());
      if (!seq) return;
      state.cues = await cb.cue_store.restoreCues(ppro, seq);
      if (state.cues.length) setStatus(`${state.cues.length} cue(s) placed earlier on "${seq.name}".`);
    } catch (err) {
      report(err);
    } finally {
      renderCues();
    }
  }

  // For the layout test: the panel's own rendering, driven into each state without a host.
  cb.panel = {
    state,
    showNotice,
    setStatus,
    setRunning,
    renderCues,
    showResults: (text) => ($("results").textContent = text),
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => init().catch(report));
  } else {
    init().catch(report);
  }
})(globalThis);
