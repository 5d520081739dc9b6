"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { PanelError } = require("../../plugins/premiere/errors.js");
const seqmod = require("../../plugins/premiere/sequence.js");
const { scoreActiveSequence } = require("../../plugins/premiere/score.js");
const { createFakePremiere, nodeFiles } = require("./fake_premierepro.js");

const TPF_24 = 10584000000n;
const TPF_NTSC = 8475667200n;

function spec(overrides = {}) {
  return {
    name: "Reel 1",
    timebase: TPF_24.toString(),
    zeroTicks: 86400n * TPF_24,
    endTicks: 1200n * TPF_24,
    markers: [
      { name: "calm", startTicks: 0n, durationTicks: 312n * TPF_24 },
      { name: "chase", startTicks: 792n * TPF_24, durationTicks: 408n * TPF_24 },
    ],
    exports: { otio: true, xml: true },
    ...overrides,
  };
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "cuebridge-premiere-"));

test("a sequence is read in whole frames at its exact rate", async () => {
  const { ppro, sequence } = createFakePremiere(
    spec({
      timebase: TPF_NTSC.toString(),
      zeroTicks: 108000n * TPF_NTSC,
      endTicks: 900n * TPF_NTSC,
      markers: [{ name: "m", startTicks: 210n * TPF_NTSC, durationTicks: 300n * TPF_NTSC }],
    }),
  );
  const facts = await seqmod.readSequence(ppro, sequence);
  assert.deepEqual(facts.rate, { num: 30000, den: 1001 });
  assert.equal(facts.startFrame, 108000);
  assert.equal(facts.durationFrames, 900);
  assert.deepEqual(facts.markers, [{ name: "m", startFrame: 210, durationFrames: 300 }]);
  assert.equal(facts.displayFormat, "FPS_23_976"); // the fake's default display
});

test("the sequence's display goes to the bridge by name; the panel decides no drop-frame", async () => {
  const formats = ["FPS_29_97", "FPS_29_97_NON_DROP", "FPS_59_94", "FPS_59_94_NON_DROP"];
  for (const format of formats) {
    const { ppro, sequence } = createFakePremiere(
      spec({ timebase: TPF_NTSC.toString(), displayFormat: format, markers: [] }),
    );
    const facts = await seqmod.readSequence(ppro, sequence);
    assert.equal(facts.displayFormat, format);
    assert.equal(facts.dropFrame, undefined); // the bridge's word (askContract), not a JS rule
    assert.deepEqual(seqmod.rateFields(facts), { rate: "30000/1001", displayFormat: format });
  }
  // A host without SequenceSettings names no display: the bridge counts non-drop.
  const { ppro, sequence } = createFakePremiere(spec({ markers: [] }));
  delete sequence.getSettings;
  assert.equal((await seqmod.readSequence(ppro, sequence)).displayFormat, "");
});

test("the markers are sorted by the bridge's answer, not by their length here", async () => {
  const { ppro, sequence } = createFakePremiere(
    spec({
      markers: [
        { name: "calm", startTicks: 0n, durationTicks: 312n * TPF_24 },
        { name: "boom", startTicks: 400n * TPF_24, durationTicks: TPF_24 }, // one frame
      ],
      inTicks: 100n * TPF_24,
      outTicks: 200n * TPF_24,
    }),
  );
  const asked = [];
  // The bridge's answer as ParseTime gives it (the rule itself is tested against the real
  // bridge in e2e_score.js): here it calls both markers hit points.
  const client = {
    parseTime: async (request) => {
      asked.push(request);
      return { markerKinds: ["MARKER_KIND_HIT_POINT", "MARKER_KIND_HIT_POINT"],
        timecodes: ["01:00:04:04", "01:00:08:08"] };
    },
  };
  const facts = await seqmod.askContract(client, await seqmod.readSequence(ppro, sequence));
  assert.deepEqual(asked, [{ rate: "24/1", displayFormat: "FPS_23_976",
    markers: [{ name: "calm", durationFrames: 312 }, { name: "boom", durationFrames: 1 }],
    frames: ["86500", "86600"] }]);
  assert.deepEqual(facts.markers.map((m) => m.kind), ["MARKER_KIND_HIT_POINT", "MARKER_KIND_HIT_POINT"]);
  // No cue marker by the bridge's word, even though "calm" lasts 312 frames: In/Out it is.
  const { selection } = seqmod.chooseSelection("auto", facts);
  assert.deepEqual(selection, { mode: "SEGMENT_MODE_RANGE", range: "01:00:04:04-01:00:08:08" });
  // An answer that does not cover every marker is an old bridge, said plainly.
  const old = { parseTime: async () => ({ timecodes: ["01:00:04:04", "01:00:08:08"] }) };
  await assert.rejects(
    seqmod.askContract(old, await seqmod.readSequence(ppro, sequence)),
    (err) => err.code === "OLD_BRIDGE" && /sorted 0 of the sequence's 2 markers/.test(err.message),
  );
});

