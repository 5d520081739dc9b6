/*
 * One press of Score: check what is marked, export the active sequence, ask the bridge to score
 * it, follow the job, and place the cues. Host, bridge and files come in as arguments, so the
 * same code runs in Premiere and under node's test runner.
 */
"use strict";
(function (root, factory) {
  const need = (name) => (root.cuebridge && root.cuebridge[name]) || require(`./${name}.js`);
  const api = factory(need);
  (root.cuebridge = root.cuebridge || {}).score = api;
  if (typeof module === "object" && module && module.exports) module.exports = api;
})(globalThis, function (need) {
  const { PanelError } = need("errors");
  const { scoreRequest, waitForScore, progressText } = need("bridge_client");
  const { readSequence, rateFields, askContract, chooseSelection, exportSequence, joinPath } =
    need("sequence");
  const { placeCues, placeTake, askPlan } = need("place");
  const { cueList } = need("cue_store");

  function stamp(date = new Date()) {
    const p = (n) => String(n).padStart(2, "0");
    return (
      `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-` +
      `${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`
    );
  }

  // File names from sequence names: keep letters, digits, space, dot, dash and underscore.
  const safeName = (name) =>
    String(name || "sequence").replace(/[^\w .-]+/g, "_").trim() || "sequence";

  function failedLines(result) {
    return ((result && result.failed) || []).map((f) => `${f.segmentId}: ${f.error}`);
  }

  /**
   * Score the active sequence. `control` is shared with the Cancel button: {cancelled, scoreId}.
   * Returns {state, description, placed, notes}; throws PanelError for anything the editor
   * must fix. Nothing on the timeline changes unless every cue can be placed.
   */
  async function scoreActiveSequence({
    ppro,
    client,
    files,
    workDir,
    cueRoot,
    choices,
    control = { cancelled: false, scoreId: null },
    onStatus = () => {},
    pollMs = 500,
  }) {
    const project = await ppro.Project.getActiveProject();
    if (!project) throw new PanelError("Open a project in Premiere Pro first.", "NO_PROJECT");
    const seq = await project.getActiveSequence();
    if (!seq) {
      throw new PanelError("Open the sequence to score in the Timeline first.", "NO_SEQUENCE");
    }
    // The bridge sorts the markers (cue, hit point, placed) and writes In/Out: one rule.
    const facts = await askContract(client, await readSequence(ppro, seq));
    const { selection, description } = chooseSelection(choices.mode || "auto", facts);
    const notes = [];
    onStatus({ message: `Exporting "${facts.name}" (${description})…` });
    if (control.cancelled) return { state: "cancelled", description, placed: [], notes };

    const stem = `${safeName(facts.name)}-${choices.stamp || stamp()}`;
    const exported = await exportSequence(ppro, seq, { folder: workDir, stem, files });
    if (exported.note) {
      notes.push(exported.note);
      onStatus({ message: exported.note, warning: true });
    }
    const request = scoreRequest({
      timelinePath: exported.path,
      outputPath: joinPath(workDir, `${stem}-scored.otio`),
      cueDir: joinPath(cueRoot, stem),
      selection,
      prompt: choices.prompt,
      mood: choices.mood,
      model: choices.model,
      seed: choices.seed,
    });
    if (control.cancelled) return { state: "cancelled", description, placed: [], notes };

    const started = await client.startScore(request);
    control.scoreId = started.id;
    if (control.cancelled) await client.cancelScore(started.id);
    const job = await waitForScore(client, started.id, {
      intervalMs: pollMs,
      onProgress: (j) =>
        onStatus({
          message: progressText(j),
          cues: (j.cues || []).map((c) => ({ name: c.name, state: c.state })),
          done: Number(j.done || 0),
          total: Number(j.total || 0),
        }),
    });

    const result = job.result || {};
    notes.push(...(result.warnings || []), ...failedLines(result));
    if (job.state === "JOB_STATE_CANCELLED" || control.cancelled) {
      return { state: "cancelled", description, placed: [], notes };
    }
    const placements = result.placements || [];
    if (job.state === "JOB_STATE_FAILED" || !placements.length) {
      const why = [job.message, ...failedLines(result)].filter(Boolean).join("; ");
      const message = `No cue was made for ${description}: ${why || "no reason given"}.`;
      throw new PanelError(message, "SCORE_FAILED");
    }
    const state = job.state === "JOB_STATE_PARTIAL" ? "partial" : "done";
    const dialogue = dialogueLine(placements);
    if (dialogue) notes.unshift(dialogue);
    // The bridge plans every lane, tick and name for this sequence as it is now.
    const plan = await askPlan(ppro, seq, client, started.id);
    notes.push(...(plan.warnings || []));
    if (choices.audition) {
      // Audition first: the editor plays each cue, then presses Place.
      return { state: "ready", description, placed: [], notes, plan, cues: cueList(plan) };
    }
    onStatus({ message: `Placing ${plan.clips.length} cue(s)…` });
    const done = await placeCues(ppro, project, seq, plan, { files });
    notes.push(...done.notes);
    const placed = done.placed;
    return { state, description, placed, notes, plan, cues: cueList(plan, placed) };
  }

  function otherTakes(meta) {
    // Best-of-N: the engine keeps the takes it ranked lower (a JSON list of WAV paths).
    try {
      const list = JSON.parse(meta.other_takes || "[]");
      return Array.isArray(list) ? list.filter((t) => typeof t === "string") : [];
    } catch (_) {
      return [];
    }
  }

  /** The cue to take again: the one chosen in the panel, else the one under the playhead. */
  async function pickCue(ppro, seq, cues, chosen) {
    if (chosen !== null && chosen !== undefined && cues[chosen]) return cues[chosen];
    const ticks = BigInt((await seq.getPlayerPosition()).ticks);
    const hit = cues.find((c) => {
      const a = BigInt(c.startTicks);
      const b = a + BigInt(c.durationTicks);
      return a <= ticks && ticks < b;
    });
    if (!hit) {
      throw new PanelError(
        "No cue under the playhead: move the playhead onto a cue the panel placed, or pick one " +
          "in the panel's cue list, then press Another take.",
        "NO_CUE_HERE",
      );
    }
    return hit;
  }

  /**
   * Another take of one cue: only its range goes to the bridge, with a seed it has not had; the
   * new take joins the cue's take list, and (unless auditioning) replaces the cue on its track.
   */
  async function anotherTake({
    ppro,
    client,
    files,
    workDir,
    cueRoot,
    cues,
    chosen = null,
    choices = {},
    control = { cancelled: false, scoreId: null },
    onStatus = () => {},
    pollMs = 500,
  }) {
    const project = await ppro.Project.getActiveProject();
    if (!project) throw new PanelError("Open a project in Premiere Pro first.", "NO_PROJECT");
    const seq = await project.getActiveSequence();
    if (!seq) throw new PanelError("Open the scored sequence first.", "NO_SEQUENCE");
    if (!cues || !cues.length) {
      throw new PanelError("Score the sequence first: there is no cue to take again.", "NO_CUES");
    }
    const cue = await pickCue(ppro, seq, cues, chosen);
    const facts = await readSequence(ppro, seq);
    // The bridge writes the range's timecode from the plan's frames (its one timecode rule).
    const answer = await client.parseTime({
      ...rateFields(facts),
      frames: [cue.recordFrame, cue.recordEndFrame],
    });
    const range = answer.timecodes.join("-");
    onStatus({ message: `Another take of '${cue.name}': exporting "${facts.name}"…` });
    const stem = `${safeName(facts.name)}-${safeName(cue.name)}-${choices.stamp || stamp()}`;
    const exported = await exportSequence(ppro, seq, { folder: workDir, stem, files });
    const used = new Set(cue.takes.map((t) => String(t.seed)));
    let seed;
    do seed = String(1 + Math.floor(Math.random() * 2147483646));
    while (used.has(seed));
    const request = scoreRequest({
      timelinePath: exported.path,
      outputPath: joinPath(workDir, `${stem}-scored.otio`),
      cueDir: joinPath(cueRoot, stem),
      selection: { mode: "SEGMENT_MODE_RANGE", range, rangeName: cue.name }, // the bridge names the cue
      prompt: cue.prompt || cue.name,
      mood: cue.mood,
      model: choices.model,
      seed,
    });
    if (control.cancelled) return { state: "cancelled", cue };
    const started = await client.startScore(request);
    control.scoreId = started.id;
    if (control.cancelled) await client.cancelScore(started.id);
    const job = await waitForScore(client, started.id, {
      intervalMs: pollMs,
      onProgress: (j) =>
        onStatus({ message: progressText(j), done: Number(j.done || 0), total: 1 }),
    });
    if (job.state === "JOB_STATE_CANCELLED" || control.cancelled) return { state: "cancelled", cue };
    const [placement] = (job.result && job.result.placements) || [];
    if (!placement) {
      throw new PanelError(
        `No new take of "${cue.name}" was made: ${job.message || "no reason given"}.`,
        "SCORE_FAILED",
      );
    }
    const meta = (placement.cue && placement.cue.metadata) || {};
    const take = { path: placement.cue.audioPath, seed: meta.seed || seed, placed: false };
    cue.takes.push(take);
    for (const other of otherTakes(meta)) {
      cue.takes.push({ path: other, seed: "", ranked: true, placed: false });
    }
    if (choices.audition) return { state: "ready", cue, take };
    onStatus({ message: `Placing the new take of '${cue.name}'…` });
    await placeTake(ppro, project, seq, cue, take, { files });
    return { state: "done", cue, take };
  }

  // The engine records the speech it made room for on each cue; say that dialogue was read.
  function dialogueLine(placements) {
    let cues = 0;
    let lines = 0;
    for (const p of placements) {
      // The contract's typed field (engine.proto Cue.speech): where people speak.
      const spans = (p.cue && p.cue.speech) || [];
      if (spans.length) {
        cues += 1;
        lines += spans.length;
      }
    }
    return cues
      ? `Dialogue read: ${lines} line(s) under ${cues} cue(s); the music dips and thins there.`
      : "";
  }

  return { scoreActiveSequence, anotherTake, pickCue, cueList, safeName, stamp, dialogueLine };
});
