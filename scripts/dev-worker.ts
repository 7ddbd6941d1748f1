// `npm run dev:worker`: the request network under `wrangler dev` with a local D1.
// Secrets come from .dev.vars (gitignored); on first run it is created with random
// development values, so the Worker starts without any manual step.
import { existsSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";

const VARS = ".dev.vars";
if (!existsSync(VARS)) {
  const random = () => randomBytes(32).toString("base64url");
  writeFileSync(VARS, `AIRLOCK_JWT_SECRET=${random()}\nAIRLOCK_COURIER_TOKEN=${random()}\n`, { mode: 0o600 });
  console.log(`created ${VARS} with development secrets`);
}
const run = (args: string[]) => {
  const r = spawnSync("npx", ["wrangler", ...args], { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run(["d1", "migrations", "apply", "airlock", "--local"]);
run(["dev", "--test-scheduled", ...process.argv.slice(2)]);
