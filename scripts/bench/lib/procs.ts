// Child processes the bench starts (servers, redis-server, per-size transfer runs): each in its
// own process group with its output in a log file, all stopped at the end, on failure and on
// Ctrl-C. Every wait here has a deadline.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";

export interface Child {
  name: string;
  proc: ChildProcess;
  log: string;
  exited: Promise<number | null>;
  /** The last lines of its output, for error messages. */
  tail(lines?: number): string;
  signal(sig: NodeJS.Signals): void;
  stop(): Promise<void>;
}

const live = new Set<Child>();

export interface StartOptions {
  env: Record<string, string | undefined>;
  cwd: string;
  logDir: string;
}

export function startChild(name: string, cmd: string, args: string[], o: StartOptions): Child {
  const log = join(o.logDir, `${name}.log`);
  const fd = openSync(log, "a");
  const proc = spawn(cmd, args, { cwd: o.cwd, env: o.env as NodeJS.ProcessEnv, stdio: ["ignore", fd, fd], detached: true });
  closeSync(fd);
  const exited = new Promise<number | null>((resolve) => {
    proc.once("exit", (code) => resolve(code));
    proc.once("error", () => resolve(-1));
  });
  const group = (sig: NodeJS.Signals) => {
    try {
      process.kill(-proc.pid!, sig);
    } catch {
      // already gone
    }
  };
  const child: Child = {
    name,
    proc,
    log,
    exited,
    tail(lines = 20) {
      try {
        return readFileSync(log, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
      } catch {
        return "";
      }
    },
    signal: group,
    async stop() {
      live.delete(child);
      if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return;
      group("SIGCONT"); // a stopped process would hold SIGTERM until continued
      group("SIGTERM");
      const force = setTimeout(() => group("SIGKILL"), 5_000);
      await exited;
      clearTimeout(force);
      group("SIGKILL"); // anything the leader left behind in its group
    },
  };
  live.add(child);
  exited.then(() => live.delete(child));
  return child;
}

/** Stops every child still running, in parallel. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((c) => c.stop()));
}

/** Last resort on exit: no awaiting is possible there. */
export function killAllSync(): void {
  for (const c of live) {
    if (c.proc.pid === undefined) continue;
    try {
      process.kill(-c.proc.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  live.clear();
}

/** A port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers with a status below 500, the child exits, or the deadline passes. */
export async function waitForHttp(url: string, child: Child, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${child.name} exited before answering ${url}:\n${child.tail()}`);
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await r.arrayBuffer();
      if (r.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${child.name} did not answer ${url} within ${timeoutMs / 1000} s:\n${child.tail()}`);
}

/** Runs a child to completion within `timeoutMs`; throws with its output when it fails. */
export async function runChild(name: string, cmd: string, args: string[], o: StartOptions, timeoutMs: number): Promise<Child> {
  const child = startChild(name, cmd, args, o);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void child.stop();
  }, timeoutMs);
  const code = await child.exited;
  clearTimeout(timer);
  if (timedOut) throw new Error(`${name} did not finish within ${timeoutMs / 1000} s:\n${child.tail()}`);
  if (code !== 0) throw new Error(`${name} failed (exit ${code}):\n${child.tail()}`);
  return child;
}

/** The marker a child puts before its result line. */
export const RESULT_MARK = "BENCH-RESULT ";

/** Runs a child to completion (bounded) and returns the JSON it printed after RESULT_MARK. */
export async function runToJson<T>(name: string, cmd: string, args: string[], o: StartOptions, timeoutMs: number): Promise<T> {
  const child = await runChild(name, cmd, args, o, timeoutMs);
  const line = child
    .tail(200)
    .split("\n")
    .reverse()
    .find((l) => l.startsWith(RESULT_MARK));
  if (!line) throw new Error(`${name} printed no result:\n${child.tail()}`);
  return JSON.parse(line.slice(RESULT_MARK.length)) as T;
}
