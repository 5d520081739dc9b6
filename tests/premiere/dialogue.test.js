"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { dialogueLine } = require("../../plugins/premiere/score.js");

const span = ([startS, endS]) => ({ startS, endS });
const cue = (speech) => ({ cue: speech === undefined ? {} : { speech: speech.map(span) } });

test("the panel says dialogue was read when the engine made room for it", () => {
  const line = dialogueLine([cue([[1.0, 2.2], [3.6, 5.6]]), cue([]), cue([[0.5, 1.5]])]);
  assert.equal(line, "Dialogue read: 3 line(s) under 2 cue(s); the music dips and thins there.");
});

test("no line when no cue had speech, or the speech field is absent", () => {
  assert.equal(dialogueLine([cue([]), cue(undefined), { cue: null }]), "");
  assert.equal(dialogueLine([]), "");
});
