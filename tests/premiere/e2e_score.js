/*
 * The panel's logic against the REAL bridge over its HTTP/JSON gateway, with the fake host.
 * Run by tests/premiere/test_panel_node.py, which starts the bridge and sets:
 *   CUEBRIDGE_URL, CUEBRIDGE_TOKEN      the gateway and its token
 *   CUEBRIDGE_DEMO_TIMELINE             the demo as OTIO (what "Premiere" exports)
 *   CUEBRIDGE_DEMO_XML                  the same demo as FCP 7 XML (for the fallback)
 *   CUEBRIDGE_DEMO_SEQUENCE             JSON: the sequence's timebase, zero point, markers
 *   CUEBRIDGE_WORK                      a scratch folder
 *   CUEBRIDGE_RESULT                    where to write what was placed, for the Python side
 *   CUEBRIDGE_PREMIERE_XML              FCP 7 XML that Premiere Pro wrote (tests/data/interop/premiere)
 *   CUEBRIDGE_PREMIERE_SEQUENCE         JSON: that sequence as the host describes it (from the XML)
 */
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const net = require("node:net");
const path = require("node:path");
const { createClient } = require("../../plugins/premiere/bridge_client.js");
const { scoreActiveSequence, anotherTake } = require("../../plugins/premiere/score.js");
const { placeCues, placeTake, planRequest } = require("../../plugins/premiere/place.js");
const { restoreCues } = require("../../plugins/premiere/cue_store.js");
const { moodChoices, STYLES } = require("../../plugins/premiere/moods.js");
const { readSequence, askContract, chooseSelection } = require("../../plugins/premiere/sequence.js");
const { createFakePremiere, nodeFiles } = require("./fake_premierepro.js");

const NEEDED = ["CUEBRIDGE_URL", "CUEBRIDGE_TOKEN", "CUEBRIDGE_DEMO_TIMELINE", "CUEBRIDGE_DEMO_XML",
  "CUEBRIDGE_DEMO_SEQUENCE", "CUEBRIDGE_WORK", "CUEBRIDGE_RESULT", "CUEBRIDGE_PREMIERE_XML",
  "CUEBRIDGE_PREMIERE_SEQUENCE"];
const missing = NEEDED.filter((name) => !process.env[name]);
if (missing.length) {
  const how = "run this through tests/premiere/test_panel_node.py";
  throw new Error(`${missing.join(", ")} not set: ${how}`);
}
const env = process.env;
const described = JSON.parse(fs.readFileSync(env.CUEBRIDGE_DEMO_SEQUENCE, "utf8"));
const results = {};

function host(exports, more = {}) {
  return createFakePremiere({
    name: described.name,
    timebase: described.timebase,
    zeroTicks: BigInt(described.zeroTicks),
    endTicks: BigInt(described.endTicks),
    markers: described.markers.map((m) => ({
      name: m.name,
      startTicks: BigInt(m.startTicks),
      durationTicks: BigInt(m.durationTicks),
    })),
    audioClips: [[], []],
    exports,
    ...more,
  });
}

function run(fake, { client, stamp, control, onStatus, choices = {} } = {}) {
  const work = path.join(env.CUEBRIDGE_WORK, stamp);
  fs.mkdirSync(work, { recursive: true });
  return scoreActiveSequence({
    ppro: fake.ppro,
    client: client || createClient({ baseUrl: env.CUEBRIDGE_URL, token: env.CUEBRIDGE_TOKEN }),
    files: nodeFiles,
    workDir: work,
    cueRoot: path.join(work, "cues"),
    choices: { mode: "markers", prompt: "", mood: "", model: "", seed: "7", stamp, ...choices },
    control,
    onStatus,
    pollMs: 200,
  });
}

function assertOnMarkers(fake) {
  assert.deepEqual(
    fake.world.placements.map((p) => p.ticks),
    described.markers.map((m) => m.startTicks),
  );
  for (const p of fake.world.placements) assert.ok(fs.existsSync(p.path), p.path);
  // Audio 1 and Audio 2 are not Score lanes: the bridge plans a new one, made by an insert past
  // the last track, then the rest of the cues in a second undo step.
  assert.deepEqual(fake.world.transactions.map((t) => t.undoString), [
    "Score (cuebridge): new tracks",
    "Score (cuebridge)",
  ]);
  assert.deepEqual([...new Set(fake.world.placements.map((p) => p.audioTrack))], [2]);
}

