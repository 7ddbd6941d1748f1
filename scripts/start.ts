// `npm start`: both networks on this machine (docs/architecture.md, "Local development").
//   request network  http://127.0.0.1:8787  (AIRLOCK_REQUEST_PORT)
//   response network http://127.0.0.1:8788  (AIRLOCK_RESPONSE_PORT)
// libSQL files and batch folders under ./data; in-memory cache and limits unless
// UPSTASH_REDIS_REST_URL/TOKEN are set. Ctrl-C stops both cleanly.
// Development secrets (JWT secrets, courier tokens, batch signing keys) are generated into
// ./data/dev-secrets.json on first run (scripts/dev-secrets.ts); settings in the environment win.
// The automatic ferry (src/transfer/ferry/auto.ts) carries batches both ways through ./data/ferry
// every AIRLOCK_FERRY_INTERVAL_SECONDS (default 3); AIRLOCK_AUTO_FERRY=0 turns it off.
import { join } from "node:path";
import { ConfigError } from "../src/config.ts";
import { consoleLogger } from "../src/deps/logger.ts";
import { startNodeServer, type RunningServer } from "../src/runtime/node-server.ts";
import { startAutoFerry, type AutoFerry } from "../src/transfer/ferry/auto.ts";
import { NodeBatchFolder } from "../src/runtime/node/batch-folder.ts";
import { devSecretEnv, loadOrCreateDevSecrets } from "./dev-secrets.ts";

// Launcher-only settings are taken out: a network refuses AIRLOCK_* settings it does not know.
const { AIRLOCK_REQUEST_PORT, AIRLOCK_RESPONSE_PORT, AIRLOCK_FERRY_INTERVAL_SECONDS, ...env } = process.env;
delete env.NETWORK_ROLE;
delete env.PORT;

// Locally a request crosses both ways in seconds: export and import run every 2 s instead of every 5 min.
const base = { AIRLOCK_DATA_DIR: "./data", AIRLOCK_DEV: "1", AIRLOCK_TRANSFER_INTERVAL_SECONDS: "2", ...env };
const running: RunningServer[] = [];
let ferry: AutoFerry | null = null;

function ferryIntervalMs(): number {
  const raw = AIRLOCK_FERRY_INTERVAL_SECONDS?.trim() || "3";
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0.2 || seconds > 3600) {
    throw new ConfigError([`AIRLOCK_FERRY_INTERVAL_SECONDS: expected a number of seconds from 0.2 to 3600 (got "${raw}")`]);
  }
  return Math.round(seconds * 1000);
}

async function main() {
  const intervalMs = ferryIntervalMs();
  const secrets = await loadOrCreateDevSecrets(base.AIRLOCK_DATA_DIR ?? "./data");
  if (secrets.created) console.log(`Generated development secrets (JWT secrets, courier tokens, batch signing keys) in ${secrets.file}`);
  // The bootstrap admin belongs to the master only; the replica gets its users in batches.
  const { AIRLOCK_ADMIN_EMAIL: _e, AIRLOCK_ADMIN_PASSWORD: _p, ...requestEnv } = base as Record<string, string | undefined>;
  running.push(await startNodeServer({ ...devSecretEnv(secrets, "response"), ...base, NETWORK_ROLE: "response", PORT: AIRLOCK_RESPONSE_PORT ?? "8788" }));
  running.push(await startNodeServer({ ...devSecretEnv(secrets, "request"), ...requestEnv, NETWORK_ROLE: "request", PORT: AIRLOCK_REQUEST_PORT ?? "8787" }));
  const [response, request] = running;
  const config = response.services.config;
  const ferryDir = join(config.dataDir, "ferry");
  let ferryLine = `automatic ferry off (AIRLOCK_AUTO_FERRY=0): carry batches with npm run ferry -- carry --from URL --to URL (courier tokens in ${secrets.file})`;
  if (config.autoFerry) {
    const requestToken = request.services.config.courierToken;
    const responseToken = config.courierToken;
    if (!requestToken || !responseToken) throw new ConfigError(["AIRLOCK_COURIER_TOKEN: the automatic ferry needs a courier token on both networks"]);
    ferry = startAutoFerry({
      request: { url: request.url, token: requestToken },
      response: { url: response.url, token: responseToken },
      folders: {
        "request-to-response": new NodeBatchFolder(join(ferryDir, "request-to-response"), { create: true }),
        "response-to-request": new NodeBatchFolder(join(ferryDir, "response-to-request"), { create: true }),
      },
      intervalMs,
      logger: consoleLogger(config.logLevel, { component: "ferry" }),
    });
    ferryLine = `automatic ferry every ${intervalMs / 1000} s through ${ferryDir} (AIRLOCK_AUTO_FERRY=0 turns it off)`;
  }
  console.log(
    `\nAirlock is running:\n  request network   ${request.url}   (console: ${request.url}/console, docs: ${request.url}/docs)\n  response network  ${response.url}   (console: ${response.url}/console, docs: ${response.url}/docs)\n  ${ferryLine}\nCtrl-C stops both.\n`,
  );
}

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  // The ferry first: its round in flight finishes against live networks.
  await ferry?.stop();
  await Promise.all(running.map((r) => r.close()));
  process.exit(0);
}
process.once("SIGINT", stop);
process.once("SIGTERM", stop);

main().catch(async (e) => {
  console.error(e instanceof ConfigError ? `airlock: ${e.message}` : e);
  await ferry?.stop();
  await Promise.all(running.map((r) => r.close()));
  process.exit(2);
});
