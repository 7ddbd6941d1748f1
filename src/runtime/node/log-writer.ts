import process from "node:process";
import type { LineWriter } from "../../deps/logger.ts";

/**
 * Log lines for stdout and stderr, gathered for at most a millisecond and written together: one
 * write per request (the access log line) was a system call each, a large share of a cached read.
 * Lines still in the buffer are written when the process exits (stdout and stderr are synchronous
 * on Linux for files and pipes), so a clean stop loses none. One buffer per process.
 */
const out: string[] = [];
const err: string[] = [];
let timer: ReturnType<typeof setTimeout> | undefined;
let hooked = false;

function flush() {
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
  if (out.length) process.stdout.write(`${out.splice(0).join("\n")}\n`);
  if (err.length) process.stderr.write(`${err.splice(0).join("\n")}\n`);
}

const write: LineWriter = (line, level) => {
  (level === "error" ? err : out).push(line);
  // Never more than a few hundred lines held, whatever the rate.
  if (out.length + err.length >= 256) flush();
  else timer ??= setTimeout(flush, 1);
};

export function bufferedLineWriter(): LineWriter {
  if (!hooked) {
    hooked = true;
    process.once("exit", flush);
  }
  return write;
}