// Non-drop HH:MM:SS:FF at a whole rate: the test's own reckoning, to check the bridge's.
function timecode(frame, fps) {
  const two = (n) => String(n).padStart(2, "0");
  const ff = frame % fps;
  const s = Math.floor(frame / fps);
  return `${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}:${two(ff)}`;
}

// A length as the panel lists it, "m:ss.ff" (whole rates).
function length(frames, fps) {
  const s = Math.floor(frames / fps);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}.${String(frames % fps).padStart(2, "0")}`;
}

test.after(() => fs.writeFileSync(env.CUEBRIDGE_RESULT, JSON.stringify(results, null, 2)));

test("the engine's models fill the panel's model list", async () => {
  const client = createClient({ baseUrl: env.CUEBRIDGE_URL, token: env.CUEBRIDGE_TOKEN });
  const info = await client.engineInfo();
  const names = info.models.map((m) => m.name);
  assert.ok(names.includes(info.defaultModel), `${info.defaultModel} not in ${names}`);
  results.models = names;
});

test("the demo is scored over OTIO and each cue lands on the tick of its marker", async () => {
  const fake = host({ otio: env.CUEBRIDGE_DEMO_TIMELINE });
  const progress = [];
  const outcome = await run(fake, { stamp: "otio", onStatus: (s) => progress.push(s) });
  assert.equal(outcome.state, "done");
  assert.deepEqual(fake.world.exports.map((e) => e.kind), ["otio"]);
  assertOnMarkers(fake);
  assert.ok(progress.some((s) => s.total === described.markers.length), "no progress with a total");
  results.otio = { placements: fake.world.placements, notes: outcome.notes };
});

test("a host without OTIO export sends FCP 7 XML, says so, and places the same cues", async () => {
  const fake = host({ xml: env.CUEBRIDGE_DEMO_XML });
  const outcome = await run(fake, { stamp: "xml" });
  assert.equal(outcome.state, "done");
  assert.ok(outcome.notes.some((n) => /sent Final Cut Pro 7 XML instead/.test(n)), outcome.notes);
  assert.deepEqual(fake.world.exports.map((e) => e.kind), ["xml"]);
  assertOnMarkers(fake);
  results.xml = { placements: fake.world.placements, notes: outcome.notes };
});

test("Premiere's own FCP 7 XML: export -> bridge -> plan -> apply -> read back", async () => {
  // The fake's export hands over the very file Premiere Pro wrote (30 fps, clips on four audio
  // tracks, three sequence markers without a duration), and the fake's tracks hold the same
  // audio clips, so the plan must find its own lane around them. In/Out picks frames 100-400.
  const seq = JSON.parse(fs.readFileSync(env.CUEBRIDGE_PREMIERE_SEQUENCE, "utf8"));
  const tpf = BigInt(seq.timebase);
  const fake = createFakePremiere({
    name: seq.name,
    timebase: seq.timebase,
    zeroTicks: 0n,
    endTicks: BigInt(seq.durationFrames) * tpf,
    inTicks: 100n * tpf,
    outTicks: 400n * tpf,
    markers: seq.markers.map((m) => ({ name: m.name, startTicks: BigInt(m.frame) * tpf,
      durationTicks: 0n })),
    audioClips: seq.audioClips.map((clips) => clips.map(([a, b]) => [BigInt(a) * tpf, BigInt(b) * tpf])),
    exports: { xml: env.CUEBRIDGE_PREMIERE_XML }, // no OTIO export: Premiere's XML it is
  });
  const occupied = fake.tracks.map((t) => t.items.map((i) => [i._start, i._end]));
  const outcome = await run(fake, { stamp: "premiere-xml", choices: { mode: "auto", prompt: "tense strings" } });
  assert.equal(outcome.state, "done", outcome.notes.join("\n"));
  assert.deepEqual(fake.world.exports.map((e) => e.kind), ["xml"]);
  // Its markers have no duration: hit points, so Markers or In/Out scored the In/Out.
  assert.match(outcome.description, /^In\/Out 00:00:03:10-00:00:13:10$/);
  assert.equal(fake.world.placements.length, 1);
  const placed = fake.world.placements[0];
  assert.equal(BigInt(placed.ticks), 100n * tpf);
  // Every track with a clip under frames 100-400 is left alone; the cue gets a new lane.
  assert.equal(placed.audioTrack, seq.audioClips.length);
  assert.deepEqual(fake.tracks.slice(0, occupied.length).map((t) => t.items.map((i) => [i._start, i._end])), occupied);
  // Read back as a reloaded panel would: the cue, its timecode and duration, its take.
  const back = await restoreCues(fake.ppro, fake.sequence);
  assert.equal(back.length, 1);
  assert.deepEqual([back[0].timecode, back[0].duration], [outcome.cues[0].timecode, outcome.cues[0].duration]);
  assert.equal(back[0].takes[0].path, placed.path);
  assert.equal(back[0].audioTrack, placed.audioTrack);
  results.premiereXml = { placement: placed, timecode: back[0].timecode, duration: back[0].duration,
    tpf: seq.timebase };
});

test("dialogue on A1 with a gap under the cue: no cue lands on A1, a named Score lane is made", async () => {
  // A1 holds dialogue before and after the first cue, nothing under it: still not a Score lane.
  const first = described.markers[0];
  const a = BigInt(first.startTicks);
  const b = a + BigInt(first.durationTicks);
  const tpf = BigInt(described.timebase);
  const dialogue = [[0n, a > tpf ? a - tpf : 0n], [b + tpf, b + 48n * tpf]].filter(([x, y]) => y > x);
  const fake = host(
    { otio: env.CUEBRIDGE_DEMO_TIMELINE },
    { version: "26.3.0", trackNames: ["Dialogue", "Audio 2"], audioClips: [dialogue, []] },
  );
  const before = fake.tracks[0].items.map((i) => [i._start, i._end]);
  const outcome = await run(fake, { stamp: "dialogue" });
  assert.equal(outcome.state, "done");
  assert.ok(fake.world.placements.length > 0);
  assert.ok(fake.world.placements.every((p) => p.audioTrack !== 0), JSON.stringify(fake.world.placements));
  assert.deepEqual(fake.tracks[0].items.map((i) => [i._start, i._end]), before);
  assert.equal(fake.tracks[2].name, "Score"); // named by createSetNameAction (26.3)
  assert.deepEqual(fake.world.renames, [{ audioTrack: 2, name: "Score" }]);
  assert.deepEqual(outcome.placed.map((p) => p.lane), described.markers.map(() => "Score"));
  // Each cue is listed with the timecode and duration the bridge wrote.
  const fps = Number(254016000000n / tpf);
  const zero = Number(BigInt(described.zeroTicks) / tpf);
  assert.deepEqual(
    outcome.cues.map((c) => [c.timecode, c.duration]),
    described.markers.map((m) => [
      timecode(zero + Number(BigInt(m.startTicks) / tpf), fps),
      length(Number(BigInt(m.durationTicks) / tpf), fps),
    ]),
  );
  // Scored again: the Score lane is busy under the cues now, so "Score 2" is made, never A1.
  const again = await run(fake, { stamp: "dialogue-again" });
  assert.deepEqual([...new Set(again.placed.map((p) => p.lane))], ["Score 2"]);
  assert.ok(fake.world.placements.every((p) => p.audioTrack !== 0));
  assert.equal(fake.tracks[3].name, "Score 2");
});

test("the takes are kept in the sequence's markers: a reloaded panel lists them and Another take works", async () => {
  const fake = host({ otio: env.CUEBRIDGE_DEMO_TIMELINE });
  const first = await run(fake, { stamp: "reload-first" });
  assert.equal(first.state, "done");
  // One "Score: <cue>" marker per placed cue, with the plan's note for the editor.
  const written = (await fake.ppro.Markers.getMarkers(fake.sequence)).getMarkers().slice(described.markers.length);
  assert.deepEqual(written.map((m) => m.getName()), first.cues.map((c) => `Score: ${c.name}`));
  assert.ok(written.every((m) => /^prompt: /m.test(m.getComments()) && /^file: /m.test(m.getComments())));

  // The panel is reloaded: it has nothing but the sequence.
  const restored = await restoreCues(fake.ppro, fake.sequence);
  const view = (cues) => cues.map((c) => [c.name, c.startTicks, c.durationTicks, c.audioTrack, c.timecode, c.duration,
    c.takes.map((t) => [t.path, t.placed])]);
  assert.deepEqual(view(restored), view(first.cues));

  const work = path.join(env.CUEBRIDGE_WORK, "reload-take");
  fs.mkdirSync(work, { recursive: true });
  const out = await anotherTake({
    ppro: fake.ppro,
    client: createClient({ baseUrl: env.CUEBRIDGE_URL, token: env.CUEBRIDGE_TOKEN }),
    files: nodeFiles,
    workDir: work,
    cueRoot: path.join(work, "cues"),
    cues: restored,
    chosen: 1,
    pollMs: 200,
  });
  assert.equal(out.state, "done");
  const marker = described.markers[1];
  const here = fake.tracks[restored[1].audioTrack].items.find((i) => i._start === BigInt(marker.startTicks));
  assert.equal(here.projectItem._mediaPath, out.take.path);
  // Reloaded again: the cue lists both takes, the new one on the timeline, seeds kept.
  const again = await restoreCues(fake.ppro, fake.sequence);
  assert.deepEqual(again[1].takes.map((t) => [t.path, t.placed]), [
    [first.cues[1].takes[0].path, false],
    [out.take.path, true],
  ]);
  assert.equal(again[1].takes[1].seed, out.take.seed);
  assert.deepEqual(view(again.filter((_, i) => i !== 1)), view(first.cues.filter((_, i) => i !== 1)));
  // The placed markers are records, never scenes: the next Score still scores the same markers.
  const second = await run(fake, { stamp: "reload-second" });
  assert.equal(second.cues.length, described.markers.length);
});

test("the bridge sorts the markers: a one-frame marker is a hit point, never a scene", async () => {
  const tpf = BigInt(described.timebase);
  const last = described.markers[described.markers.length - 1];
  const boomAt = BigInt(last.startTicks) + BigInt(last.durationTicks) / 2n;
  const fake = host(
    { otio: env.CUEBRIDGE_DEMO_TIMELINE },
    {
      markers: [
        ...described.markers.map((m) => ({ name: m.name, startTicks: BigInt(m.startTicks),
          durationTicks: BigInt(m.durationTicks) })),
        { name: "boom", startTicks: boomAt, durationTicks: tpf }, // a plain marker: one frame
        { name: "accent", startTicks: boomAt + tpf, durationTicks: 0n },
      ],
    },
  );
  const client = createClient({ baseUrl: env.CUEBRIDGE_URL, token: env.CUEBRIDGE_TOKEN });
  const facts = await askContract(client, await readSequence(fake.ppro, fake.sequence));
  assert.deepEqual(facts.markers.map((m) => m.kind), [
    ...described.markers.map(() => "MARKER_KIND_CUE"),
    "MARKER_KIND_HIT_POINT",
    "MARKER_KIND_HIT_POINT",
  ]);
  const { description } = chooseSelection("markers", facts);
  assert.equal(description, `${described.markers.length} marker(s): ` +
    described.markers.map((m) => m.name).join(", "));
  results.sortedKinds = facts.markers.map((m) => m.kind);
});

test("a drop-frame sequence sends drop_frame: In/Out comes back as drop-frame timecode", async () => {
  const tpf = 8475667200n; // 30000/1001
  const fake = createFakePremiere({
    name: "DF reel",
    timebase: tpf.toString(),
    zeroTicks: 107892n * tpf, // 01:00:00;00 in drop-frame counting
    endTicks: 36000n * tpf,
    inTicks: 1800n * tpf, // one minute in: 01:01:00;02, a label drop-frame counting skips to
    outTicks: 3600n * tpf,
    markers: [],
    displayFormat: "FPS_29_97",
    exports: { otio: true, xml: true },
  });
  const client = createClient({ baseUrl: env.CUEBRIDGE_URL, token: env.CUEBRIDGE_TOKEN });
  const facts = await askContract(client, await readSequence(fake.ppro, fake.sequence));
  assert.equal(facts.dropFrame, true);
  assert.deepEqual(facts.rangeTimecodes, ["01:01:00;02", "01:02:00;04"]);
  const { selection } = chooseSelection("auto", facts);
  assert.equal(selection.range, "01:01:00;02-01:02:00;04");
  // The same sequence shown non-drop: the bridge writes non-drop labels.
  const ndf = await askContract(client, { ...facts, displayFormat: "FPS_29_97_NON_DROP" });
  assert.equal(ndf.dropFrame, false);
  assert.ok(ndf.rangeTimecodes.every((t) => !t.includes(";")), ndf.rangeTimecodes);
  results.dropFrameRange = selection.range;
});

test("a 59.94 drop-frame sequence counts drop-frame too, by the bridge's rule", async () => {
  const tpf = 4237833600n; // 60000/1001
  const client = createClient({ baseUrl: env.CUEBRIDGE_URL, token: env.CUEBRIDGE_TOKEN });
  // Shown with the documented drop-frame display, or with a 59.94 one where the host names it.
  for (const displayFormat of ["FPS_29_97", "FPS_59_94"]) {
    const fake = createFakePremiere({
      name: "DF 59.94 reel",
      timebase: tpf.toString(),
      zeroTicks: 215784n * tpf, // 01:00:00;00 in 59.94 drop-frame counting
      endTicks: 72000n * tpf,
      inTicks: 3600n * tpf, // one minute in: ;00 to ;03 are skipped, so 01:01:00;04
      outTicks: 7200n * tpf,
      markers: [],
      displayFormat,
      exports: { otio: true, xml: true },
    });
    const facts = await askContract(client, await readSequence(fake.ppro, fake.sequence));
    assert.equal(facts.dropFrame, true, displayFormat);
    assert.deepEqual(facts.rangeTimecodes, ["01:01:00;04", "01:02:00;08"], displayFormat);
    // The plan is asked with the same display, so the bridge counts it as ParseTime did.
    const asked = await planRequest(fake.ppro, fake.sequence, "no-score-yet");
    assert.equal(asked.displayFormat, displayFormat);
    assert.equal(asked.dropFrame, undefined);
    results.dropFrame5994Range = facts.rangeTimecodes.join("-");
  }
  const ndf = createFakePremiere({ name: "NDF", timebase: tpf.toString(), zeroTicks: 216000n * tpf,
    endTicks: 72000n * tpf, inTicks: 3600n * tpf, outTicks: 7200n * tpf, markers: [],
    displayFormat: "FPS_59_94_NON_DROP", exports: { otio: true, xml: true } });
  const plain = await askContract(client, await readSequence(ndf.ppro, ndf.sequence));
  assert.equal(plain.dropFrame, false);
  assert.deepEqual(plain.rangeTimecodes, ["01:01:00:00", "01:02:00:00"]);
});

test("the mood picker lists the bridge's moods, or the styles when it cannot answer", async () => {
  const live = await moodChoices(createClient({ baseUrl: env.CUEBRIDGE_URL, token: env.CUEBRIDGE_TOKEN }));
  const byValue = Object.fromEntries(live.map((m) => [m.value, m.label]));
  assert.equal(live[0].label, "No mood");
  assert.equal(byValue.tense, "tense (suspense)"); // a feeling word shows the style it scores as
  assert.equal(byValue.suspense, "suspense");
  // Every style the fallback offers is one the bridge accepts.
  for (const style of STYLES) assert.equal(byValue[style], style);
  const refused = await moodChoices(createClient({ baseUrl: env.CUEBRIDGE_URL, token: "wrong" }));
  assert.deepEqual(refused.map((m) => m.value), ["", ...STYLES]);
  results.moods = live.length;
});

test("a wrong token is refused with a message about the token, and nothing is placed", async () => {
  const fake = host({ otio: env.CUEBRIDGE_DEMO_TIMELINE });
  const client = createClient({ baseUrl: env.CUEBRIDGE_URL, token: "not-the-token" });
  await assert.rejects(run(fake, { client, stamp: "token" }), (err) => {
    results.wrongToken = err.message;
    return err.code === "UNAUTHENTICATED" && /refused the panel's token/.test(err.message);
  });
  assert.deepEqual(fake.world.placements, []);
});

test("a bridge that is not running gets `cuebridge serve` as the answer", async () => {
  const port = await new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port: free } = server.address();
      server.close(() => resolve(free)); // a port where nothing listens any more
    });
  });
  const fake = host({ otio: env.CUEBRIDGE_DEMO_TIMELINE });
  const client = createClient({ baseUrl: `http://127.0.0.1:${port}`, token: env.CUEBRIDGE_TOKEN });
  await assert.rejects(run(fake, { client, stamp: "down" }), (err) => {
    results.notRunning = err.message;
    return err.code === "UNREACHABLE" && /`cuebridge serve`/.test(err.message);
  });
  assert.deepEqual(fake.world.placements, []);
});

