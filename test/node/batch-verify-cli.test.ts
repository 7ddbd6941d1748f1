// The offline tools: scripts/keygen.ts and the courier CLI's `verify` (scripts/ferry.ts) as child processes, and verifyFiles.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, TSX } from "../helpers/spawn.ts";
import { ZERO_HASH } from "../../src/transfer/batch/hash.ts";
import { buildBatch } from "../../src/transfer/batch/write.ts";
import { verifyFiles } from "../../src/transfer/batch/cli-verify.ts";
import { DAY, DST, RECORDS, SRC, build, peerA, useBatchKeys } from "../helpers/batches.ts";

useBatchKeys();

describe("offline verify CLI", () => {
  const run = (script: string, args: string[], env: Record<string, string> = {}) =>
    promisify(execFile)(TSX, [script, ...args], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "airlock-batch-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("keygen writes a 0600 private key and a public key that the verify CLI accepts", async () => {
    const gen = await run("scripts/keygen.ts", ["--network", SRC, "--out", dir]);
    expect(gen.code).toBe(0);
    const privPath = join(dir, `${SRC}.private.jwk.json`);
    const pubPath = join(dir, `${SRC}.public.jwk.json`);
    expect((await stat(privPath)).mode & 0o777).toBe(0o600);
    const privateJwk = JSON.parse(await readFile(privPath, "utf8"));
    const publicJwk = JSON.parse(await readFile(pubPath, "utf8"));
    expect(publicJwk.d).toBeUndefined();
    expect(gen.stdout).toContain(publicJwk.kid);
    // Refuses to overwrite an existing key.
    expect((await run("scripts/keygen.ts", ["--network", SRC, "--out", dir])).code).toBe(1);

    const now = new Date();
    const ok1 = await buildBatch({
      records: RECORDS,
      source: SRC,
      destination: DST,
      sequence: 1,
      prevHash: ZERO_HASH,
      ack: 0,
      createdAt: now,
      ttlMs: DAY,
      signingKey: { privateJwk, keyId: publicJwk.kid },
    });
    const ok2 = await buildBatch({
      records: RECORDS.slice(0, 1),
      source: SRC,
      destination: DST,
      sequence: 2,
      prevHash: ok1.fileSha256,
      ack: 0,
      createdAt: now,
      ttlMs: DAY,
      signingKey: { privateJwk, keyId: publicJwk.kid },
    });
    await writeFile(join(dir, "1.batch"), ok1.file);
    await writeFile(join(dir, "2.batch"), ok2.file);
    const tampered = ok2.file.slice();
    tampered[tampered.length - 3] ^= 0x40;
    await writeFile(join(dir, "bad.batch"), tampered);

    const good = await run("scripts/ferry.ts", ["verify", "--public-key", pubPath, "--destination", DST, join(dir, "1.batch"), join(dir, "2.batch")]);
    expect(good.code).toBe(0);
    expect(good.stdout.trim().split("\n")).toEqual([
      `OK ${ok1.manifest.batch_id} seq=1 records=3`,
      `OK ${ok2.manifest.batch_id} seq=2 records=1`,
      "verified 2 of 2 file(s); 0 failed",
    ]);

    const mixed = await run("scripts/ferry.ts", ["verify", "--public-key", pubPath, join(dir, "1.batch"), join(dir, "bad.batch"), join(dir, "missing.batch")]);
    expect(mixed.code).toBe(1);
    const lines = mixed.stdout.trim().split("\n");
    expect(lines[0]).toBe(`OK ${ok1.manifest.batch_id} seq=1 records=3`);
    expect(lines[1]).toMatch(new RegExp(`^FAIL ${join(dir, "bad.batch")}: .*SHA-256.*\\(checksum_mismatch\\)$`));
    expect(lines[2]).toMatch(/^FAIL .*missing\.batch: cannot read the file/);

    const wrongDest = await run("scripts/ferry.ts", ["verify", "--public-key", pubPath, "--destination", "airlock-other", join(dir, "1.batch")]);
    expect(wrongDest.code).toBe(1);
    expect(wrongDest.stdout).toMatch(/wrong_destination/);

    // The peer key set can also come from the environment, as on a network.
    const fromEnv = await run("scripts/ferry.ts", ["verify", join(dir, "1.batch")], { AIRLOCK_PEER_PUBLIC_KEYS: JSON.stringify([publicJwk]) });
    expect(fromEnv.code).toBe(0);

    // Usage errors: no key, no files, a private key given as the public key.
    expect((await run("scripts/ferry.ts", ["verify", join(dir, "1.batch")])).code).toBe(2);
    expect((await run("scripts/ferry.ts", ["verify", "--public-key", pubPath])).code).toBe(2);
    const priv = await run("scripts/ferry.ts", ["verify", "--public-key", privPath, join(dir, "1.batch")]);
    expect(priv.code).toBe(2);
    expect(priv.stderr).toMatch(/PRIVATE/);
  }, 60_000);

  it("verifyFiles refuses an oversized file by its size without reading it", async () => {
    const { file } = await build({ createdAt: new Date() });
    const reads: string[] = [];
    const res = await verifyFiles(["big", "small"], {
      peerKeys: peerA,
      limits: { maxFileBytes: 10_000 },
      readFile: async (path, max) => {
        reads.push(path);
        return path === "big" ? { size: max + 1 } : file;
      },
    });
    expect(res.ok).toBe(false);
    expect(res.results[0]).toMatchObject({ ok: false, code: "too_large" });
    expect(res.results[1]).toMatchObject({ ok: true, records: 3 });
  });
});
