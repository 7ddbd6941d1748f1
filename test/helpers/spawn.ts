import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** Deno from node_modules, and the arguments `npm run start:deno` runs the on-prem entry with. */
export const DENO = `${ROOT}node_modules/.bin/deno`;
export const DENO_ARGS = ["run", "--node-modules-dir=manual", "--allow-net", "--allow-env", "--allow-read", "--allow-write", "--allow-ffi", "--allow-sys", "src/runtime/deno.ts"];
/** tsx from node_modules, to run a TypeScript script as a child process. */
export const TSX = `${ROOT}node_modules/.bin/tsx`;

export interface Spawned {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first log line matching `pred` (JSON lines on stdout). */
  waitForLine(pred: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

export interface RunOptions {
  /** Its own process group, stopped like Ctrl-C stops a terminal's. */
  group?: boolean;
  /** Defaults to the repo root. */
  cwd?: string;
  /** `env` is the whole environment (no PATH and HOME added). */
  exactEnv?: boolean;
  /** What stop() sends first (SIGINT by default, as Ctrl-C). */
  stopSignal?: NodeJS.Signals;
}

/** Runs a command (from the repo root unless told otherwise), collecting stdout+stderr. */
export function run(cmd: string, args: string[], env: Record<string, string | undefined>, opts: RunOptions = {}): Spawned {
  const fullEnv = opts.exactEnv ? env : { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
  const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: fullEnv, stdio: ["ignore", "pipe", "pipe"], detached: opts.group });
  let out = "";
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of waiters) w();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  // 'exit' can come before the last output has been read from the pipes (lines flushed as the
  // process exits): wait for both streams to close, but not for ever, since a grandchild may hold them.
  const drained = Promise.all([child.stdout!, child.stderr!].map((st) => new Promise<void>((r) => st.once("close", () => r()))));
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => {
      void Promise.race([drained, new Promise((r) => setTimeout(r, 2_000))]).then(() => resolve(code));
    }),
  );
  const lines = () =>
    out
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return {};
        }
      });
  return {
    child,
    output: () => out,
    exited,
    waitForLine(pred, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines().find(pred);
          if (hit) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(hit);
          }
        };
        const timer = setTimeout(() => reject(new Error(`timed out waiting for a log line; output so far:\n${out}`)), timeoutMs);
        waiters.add(check);
        exited.then(() => setTimeout(() => reject(new Error(`process exited; output:\n${out}`)), 50));
        check();
      });
    },
    async stop() {
      const kill = (sig: NodeJS.Signals) => (opts.group ? process.kill(-child.pid!, sig) : child.kill(sig));
      if (child.exitCode === null && child.signalCode === null) kill(opts.stopSignal ?? "SIGINT");
      const timer = setTimeout(() => kill("SIGKILL"), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
