// `airlock verify-release` and the standalone verifier against the built artifact and against
// tampered copies of it; sha256sum and openssl (the standard tools) agree with the format.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { cp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { formatSums, readTar, signSums, writeTar } from "../../src/runtime/cli/release-format.ts";
import { airlockRun, bareEnv, buildTestRelease, throwawayKey, type TestRelease } from "../helpers/release.ts";
import { ROOT } from "../helpers/spawn.ts";

describe("verify-release", () => {
  let rel: TestRelease;
  beforeAll(async () => {
    rel = await buildTestRelease();
  }, 60_000);
  afterAll(async () => rel?.cleanup());

  /** The standalone verifier (dist/verify-release.mjs) on PATH, with node alone. */
  const standalone = (target: string, key = rel.publicKeyFile) => {
    const r = spawnSync(process.execPath, [rel.verifier, target, "--public-key", key, "--json"], { env: bareEnv(), encoding: "utf8" });
    return { code: r.status, result: JSON.parse(r.stdout) as { ok: boolean; problems: string[]; files: number; key_id: string } };
  };
  const fromRelease = (args: string[]) => airlockRun(rel.home, ["verify-release", ...args, "--public-key", rel.publicKeyFile], { cwd: rel.work });
  /** A copy of the unpacked release to damage. */
  const copyOfRelease = async (name: string) => {
    const dir = join(rel.work, name, rel.name);
    await cp(rel.home, dir, { recursive: true });
    return dir;
  };
  /** The archive with its entries rewritten by `change`, gzip'd again. */
  const tamperedArchive = async (name: string, change: (entries: ReturnType<typeof readTar>) => ReturnType<typeof readTar>) => {
    const entries = readTar(gunzipSync(await readFile(rel.archive)));
    const file = join(rel.work, `${name}.tar.gz`);
    await writeFile(file, gzipSync(writeTar(change(entries.map((e) => ({ ...e, data: new Uint8Array(e.data) }))), 0)));
    return file;
  };

  it("passes on the built artifact, packed and unpacked, standalone and from the release", async () => {
    const packed = standalone(rel.archive);
    expect(packed.code).toBe(0);
    expect(packed.result).toMatchObject({ ok: true, release: rel.name, problems: [], key_id: rel.keyId });
    expect(packed.result.files).toBe(rel.files);
    expect(standalone(rel.home).result).toMatchObject({ ok: true, files: rel.files });
    // With no PATH, `airlock verify-release` checks the release it belongs to.
    const own = await fromRelease([]);
    expect(own.code, own.stderr).toBe(0);
    expect(own.stdout).toBe(`verified ${rel.name}: ${rel.files} files match SHA256SUMS, signed by release key ${rel.keyId}\n`);
    expect((await fromRelease([rel.archive])).code).toBe(0);
  });

  it("agrees with sha256sum and openssl", async () => {
    expect(execFileSync("sha256sum", ["--check", "--strict", "SHA256SUMS"], { cwd: rel.home, encoding: "utf8" })).not.toMatch(/FAILED/);
    const pem = join(rel.work, "release.public.pem");
    await writeFile(pem, createPublicKey({ key: JSON.parse(await readFile(rel.publicKeyFile, "utf8")), format: "jwk" }).export({ type: "spki", format: "pem" }));
    const out = execFileSync("openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", pem, "-rawin", "-in", "SHA256SUMS", "-sigfile", "SHA256SUMS.sig"], {
      cwd: rel.home,
      encoding: "utf8",
    });
    expect(out).toContain("Signature Verified Successfully");
    expect(standalone(rel.archive, pem).code).toBe(0);
  });

  it("fails on a single changed byte", async () => {
    const dir = await copyOfRelease("byte");
    const file = join(dir, "lib", "airlock.mjs");
    const data = await readFile(file);
    data[Math.floor(data.length / 2)] ^= 0x01;
    await writeFile(file, data);
    const unpacked = standalone(dir);
    expect(unpacked.code).toBe(1);
    expect(unpacked.result.problems).toEqual(["lib/airlock.mjs: SHA-256 does not match SHA256SUMS (the file was changed)"]);
    const r = await airlockRun(rel.home, ["verify-release", dir, "--public-key", rel.publicKeyFile], { cwd: rel.work });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("NOT verified");
    expect(r.stderr).toContain("lib/airlock.mjs: SHA-256 does not match");

    const migration = `${rel.name}/migrations/0000_foundation.sql`;
    const packed = await tamperedArchive("byte", (es) => es.map((e) => (e.path === migration ? { ...e, data: Uint8Array.from(e.data, (b, i) => (i === 10 ? b ^ 0x20 : b)) } : e)));
    expect(standalone(packed).result.problems).toEqual(["migrations/0000_foundation.sql: SHA-256 does not match SHA256SUMS (the file was changed)"]);
    // A byte changed in the compressed stream itself.
    const raw = await readFile(rel.archive);
    raw[Math.floor(raw.length / 3)] ^= 0x01;
    const broken = join(rel.work, "broken.tar.gz");
    await writeFile(broken, raw);
    const b = standalone(broken);
    expect(b.code).toBe(1);
    expect(b.result.ok).toBe(false);
    expect(b.result.problems[0]).toMatch(/damaged|not a gzip/);
  });

  it("fails on a missing file, and on an added one", async () => {
    const dir = await copyOfRelease("missing");
    await rm(join(dir, "lib", "native", "linux-x64-gnu.node"));
    await writeFile(join(dir, "lib", "extra.js"), "console.log('not signed')\n");
    expect(standalone(dir).result.problems).toEqual(["lib/native/linux-x64-gnu.node: missing", "lib/extra.js: not listed in SHA256SUMS (added after signing)"]);
    const packed = await tamperedArchive("missing", (es) => es.filter((e) => e.path !== `${rel.name}/docs/operations.md`));
    const r = standalone(packed);
    expect(r.code).toBe(1);
    expect(r.result.problems).toEqual(["docs/operations.md: missing"]);
    const noSig = await tamperedArchive("nosig", (es) => es.filter((e) => !e.path.endsWith("/SHA256SUMS.sig")));
    expect(standalone(noSig).result.problems).toEqual(["SHA256SUMS.sig is missing: this is not a signed release"]);
  });

  it("fails on a release re-signed by another key, even one whose sums all match", async () => {
    const other = throwawayKey();
    const dir = await copyOfRelease("resigned");
    await writeFile(join(dir, "migrations", "0000_foundation.sql"), "DROP TABLE users;\n");
    const listed = (await readFile(join(dir, "SHA256SUMS"), "utf8"))
      .split("\n")
      .filter(Boolean)
      .map((l) => l.slice(66));
    const sums = formatSums(await Promise.all(listed.map(async (path) => ({ path, data: new Uint8Array(await readFile(join(dir, path))) }))));
    await writeFile(join(dir, "SHA256SUMS"), sums);
    await writeFile(join(dir, "SHA256SUMS.sig"), signSums(new TextEncoder().encode(sums), createPrivateKey({ key: JSON.parse(other.privateJwk), format: "jwk" })));
    const r = standalone(dir);
    expect(r.code).toBe(1);
    expect(r.result.problems).toEqual([`SHA256SUMS.sig is not a valid signature of SHA256SUMS by release key ${rel.keyId}: the release was changed or signed by another key`]);
    // The same copy checks out against the other key: the verdict is about who signed.
    const otherKey = join(rel.work, "other.public.jwk.json");
    await writeFile(otherKey, other.publicJwk);
    expect(standalone(dir, otherKey).result.ok).toBe(true);
  });

  it("refuses unsafe archive entries before anyone unpacks them", async () => {
    const evil = await tamperedArchive("evil", (es) => [...es, { path: `${rel.name}/../../etc/cron.d/x`, type: "file", mode: 0o644, data: new TextEncoder().encode("x") }]);
    expect(standalone(evil).result.problems).toContain(`"${rel.name}/../../etc/cron.d/x": unsafe path in the archive (absolute or with "..")`);
  });

  it("is at most 30 MB compressed, and docs/operations.md states its size", async () => {
    expect(rel.bytes).toBeLessThanOrEqual(30 * 1024 * 1024);
    const docs = await readFile(join(ROOT, "docs", "operations.md"), "utf8");
    const stated = /artifact is\s+\*\*(\d+(?:\.\d+)?) MiB\*\*\s+compressed/.exec(docs);
    expect(stated, "docs/operations.md: 'artifact is **N MiB** compressed'").not.toBeNull();
    // Stated to within half a MiB of what this build produces.
    expect(Math.abs(Number(stated![1]) - rel.bytes / 1024 / 1024)).toBeLessThanOrEqual(0.5);
  });
});