test("markers with a duration are scored as markers", () => {
  const facts = { name: "R", rate: { num: 24, den: 1 }, startFrame: 86400, durationFrames: 1200,
    inFrame: 0, outFrame: 1200, rangeTimecodes: null,
    markers: [{ name: "calm", startFrame: 0, durationFrames: 312, kind: "MARKER_KIND_CUE" }] };
  const { selection, description } = seqmod.chooseSelection("auto", facts);
  assert.deepEqual(selection, { mode: "SEGMENT_MODE_MARKERS" });
  assert.match(description, /calm/);
});

test("In/Out becomes the range in the bridge's timecodes (drop-frame ones on a DF sequence)", () => {
  const facts = { name: "R", rate: { num: 30000, den: 1001 }, dropFrame: true, startFrame: 107892,
    durationFrames: 9000, inFrame: 210, outFrame: 1110, markers: [],
    rangeTimecodes: ["01:00:07;00", "01:00:37;02"] };
  for (const mode of ["auto", "inout"]) {
    const { selection, description } = seqmod.chooseSelection(mode, facts);
    assert.deepEqual(selection, { mode: "SEGMENT_MODE_RANGE", range: "01:00:07;00-01:00:37;02" });
    assert.equal(description, "In/Out 01:00:07;00-01:00:37;02");
  }
});

test("a sequence with no markers and no In/Out gets a message saying what to mark", () => {
  // Premiere reports In=0 and Out=end when nothing is marked.
  const facts = { name: "Reel 2", rate: { num: 24, den: 1 }, startFrame: 86400,
    durationFrames: 1200, inFrame: 0, outFrame: 1200, markers: [], rangeTimecodes: null };
  assert.throws(
    () => seqmod.chooseSelection("auto", facts),
    (err) =>
      err instanceof PanelError &&
      err.code === "NOTHING_MARKED" &&
      /"Reel 2" has no markers with a duration and no In\/Out/.test(err.message) &&
      /Mark In \(I\) and Out \(O\)/.test(err.message),
  );
  assert.throws(() => seqmod.chooseSelection("inout", facts), /has no In\/Out/);
  const dots = { ...facts,
    markers: [{ name: "hit", startFrame: 10, durationFrames: 1, kind: "MARKER_KIND_HIT_POINT" }] };
  assert.throws(
    () => seqmod.chooseSelection("markers", dots),
    /1 marker\(s\) are hit points or placed cues/,
  );
  const whole = seqmod.chooseSelection("whole", facts).selection;
  assert.deepEqual(whole, { mode: "SEGMENT_MODE_WHOLE" });
});

test("OTIO is exported where the host has it", async () => {
  const folder = tmp();
  const { ppro, sequence, world } = createFakePremiere(spec());
  const out = await seqmod.exportSequence(ppro, sequence, { folder, stem: "r1", files: nodeFiles });
  assert.equal(out.format, "otio");
  assert.equal(out.note, "");
  assert.equal(out.path, path.join(folder, "r1.otio"));
  const written = JSON.parse(fs.readFileSync(out.path, "utf8"));
  assert.equal(written.OTIO_SCHEMA, "Timeline.1");
  assert.deepEqual(world.exports.map((e) => e.kind), ["otio"]);
});

