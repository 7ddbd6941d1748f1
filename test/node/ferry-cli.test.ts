// The ferry CLI (scripts/ferry.ts and the bin shim) as a child process against fake networks:
// output, exit codes, usage errors, and never printing a token.
import { execFile } from "node:child_process";
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../helpers/spawn.ts";
import { FakeNetwork, REQUEST, RESPONSE, TOKEN_A, TOKEN_B, keyA, keyB, listDir, makeBatches, peersOfA, peersOfB, tempDir, tmp, useFerryFixtures } from "../helpers/fake-network.ts";

useFerryFixtures();

describe("CLI (child process)", { timeout: 90_000 }, () => {
  let A: FakeNetwork;
  let B: FakeNetwork;
  const run = (args: string[], env: Record<string, string> = {}) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      // node_modules/.bin/tsx is what `npx tsx` runs, without npm's start-up cost.
      execFile(
        join(ROOT, "node_modules/.bin/tsx"),
        ["scripts/ferry.ts", ...args],
        { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, AIRLOCK_FERRY_RETRY_DELAY_MS: "5", ...env } },
        (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  const noToken = (r: { stdout: string; stderr: string }) => {
    for (const t of [TOKEN_A, TOKEN_B]) {
      expect(r.stdout).not.toContain(t);
      expect(r.stderr).not.toContain(t);
    }
  };

  beforeAll(async () => {
    A = await new FakeNetwork(REQUEST, TOKEN_A, peersOfA).start();
    B = await new FakeNetwork(RESPONSE, TOKEN_B, peersOfB).start();
    A.outbox = await makeBatches(3, REQUEST, RESPONSE, keyA);
  });
  afterAll(async () => {
    await Promise.all([A.stop(), B.stop()]);
  });

  it("pull: progress on stderr, summary on stdout, exit 0; the token comes from the environment", async () => {
    const out = await tempDir();
    const r = await run(["pull", "--from", A.url, "--out", out], { AIRLOCK_FERRY_FROM_TOKEN: TOKEN_A });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^pulled 3 files, [\d.]+ KB; 0 already present; 0 failed$/);
    expect(r.stderr).toMatch(/\[1\/3\] airlock-request-000001\.batch {2}[\d.]+ K?B {2}downloaded/);
    expect(r.stderr).toMatch(/\[3\/3\]/);
    expect(await listDir(out)).toEqual(A.outbox.map((b) => b.file_name));
    noToken(r);

    const again = await run(["pull", "--from", A.url, "--out", out, "--token", TOKEN_A, "--json"]);
    expect(again.code).toBe(0);
    const summary = JSON.parse(again.stdout);
    expect(summary).toMatchObject({ command: "pull", listed: 3, pulled: 0, skipped: 3, failed: 0, ok: true });
    noToken(again);
  });

  it("usage errors exit 2 and name the missing option", async () => {
    const [noOut, noTok, noFrom, unknown, bogus, ftp, noDir, help] = await Promise.all([
      run(["pull", "--from", A.url, "--token", TOKEN_A]),
      run(["push", "--to", B.url, "--dir", tmp]),
      run(["carry", "--to", B.url]),
      run(["teleport"]),
      run(["pull", "--bogus"]),
      run(["pull", "--from", "ftp://x", "--out", tmp, "--token", "t"]),
      run(["push", "--to", B.url, "--dir", join(tmp, "nope"), "--token", "t"]),
      run(["--help"]),
    ]);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toMatch(/missing --out DIR/);
    noToken(noOut);
    expect(noTok.code).toBe(2);
    expect(noTok.stderr).toMatch(/missing --token .*AIRLOCK_FERRY_TO_TOKEN/);
    expect(noFrom.code).toBe(2);
    expect(noFrom.stderr).toMatch(/missing --from URL/);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "teleport"/);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toMatch(/--bogus/);
    expect(ftp.code).toBe(2);
    expect(ftp.stderr).toMatch(/--from: unsupported URL scheme/);
    expect(noDir.code).toBe(2);
    expect(noDir.stderr).toMatch(/--dir .*nope: not a directory/);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/airlock-ferry pull {3}--from URL --out DIR/);
  });

  it("HTTP errors show the problem's code and detail, exit 1, and never print the token (even when the server echoes it)", async () => {
    const out = await tempDir();
    const r = await run(["pull", "--from", A.url, "--out", out, "--token", `${TOKEN_B}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/HTTP 401 invalid_token: the token \[redacted\] is not valid/);
    noToken(r);
    expect(await readdir(out)).toEqual([]);
  });

  it("push --remove-after and carry: exit 1 when a file is quarantined, 0 when everything was applied", async () => {
    const dir = await tempDir();
    const [forged] = await makeBatches(1, REQUEST, RESPONSE, keyB);
    await writeFile(join(dir, "forged.batch"), forged.file);
    await writeFile(join(dir, "good.batch"), A.outbox[0].file);
    const r = await run(["push", "--to", B.url, "--dir", dir, "--remove-after"], { AIRLOCK_FERRY_TO_TOKEN: TOKEN_B });
    expect(r.code).toBe(1);
    expect(r.stdout.trim()).toMatch(/^pushed 2 files, [\d.]+ KB: 1 applied, 0 replay, 0 held, 1 quarantined; 0 failed; 1 removed$/);
    expect(r.stderr).toMatch(/quarantined: forged\.batch: unknown_key/);
    expect(await listDir(dir)).toEqual(["forged.batch"]);
    noToken(r);

    const via = await tempDir();
    const c = await run(["carry", "--from", A.url, "--to", B.url, "--via", via, "--json"], { AIRLOCK_FERRY_FROM_TOKEN: TOKEN_A, AIRLOCK_FERRY_TO_TOKEN: TOKEN_B });
    expect(c.code).toBe(0);
    const summary = JSON.parse(c.stdout);
    expect(summary).toMatchObject({ command: "carry", ok: true, pull: { pulled: 3 }, push: { applied: 2, replay: 1, failed: 0 } });
    expect(await listDir(via)).toHaveLength(3);
    expect(A.outbox).toHaveLength(3);
    noToken(c);
  });

  it("status prints the network's answer as is; verify delegates to the offline verifier", async () => {
    const s = await run(["status", "--url", B.url, "--token", TOKEN_B]);
    expect(s.code).toBe(0);
    expect(JSON.parse(s.stdout)).toEqual({ outbound: { last_exported: 0 }, inbound: { last_imported: B.lastApplied } });

    const dir = await tempDir();
    await writeFile(join(dir, "pub.json"), JSON.stringify(keyA.publicJwk));
    await writeFile(join(dir, "1.batch"), A.outbox[0].file);
    const bad = A.outbox[1].file.slice();
    bad[bad.length - 3] ^= 1;
    await writeFile(join(dir, "2.batch"), bad);
    const ok = await run(["verify", "--public-key", join(dir, "pub.json"), "--destination", RESPONSE, join(dir, "1.batch")]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^OK [0-9a-f-]{36} seq=1 records=2$/m);
    const failed = await run(["verify", "--public-key", join(dir, "pub.json"), join(dir, "1.batch"), join(dir, "2.batch")]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/FAIL .*2\.batch: .*\(checksum_mismatch\)/);
    expect((await run(["verify", join(dir, "1.batch")])).code).toBe(2);
  });

  it("the bin shim runs the same CLI", async () => {
    const r = await new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile("node", ["bin/airlock-ferry.mjs", "--help"], { cwd: ROOT }, (e, stdout) => resolve({ code: e ? 1 : 0, stdout })),
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^airlock-ferry: carry Airlock batch files/);
  });
});
