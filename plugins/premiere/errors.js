/*
 * PanelError: a problem the editor can fix, with a message meant for them (what happened, to
 * which file or sequence, and what to do). Anything else reaching the panel is a bug.
 */
"use strict";
(function (root, factory) {
  const api = factory();
  (root.cuebridge = root.cuebridge || {}).errors = api;
  if (typeof module === "object" && module && module.exports) module.exports = api;
})(globalThis, function () {
  class PanelError extends Error {
    constructor(message, code = "PANEL") {
      super(message);
      this.name = "PanelError";
      this.code = code;
    }
  }
  return { PanelError };
});
