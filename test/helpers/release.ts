// A release built once per test file with a throwaway signing key, unpacked with the system's
// tar into an empty folder outside the repository, and a way to run its commands with `node`.
import { execFileSync, spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { buildRelease, type BuiltRelease } from "../../scripts/release.ts";
import { ROOT, run, type Spawned } from "./spawn.ts";

export interface TestRelease extends BuiltRelease {
  /** Scratch folder holding out/ (the artifact), keys and anything a test writes. */
  work: string;
  /** The unpacked release folder. */
  home: string;
  publicKeyFile: string;
  cleanup(): Promise<void>;
}

/** A throwaway Ed25519 key pair as JWKs (never written to the repository). */
export function throwawayKey(): { privateJwk: string; publicJwk: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return { privateJwk: JSON.stringify(privateKey.export({ format: "jwk" })), publicJwk: JSON.stringify(publicKey.export({ format: "jwk" })) };
}

export async function buildTestRelease(): Promise<TestRelease> {
  const work = await mkdtemp(join(tmpdir(), "airlock-release-"));
  if (work.startsWith(ROOT)) throw new Error(`temp folder ${work} is inside the repository`);
  const key = throwawayKey();
  const publicKeyFile = join(work, "release.public.jwk.json");
  await writeFile(publicKeyFile, key.publicJwk);
  const built = await buildRelease({ out: join(work, "out"), keySource: key.privateJwk });
  const unpacked = join(work, "site");
  await mkdir(unpacked);
  execFileSync("tar", ["-xzf", built.archive, "-C", unpacked]);
  return { ...built, work, home: join(unpacked, built.name), publicKeyFile, cleanup: () => rm(work, { recursive: true, force: true }) };
}

export type Proc = Spawned;

/** The environment a bare machine gives: node's folder on PATH and nothing else unless asked. */
export const bareEnv = (extra: Record<string, string> = {}) => ({ PATH: dirname(process.execPath), ...extra });

/** `node <release>/lib/airlock.mjs ARGS` from `cwd`, in the bare environment plus `env`; stopped with SIGTERM, as systemd does. */
export function airlock(home: string, args: string[], opts: { cwd: string; env?: Record<string, string> }): Proc {
  return run(process.execPath, [join(home, "lib", "airlock.mjs"), ...args], bareEnv(opts.env), { cwd: opts.cwd, exactEnv: true, stopSignal: "SIGTERM" });
}

/** Runs a release command to completion: exit status and everything it printed. */
export async function airlockRun(
  home: string,
  args: string[],
  opts: { cwd: string; env?: Record<string, string> },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(home, "lib", "airlock.mjs"), ...args], { cwd: opts.cwd, env: bareEnv(opts.env), stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
  return { code, stdout, stderr };
}
