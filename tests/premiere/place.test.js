"use strict";
// The panel applies the bridge's plan as given (plans here are written as PlanPlacement answers
// them in proto3 JSON); tests/premiere/e2e_score.js gets its plans from the real bridge.
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { PanelError } = require("../../plugins/premiere/errors.js");
const { placeCues, planRequest } = require("../../plugins/premiere/place.js");
const { createFakePremiere, nodeFiles } = require("./fake_premierepro.js");
const { writeWav } = require("./wav.js");

const RATES = {
  "24": { rate: { num: 24, den: 1 }, tpf: 10584000000n },
  "30000/1001": { rate: { num: 30000, den: 1001 }, tpf: 8475667200n },
};

/** A plan of `cues` ([start, length, laneIndex] in frames) with `lanes` ([name, index, create]). */
function setup(rateName, { cues = [[0, 312, 2], [312, 480, 2], [792, 408, 2]], lanes = [["Score", 2, false]], version, trackNames = ["Audio 1", "Audio 2", "Score"], audioClips } = {}) {
  const { rate, tpf } = RATES[rateName];
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "cuebridge-place-"));
  const clips = cues.map(([start, length, index], i) => {
    const samples = Math.round((length * 48000 * rate.den) / rate.num);
    const audioPath = writeWav(path.join(folder, `cue-00${i + 1}.wav`), samples);
    const lane = lanes.find((l) => l[1] === index);
    return {
      segmentId: `cue-00${i + 1}`,
      name: `cue ${i + 1}`,
      lane: lane[0],
      laneIndex: index,
      audioPath,
      recordOffsetTicks: String(BigInt(start) * tpf), // int64 arrives as a string
      durationTicks: String(BigInt(length) * tpf),
    };
  });
  const plan = {
    scoreId: "s1",
    rate,
    lanes: lanes.map(([name, index, create]) => ({ name, index, create })),
    clips,
  };
  const fake = createFakePremiere({
    name: "Reel 1",
    timebase: tpf.toString(),
    zeroTicks: 0n,
    endTicks: 2000n * tpf,
    markers: [],
    version,
    trackNames,
    audioClips: audioClips ? audioClips(tpf) : trackNames.map(() => []),
  });
  return { ...fake, plan, tpf, folder };
}

const place = (s, files = nodeFiles) => placeCues(s.ppro, s.project, s.sequence, s.plan, { files });

for (const rateName of Object.keys(RATES)) {
  test(`cues land on the plan's exact tick and lane at ${rateName}`, async () => {
    const s = setup(rateName);
    const out = await place(s);
    const expected = s.plan.clips.map((c) => c.recordOffsetTicks);
    assert.deepEqual(s.world.placements.map((p) => p.ticks), expected);
    assert.deepEqual(s.world.placements.map((p) => [p.audioTrack, p.kind]), [
      [2, "overwrite"],
      [2, "overwrite"],
      [2, "overwrite"],
    ]);
    assert.equal(s.world.transactions.length, 1); // one undo step: no track to make
    assert.deepEqual(s.world.imports, [s.plan.clips.map((c) => c.audioPath)]);
    assert.deepEqual(out.placed.map((p) => p.startTicks), expected);
    // The clip placed from each WAV ends where its cue ends, within one frame.
    s.plan.clips.forEach((c, i) => {
      const end = BigInt(c.recordOffsetTicks) + BigInt(c.durationTicks);
      const item = s.tracks[2].items[i];
      const gap = item._end > end ? item._end - end : end - item._end;
      assert.ok(gap < s.tpf, `cue ${i + 1} ends ${gap} ticks off`);
    });
  });
}

test("a lane to create: inserted past the last track, read back, the rest in a second step, named on 26.3", async () => {
  const s = setup("24", {
    version: "26.3.0",
    trackNames: ["Dialogue", "Audio 2"],
    cues: [[0, 480, 2], [240, 480, 3], [600, 100, 2]],
    lanes: [["Score", 2, true], ["Score 2", 3, true]],
  });
  const out = await place(s);
  assert.deepEqual(s.world.transactions.map((t) => t.actions), [2, 3]); // 2 inserts; 1 + 2 names
  assert.deepEqual(s.world.placements.map((p) => [p.audioTrack, p.kind]), [
    [2, "insert"],
    [3, "insert"],
    [2, "overwrite"],
  ]);
  assert.deepEqual(s.tracks.map((t) => t.name), ["Dialogue", "Audio 2", "Score", "Score 2"]);
  assert.deepEqual(out.notes, []);
  assert.equal(out.newTracks, 2);
});

