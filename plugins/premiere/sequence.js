/*
 * The active sequence as the bridge needs it: its rate, start, In/Out and markers (to pick what
 * to score before anything is sent), and the sequence itself written to a timeline file:
 * OpenTimelineIO where this Premiere can write it, Final Cut Pro 7 XML otherwise.
 */
"use strict";
(function (root, factory) {
  const need = (name) => (root.cuebridge && root.cuebridge[name]) || require(`./${name}.js`);
  const api = factory(need);
  (root.cuebridge = root.cuebridge || {}).sequence = api;
  if (typeof module === "object" && module && module.exports) module.exports = api;
})(globalThis, function (need) {
  const { PanelError } = need("errors");
  const time = need("time");

  const MODES = {
    auto: "Markers or In/Out",
    markers: "Markers",
    inout: "In/Out",
    whole: "Whole sequence",
  };

  // A time the host cannot give (no In/Out set, on some versions) counts as not set.
  async function ticksOf(read) {
    try {
      const t = await read();
      return t && t.ticks !== undefined ? BigInt(t.ticks) : null;
    } catch (_) {
      return null;
    }
  }

  /**
   * The sequence's timecode display by name: [ref Sequence] getSettings, [ref SequenceSettings]
   * getVideoDisplayFormat (a TimeDisplay; its `type` is one of [ref Constants]
   * VideoDisplayFormatType, whose members are opaque, so the name is found by identity).
   * Whether that display counts drop-frame is the bridge's to say (ParseTime, PlanPlacement:
   * `displayFormat`), never decided here. "" when the host cannot say: the bridge counts non-drop,
   * as Premiere's own default for a new sequence.
   */
  async function readDisplayFormat(ppro, seq) {
    const formats = ppro.Constants && ppro.Constants.VideoDisplayFormatType;
    if (!formats || typeof seq.getSettings !== "function") return "";
    try {
      const display = await (await seq.getSettings()).getVideoDisplayFormat();
      const type = display === undefined || display === null ? undefined : display.type;
      return Object.keys(formats).find((name) => formats[name] === type) || "";
    } catch (_) {
      return "";
    }
  }

  /** What the panel needs to know about a sequence, all in whole frames at its rate. */
  async function readSequence(ppro, seq) {
    const rate = time.rateFromTimebase(await seq.getTimebase());
    const frames = (ticks) => (ticks === null ? null : Number(time.ticksToFrames(ticks, rate)));
    const startFrame = frames(await ticksOf(() => seq.getZeroPoint())) || 0;
    const durationFrames = frames(await ticksOf(() => seq.getEndTime()));
    const inTicks = await ticksOf(() => seq.getInPoint());
    const outTicks = await ticksOf(() => seq.getOutPoint());
    const list = await (await ppro.Markers.getMarkers(seq)).getMarkers();
    const markers = (list || []).map((m) => ({
      name: m.getName(),
      startFrame: Number(time.ticksToFrames(m.getStart().ticks, rate)),
      durationFrames: Number(time.ticksToFrames(m.getDuration().ticks, rate)),
    }));
    return {
      name: seq.name,
      rate: { num: Number(rate.num), den: Number(rate.den) },
      displayFormat: await readDisplayFormat(ppro, seq),
      startFrame,
      durationFrames,
      inFrame: frames(inTicks),
      outFrame: frames(outTicks),
      markers,
    };
  }

  /** In/Out as [in, out) frames, or null when the editor has not marked a part of the sequence. */
  function markedRange(facts) {
    const { inFrame, outFrame, durationFrames } = facts;
    if (inFrame === null || outFrame === null || inFrame < 0 || outFrame <= inFrame) return null;
    // Premiere reports the whole sequence when no In/Out is set: that is no choice of scene.
    if (inFrame === 0 && durationFrames !== null && outFrame >= durationFrames) return null;
    return [inFrame, outFrame];
  }

  /** The rate as ParseTime takes it: the exact fraction, and the display it is counted in. */
  const rateFields = (facts) => ({
    rate: `${facts.rate.num}/${facts.rate.den}`,
    displayFormat: facts.displayFormat || "",
  });

  /**
   * Ask the bridge what the contract says about this sequence (Bridge.ParseTime): each marker's
   * kind (a cue to score, a hit point, the record of a placed cue: the one marker rule) and the
   * In/Out as timecode the bridge parses back (drop-frame on a drop-frame sequence).
   * Returns the facts with `markers[i].kind`, `rangeTimecodes` ([in, out] or null) and
   * `dropFrame`, the bridge's word on the sequence's display (null when nothing was asked).
   */
  async function askContract(client, facts) {
    const range = markedRange(facts);
    // Nothing marked at all: nothing to sort, so the editor hears what to mark, bridge or not.
    if (!range && !facts.markers.length) return { ...facts, rangeTimecodes: null, dropFrame: null };
    const answer = await client.parseTime({
      ...rateFields(facts),
      markers: facts.markers.map((m) => ({ name: m.name, durationFrames: m.durationFrames })),
      frames: range ? range.map((f) => String(facts.startFrame + f)) : [],
    });
    const kinds = answer.markerKinds || [];
    if (kinds.length !== facts.markers.length) {
      throw new PanelError(
        `The bridge sorted ${kinds.length} of the sequence's ${facts.markers.length} markers: ` +
          "update cuebridge so the panel and the bridge agree (`pip install -U cuebridge`).",
        "OLD_BRIDGE",
      );
    }
    return {
      ...facts,
      markers: facts.markers.map((m, i) => ({ ...m, kind: kinds[i] })),
      rangeTimecodes: range ? answer.timecodes : null,
      dropFrame: Boolean(answer.dropFrame),
    };
  }

  const isCue = (m) => m.kind === "MARKER_KIND_CUE";

  /**
   * The SegmentSelection to send for the panel's mode, or a PanelError saying what to mark.
   * `facts` comes from askContract: the markers sorted and the In/Out written by the bridge.
   */
  function chooseSelection(mode, facts) {
    const markers = facts.markers.filter(isCue);
    const range = facts.rangeTimecodes;
    const pick = mode === "auto" ? (markers.length ? "markers" : range ? "inout" : "none") : mode;
    const where = `the sequence "${facts.name}"`;
    if (pick === "markers") {
      if (!markers.length) {
        const dots = facts.markers.length
          ? ` (its ${facts.markers.length} marker(s) are hit points or placed cues)`
          : "";
        throw new PanelError(
          `${where} has no markers with a duration${dots}. Add a marker over each scene to ` +
            "score and drag its end to the scene's end (its name becomes the prompt), or " +
            "mark In and Out and choose In/Out.",
          "NO_MARKERS",
        );
      }
      const names = markers.map((m) => m.name || "(unnamed)").join(", ");
      return {
        selection: { mode: "SEGMENT_MODE_MARKERS" },
        description: `${markers.length} marker(s): ${names}`,
      };
    }
    if (pick === "inout") {
      if (!range) {
        throw new PanelError(
          `${where} has no In/Out. Mark In (I) and Out (O) around the scene to score, or ` +
            "add markers with a duration and choose Markers.",
          "NO_IN_OUT",
        );
      }
      const [a, b] = range;
      return {
        selection: { mode: "SEGMENT_MODE_RANGE", range: `${a}-${b}` },
        description: `In/Out ${a}-${b}`,
      };
    }
    if (pick === "whole") {
      return { selection: { mode: "SEGMENT_MODE_WHOLE" }, description: "the whole sequence" };
    }
    if (pick === "none") {
      throw new PanelError(
        `${where} has no markers with a duration and no In/Out, so there is no scene to ` +
          "score. Mark In (I) and Out (O) around a scene, or add a marker over each scene and " +
          "drag its end to the scene's end (its name becomes the prompt).",
        "NOTHING_MARKED",
      );
    }
    throw new PanelError(`Unknown mode "${mode}": choose ${Object.values(MODES).join(", ")}.`);
  }

  function joinPath(folder, name) {
    const windows = folder.includes("\\") && !folder.includes("/");
    const sep = windows ? "\\" : "/";
    return folder.replace(/[\\/]+$/, "") + sep + name;
  }

  /**
   * Write the sequence to `folder`: OTIO where the host has ProjectConverter.
   * exportAsOpenTimelineIO and it works, FCP 7 XML otherwise. `note` says when it fell back.
   */
  async function exportSequence(ppro, seq, { folder, stem, files }) {
    // ProjectConverter and both exports are "Since: 26.2" in Adobe's UXP reference.
    const converter = ppro.ProjectConverter || {};
    const problems = ppro.ProjectConverter ? [] : ["this Premiere Pro has no ProjectConverter"];
    const attempts = [
      ["exportAsOpenTimelineIO", "otio", "OpenTimelineIO"],
      ["exportAsFinalCutProXML", "xml", "Final Cut Pro 7 XML"],
    ];
    for (const [method, ext, label] of attempts) {
      if (typeof converter[method] !== "function") {
        problems.push(`this Premiere Pro has no ${label} export`);
        continue;
      }
      const path = joinPath(folder, `${stem}.${ext}`);
      let ok = false;
      try {
        ok = await converter[method](seq, path, true);
      } catch (err) {
        problems.push(`the ${label} export failed (${err && err.message})`);
        continue;
      }
      if (!ok || !(await files.exists(path))) {
        problems.push(`the ${label} export wrote no file at ${path}`);
        continue;
      }
      const note = problems.length ? `${problems.join("; ")}: sent ${label} instead.` : "";
      return { path, format: ext, note };
    }
    throw new PanelError(
      `Cannot export the sequence "${seq.name}": ${problems.join("; ")}. Update Premiere Pro ` +
        "to 26.2 or later, or export the sequence by hand (File > Export > Final Cut Pro XML) " +
        "and score that file with `cuebridge score`.",
      "NO_EXPORT",
    );
  }

  return {
    MODES,
    readSequence,
    readDisplayFormat,
    markedRange,
    rateFields,
    askContract,
    chooseSelection,
    exportSequence,
    joinPath,
  };
});
