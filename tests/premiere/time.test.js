"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const time = require("../../plugins/premiere/time.js");
const { TickTime } = require("./fake_premierepro.js");

const NTSC = { num: 30000, den: 1001 };
const FILM = { num: 24, den: 1 };

test("ticks per frame are exact at 24 and 30000/1001", () => {
  assert.equal(time.framesToTicks(1, FILM), 10584000000n);
  assert.equal(time.framesToTicks(1, NTSC), 8475667200n);
  // One hour of 29.97 NDF frames (108000) is 3603.6 s: exact, not 3600 s.
  assert.equal(time.framesToTicks(108000, NTSC), 3603600n * 254016000n);
  assert.equal(time.framesToTicks(86400, FILM), 3600n * 254016000000n);
});

test("a sequence timebase gives back the exact rate fraction", () => {
  assert.deepEqual(time.rateFromTimebase("10584000000"), { num: 24n, den: 1n });
  assert.deepEqual(time.rateFromTimebase("8475667200"), { num: 30000n, den: 1001n });
  assert.deepEqual(time.rateFromTimebase("10594584000"), { num: 24000n, den: 1001n });
  assert.deepEqual(time.rateFromTimebase("10160640000"), { num: 25n, den: 1n });
});

test("ticks round to the nearest frame and back", () => {
  for (const rate of [FILM, NTSC]) {
    for (const frame of [0, 1, 167, 168, 1799, 107999, 108000, 2592000]) {
      const ticks = time.framesToTicks(frame, rate);
      assert.equal(time.ticksToFrames(ticks, rate), BigInt(frame));
      assert.equal(time.ticksToFrames(ticks + 1n, rate), BigInt(frame));
      assert.equal(time.ticksToFrames(ticks - 1n, rate), BigInt(frame));
    }
  }
});

test("a rate that does not divide the tick clock is refused, not rounded", () => {
  assert.throws(() => time.framesToTicks(1, { num: 11, den: 1 }), /whole tick/);
});

test("TickTime from createWithTicks is exact at every frame", () => {
  for (const rate of [FILM, NTSC]) {
    for (const frame of [0, 1, 210, 719, 108000, 2589408]) {
      const t = time.tickTimeAt({ TickTime }, frame, rate);
      assert.equal(t.ticks, (time.framesToTicks(frame, rate)).toString());
    }
  }
});

test("the createWithSeconds fallback lands on the exact tick for 3 hours of frames", () => {
  // A host without createWithTicks: seconds are the double nearest frames*den/num.
  const secondsOnly = { TickTime: { createWithSeconds: TickTime.createWithSeconds } };
  for (const rate of [FILM, NTSC]) {
    const last = Math.ceil((3 * 3600 * rate.num) / rate.den);
    const tpf = time.framesToTicks(1, rate);
    for (let frame = 0; frame <= last; frame++) {
      const t = time.tickTimeAt(secondsOnly, frame, rate);
      if (t._ticks !== BigInt(frame) * tpf) {
        assert.fail(`frame ${frame} at ${rate.num}/${rate.den}: ${t.ticks} ticks`);
      }
    }
  }
});

test("timecodes are non-drop HH:MM:SS:FF at the nominal rate", () => {
  assert.equal(time.timecode(86400 + 168, FILM), "01:00:07:00");
  assert.equal(time.timecode(86400 + 24 * 60 - 1, FILM), "01:00:59:23");
  assert.equal(time.timecode(108000 + 210, NTSC), "01:00:07:00");
  assert.equal(time.timecode(108000 + 29, NTSC), "01:00:00:29");
});