test("before 26.3 (no createSetNameAction) the new lane is left unnamed and the editor is told", async () => {
  const s = setup("24", { trackNames: ["Dialogue"], cues: [[0, 480, 1]], lanes: [["Score", 1, true]] });
  const out = await place(s);
  assert.equal(typeof s.tracks[0].createSetNameAction, "undefined");
  assert.deepEqual(s.world.placements.map((p) => [p.audioTrack, p.kind]), [[1, "insert"]]);
  assert.equal(s.world.transactions.length, 1); // nothing left for the second step
  assert.equal(s.tracks[1].name, "Audio 2");
  assert.equal(out.notes.length, 1);
  assert.match(out.notes[0], /Name audio track A2 "Score" by hand/);
});

test("a plan made before the tracks changed is refused before anything is placed", async () => {
  const s = setup("24", { trackNames: ["Dialogue", "Audio 2"], cues: [[0, 480, 1]], lanes: [["Score", 1, true]] });
  await assert.rejects(place(s), (err) => err.code === "TRACKS_CHANGED" && /press Score again/.test(err.message));
  assert.deepEqual(s.world.transactions, []);
  assert.deepEqual(s.world.placements, []);
});

test("a cue file deleted before import places nothing and names the file", async () => {
  const s = setup("24");
  fs.unlinkSync(s.plan.clips[1].audioPath);
  await assert.rejects(
    place(s),
    (err) =>
      err instanceof PanelError &&
      err.code === "CUE_MISSING" &&
      err.message.includes(s.plan.clips[1].audioPath) &&
      /Nothing was placed/.test(err.message),
  );
  assert.deepEqual(s.world.imports, []); // not even imported
  assert.deepEqual(s.world.transactions, []);
  assert.deepEqual(s.world.placements, []);
});

test("a cue file that vanishes after import still leaves the timeline untouched", async () => {
  const s = setup("30000/1001");
  let checks = 0;
  const gone = s.plan.clips[2].audioPath;
  const files = { exists: async (p) => (p === gone && ++checks > 1 ? false : fs.existsSync(p)) };
  await assert.rejects(place(s, files), (err) => err.code === "CUE_MISSING" && err.message.includes(gone));
  assert.equal(s.world.imports.length, 1);
  assert.deepEqual(s.world.transactions, []);
  assert.deepEqual(s.world.placements, []);
});

test("a refused transaction is reported and nothing is placed", async () => {
  const s = setup("24");
  s.project.executeTransaction = () => false;
  await assert.rejects(place(s), (err) => err.code === "EDIT_REFUSED" && /left as it was/.test(err.message));
  assert.deepEqual(s.world.placements, []);
});

test("the plan request reports every track by name with its clips in whole frames", async () => {
  // Clips off the frame grid: starts round down, ends up, so a clip is never reported smaller.
  const s = setup("24", {
    trackNames: ["Dialogue", "Score"],
    audioClips: (tpf) => [[[100n * tpf + 5n, 400n * tpf - 5n]], []],
  });
  s.spec.zeroTicks = 86400n * s.tpf; // 01:00:00:00
  const seen = [];
  const real = s.tracks[0].getTrackItems.bind(s.tracks[0]);
  s.tracks[0].getTrackItems = (type, empty) => (seen.push(type), real(type, empty));
  const request = await planRequest(s.ppro, s.sequence, "s1");
  assert.equal(request.host, "premiere");
  assert.equal(request.timelineRate, "24/1");
  assert.equal(request.startFrame, "86400");
  assert.deepEqual(request.audioTracks, [
    { index: 0, name: "Dialogue", items: [{ start: "86500", end: "86800" }] },
    { index: 1, name: "Score", items: [] },
  ]);
  // Clips are listed with Constants.TrackItemType.CLIP, whose value the reference does not give.
  assert.ok(seen.length > 0 && seen.every((t) => t === s.ppro.Constants.TrackItemType.CLIP));
});
