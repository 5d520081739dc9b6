"use strict";
// Audition through the Source Monitor ([ref SourceMonitor] openFilePath, play; 25.6+), as the
// fake models it: UXP renders no <audio>, so nothing else can play a take in the panel.
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { audition } = require("../../plugins/premiere/audition.js");
const { createFakePremiere, nodeFiles } = require("./fake_premierepro.js");
const { writeWav } = require("./wav.js");

const spec = (version) => ({ name: "Reel", timebase: "10584000000", endTicks: 10n, version });
const take = () => writeWav(path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cb-aud-")), "t.wav"), 4800);

test("a take is opened in the Source Monitor and played, and the timeline is untouched", async () => {
  const fake = createFakePremiere(spec("26.2.0"));
  const file = take();
  await audition(fake.ppro, file, { files: nodeFiles });
  assert.deepEqual(fake.world.auditions, [{ path: file, speed: 1 }]);
  assert.deepEqual(fake.world.transactions, []);
  assert.deepEqual(fake.world.imports, []);
});

test("a missing take is named and nothing is opened", async () => {
  const fake = createFakePremiere(spec("26.2.0"));
  const gone = path.join(os.tmpdir(), "cuebridge-no-such-take.wav");
  await assert.rejects(audition(fake.ppro, gone, { files: nodeFiles }), (err) =>
    err.code === "CUE_MISSING" && err.message.includes(gone));
  assert.equal(fake.world.monitor, null);
});

test("a Source Monitor that refuses the file says so; a host without one names 25.6", async () => {
  const fake = createFakePremiere(spec("26.2.0"));
  const file = take();
  fake.ppro.SourceMonitor.openFilePath = async () => false;
  await assert.rejects(audition(fake.ppro, file), (err) => err.code === "AUDITION_FAILED" && err.message.includes(file));
  assert.deepEqual(fake.world.auditions, []);
  const old = createFakePremiere(spec("25.5.0"));
  assert.equal(old.ppro.SourceMonitor, undefined);
  await assert.rejects(audition(old.ppro, file), (err) => err.code === "NO_SOURCE_MONITOR" && /25\.6/.test(err.message));
});
