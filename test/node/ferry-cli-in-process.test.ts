// The courier CLI in-process: run(argv, io) resolves with the exit status and writes only to the io
// it is given; relative paths are taken from io.cwd. (ferry-cli.test.ts runs it as a child process.)
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../src/runtime/cli/ferry.ts";
import type { CliIo } from "../../src/runtime/cli/io.ts";
import { testKeys } from "../helpers/keys.ts";

function capture(env: Record<string, string | undefined> = {}, cwd = process.cwd()) {
  const out = { stdout: "", stderr: "", interrupts: 0 };
  const io: CliIo = {
    stdout: { write: (t: string) => (out.stdout += t) },
    stderr: { write: (t: string) => (out.stderr += t) },
    env,
    cwd,
    onInterrupt: () => void out.interrupts++,
  };
  return { io, out };
}

describe("ferry CLI, in-process", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "airlock-ferry-cli-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("help on stdout with 0; no command is a usage error (2) with the usage on stderr", async () => {
    const help = capture();
    expect(await run(["--help"], help.io)).toBe(0);
    expect(help.out.stdout).toMatch(/^airlock-ferry: carry Airlock batch files across the air gap/);
    expect(help.out.stderr).toBe("");

    const none = capture();
    expect(await run([], none.io)).toBe(2);
    expect(none.out.stdout).toBe("");
    expect(none.out.stderr).toMatch(/^airlock-ferry: carry/);
  });

  it("usage errors name the problem and exit 2", async () => {
    const unknown = capture();
    expect(await run(["fly"], unknown.io)).toBe(2);
    expect(unknown.out.stderr).toMatch(/unknown command "fly"/);

    const badOption = capture();
    expect(await run(["pull", "--nope"], badOption.io)).toBe(2);
    expect(badOption.out.stderr).toMatch(/^airlock-ferry: pull: /);

    // The token comes from io.env, not from this process's environment.
    const noToken = capture({});
    expect(await run(["status", "--url", "http://127.0.0.1:9"], noToken.io)).toBe(2);
    expect(noToken.out.stderr).toMatch(/AIRLOCK_FERRY_TOKEN/);
    expect(noToken.out.interrupts).toBe(1);
  });

  it("verify reads relative paths from io.cwd and keys from io.env, and reports files as given", async () => {
    const { request } = await testKeys();
    await writeFile(join(dir, "junk.batch"), "not a batch");
    const r = capture({ AIRLOCK_PEER_PUBLIC_KEYS: JSON.stringify([request.publicJwk]) }, dir);
    expect(await run(["verify", "junk.batch", "missing.batch"], r.io)).toBe(1);
    const lines = r.out.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^FAIL junk\.batch: /);
    expect(lines[0]).not.toMatch(/cannot read the file/);
    expect(lines[1]).toMatch(/^FAIL missing\.batch: cannot read the file/);
    expect(lines[2]).toBe("verified 0 of 2 file(s); 2 failed");
    // verify is offline: Ctrl-C is left alone.
    expect(r.out.interrupts).toBe(0);
  });
});
