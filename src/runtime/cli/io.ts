// What a command line gets from its process, so a command can run in-process (tests, `airlock ferry`)
// as well as from its own script: output streams, environment, working folder, Ctrl-C.
import process from "node:process";

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
  /** Relative paths on the command line are taken from here. */
  cwd: string;
  /** Registers what to do on the first Ctrl-C (SIGINT); without it, Ctrl-C is not caught. */
  onInterrupt?: (handler: () => void) => void;
}

/** This process's streams, environment, folder and SIGINT. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), onInterrupt: (handler) => process.once("SIGINT", handler) };
}
