/*
 * Audition a take in Premiere's Source Monitor: UXP panels render no <audio> element, so the
 * take is opened there (SourceMonitor.openFilePath) and played (SourceMonitor.play), both in the
 * UXP reference since 25.6. The timeline is not touched.
 */
"use strict";
(function (root, factory) {
  const need = (name) => (root.cuebridge && root.cuebridge[name]) || require(`./${name}.js`);
  const api = factory(need);
  (root.cuebridge = root.cuebridge || {}).audition = api;
  if (typeof module === "object" && module && module.exports) module.exports = api;
})(globalThis, function (need) {
  const { PanelError } = need("errors");

  /** Open `path` in the Source Monitor and play it; a PanelError says what to do otherwise. */
  async function audition(ppro, path, { files } = {}) {
    const monitor = ppro && ppro.SourceMonitor;
    if (!monitor || typeof monitor.openFilePath !== "function" || typeof monitor.play !== "function") {
      throw new PanelError(
        `This Premiere has no Source Monitor for panels (Premiere 25.6 or later has one): open ` +
          `${path} from the project bin to hear the take.`,
        "NO_SOURCE_MONITOR",
      );
    }
    if (files && !(await files.exists(path))) {
      throw new PanelError(
        `The take ${path} is missing (deleted or moved after scoring): press Another take to make one anew.`,
        "CUE_MISSING",
      );
    }
    let opened = false;
    try {
      opened = await monitor.openFilePath(path);
    } catch (err) {
      opened = false;
    }
    if (!opened) {
      throw new PanelError(
        `Premiere could not open ${path} in the Source Monitor: check that it can read WAV files ` +
          "from that folder, or open the file from the project bin.",
        "AUDITION_FAILED",
      );
    }
    await monitor.play(1.0);
    return { path };
  }

  return { audition };
});
