/*
 * The panel's side of the bridge's HTTP/JSON face (UXP has fetch but no HTTP/2, so no gRPC):
 * POST /cuebridge.v1.<Service>/<Method> with proto3 JSON bodies and `Authorization: Bearer`.
 * Every failure becomes a PanelError that tells the editor what to do.
 */
"use strict";
(function (root, factory) {
  const need = (name) => (root.cuebridge && root.cuebridge[name]) || require(`./${name}.js`);
  const api = factory(need);
  (root.cuebridge = root.cuebridge || {}).bridge_client = api;
  if (typeof module === "object" && module && module.exports) module.exports = api;
})(globalThis, function (need) {
  const { PanelError } = need("errors");

  const DEFAULT_BRIDGE_URL = "http://127.0.0.1:50052";
  const TERMINAL_STATES = new Set([
    "JOB_STATE_SUCCEEDED",
    "JOB_STATE_PARTIAL",
    "JOB_STATE_FAILED",
    "JOB_STATE_CANCELLED",
  ]);
  const TOKEN_FILE_HINT =
    "the bridge's token file (macOS: ~/Library/Application Support/cuebridge/token, " +
    "Windows: %APPDATA%\\cuebridge\\token, Linux: ~/.config/cuebridge/token)";

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function createClient({ baseUrl = DEFAULT_BRIDGE_URL, token = "", fetchImpl } = {}) {
    const base = String(baseUrl || DEFAULT_BRIDGE_URL).replace(/\/+$/, "");
    const doFetch = fetchImpl || ((...args) => globalThis.fetch(...args));

    async function call(service, method, body) {
      if (!token) {
        throw new PanelError(
          // Two lines (the notice keeps line breaks): what is wrong, then what to do.
          "The panel has no token for the bridge.\nRun `cuebridge install-plugin premiere` " +
            "(it writes settings.json into the plugin folder) and reload the plugin, or paste " +
            `the token from ${TOKEN_FILE_HINT} into Connection > Token.`,
          "NO_TOKEN",
        );
      }
      let response;
      try {
        response = await doFetch(`${base}/cuebridge.v1.${service}/${method}`, {
          method: "POST",
          headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
          body: JSON.stringify(body || {}),
        });
      } catch (err) {
        throw new PanelError(
          `Cannot reach the cuebridge bridge at ${base} (${err && err.message}). ` +
            "Start it in a terminal with `cuebridge serve`, then press Score again.",
          "UNREACHABLE",
        );
      }
      const text = await response.text();
      let data = null;
      try {
        data = text ? JSON.parse(text) : {};
      } catch (_) {
        data = null;
      }
      if (response.status === 401) {
        throw new PanelError(
          `The bridge at ${base} refused the panel's token.\nRun \`cuebridge install-plugin ` +
            "premiere` again and reload the plugin, or paste the token from " +
            `${TOKEN_FILE_HINT} into Connection > Token.`,
          "UNAUTHENTICATED",
        );
      }
      if (!response.ok) {
        const said = (data && data.message) || text.slice(0, 300) || response.statusText;
        const code = (data && data.code) || `HTTP_${response.status}`;
        throw new PanelError(`The bridge said: ${said}`, code);
      }
      if (data === null) {
        throw new PanelError(
          `${base} answered ${method} with something that is not JSON: is another program ` +
            "listening on the bridge's port? Check Connection > Bridge URL.",
          "NOT_JSON",
        );
      }
      return data;
    }

    return {
      baseUrl: base,
      engineInfo: () => call("Bridge", "GetEngineInfo", {}),
      startScore: (request) => call("Bridge", "StartScore", request),
      getScore: (scoreId) => call("Bridge", "GetScore", { scoreId }),
      cancelScore: (scoreId) => call("Bridge", "CancelScore", { scoreId }),
      planPlacement: (request) => call("Bridge", "PlanPlacement", request),
      parseTime: (request) => call("Bridge", "ParseTime", request),
      listMoods: () => call("Bridge", "ListMoods", {}),
    };
  }

  /** The ScoreRequest JSON the contract asks for, from the panel's choices. */
  function scoreRequest(choices) {
    const { timelinePath, outputPath, cueDir, selection, prompt, mood, model, seed } = choices;
    const request = {
      timelinePath,
      outputPath,
      force: true,
      selection,
      prompt: prompt || "",
      mood: mood || "",
      generation: { model: model || "" },
      cueDir,
    };
    if (seed !== undefined && seed !== null && String(seed).trim() !== "") {
      if (!/^\d+$/.test(String(seed).trim())) {
        throw new PanelError(`Seed "${seed}" must be a whole number (or empty for the default).`);
      }
      request.seed = String(seed).trim(); // uint64: a string in proto3 JSON
    }
    return request;
  }

  /**
   * The progress line the bridge says for this job (bridge/host_progress.py: "1/3 cues: scoring
   * 'chase'; done 'calm'"), so both hosts say the same; the job's message before it has one.
   */
  function progressText(job) {
    return (job && (job.progress || job.message)) || "Scoring…";
  }

  /** Poll GetScore until the score is over (UXP panels poll rather than stream). */
  async function waitForScore(client, scoreId, options = {}) {
    const { onProgress, intervalMs = 500, wait = sleep } = options;
    for (;;) {
      const job = await client.getScore(scoreId);
      if (onProgress) onProgress(job);
      if (TERMINAL_STATES.has(job.state)) return job;
      await wait(intervalMs);
    }
  }

  return {
    DEFAULT_BRIDGE_URL,
    TERMINAL_STATES,
    TOKEN_FILE_HINT,
    createClient,
    scoreRequest,
    waitForScore,
    progressText,
  };
});
