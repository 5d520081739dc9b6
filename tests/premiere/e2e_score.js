/*
 * The panel's logic against the REAL bridge over its HTTP/JSON gateway, with the fake host.
 * Run by tests/premiere/test_panel_node.py, which starts the bridge and sets:
 *   CUEBRIDGE_URL, CUEBRIDGE_TOKEN      the gateway and its token
 *   CUEBRIDGE_DEMO_TIMELINE             the demo as OTIO (what "Premiere" exports)
 *   CUEBRIDGE_DEMO_XML                  the same demo as FCP 7 XML (for the fallback)
 *   CUEBRIDGE_DEMO_SEQUENCE             JSON: the sequence's timebase, zero point, markers
 *   CUEBRIDGE_WORK                      a scratch folder
 *   CUEBRIDGE_RESULT                    where to write what was placed, for the Python side
 */
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const net = require("node:net");
const path = require("node:path");
const { createClient } = require("../../plugins/premiere/bridge_client.js");
const { scoreActiveSequence } = require("../../plugins/premiere/score.js");
const { createFakePremiere, nodeFiles } = require("./fake_premierepro.js");

const NEEDED = ["CUEBRIDGE_URL", "CUEBRIDGE_TOKEN", "CUEBRIDGE_DEMO_TIMELINE", "CUEBRIDGE_DEMO_XML",
  "CUEBRIDGE_DEMO_SEQUENCE", "CUEBRIDGE_WORK", "CUEBRIDGE_RESULT"];
const missing = NEEDED.filter((name) => !process.env[name]);
if (missing.length) {
  const how = "run this through tests/premiere/test_panel_node.py";
  throw new Error(`${missing.join(", ")} not set: ${how}`);
}
const env = process.env;
const described = JSON.parse(fs.readFileSync(env.CUEBRIDGE_DEMO_SEQUENCE, "utf8"));
const results = {};

function host(exports) {
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
  });
}

function run(fake, { client, stamp, control, onStatus } = {}) {
  const work = path.join(env.CUEBRIDGE_WORK, stamp);
  fs.mkdirSync(work, { recursive: true });
  return scoreActiveSequence({
    ppro: fake.ppro,
    client: client || createClient({ baseUrl: env.CUEBRIDGE_URL, token: env.CUEBRIDGE_TOKEN }),
    files: nodeFiles,
    workDir: work,
    cueRoot: path.join(work, "cues"),
    choices: { mode: "markers", prompt: "", mood: "", model: "", seed: "7", stamp },
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
  assert.equal(fake.world.transactions.length, 1);
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
