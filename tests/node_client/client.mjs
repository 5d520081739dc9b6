// An independent cuebridge client, written from proto/cuebridge/v1/*.proto alone (no Python).
//
//   node client.mjs <address> <token> <timeline> <output>
//
// Asks the engine what it is, checks a call without the token is refused, scores <timeline> into
// <output>, follows WatchScore to the end, asks GetScore and prints {engineInfo, refusedCode, events, final} as
// JSON on stdout. Exits 1 on any error, with the reason on stderr.
import path from "node:path";
import { fileURLToPath } from "node:url";

import grpc from "@grpc/grpc-js";
import protoLoader from "@grpc/proto-loader";

const [address, token, timeline, output] = process.argv.slice(2);
if (!output) {
  console.error("usage: node client.mjs <address> <token> <timeline> <output>");
  process.exit(2);
}

const here = path.dirname(fileURLToPath(import.meta.url));
const definition = protoLoader.loadSync(
  ["cuebridge/v1/engine.proto", "cuebridge/v1/bridge.proto"],
  {
    includeDirs: [path.resolve(here, "../../proto")],
    keepCase: false, // camelCase, like proto3 JSON
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  },
);
const v1 = grpc.loadPackageDefinition(definition).cuebridge.v1;
const credentials = grpc.credentials.createInsecure(); // loopback; the token guards the port
const engine = new v1.CueEngine(address, credentials);
const bridge = new v1.Bridge(address, credentials);

const authorized = new grpc.Metadata();
authorized.set("authorization", `Bearer ${token}`);

function unary(client, method, request, metadata = authorized) {
  return new Promise((resolve, reject) => {
    client[method](request, metadata, { deadline: Date.now() + 60_000 }, (err, reply) =>
      err ? reject(err) : resolve(reply),
    );
  });
}

function watch(scoreId) {
  return new Promise((resolve, reject) => {
    const events = [];
    const stream = bridge.WatchScore({ scoreId }, authorized, {
      deadline: Date.now() + 120_000,
    });
    stream.on("data", (event) => events.push(event));
    stream.on("error", reject);
    stream.on("end", () => resolve(events));
  });
}

async function main() {
  const engineInfo = await unary(engine, "GetEngineInfo", {});
  let refusedCode = null;
  try {
    await unary(engine, "GetEngineInfo", {}, new grpc.Metadata());
  } catch (err) {
    refusedCode = grpc.status[err.code]; // "UNAUTHENTICATED" expected
  }
  const started = await unary(bridge, "StartScore", {
    timelinePath: timeline,
    outputPath: output,
    force: true,
    selection: { mode: "SEGMENT_MODE_MARKERS" },
    seed: "11",
    cueDir: path.join(path.dirname(output), "node_cues"),
  });
  const events = await watch(started.id);
  // Events carry what changed (a delta with a cursor); the whole score, result included, is GetScore's.
  const final = await unary(bridge, "GetScore", { scoreId: started.id });
  console.log(JSON.stringify({ engineInfo, refusedCode, events: events.length, final }));
}

main()
  .catch((err) => {
    console.error(`cuebridge node client: ${err.code ?? ""} ${err.details ?? err.message}`);
    process.exitCode = 1;
  })
  .finally(() => {
    engine.close();
    bridge.close();
  });