test("Cancel pressed during the export starts no score and places nothing", async () => {
  const fake = host({ otio: env.CUEBRIDGE_DEMO_TIMELINE });
  const control = { cancelled: false, scoreId: null };
  const onStatus = () => (control.cancelled = true); // pressed while "Exporting…" shows
  const outcome = await run(fake, { stamp: "cancel-early", control, onStatus });
  assert.equal(outcome.state, "cancelled");
  assert.equal(control.scoreId, null);
  assert.deepEqual(fake.world.placements, []);
});

test("Cancel pressed once the score runs cancels it on the bridge and places nothing", async () => {
  const fake = host({ otio: env.CUEBRIDGE_DEMO_TIMELINE });
  const control = { cancelled: false, scoreId: null };
  const real = createClient({ baseUrl: env.CUEBRIDGE_URL, token: env.CUEBRIDGE_TOKEN });
  const cancelled = [];
  const client = {
    ...real,
    startScore: async (request) => {
      const job = await real.startScore(request);
      control.cancelled = true; // the editor presses Cancel as soon as the job exists
      return job;
    },
    cancelScore: async (id) => {
      cancelled.push(id);
      return real.cancelScore(id);
    },
  };
  const outcome = await run(fake, { client, stamp: "cancel", control });
  assert.equal(outcome.state, "cancelled");
  assert.deepEqual(cancelled, [control.scoreId]);
  const job = await real.getScore(control.scoreId);
  results.cancelled = job.state;
  // A job that finished before the cancel arrived still places nothing: the editor said stop.
  assert.ok(["JOB_STATE_CANCELLED", "JOB_STATE_SUCCEEDED"].includes(job.state), job.state);
  assert.deepEqual(fake.world.placements, []);
});

