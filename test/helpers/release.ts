// A release built once per test file with a throwaway signing key, unpacked with the system's
// tar into an empty folder outside the repository, and a way to run its commands with `node`.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { buildRelease, type BuiltRelease } from "../../scripts/release.ts";
import { ROOT } from "./spawn.ts";

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

export interface Proc {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  /** The first JSON log line matching `pred`. */
  waitForLine(pred: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(): Promise<number | null>;
}

/** The environment a bare machine gives: node's folder on PATH and nothing else unless asked. */
export const bareEnv = (extra: Record<string, string> = {}) => ({ PATH: dirname(process.execPath), ...extra });

/** `node <release>/lib/airlock.mjs ARGS` from `cwd`, in the bare environment plus `env`. */
export function airlock(home: string, args: string[], opts: { cwd: string; env?: Record<string, string> }): Proc {
  const child = spawn(process.execPath, [join(home, "lib", "airlock.mjs"), ...args], { cwd: opts.cwd, env: bareEnv(opts.env), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    waiters.forEach((w) => w());
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const lines = () =>
    out.split("\n").flatMap((l) => {
      try {
        return l.startsWith("{") ? [JSON.parse(l) as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
  return {
    child,
    output: () => out,
    exited,
    waitForLine: (pred, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for a log line; output:\n${out}`)), timeoutMs);
        const check = () => {
          const hit = lines().find(pred);
          if (hit) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(hit);
          }
        };
        waiters.add(check);
        exited.then(() => setTimeout(() => reject(new Error(`process exited; output:\n${out}`)), 50));
        check();
      }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Runs a release command to completion: exit status and everything it printed. */
export async function airlockRun(home: string, args: string[], opts: { cwd: string; env?: Record<string, string> }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(home, "lib", "airlock.mjs"), ...args], { cwd: opts.cwd, env: bareEnv(opts.env), stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
  return { code, stdout, stderr };
}
