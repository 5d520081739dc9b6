/*
 * The bridge's placement plan onto the sequence. The panel reads the host (its audio tracks with
 * their clips, its rate and start), asks the bridge for the plan (Bridge.PlanPlacement), and
 * applies it as given: lanes, ticks and names all come from the plan; nothing is chosen here.
 *
 * A lane the plan says to create is made the one way the reference documents: an insert past the
 * last audio track (createInsertProjectItemAction), in a first transaction; the tracks are read
 * back, then the rest of the cues (and the lanes' names, where the host has
 * AudioTrack.createSetNameAction, 26.3+) go in a second transaction. Every cue is read back.
 */
"use strict";
(function (root, factory) {
  const need = (name) => (root.cuebridge && root.cuebridge[name]) || require(`./${name}.js`);
  const api = factory(need);
  (root.cuebridge = root.cuebridge || {}).place = api;
  if (typeof module === "object" && module && module.exports) module.exports = api;
})(globalThis, function (need) {
  const { PanelError } = need("errors");
  const time = need("time");
  const store = need("cue_store");
  const { readDisplayFormat } = need("sequence");

  // The reference names Constants.TrackItemType.CLIP without promising its value.
  const clipType = (ppro) => ppro.Constants.TrackItemType.CLIP;

  const norm = (path) => String(path).replace(/\\/g, "/");
  const baseName = (path) => norm(path).split("/").pop();
  const stemName = (path) => baseName(path).replace(/\.[^.]*$/, "");
  const idOf = (item) => (typeof item.getId === "function" ? item.getId() : item);
  const trackName = (track, index) => (track && track.name ? String(track.name) : `A${index + 1}`);

  /** The plan's clips as the panel applies them: exact ticks (int64 strings) as BigInts. */
  function planCues(plan) {
    return ((plan && plan.clips) || []).map((c) => ({
      segmentId: c.segmentId,
      name: c.name || c.segmentId,
      path: c.audioPath,
      lane: c.lane,
      track: Number(c.laneIndex || 0),
      startTicks: BigInt(c.recordOffsetTicks || 0),
      durationTicks: BigInt(c.durationTicks || 0),
    }));
  }

  /**
   * The PlanRequest for this sequence as it is now: rate as the exact fraction of its timebase,
   * its start, and every audio track with its clips in frames (start rounded down, end up, so
   * a clip is never reported smaller than it is).
   */
  async function planRequest(ppro, seq, scoreId, { segmentIds = [], trackName: lane = "" } = {}) {
    const rate = time.rateFromTimebase(await seq.getTimebase());
    const zero = await seq.getZeroPoint();
    const startFrame = time.ticksToFrames(zero ? zero.ticks : 0, rate);
    const audioTracks = [];
    const count = await seq.getAudioTrackCount();
    for (let index = 0; index < count; index++) {
      const track = await seq.getAudioTrack(index);
      const items = [];
      for (const item of (await track.getTrackItems(clipType(ppro), false)) || []) {
        const a = BigInt((await item.getStartTime()).ticks);
        const b = BigInt((await item.getEndTime()).ticks);
        items.push({
          start: String(startFrame + time.ticksToFramesFloor(a, rate)),
          end: String(startFrame + time.ticksToFramesCeil(b, rate)),
        });
      }
      audioTracks.push({ index, name: trackName(track, index), items });
    }
    return {
      scoreId,
      host: "premiere",
      timelineRate: `${rate.num}/${rate.den}`,
      // The bridge says whether this display counts drop-frame, so the plan's timecodes count
      // as the host's do.
      displayFormat: await readDisplayFormat(ppro, seq),
      startFrame: String(startFrame),
      audioTracks,
      trackName: lane,
      segmentIds,
    };
  }

  /** Ask the bridge where every cue of `scoreId` goes on this sequence. */
  async function askPlan(ppro, seq, client, scoreId, options = {}) {
    return client.planPlacement(await planRequest(ppro, seq, scoreId, options));
  }

  async function missingFiles(paths, files) {
    const missing = [];
    for (const path of paths) if (!(await files.exists(path))) missing.push(path);
    return missing;
  }

  function missingError(missing) {
    return new PanelError(
      `Cue file${missing.length > 1 ? "s" : ""} missing: ${missing.join(", ")} (deleted or ` +
        "moved after scoring). Nothing was placed on the timeline; press Score again to make " +
        "the cues anew.",
      "CUE_MISSING",
    );
  }

  async function itemsByPath(ppro, items) {
    const found = new Map();
    for (const item of items) {
      try {
        const clip = ppro.ClipProjectItem.cast(item);
        const path = clip && (await clip.getMediaFilePath());
        if (path) found.set(norm(path), item);
      } catch (_) {
        // Bins and sequences have no media path.
      }
    }
    return found;
  }

  /** ProjectItems for `paths`: ones already in the root bin, the rest imported there. */
  async function importCues(ppro, project, paths) {
    const rootBin = await project.getRootItem();
    const before = await rootBin.getItems();
    const known = await itemsByPath(ppro, before);
    const wanted = [...new Set(paths.map(norm))].filter((p) => !known.has(p));
    if (wanted.length) {
      const original = paths.filter((p) => wanted.includes(norm(p)));
      const ok = await project.importFiles(original, true, rootBin, false);
      if (!ok) {
        throw new PanelError(
          `Premiere could not import the cue files (${original.join(", ")}). Nothing was ` +
            "placed on the timeline; check that Premiere can read WAV files from that folder.",
          "IMPORT_FAILED",
        );
      }
      const seen = new Set(before.map(idOf));
      const fresh = (await rootBin.getItems()).filter((item) => !seen.has(idOf(item)));
      const imported = await itemsByPath(ppro, fresh);
      for (const path of wanted) {
        // Hosts that hide the media path still name an item after its file.
        const item =
          imported.get(path) ||
          fresh.find((it) => it.name === baseName(path) || it.name === stemName(path));
        if (item) known.set(path, item);
      }
    }
    const lost = paths.filter((p) => !known.has(norm(p)));
    if (lost.length) {
      throw new PanelError(
        `Premiere imported the cues but ${lost.join(", ")} did not appear in the project's ` +
          "root bin. Nothing was placed on the timeline; import the files by hand and drag " +
          "them to the times the panel lists.",
        "IMPORT_LOST",
      );
    }
    return new Map(paths.map((p) => [p, known.get(norm(p))]));
  }

  /** One transaction of actions made inside lockedAccess (required from 26.3); true if applied. */
  function transact(project, label, makeActions) {
    let ok = false;
    let why = "";
    try {
      project.lockedAccess(() => {
        const actions = makeActions();
        ok = project.executeTransaction((compound) => {
          for (const action of actions) compound.addAction(action);
        }, label);
      });
    } catch (err) {
      ok = false;
      why = ` (${err && err.message})`;
    }
    return { ok, why };
  }

  /**
   * Apply the bridge's plan to `seq`. Every file is checked before anything changes and again
   * right before the edit; returns what went where, and notes for the editor.
   */
  async function placeCues(ppro, project, seq, plan, { files, label = "Score (cuebridge)" }) {
    const cues = planCues(plan);
    if (!cues.length) return { placed: [], notes: [] };
    const paths = cues.map((c) => c.path);
    let missing = await missingFiles(paths, files);
    if (missing.length) throw missingError(missing);
    const items = await importCues(ppro, project, paths);
    const editor = await ppro.SequenceEditor.getEditor(seq);
    const count = await seq.getAudioTrackCount();
    const lanes = ((plan && plan.lanes) || []).map((l) => ({ ...l, index: Number(l.index || 0) }));
    const fresh = lanes.filter((l) => l.create).sort((a, b) => a.index - b.index);
    if (fresh.some((l, n) => l.index !== count + n) || lanes.some((l) => !l.create && l.index >= count)) {
      throw new PanelError(
        "The sequence's audio tracks changed while the cues were planned. Nothing was placed; " +
          "press Score again.",
        "TRACKS_CHANGED",
      );
    }
    missing = await missingFiles(paths, files);
    if (missing.length) throw missingError(missing);

    // 1. Each new lane is made by inserting its first cue past the last track (on an empty
    // new track an insert shifts nothing).
    const first = fresh.map((l) => cues.filter((c) => c.track === l.index).sort(byStart)[0]);
    const at = (c) => time.tickTimeAt(ppro, c.startTicks);
    if (first.length) {
      const { ok, why } = transact(project, `${label}: new tracks`, () =>
        first.map((c) => editor.createInsertProjectItemAction(items.get(c.path), at(c), 0, c.track, true)),
      );
      if (!ok) throw refused(why);
      const now = await seq.getAudioTrackCount();
      const lost = await notOnTheirTracks(ppro, seq, first, items);
      if (now !== count + fresh.length || lost.length) {
        throw new PanelError(
          `Premiere did not make the new audio track(s) for ${fresh.map((l) => `"${l.name}"`).join(", ")} ` +
            `as asked. Use Edit > Undo "${label}: new tracks", then press Score again.`,
          "EDIT_UNVERIFIED",
        );
      }
    }
    // 2. The other cues onto tracks that now exist, the lanes' names where the host can set
    // them, and the plan's marker on each cue, which keeps its takes with the sequence.
    const kept = await store.openStore(ppro, seq);
    const listed = store.cueList(plan, cues.map((c) => ({ audioTrack: c.track })));
    const rest = cues.filter((c) => !first.includes(c));
    const notes = [];
    const naming = [];
    for (const lane of lanes) {
      const track = await seq.getAudioTrack(lane.index);
      if (trackName(track, lane.index) === lane.name) continue;
      if (typeof track.createSetNameAction === "function") naming.push({ track, name: lane.name });
      else notes.push(`Name audio track A${lane.index + 1} "${lane.name}" by hand (Premiere 26.3 names tracks from a panel), so the next score finds it.`);
    }
    const marked = ((plan && plan.clips) || []).some((c) => c.marker && c.marker.name);
    if (rest.length || naming.length || marked) {
      const { ok, why } = transact(project, label, () => [
        ...rest.map((c) => editor.createOverwriteItemAction(items.get(c.path), at(c), 0, c.track)),
        ...naming.map(({ track, name }) => track.createSetNameAction(name)),
        ...store.addMarkerActions(ppro, kept, plan, listed),
      ]);
      if (!ok) {
        const undo = first.length ? ` Use Edit > Undo "${label}: new tracks" to take back the new track(s).` : "";
        throw refused(why, undo);
      }
    }
    const lost = await notOnTheirTracks(ppro, seq, cues, items);
    if (lost.length) {
      throw new PanelError(
        `Premiere said it placed the cues, but ${lost.join(", ")} did not land where asked. ` +
          `Use Edit > Undo "${label}" to take the score back, then press Score again.`,
        "EDIT_UNVERIFIED",
      );
    }
    return {
      newTracks: fresh.length,
      notes,
      placed: cues.map((c) => ({
        name: c.name,
        path: c.path,
        lane: c.lane,
        audioTrack: c.track,
        startTicks: c.startTicks.toString(),
      })),
    };
  }

  const byStart = (a, b) => (a.startTicks < b.startTicks ? -1 : a.startTicks > b.startTicks ? 1 : 0);

  function refused(why, more = "") {
    return new PanelError(
      `Premiere refused to place the cues${why}, so the timeline was left as it was.${more} ` +
        "Check that the audio tracks are not locked and that no dialog is open in Premiere, " +
        "then press Score again.",
      "EDIT_REFUSED",
    );
  }

  /** Names of the cues that are not on their track at their tick, read back from Premiere. */
  async function notOnTheirTracks(ppro, seq, cues, items) {
    const lost = [];
    const count = await seq.getAudioTrackCount();
    for (const c of cues) {
      let found = false;
      if (c.track < count) {
        const track = await seq.getAudioTrack(c.track);
        for (const it of (await track.getTrackItems(clipType(ppro), false)) || []) {
          if (BigInt((await it.getStartTime()).ticks) !== c.startTicks) continue;
          const from = typeof it.getProjectItem === "function" ? await it.getProjectItem() : null;
          if (!from || idOf(from) === idOf(items.get(c.path))) found = true;
        }
      }
      if (!found) lost.push(`"${c.name}" (A${c.track + 1})`);
    }
    return lost;
  }

  /**
   * Put one take of a placed cue where the cue is: an overwrite on the cue's track at its first
   * tick (one undo step), read back. A cue never placed (auditioned only) has no track: the take
   * is refused with what to do, as no lane was planned for it.
   */
  async function placeTake(ppro, project, seq, cue, take, { files, label = "Take (cuebridge)" }) {
    if (cue.audioTrack === null || cue.audioTrack === undefined) {
      throw new PanelError(
        `"${cue.name}" is not on the timeline yet: press Place first, then choose its take.`,
        "NOT_PLACED",
      );
    }
    const missing = await missingFiles([take.path], files);
    if (missing.length) throw missingError(missing);
    const items = await importCues(ppro, project, [take.path]);
    const editor = await ppro.SequenceEditor.getEditor(seq);
    const span = { name: cue.name, path: take.path, track: cue.audioTrack, startTicks: BigInt(cue.startTicks) };
    const kept = await store.openStore(ppro, seq);
    const after = { ...cue, takes: cue.takes.map((t) => ({ ...t, placed: t === take })) };
    const { ok, why } = transact(project, label, () => [
      editor.createOverwriteItemAction(items.get(take.path), time.tickTimeAt(ppro, span.startTicks), 0, span.track),
      ...store.updateActions(kept, after), // the marker keeps the takes and which one plays
    ]);
    if (!ok) {
      throw new PanelError(
        `Premiere refused to place the take of "${cue.name}"${why}; the cue keeps the take it ` +
          "had. Check that its audio track is not locked, then try again.",
        "EDIT_REFUSED",
      );
    }
    const lost = await notOnTheirTracks(ppro, seq, [span], items);
    if (lost.length) {
      throw new PanelError(
        `Premiere said it placed the take of "${cue.name}" but it is not at the cue's first ` +
          `frame on A${span.track + 1}: use Edit > Undo "${label}" and try again.`,
        "EDIT_UNVERIFIED",
      );
    }
    for (const t of cue.takes) t.placed = t === take;
    return { audioTrack: span.track, startTicks: span.startTicks.toString() };
  }

  return {
    planCues,
    planRequest,
    askPlan,
    importCues,
    placeCues,
    placeTake,
    notOnTheirTracks,
    clipType,
  };
});