function recording(real, asked) {
  return { ...real, startScore: async (request) => (asked.push(request), real.startScore(request)) };
}

test("another take re-scores the cue under the playhead; the old take stays in the take list", async () => {
  const fake = host({ otio: env.CUEBRIDGE_DEMO_TIMELINE });
  const progress = [];
  const first = await run(fake, { stamp: "take-first", onStatus: (s) => progress.push(s.message) });
  assert.equal(first.state, "done");
  // Progress named the cues as they went (markers' names).
  const names = described.markers.map((m) => m.name);
  assert.ok(progress.some((line) => names.some((n) => line.includes(`'${n}'`))), progress);

  const target = 1;
  const marker = described.markers[target];
  const tpf = BigInt(described.timebase);
  fake.spec.playerTicks = BigInt(marker.startTicks) + 5n * tpf; // the playhead inside the cue
  const cue = first.cues[target];
  const before = fake.tracks.map((t) => t.items.map((i) => [i._start, i.projectItem && i.projectItem.name]));
  const asked = [];
  const real = createClient({ baseUrl: env.CUEBRIDGE_URL, token: env.CUEBRIDGE_TOKEN });
  const work = path.join(env.CUEBRIDGE_WORK, "take");
  fs.mkdirSync(work, { recursive: true });
  const statuses = [];
  const out = await anotherTake({
    ppro: fake.ppro,
    client: recording(real, asked),
    files: nodeFiles,
    workDir: work,
    cueRoot: path.join(work, "cues"),
    cues: first.cues,
    onStatus: (s) => statuses.push(s.message),
    pollMs: 200,
  });

  assert.equal(out.state, "done");
  assert.equal(out.cue, cue);
  // Only this cue's range went to the bridge, with a seed it had not had.
  const zero = Number(BigInt(described.zeroTicks) / tpf);
  const fps = Number(254016000000n / tpf);
  const startFrame = zero + Number(BigInt(marker.startTicks) / tpf);
  const endFrame = startFrame + Number(BigInt(marker.durationTicks) / tpf);
  assert.equal(asked.length, 1);
  assert.deepEqual(asked[0].selection, {
    mode: "SEGMENT_MODE_RANGE",
    range: `${timecode(startFrame, fps)}-${timecode(endFrame, fps)}`,
    rangeName: cue.name, // the bridge names the cue, and its progress line says that name
  });
  assert.notEqual(asked[0].seed, cue.takes[0].seed);
  assert.ok(statuses.some((m) => m.includes(`'${cue.name}'`)), statuses);
  // Two takes now, the new one placed; their WAVs differ.
  assert.equal(cue.takes.length, 2);
  assert.deepEqual(cue.takes.map((t) => t.placed), [false, true]);
  assert.notEqual(cue.takes[1].seed, cue.takes[0].seed);
  assert.notDeepEqual(fs.readFileSync(cue.takes[1].path), fs.readFileSync(cue.takes[0].path));
  // The new take sits on the cue's track at its first tick; every other clip is as it was.
  const track = fake.tracks[cue.audioTrack];
  const here = track.items.find((i) => i._start === BigInt(marker.startTicks));
  assert.equal(here.projectItem._mediaPath, cue.takes[1].path);
  const after = fake.tracks.map((t) => t.items.map((i) => [i._start, i.projectItem && i.projectItem.name]));
  after[cue.audioTrack] = after[cue.audioTrack].filter(([s]) => s !== BigInt(marker.startTicks));
  before[cue.audioTrack] = before[cue.audioTrack].filter(([s]) => s !== BigInt(marker.startTicks));
  assert.deepEqual(after, before);

  // Back to the first take from the list: one more undoable edit, and it is there again.
  const { sequence, project } = fake;
  await placeTake(fake.ppro, project, sequence, cue, cue.takes[0], { files: nodeFiles });
  const back = fake.tracks[cue.audioTrack].items.find((i) => i._start === BigInt(marker.startTicks));
  assert.equal(back.projectItem._mediaPath, cue.takes[0].path);
  assert.deepEqual(cue.takes.map((t) => t.placed), [true, false]);
  results.take = {
    ticks: marker.startTicks,
    durationTicks: marker.durationTicks,
    takes: cue.takes.map((t) => ({ path: t.path, seed: t.seed })),
  };
});

