/*
 * The placed cues and their takes, kept with the sequence in the markers the bridge's plan
 * asks for (one per placed cue, named "Score: <cue>"), so a panel reload or a restart of
 * Premiere still lists them and "Another take" still works. Documented calls only:
 * Markers.getMarkers(seq), markers.createAddMarkerAction(name, type, start, duration, comments),
 * marker.getComments() and marker.createSetCommentsAction(comments) ([ref Markers], [ref Marker]).
 * The marker's comments are the plan's note for the editor, then one line "cuebridge: {json}".
 */
"use strict";
(function (root, factory) {
  const need = (name) => (root.cuebridge && root.cuebridge[name]) || require(`./${name}.js`);
  const api = factory(need);
  (root.cuebridge = root.cuebridge || {}).cue_store = api;
  if (typeof module === "object" && module && module.exports) module.exports = api;
})(globalThis, function (need) {
  const time = need("time");
  const LINE = "cuebridge: ";

  /** The JSON of a marker's comments, or null when the marker is not one the panel wrote. */
  function storedData(comments) {
    const line = String(comments || "").split("\n").find((l) => l.startsWith(LINE));
    if (!line) return null;
    try {
      const data = JSON.parse(line.slice(LINE.length));
      return data && data.cuebridge ? data.cuebridge : null;
    } catch (_) {
      return null;
    }
  }

  function comments(note, data) {
    return `${note ? `${note}\n` : ""}${LINE}${JSON.stringify({ cuebridge: data })}`;
  }

  /** The panel's list of cues and their takes, from the bridge's plan (and where they went). */
  function cueList(plan, placed) {
    return ((plan && plan.clips) || []).map((c, i) => {
      const takes = [{ path: c.audioPath, seed: c.seed || "", placed: Boolean(placed) }];
      for (const other of c.takes || []) takes.push({ path: other, seed: "", ranked: true, placed: false });
      return {
        name: c.name || c.segmentId,
        segmentId: c.segmentId,
        rate: plan.rate,
        offsetFrame: String(c.recordOffsetFrames || 0),
        startTicks: String(c.recordOffsetTicks || 0),
        durationTicks: String(c.durationTicks || 0),
        recordFrame: String(c.recordFrame || 0),
        recordEndFrame: String(c.recordEndFrame || 0),
        timecode: c.recordInTimecode || "",
        duration: c.durationTimecode || "",
        lane: c.lane,
        prompt: c.prompt || "",
        mood: c.mood || "",
        audioTrack: placed && placed[i] ? placed[i].audioTrack : null,
        takes,
      };
    });
  }

  /** What a cue of the panel's list keeps in its marker. */
  function cueData(base, cue) {
    const placed = cue.takes.find((t) => t.placed) || cue.takes[0];
    return {
      ...base,
      audio: placed.path,
      takes: cue.takes.filter((t) => t !== placed).map((t) => t.path),
      all_takes: cue.takes.map((t) => ({ path: t.path, seed: String(t.seed || ""), ranked: Boolean(t.ranked) })),
      timecode: cue.timecode,
      duration: cue.duration,
      lane: cue.lane,
      // Before 26.3 a new lane keeps Premiere's name ("Audio 3"): its index finds it then.
      audio_track: cue.audioTrack,
    };
  }

  /** The sequence's markers and its ticks per frame, read before any lockedAccess. */
  async function openStore(ppro, seq) {
    return { markers: await ppro.Markers.getMarkers(seq), tpf: BigInt(await seq.getTimebase()) };
  }

  /** Actions adding the plan's marker for each placed cue (made inside lockedAccess). */
  function addMarkerActions(ppro, store, plan, cues) {
    const actions = [];
    ((plan && plan.clips) || []).forEach((clip, i) => {
      const m = clip.marker || {};
      if (!m.name) return; // the plan found no free frame for it (and warned)
      let base = {};
      try {
        base = JSON.parse(m.customData || "{}").cuebridge || {};
      } catch (_) {
        base = {};
      }
      const at = time.tickTimeAt(ppro, (BigInt(m.frame || 0) * store.tpf).toString());
      const length = time.tickTimeAt(ppro, (BigInt(m.durationFrames || 1) * store.tpf).toString());
      const text = comments(m.note, cueData(base, cues[i]));
      actions.push(store.markers.createAddMarkerAction(m.name, "Comment", at, length, text));
    });
    return actions;
  }

  /** The marker the panel wrote for `cue`, or null. */
  function markerOf(store, cue) {
    for (const marker of store.markers.getMarkers() || []) {
      const data = storedData(marker.getComments());
      if (data && data.segment === cue.segmentId && String(data.start) === String(cue.offsetFrame)) {
        return { marker, data };
      }
    }
    return null;
  }

  /** An action rewriting `cue`'s marker after its takes changed, or null if it has none. */
  function updateActions(store, cue) {
    const found = markerOf(store, cue);
    if (!found) return [];
    const note = String(found.marker.getComments()).split("\n").filter((l) => !l.startsWith(LINE)).join("\n");
    return [found.marker.createSetCommentsAction(comments(note, cueData(found.data, cue)))];
  }

  /** The panel's cue list from the sequence's markers: what a reload or restart finds. */
  async function restoreCues(ppro, seq) {
    const store = await openStore(ppro, seq);
    const rate = time.rateFromTimebase(await seq.getTimebase());
    const zero = time.ticksToFrames((await seq.getZeroPoint()).ticks, rate);
    const byName = new Map();
    const count = await seq.getAudioTrackCount();
    for (let i = 0; i < count; i++) {
      const track = await seq.getAudioTrack(i);
      if (track && track.name && !byName.has(String(track.name))) byName.set(String(track.name), i);
    }
    const cues = [];
    for (const marker of store.markers.getMarkers() || []) {
      const d = storedData(marker.getComments());
      if (!d) continue;
      const start = BigInt(d.start || 0);
      const length = BigInt(d.length || 0);
      const listed = Array.isArray(d.all_takes) && d.all_takes.length
        ? d.all_takes
        : [{ path: d.audio, seed: d.seed || "" }, ...(d.takes || []).map((p) => ({ path: p, ranked: true }))];
      cues.push({
        name: String(marker.getName()).replace(/^Score: /, ""),
        segmentId: d.segment,
        rate: { num: Number(rate.num), den: Number(rate.den) },
        offsetFrame: String(start),
        startTicks: (start * store.tpf).toString(),
        durationTicks: (length * store.tpf).toString(),
        recordFrame: String(zero + start),
        recordEndFrame: String(zero + start + length),
        timecode: d.timecode || "",
        duration: d.duration || "",
        lane: d.lane || "",
        prompt: d.prompt || "",
        mood: d.mood || "",
        audioTrack: byName.has(d.lane)
          ? byName.get(d.lane)
          : Number.isInteger(d.audio_track) && d.audio_track < count
            ? d.audio_track
            : null,
        takes: listed.map((t) => ({
          path: t.path,
          seed: String(t.seed || ""),
          ...(t.ranked ? { ranked: true } : {}),
          placed: t.path === d.audio,
        })),
      });
    }
    return cues.sort((a, b) => (BigInt(a.startTicks) < BigInt(b.startTicks) ? -1 : 1));
  }

  return { cueList, storedData, openStore, addMarkerActions, updateActions, restoreCues, markerOf };
});
