/*
 * Frames, rates and Premiere ticks, exact: integer frames at a rational rate become integer
 * ticks (254016000000 per second) with BigInt arithmetic, never with accumulated floats.
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

  /** Ticks at frame `frames` (from the sequence's first frame): exact, or an error. */
  function framesToTicks(frames, rate) {
    const { num, den } = rateOf(rate);
    const scaled = BigInt(frames) * TICKS_PER_SECOND * den;
    if (scaled % num !== 0n) {
      // Every NTSC and PAL rate divides evenly; a rate that does not cannot be placed exactly.
      throw new Error(`frame ${frames} at ${num}/${den} fps does not fall on a whole tick`);
    }
    return scaled / num;
  }

  /** The frame nearest to `ticks` (a TickTime's ticks string) at `rate`. */
  function ticksToFrames(ticks, rate) {
    const { num, den } = rateOf(rate);
    const scaled = BigInt(ticks) * num;
    const unit = TICKS_PER_SECOND * den;
    const half = unit / 2n;
    return scaled >= 0n ? (scaled + half) / unit : -((-scaled + half) / unit);
  }

  /** Seconds at frame `frames` as the double nearest the exact value (one rounding only). */
  function framesToSeconds(frames, rate) {
    const { num, den } = rateOf(rate);
    return Number(BigInt(frames) * den) / Number(num);
  }

  /**
   * A TickTime for frame `frames`. createWithTicks takes the exact tick count as a string;
   * hosts without it get createWithSeconds with the double nearest the exact time, which
   * Premiere rounds back to the same tick (checked for 24 h of frames in the tests).
   */
  function tickTimeAt(ppro, frames, rate) {
    const ticks = framesToTicks(frames, rate);
    if (typeof ppro.TickTime.createWithTicks === "function") {
      return ppro.TickTime.createWithTicks(ticks.toString());
    }
    return ppro.TickTime.createWithSeconds(framesToSeconds(frames, rate));
  }

  /** Non-drop timecode "HH:MM:SS:FF" for an absolute frame, as the bridge parses --range. */
  function timecode(frame, rate) {
    const { num, den } = rateOf(rate);
    const fps = (num + den / 2n) / den; // nominal: 30 for 30000/1001
    let f = BigInt(frame);
    const ff = f % fps;
    f /= fps;
    const ss = f % 60n;
    f /= 60n;
    const mm = f % 60n;
    const hh = f / 60n;
    const two = (n) => n.toString().padStart(2, "0");
    return `${two(hh)}:${two(mm)}:${two(ss)}:${two(ff)}`;
  }

  return {
    TICKS_PER_SECOND,
    rateOf,
    rateFromTimebase,
    framesToTicks,
    ticksToFrames,
    framesToSeconds,
    tickTimeAt,
    timecode,
  };
});
