// `npm start`: both networks on this machine, as in ARCHITECTURE.md "Local development".
//   request network  http://127.0.0.1:8787  (AIRLOCK_REQUEST_PORT)
//   response network http://127.0.0.1:8788  (AIRLOCK_RESPONSE_PORT)
// libSQL files and batch folders under ./data; in-memory cache and limits unless
// UPSTASH_REDIS_REST_URL/TOKEN are set. Ctrl-C stops both cleanly.
import { ConfigError } from "../src/config.ts";
import { startNodeServer, type RunningServer } from "../src/runtime/node-server.ts";

const { AIRLOCK_REQUEST_PORT, AIRLOCK_RESPONSE_PORT, ...env } = process.env;
delete env.NETWORK_ROLE;
delete env.PORT;

const base = { AIRLOCK_DATA_DIR: "./data", AIRLOCK_DEV: "1", ...env };
const running: RunningServer[] = [];

async function main() {
  // The bootstrap admin belongs to the master only; the replica gets its users in batches.
  const { AIRLOCK_ADMIN_EMAIL: _e, AIRLOCK_ADMIN_PASSWORD: _p, ...requestEnv } = base as Record<string, string | undefined>;
  running.push(await startNodeServer({ ...base, NETWORK_ROLE: "response", PORT: AIRLOCK_RESPONSE_PORT ?? "8788" }));
  running.push(await startNodeServer({ ...requestEnv, NETWORK_ROLE: "request", PORT: AIRLOCK_REQUEST_PORT ?? "8787" }));
  const [response, request] = running;
  console.log(`\nAirlock is running:\n  request network   ${request.url}   (docs: ${request.url}/docs)\n  response network  ${response.url}   (docs: ${response.url}/docs)\nCtrl-C stops both.\n`);
}

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await Promise.all(running.map((r) => r.close()));
  process.exit(0);
}
process.once("SIGINT", stop);
process.once("SIGTERM", stop);

main().catch(async (e) => {
  console.error(e instanceof ConfigError ? `airlock: ${e.message}` : e);
  await Promise.all(running.map((r) => r.close()));
  process.exit(2);
});
