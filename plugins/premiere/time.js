/*
 * Reading Premiere's clock: a sequence timebase as an exact rate, a clip's ticks as whole
 * frames (BigInt arithmetic, never accumulated floats), and the plan's ticks as a TickTime.
 * Placement times come from the bridge's plan in ticks; nothing here chooses where a cue goes,
 * and timecode is the bridge's to write (Bridge.ParseTime: drop-frame included).
 *
 * Loaded by index.html as a plain script (registers window.cuebridge.time) and by node's test
 * runner with require() (module.exports); no bundler.
 */
"use strict";
(function (root, factory) {
  const api = factory();
  (root.cuebridge = root.cuebridge || {}).time = api;
  if (typeof module === "object" && module && module.exports) module.exports = api;
})(globalThis, function () {
  const TICKS_PER_SECOND = 254016000000n;

  /** A rate {num, den} (numbers, strings or BigInts, as proto3 JSON prints int64) as BigInts. */
  function rateOf(rate) {
    if (!rate) throw new Error("no frame rate");
    const num = BigInt(rate.num);
    const den = BigInt(rate.den === undefined || rate.den === "0" || rate.den === 0 ? 1 : rate.den);
    if (num <= 0n || den <= 0n) throw new Error(`bad frame rate ${rate.num}/${rate.den}`);
    return { num, den };
  }

  function gcd(a, b) {
    while (b) [a, b] = [b, a % b];
    return a;
  }

  /** Premiere's sequence timebase (ticks per frame, a string) as a reduced rate fraction. */
  function rateFromTimebase(ticksPerFrame) {
    const tpf = BigInt(ticksPerFrame);
    if (tpf <= 0n) throw new Error(`bad sequence timebase ${ticksPerFrame}`);
    const g = gcd(TICKS_PER_SECOND, tpf);
    return { num: TICKS_PER_SECOND / g, den: tpf / g };
  }

  /** Whole frames at `rate` in `ticks` (a TickTime's ticks string): nearest, down or up. */
  function ticksToFramesBy(ticks, rate, mode) {
    const { num, den } = rateOf(rate);
    const scaled = BigInt(ticks) * num;
    const unit = TICKS_PER_SECOND * den;
    if (mode === "floor") return scaled >= 0n ? scaled / unit : -((-scaled + unit - 1n) / unit);
    if (mode === "ceil") return scaled >= 0n ? (scaled + unit - 1n) / unit : -(-scaled / unit);
    const half = unit / 2n;
    return scaled >= 0n ? (scaled + half) / unit : -((-scaled + half) / unit);
  }
  const ticksToFrames = (ticks, rate) => ticksToFramesBy(ticks, rate, "nearest");
  const ticksToFramesFloor = (ticks, rate) => ticksToFramesBy(ticks, rate, "floor");
  const ticksToFramesCeil = (ticks, rate) => ticksToFramesBy(ticks, rate, "ceil");

  /**
   * A TickTime at `ticks` (the plan's exact tick count, an int64 string). createWithTicks takes
   * it as a string; hosts without it get createWithSeconds with the double nearest the exact
   * time, which Premiere rounds back to the same tick (checked for 3 h of frames in the tests).
   */
  function tickTimeAt(ppro, ticks) {
    const exact = BigInt(ticks);
    if (typeof ppro.TickTime.createWithTicks === "function") {
      return ppro.TickTime.createWithTicks(exact.toString());
    }
    const whole = exact / TICKS_PER_SECOND;
    const part = exact % TICKS_PER_SECOND;
    return ppro.TickTime.createWithSeconds(Number(whole) + Number(part) / Number(TICKS_PER_SECOND));
  }

  return {
    TICKS_PER_SECOND,
    rateOf,
    rateFromTimebase,
    ticksToFrames,
    ticksToFramesFloor,
    ticksToFramesCeil,
    tickTimeAt,
  };
});
