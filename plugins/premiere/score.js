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
  const { scoreRequest, waitForScore } = need("bridge_client");
  const { readSequence, chooseSelection, exportSequence, joinPath } = need("sequence");
  const { placeCues } = need("place");

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
    const facts = await readSequence(ppro, seq);
    const { selection, description } = chooseSelection(choices.mode || "auto", facts);
    const notes = [];
    onStatus({ message: `Exporting "${facts.name}" (${description})…` });

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
          message: j.message || "Scoring…",
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
    const dialogue = dialogueLine(placements);
    if (dialogue) notes.unshift(dialogue);
    onStatus({ message: `Placing ${placements.length} cue(s)…` });
    const { placed } = await placeCues(ppro, project, seq, placements, { files });
    const state = job.state === "JOB_STATE_PARTIAL" ? "partial" : "done";
    return { state, description, placed, notes };
  }

  // The engine records the speech it made room for on each cue; say that dialogue was read.
  function dialogueLine(placements) {
    let cues = 0;
    let lines = 0;
    for (const p of placements) {
      let spans = [];
      try {
        spans = JSON.parse(((p.cue || {}).metadata || {})["dialogue.speech_s"] || "[]");
      } catch (_) {
        spans = [];
      }
      if (spans.length) {
        cues += 1;
        lines += spans.length;
      }
    }
    return cues
      ? `Dialogue read: ${lines} line(s) under ${cues} cue(s); the music dips and thins there.`
      : "";
  }

  return { scoreActiveSequence, safeName, stamp, dialogueLine };
});
