"use strict";
// The token errors read in two lines in the panel's notice: what is wrong, then what to do.
const test = require("node:test");
const assert = require("node:assert/strict");
const { createClient } = require("../../plugins/premiere/bridge_client.js");

test("no token and a refused token each say it in two lines", async () => {
  const none = createClient({ token: "" });
  await assert.rejects(none.engineInfo(), (err) => {
    const lines = err.message.split("\n");
    return err.code === "NO_TOKEN" && lines.length === 2 && lines[0] === "The panel has no token for the bridge." &&
      /^Run `cuebridge install-plugin premiere`/.test(lines[1]) && /Connection > Token/.test(lines[1]);
  });
  const refused = createClient({
    baseUrl: "http://127.0.0.1:9",
    token: "wrong",
    fetchImpl: async () => ({ status: 401, ok: false, statusText: "Unauthorized", text: async () => "{}" }),
  });
  await assert.rejects(refused.engineInfo(), (err) => {
    const lines = err.message.split("\n");
    return err.code === "UNAUTHENTICATED" && lines.length === 2 &&
      lines[0] === "The bridge at http://127.0.0.1:9 refused the panel's token." && /^Run `cuebridge/.test(lines[1]);
  });
});
