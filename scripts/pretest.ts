/**
 * What `npm test` needs from the system, checked before anything else runs (npm's `pretest`):
 * redis-server (tests start Redis servers of their own), Chromium (the browser checks), curl
 * and jq (the README's commands, run as written), openssl (the release signature), promtool
 * (Debian's prometheus: GET /metrics and the alerting rules), and Debian python3's jwcrypto (opens
 * a sealed batch independently of our code), prometheus_client (a strict OpenMetrics parser) and
 * fastapi, uvicorn and redis (the bench's FastAPI peer). Missing ones are installed with apt-get
 * when this runs as root where apt-get exists; otherwise it stops at once with the command to type.
 *
 *   npx tsx scripts/pretest.ts
 *   PRETEST_INSTALL=0   only check, never install       PRETEST_INSTALL=1   try apt-get even when not root
 *   CHROMIUM_PATH=…     the Chromium to use instead of `chromium` on PATH
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";

export interface Need {
  command: string;
  /** A Python module Debian's own python3 must import (apt installs into it, not into another python on the PATH). */
  pythonModule?: string;
  /** The Debian package that provides it. */
  pkg: string;
  why: string;
}

/** Debian's python3, where python3-* packages land. */
export const DEBIAN_PYTHON = "/usr/bin/python3";

export const NEEDS: readonly Need[] = [
  { command: "redis-server", pkg: "redis-server", why: "Redis servers of the tests' own" },
  { command: "chromium", pkg: "chromium", why: "the browser checks" },
  { command: "curl", pkg: "curl", why: "the README's commands" },
  { command: "jq", pkg: "jq", why: "the README's commands" },
  { command: "openssl", pkg: "openssl", why: "checks the release signature independently" },
  { command: "promtool", pkg: "prometheus", why: "checks GET /metrics and the Prometheus rules" },
  { command: DEBIAN_PYTHON, pythonModule: "jwcrypto", pkg: "python3-jwcrypto", why: "opens a sealed batch with an independent JOSE library" },
  { command: DEBIAN_PYTHON, pythonModule: "prometheus_client", pkg: "python3-prometheus-client", why: "parses OpenMetrics strictly (promtool reads the classic format only)" },
  { command: DEBIAN_PYTHON, pythonModule: "fastapi", pkg: "python3-fastapi", why: "the bench's FastAPI peer (its quick run is tested)" },
  { command: DEBIAN_PYTHON, pythonModule: "uvicorn", pkg: "python3-uvicorn", why: "serves the bench's FastAPI peer" },
  { command: DEBIAN_PYTHON, pythonModule: "redis", pkg: "python3-redis", why: "the bench's FastAPI peer's Redis client" },
];

type Env = Record<string, string | undefined>;

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The first executable `name` on the PATH, as a shell would find it. */
export function findExecutable(name: string, path = process.env.PATH ?? ""): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** The Chromium the browser tests launch: CHROMIUM_PATH when set, else `chromium` on the PATH. */
export function chromiumExecutable(env: Env = process.env): string | undefined {
  if (env.CHROMIUM_PATH) return isExecutable(env.CHROMIUM_PATH) ? env.CHROMIUM_PATH : undefined;
  return findExecutable("chromium", env.PATH);
}

export function missingNeeds(env: Env = process.env): Need[] {
  return NEEDS.filter(
    (n) => !(n.command === "chromium" ? chromiumExecutable(env) : n.pythonModule ? importsModule(n.command, n.pythonModule) : findExecutable(n.command, env.PATH)),
  );
}

function importsModule(python: string, module: string): boolean {
  return isExecutable(python) && spawnSync(python, ["-c", `import ${module}`], { stdio: "ignore" }).status === 0;
}

/** The exact command to type (Debian and Ubuntu). */
export function installCommand(needs: readonly Need[], root: boolean): string {
  const sudo = root ? "" : "sudo ";
  return `${sudo}apt-get update && ${sudo}apt-get install -y ${needs.map((n) => n.pkg).join(" ")}`;
}

function aptInstall(needs: readonly Need[], env: Env): boolean {
  // Wait for another apt run (someone else's install) instead of failing on its lock.
  const opts = ["-o", "DPkg::Lock::Timeout=300"];
  const aptEnv = { ...env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [["update"], ["install", "-y", ...needs.map((n) => n.pkg)]]) {
    const r = spawnSync("apt-get", [...opts, ...args], { stdio: ["ignore", "inherit", "inherit"], env: aptEnv });
    if (r.status !== 0) return false;
  }
  return true;
}

/** Checks, installs when it may, and answers the exit code: 0 ready, 1 something is missing. */
export function pretest(env: Env = process.env, root = process.getuid?.() === 0): number {
  let lacking = missingNeeds(env);
  if (!lacking.length) return 0;
  if (env.CHROMIUM_PATH && lacking.some((n) => n.command === "chromium")) {
    console.error(`npm test: CHROMIUM_PATH=${env.CHROMIUM_PATH} is not an executable file. Point it at Chromium, or unset it to use \`chromium\` on the PATH.`);
    return 1;
  }
  const mode = env.PRETEST_INSTALL ?? "auto";
  let why: string;
  let lead = "Type";
  if (!findExecutable("apt-get", env.PATH)) [why, lead] = ["apt-get is not available here", "On Debian or Ubuntu, type"];
  else if (mode === "0") why = "PRETEST_INSTALL=0, so nothing was installed";
  else if (!root && mode !== "1") why = "not running as root, so nothing was installed";
  else {
    console.error(`npm test: installing ${lacking.map((n) => n.pkg).join(" ")} with apt-get (PRETEST_INSTALL=0 turns this off)`);
    aptInstall(lacking, env);
    lacking = missingNeeds(env);
    if (!lacking.length) return 0;
    why = "apt-get could not install it (see above)";
  }
  const list = lacking.map((n) => `${n.command} (${n.why})`).join(", ");
  console.error(`npm test needs ${list}, not found on the PATH; ${why}. ${lead}:\n\n    ${installCommand(lacking, root)}\n\nthen run npm test again.`);
  return 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) process.exit(pretest());