test("audition first: nothing is placed until Place, then every cue lands", async () => {
  const fake = host({ otio: env.CUEBRIDGE_DEMO_TIMELINE });
  const outcome = await run(fake, { stamp: "audition", choices: { audition: true } });
  assert.equal(outcome.state, "ready");
  assert.deepEqual(fake.world.placements, []);
  assert.equal(outcome.cues.length, described.markers.length);
  for (const c of outcome.cues) assert.ok(fs.existsSync(c.takes[0].path), c.takes[0].path);
  const { placed } = await placeCues(fake.ppro, fake.project, fake.sequence, outcome.plan, {
    files: nodeFiles,
  });
  assert.equal(placed.length, described.markers.length);
  assertOnMarkers(fake);
});

test("Cancel during another take keeps the cue's take and places nothing", async () => {
  const fake = host({ otio: env.CUEBRIDGE_DEMO_TIMELINE });
  const first = await run(fake, { stamp: "take-cancel-first" });
  const placedBefore = fake.world.placements.length;
  const control = { cancelled: false, scoreId: null };
  const real = createClient({ baseUrl: env.CUEBRIDGE_URL, token: env.CUEBRIDGE_TOKEN });
  const cancelled = [];
  const client = {
    ...real,
    startScore: async (request) => {
      const job = await real.startScore(request);
      control.cancelled = true;
      return job;
    },
    cancelScore: async (id) => (cancelled.push(id), real.cancelScore(id)),
  };
  const work = path.join(env.CUEBRIDGE_WORK, "take-cancel");
  fs.mkdirSync(work, { recursive: true });
  const out = await anotherTake({
    ppro: fake.ppro,
    client,
    files: nodeFiles,
    workDir: work,
    cueRoot: path.join(work, "cues"),
    cues: first.cues,
    chosen: 0,
    control,
    pollMs: 200,
  });
  assert.equal(out.state, "cancelled");
  assert.deepEqual(cancelled, [control.scoreId]);
  assert.equal(fake.world.placements.length, placedBefore);
  assert.equal(first.cues[0].takes.length, 1);
});
