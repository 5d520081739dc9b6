/*
 * The mood picker's list: the moods the bridge accepts (Bridge.ListMoods: the composer's styles
 * and the feeling words that score as each), or the styles alone when the bridge cannot say.
 */
"use strict";
(function (root, factory) {
  const api = factory();
  (root.cuebridge = root.cuebridge || {}).moods = api;
  if (typeof module === "object" && module && module.exports) module.exports = api;
})(globalThis, function () {
  // The composer's styles (cuebridge/moods.py): every bridge accepts these as moods.
  const STYLES = [
    "action",
    "comedy",
    "grief",
    "horror",
    "mystery",
    "pastoral",
    "romance",
    "suspense",
    "triumph",
    "wonder",
  ];

  /** [{value, label, title}] for the picker, "No mood" first; never throws. */
  async function moodChoices(client) {
    let moods = [];
    try {
      moods = ((await client.listMoods()).moods || []).map((m) => ({
        value: m.name,
        label: m.name === m.style ? m.name : `${m.name} (${m.style})`,
        title: m.description || "",
      }));
    } catch (_) {
      // An older or unreachable bridge: the styles, which every bridge accepts.
    }
    if (!moods.length) moods = STYLES.map((style) => ({ value: style, label: style, title: "" }));
    return [{ value: "", label: "No mood", title: "" }, ...moods];
  }

  return { STYLES, moodChoices };
});
