/*
 * Cues onto the sequence: import the WAVs, find their ProjectItems by diffing the root bin, and
 * put them on free audio tracks at exact ticks in ONE undoable transaction, so the timeline
 * either gets every cue or is left as it was. A cue that needs a new track is INSERTED past the
 * last track (the only edit the reference says makes a track); the others are overwrites onto
 * tracks that exist. Afterwards every cue is read back from its track.
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

  // The reference names Constants.TrackItemType.CLIP without promising its value.
  const clipType = (ppro) => ppro.Constants.TrackItemType.CLIP;

  const norm = (path) => String(path).replace(/\\/g, "/");
  const baseName = (path) => norm(path).split("/").pop();
  const stemName = (path) => baseName(path).replace(/\.[^.]*$/, "");
  const idOf = (item) => (typeof item.getId === "function" ? item.getId() : item);

  /** Where each cue goes, in exact ticks; `lane` is the bridge's score track for it. */
  function cueSpans(placements) {
    return placements.map((p) => {
      const start = BigInt(p.recordStartFrame);
      const end = start + BigInt(p.recordDurationFrames);
      return {
        name: p.name,
        path: p.cue.audioPath,
        rate: p.rate,
        startFrame: start,
        startTicks: time.framesToTicks(start, p.rate),
        endTicks: time.framesToTicks(end, p.rate),
        lane: Number(p.trackIndex) || 1,
      };
    });
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

  async function clipSpans(ppro, track) {
    const spans = [];
    for (const item of (await track.getTrackItems(clipType(ppro), false)) || []) {
      const start = BigInt((await item.getStartTime()).ticks);
      spans.push([start, BigInt((await item.getEndTime()).ticks)]);
    }
    return spans;
  }

  /**
   * 0-based audio track per lane: the first track with no clip under any of that lane's cues
   * (so nothing the editor cut is overwritten), else a new track below the last one.
   */
  async function chooseTracks(ppro, seq, cues) {
    const lanes = [...new Set(cues.map((c) => c.lane))].sort((a, b) => a - b);
    const count = await seq.getAudioTrackCount();
    const taken = new Set();
    const chosen = new Map();
    let next = count;
    for (const lane of lanes) {
      const mine = cues.filter((c) => c.lane === lane);
      let pick = null;
      for (let index = 0; index < count && pick === null; index++) {
        if (taken.has(index)) continue;
        const spans = await clipSpans(ppro, await seq.getAudioTrack(index));
        const clash = spans.some(([a, b]) => mine.some((c) => a < c.endTicks && c.startTicks < b));
        if (!clash) pick = index;
      }
      if (pick === null) pick = next++;
      taken.add(pick);
      chosen.set(lane, pick);
    }
    return chosen;
  }

  /**
   * Place the bridge's placements on `seq`. Every file is checked before anything changes and
   * again right before the one transaction; returns what went where.
   */
  async function placeCues(ppro, project, seq, placements, { files, label = "Score (cuebridge)" }) {
    if (!placements.length) return { placed: [] };
    const cues = cueSpans(placements);
    const paths = cues.map((c) => c.path);
    let missing = await missingFiles(paths, files);
    if (missing.length) throw missingError(missing);

    const items = await importCues(ppro, project, paths);
    const trackCount = await seq.getAudioTrackCount();
    const tracks = await chooseTracks(ppro, seq, cues);
    const editor = await ppro.SequenceEditor.getEditor(seq);
    const times = cues.map((c) => time.tickTimeAt(ppro, c.startFrame, c.rate));
    const newTracks = [...new Set(tracks.values())].filter((t) => t >= trackCount).length;

    missing = await missingFiles(paths, files);
    if (missing.length) throw missingError(missing);
    let ok = false;
    let why = "";
    try {
      project.lockedAccess(() => {
        // Actions are made inside lockedAccess (required from 26.3). On a new track the first
        // cue is an insert, which makes the track; the rest are overwrites onto tracks that exist.
        const made = new Set();
        const order = cues
          .map((c, i) => ({ c, i, track: tracks.get(c.lane) }))
          .sort((a, b) => a.track - b.track || (a.c.startTicks < b.c.startTicks ? -1 : 1));
        const actions = order.map(({ c, i, track }) => {
          const item = items.get(c.path);
          if (track >= trackCount && !made.has(track)) {
            made.add(track);
            return editor.createInsertProjectItemAction(item, times[i], 0, track, true);
          }
          return editor.createOverwriteItemAction(item, times[i], 0, track);
        });
        ok = project.executeTransaction((compound) => {
          for (const action of actions) compound.addAction(action);
        }, label);
      });
    } catch (err) {
      ok = false;
      why = ` (${err && err.message})`;
    }
    if (!ok) {
      throw new PanelError(
        `Premiere refused to place the cues${why}, so the timeline was left as it was. ` +
          "Check that the audio tracks are not locked and that no dialog is open in Premiere, " +
          "then press Score again.",
        "EDIT_REFUSED",
      );
    }
    const lost = await notOnTheirTracks(ppro, seq, cues, items, tracks);
    if (lost.length) {
      throw new PanelError(
        `Premiere said it placed the cues, but ${lost.join(", ")} did not land where asked. ` +
          `Use Edit > Undo "${label}" to take the whole score back, then press Score again.`,
        "EDIT_UNVERIFIED",
      );
    }
    return {
      newTracks,
      placed: cues.map((c) => ({
        name: c.name,
        path: c.path,
        audioTrack: tracks.get(c.lane),
        startTicks: c.startTicks.toString(),
      })),
    };
  }

  /** Names of the cues that are not on their track at their tick, read back from Premiere. */
  async function notOnTheirTracks(ppro, seq, cues, items, tracks) {
    const lost = [];
    for (const c of cues) {
      const index = tracks.get(c.lane);
      let found = false;
      if (index < (await seq.getAudioTrackCount())) {
        const track = await seq.getAudioTrack(index);
        for (const it of (await track.getTrackItems(clipType(ppro), false)) || []) {
          if (BigInt((await it.getStartTime()).ticks) !== c.startTicks) continue;
          const from = typeof it.getProjectItem === "function" ? await it.getProjectItem() : null;
          if (!from || idOf(from) === idOf(items.get(c.path))) found = true;
        }
      }
      if (!found) lost.push(`"${c.name}" (A${index + 1})`);
    }
    return lost;
  }

  /**
   * Put one take of a placed cue where the cue is: an overwrite on the cue's track at its first
   * frame (one undo step), read back. The other takes stay in the project and the panel's list.
   */
  async function placeTake(ppro, project, seq, cue, take, { files, label = "Take (cuebridge)" }) {
    const missing = await missingFiles([take.path], files);
    if (missing.length) throw missingError(missing);
    const items = await importCues(ppro, project, [take.path]);
    const item = items.get(take.path);
    const at = time.tickTimeAt(ppro, cue.startFrame, cue.rate);
    const count = await seq.getAudioTrackCount();
    const editor = await ppro.SequenceEditor.getEditor(seq);
    const track = cue.audioTrack === null || cue.audioTrack === undefined ? count : cue.audioTrack;
    let ok = false;
    let why = "";
    try {
      project.lockedAccess(() => {
        const action =
          track >= count
            ? editor.createInsertProjectItemAction(item, at, 0, track, true)
            : editor.createOverwriteItemAction(item, at, 0, track);
        ok = project.executeTransaction((compound) => compound.addAction(action), label);
      });
    } catch (err) {
      ok = false;
      why = ` (${err && err.message})`;
    }
    if (!ok) {
      throw new PanelError(
        `Premiere refused to place the take of "${cue.name}"${why}; the cue keeps the take it ` +
          "had. Check that its audio track is not locked, then try again.",
        "EDIT_REFUSED",
      );
    }
    const [span] = cueSpans([
      {
        name: cue.name,
        rate: cue.rate,
        recordStartFrame: cue.startFrame,
        recordDurationFrames: cue.durationFrames,
        cue: { audioPath: take.path },
        trackIndex: 1,
      },
    ]);
    const lost = await notOnTheirTracks(ppro, seq, [span], items, new Map([[span.lane, track]]));
    if (lost.length) {
      throw new PanelError(
        `Premiere said it placed the take of "${cue.name}" but it is not at the cue's first ` +
          `frame on A${track + 1}: use Edit > Undo "${label}" and try again.`,
        "EDIT_UNVERIFIED",
      );
    }
    cue.audioTrack = track;
    for (const t of cue.takes) t.placed = t === take;
    return { audioTrack: track, startTicks: span.startTicks.toString() };
  }

  return {
    cueSpans,
    importCues,
    chooseTracks,
    placeCues,
    placeTake,
    notOnTheirTracks,
    clipType,
  };
});