test("a host without OTIO export falls back to FCP 7 XML and says so", async () => {
  const folder = tmp();
  for (const otio of [undefined, false]) {
    const { ppro, sequence, world } = createFakePremiere(spec({ exports: { otio, xml: true } }));
    const options = { folder, stem: "r1", files: nodeFiles };
    const out = await seqmod.exportSequence(ppro, sequence, options);
    assert.equal(out.format, "xml");
    assert.match(out.note, /no OpenTimelineIO export: sent Final Cut Pro 7 XML instead/);
    assert.match(fs.readFileSync(out.path, "utf8"), /<xmeml version="4">/);
    assert.deepEqual(world.exports.map((e) => e.kind), ["xml"]);
  }
  // An OTIO export that reports failure also falls back.
  const { ppro, sequence } = createFakePremiere(spec());
  ppro.ProjectConverter.exportAsOpenTimelineIO = async () => false;
  const out = await seqmod.exportSequence(ppro, sequence, { folder, stem: "r2", files: nodeFiles });
  assert.equal(out.format, "xml");
  assert.match(out.note, /OpenTimelineIO export wrote no file/);
});

test("a host with neither export gets a message naming both and the way out", async () => {
  const { ppro, sequence } = createFakePremiere(spec({ exports: {} }));
  await assert.rejects(
    seqmod.exportSequence(ppro, sequence, { folder: tmp(), stem: "r", files: nodeFiles }),
    (err) =>
      err.code === "NO_EXPORT" &&
      /no OpenTimelineIO export; this Premiere Pro has no Final Cut Pro 7 XML/.test(err.message) &&
      /cuebridge score/.test(err.message),
  );
});

test("Score with nothing marked exports nothing and asks the bridge nothing", async () => {
  const calls = [];
  const client = new Proxy({}, { get: (_, name) => async () => calls.push(name) });
  const { ppro, world } = createFakePremiere(spec({ markers: [] }));
  await assert.rejects(
    scoreActiveSequence({ ppro, client, files: nodeFiles, workDir: tmp(), cueRoot: tmp(),
      choices: { mode: "auto" } }),
    (err) => err instanceof PanelError && err.code === "NOTHING_MARKED",
  );
  assert.deepEqual(calls, []); // no marker to sort and no In/Out to write: nothing to ask
  assert.deepEqual(world.exports, []);
  assert.deepEqual(world.placements, []);
});

test("a Premiere before 26.2 has no ProjectConverter: the message says 26.2", async () => {
  // Defect 1: Adobe's reference gives ProjectConverter "Since: 26.2".
  const { ppro, sequence } = createFakePremiere(spec({ version: "26.1.0" }));
  assert.equal(ppro.ProjectConverter, undefined);
  await assert.rejects(
    seqmod.exportSequence(ppro, sequence, { folder: tmp(), stem: "r", files: nodeFiles }),
    (err) =>
      err.code === "NO_EXPORT" &&
      /no ProjectConverter/.test(err.message) &&
      /Update Premiere Pro to 26\.2 or later/.test(err.message) &&
      !/25\.6/.test(err.message),
  );
  const current = createFakePremiere(spec({ version: "26.2.0" }));
  assert.equal(typeof current.ppro.ProjectConverter.exportAsOpenTimelineIO, "function");
});

test("ranked takes of a best-of-N cue are listed beside the placed take", () => {
  const { cueList } = require("../../plugins/premiere/score.js");
  // A PlannedClip as the bridge's PlanPlacement answers it in proto3 JSON.
  const plan = {
    rate: { num: 24, den: 1 },
    clips: [
      {
        segmentId: "cue-002",
        name: "chase",
        lane: "Score",
        laneIndex: 2,
        audioPath: "/cues/cue-002.musicgen.wav",
        recordOffsetTicks: String(792n * 10584000000n),
        durationTicks: String(408n * 10584000000n),
        recordInTimecode: "01:00:33:00",
        durationTimecode: "00:00:17:00",
        seed: "41",
        prompt: "chase",
        takes: ["/cues/cue-002.musicgen.take2.wav"],
      },
    ],
  };
  const [cue] = cueList(plan, [{ audioTrack: 2 }]);
  assert.equal(cue.audioTrack, 2);
  assert.equal(cue.timecode, "01:00:33:00");
  assert.equal(cue.duration, "00:00:17:00");
  assert.deepEqual(cue.takes, [
    { path: "/cues/cue-002.musicgen.wav", seed: "41", placed: true },
    { path: "/cues/cue-002.musicgen.take2.wav", seed: "", ranked: true, placed: false },
  ]);
  assert.equal(cueList(plan)[0].takes[0].placed, false); // auditioning: nothing placed
});
