/*
 * How the panel finds the bridge and its token: settings.json in the plugin's own folder
 * (written by `cuebridge install-plugin premiere`), overridden by what the editor pasted into
 * Connection (kept in the panel's localStorage).
 */
"use strict";
(function (root, factory) {
  const need = (name) => (root.cuebridge && root.cuebridge[name]) || require(`./${name}.js`);
  const api = factory(need);
  (root.cuebridge = root.cuebridge || {}).settings = api;
  if (typeof module === "object" && module && module.exports) module.exports = api;
})(globalThis, function (need) {
  const { DEFAULT_BRIDGE_URL } = need("bridge_client");

  const SETTINGS_FILE = "settings.json";
  const KEYS = { token: "cuebridge.token", bridgeUrl: "cuebridge.bridgeUrl" };

  /** settings.json from the plugin folder: {} when absent, {problem} when unreadable. */
  async function readPluginSettings(uxp) {
    let text;
    try {
      const folder = await uxp.storage.localFileSystem.getPluginFolder();
      const entry = await folder.getEntry(SETTINGS_FILE);
      text = await entry.read();
    } catch (_) {
      return {}; // No file: a packaged (.ccx) install; the editor pastes the token instead.
    }
    try {
      const data = JSON.parse(text);
      return {
        bridgeUrl: typeof data.bridgeUrl === "string" ? data.bridgeUrl : undefined,
        token: typeof data.token === "string" ? data.token : undefined,
        tokenFile: typeof data.tokenFile === "string" ? data.tokenFile : undefined,
      };
    } catch (err) {
      return {
        problem:
          `${SETTINGS_FILE} in the plugin folder is not valid JSON (${err.message}); run ` +
          "`cuebridge install-plugin premiere` again or paste the token into Connection.",
      };
    }
  }

  /** The settings in force: pasted values win over the file, the file over the defaults. */
  function mergeSettings(fromFile, storage) {
    const pasted = {
      token: (storage && storage.getItem(KEYS.token)) || "",
      bridgeUrl: (storage && storage.getItem(KEYS.bridgeUrl)) || "",
    };
    const token = pasted.token || fromFile.token || "";
    return {
      bridgeUrl: pasted.bridgeUrl || fromFile.bridgeUrl || DEFAULT_BRIDGE_URL,
      token,
      tokenSource: pasted.token ? "pasted" : fromFile.token ? SETTINGS_FILE : "none",
      tokenFile: fromFile.tokenFile || "",
      problem: fromFile.problem || "",
    };
  }

  /** Keep what the editor typed into Connection; empty values fall back to settings.json. */
  function savePasted(storage, { token, bridgeUrl }) {
    for (const [key, value] of [[KEYS.token, token], [KEYS.bridgeUrl, bridgeUrl]]) {
      if (value && value.trim()) storage.setItem(key, value.trim());
      else storage.removeItem(key);
    }
  }

  return { SETTINGS_FILE, KEYS, readPluginSettings, mergeSettings, savePasted };
});
