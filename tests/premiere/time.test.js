"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const time = require("../../plugins/premiere/time.js");
const { TickTime } = require("./fake_premierepro.js");

const NTSC = { num: 30000, den: 1001 };
const FILM = { num: 24, den: 1 };

const tpfOf = (rate) => (254016000000n * BigInt(rate.den)) / BigInt(rate.num);

test("a sequence timebase gives back the exact rate fraction", () => {
  assert.deepEqual(time.rateFromTimebase("10584000000"), { num: 24n, den: 1n });
  assert.deepEqual(time.rateFromTimebase("8475667200"), { num: 30000n, den: 1001n });
  assert.deepEqual(time.rateFromTimebase("10594584000"), { num: 24000n, den: 1001n });
  assert.deepEqual(time.rateFromTimebase("10160640000"), { num: 25n, den: 1n });
});

test("ticks round to the nearest frame, down and up", () => {
  for (const rate of [FILM, NTSC]) {
    const tpf = tpfOf(rate);
    for (const frame of [0, 1, 167, 168, 1799, 107999, 108000, 2592000]) {
      const ticks = BigInt(frame) * tpf;
      assert.equal(time.ticksToFrames(ticks, rate), BigInt(frame));
      assert.equal(time.ticksToFrames(ticks + 1n, rate), BigInt(frame));
      assert.equal(time.ticksToFrames(ticks - 1n, rate), BigInt(frame));
      assert.equal(time.ticksToFramesFloor(ticks + 1n, rate), BigInt(frame));
      assert.equal(time.ticksToFramesCeil(ticks + 1n, rate), BigInt(frame + 1));
      assert.equal(time.ticksToFramesCeil(ticks, rate), BigInt(frame));
    }
  }
});

test("TickTime from createWithTicks is the plan's exact tick", () => {
  for (const ticks of ["0", "10584000000", "914457600000000", "21946982400000000"]) {
    assert.equal(time.tickTimeAt({ TickTime }, ticks).ticks, ticks);
  }
});

test("the createWithSeconds fallback lands on the exact tick for 3 hours of frames", () => {
  // A host without createWithTicks: seconds are the double nearest the plan's ticks.
  const secondsOnly = { TickTime: { createWithSeconds: TickTime.createWithSeconds } };
  for (const rate of [FILM, NTSC]) {
    const last = Math.ceil((3 * 3600 * rate.num) / rate.den);
    const tpf = tpfOf(rate);
    for (let frame = 0; frame <= last; frame++) {
      const t = time.tickTimeAt(secondsOnly, (BigInt(frame) * tpf).toString());
      if (t._ticks !== BigInt(frame) * tpf) {
        assert.fail(`frame ${frame} at ${rate.num}/${rate.den}: ${t.ticks} ticks`);
      }
    }
  }
});
