// Batches sealed to their destination: what a courier (or whoever finds the medium) holds is
// unreadable, the destination reads it on Node, Deno and workerd alike, and keys rotate.
import { spawnSync } from "node:child_process";
import { gunzipSync } from "node:zlib";
import { join } from "node:path";
import { writeFile } from "node:fs/promises";
import { eq } from "drizzle-orm";
import { base64url } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { users } from "../../schema/index.ts";
import {
  buildBatch,
  decodeBatchFile,
  encodeBatchFile,
  generateEncryptionKey,
  parseEncryptionKeys,
  parsePeerKeys,
  readManifestUnverified,
  signManifest,
  verifyBatch,
  ZERO_HASH,
  type BatchRecord,
} from "../../src/transfer/batch/index.ts";
import { testKeys, transferEnv } from "../helpers/keys.ts";
import { nodeApp, TEST_ENV, tempDir } from "../helpers/node-app.ts";
import { COURIER, download, exportNow, upload, type Net } from "../helpers/transfer.ts";
import { caller, PASSWORD } from "../helpers/link.ts";
import { seedSession } from "../helpers/identity-fixtures.ts";
import { DENO, DENO_ARGS, ROOT, TSX, run } from "../helpers/spawn.ts";
import { startWorker, type RunningWorker } from "../helpers/workerd.ts";
import { sealAad } from "../../src/transfer/batch/seal.ts";
import { DEBIAN_PYTHON } from "../../scripts/pretest.ts";

const EMAIL = "sealed-canary-4f1d@example.org";
const QUESTION = "canary question 91c2: how deep is the well?";
const ANSWER = "canary answer 55d1: forty fathoms";

const latin1 = (b: Uint8Array) => Buffer.from(b).toString("latin1");

/** Every place a secret could show in a file: its bytes, its manifest as JSON, and its body inflated if it inflates at all. */
function readableParts(file: Uint8Array): string[] {
  const parts = [latin1(file)];
  const m = readManifestUnverified(file);
  if (m.ok) parts.push(JSON.stringify(m.manifest), JSON.stringify(m.header));
  const c = decodeBatchFile(file);
  if (c.ok) {
    try {
      parts.push(gunzipSync(c.body).toString("utf8"));
    } catch {
      // Not gzip: nothing to inflate.
    }
  }
  return parts;
}

const leaks = (file: Uint8Array, secrets: string[]) => secrets.filter((s) => readableParts(file).some((p) => p.includes(s)));

describe("a sealed batch hides what it carries", () => {
  let master: Net;
  let replica: Net;
  const files: Uint8Array[] = [];
  let secrets: string[];

  beforeAll(async () => {
    master = await nodeApp({ NETWORK_ROLE: "response" });
    replica = await nodeApp({ NETWORK_ROLE: "request" });
    const admin = await seedSession(master.services, { role: "admin" });
    const m = caller(master);
    const r = caller(replica);
    expect((await m("/v1/admin/users", { token: admin.tokens.access_token, body: { email: EMAIL, name: "Canary", role: "user", password: PASSWORD } })).status).toBe(201);
    expect(
      (await m("/v1/admin/users", { token: admin.tokens.access_token, body: { email: "op-sealed@example.org", name: "Op", role: "operator", password: PASSWORD } })).status,
    ).toBe(201);
    const hash = (await master.services.db.orm.select().from(users).where(eq(users.email, EMAIL)).get())!.passwordHash;
    // The whole hash, and each of its parts (salt, digest) on their own.
    secrets = [EMAIL, QUESTION, ANSWER, hash, ...hash.split("$").filter((p) => p.length >= 16)];

    const cross = async (from: Net, to: Net) => {
      await exportNow(from);
      for (const b of await download(from)) {
        files.push(b.file);
        expect((await upload(to, b.file)).body.outcome).toMatch(/^(applied|replay)$/);
      }
    };
    await cross(master, replica);
    const token = (await r("/v1/auth/token", { body: { email: EMAIL, password: PASSWORD } })).body.access_token as string;
    const sub = await r("/v1/requests", { token, body: { topic: "canary", body: { q: QUESTION } } });
    expect(sub.status).toBe(202);
    await cross(replica, master);
    const op = (await m("/v1/auth/token", { body: { email: "op-sealed@example.org", password: PASSWORD } })).body.access_token as string;
    expect((await m(`/v1/requests/${sub.body.id}/response`, { token: op, body: { body: { a: ANSWER } } })).status).toBe(201);
    await cross(master, replica);
    // The round trip really happened: the user reads the answer on the replica.
    expect((await r(`/v1/requests/${sub.body.id}/response`, { token })).body.body).toEqual({ a: ANSWER });
  }, 60_000);

  it("no batch of the round trip shows the user's e-mail, password hash, request body or answer, in its bytes, manifest or inflated body", () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) {
      expect(readManifestUnverified(f)).toMatchObject({ ok: true, manifest: { format: 3 } });
      expect(leaks(f, secrets)).toEqual([]);
    }
  });

  it("the check would see them: the same records are all there once opened by the destination, and in an unsealed batch", async () => {
    const keys = await testKeys();
    const found: string[] = [];
    let unsealedLeaks: string[] = [];
    for (const f of files) {
      const m = readManifestUnverified(f);
      const to = m.ok && m.manifest.destination === "airlock-request" ? "request" : "response";
      const from = to === "request" ? "response" : "request";
      const v = await verifyBatch(f, {
        expectedDestination: null,
        peerKeys: await parsePeerKeys([keys[from].publicJwk]),
        openingKeys: (await parseEncryptionKeys([keys[to].encryption.privateJwk])).opening,
      });
      if (!v.ok) throw new Error(v.reason);
      const text = JSON.stringify(v.records);
      found.push(...secrets.filter((s) => text.includes(s)));
      // The same records written in the clear (format 2) leak through the very same check.
      const plain = await buildBatch({
        records: v.records,
        source: v.manifest.source,
        destination: v.manifest.destination,
        sequence: 1,
        prevHash: ZERO_HASH,
        ack: 0,
        ttlMs: 60_000,
        signingKey: { privateJwk: keys[from].privateJwk, keyId: keys[from].keyId },
      });
      unsealedLeaks = [...unsealedLeaks, ...leaks(plain.file, secrets)];
    }
    expect(new Set(found)).toEqual(new Set(secrets));
    expect(new Set(unsealedLeaks)).toEqual(new Set(secrets));
  });

  it("a courier verifies a sealed file offline with the sender's public key alone, and cannot open it", async () => {
    const keys = await testKeys();
    const dir = await tempDir();
    const file = join(dir, "sealed.batch");
    await writeFile(file, files[0]);
    await writeFile(join(dir, "master.public.jwk.json"), JSON.stringify(keys.response.publicJwk));
    const r = run(TSX, ["scripts/ferry.ts", "verify", "--public-key", join(dir, "master.public.jwk.json"), "--json", file], {});
    expect(await r.exited).toBe(0);
    const report = JSON.parse(r.output().trim().split("\n").at(-1)!);
    expect(report).toMatchObject({ ok: true, files: [{ ok: true, sealed: true, records: null, destination: "airlock-request" }] });
    // A changed byte of the ciphertext is caught by the signed checksum, still without any private key.
    const flipped = files[0].slice();
    flipped[flipped.length - 10] ^= 1;
    await writeFile(file, flipped);
    const bad = run(TSX, ["scripts/ferry.ts", "verify", "--public-key", join(dir, "master.public.jwk.json"), "--json", file], {});
    expect(await bad.exited).toBe(1);
    expect(JSON.parse(bad.output().trim().split("\n").at(-1)!).files[0]).toMatchObject({ ok: false, code: "checksum_mismatch" });
    // Holding the public keys is not enough to read it.
    const v = await verifyBatch(files[0], { expectedDestination: null, peerKeys: await parsePeerKeys([keys.response.publicJwk]) });
    expect(v).toMatchObject({ ok: false, code: "unknown_encryption_key" });
  }, 60_000);

  it("the body put back together as a JWE (ciphertext and additional data) opens with Python's jwcrypto, an independent JOSE library", async () => {
    const keys = await testKeys();
    const m = readManifestUnverified(files[0]);
    const c = decodeBatchFile(files[0]);
    if (!m.ok || !c.ok) throw new Error("not a batch");
    const manifest = m.manifest as { source: string; destination: string; sequence: number; batch_id: string; sealed: object };
    const jwe = { ...manifest.sealed, aad: base64url.encode(sealAad(manifest)), ciphertext: base64url.encode(c.body) };
    const r = spawnSync(DEBIAN_PYTHON, [join(ROOT, "test/helpers/open-sealed.py")], { input: JSON.stringify({ jwe, key: keys.request.encryption.privateJwk }), encoding: "utf8" });
    expect(r.stderr).toBe("");
    const records = gunzipSync(Buffer.from(r.stdout, "base64")).toString("utf8");
    expect(records).toContain(EMAIL);
    // The sender's copy opens the same way; a stranger's key does not.
    expect(
      spawnSync(DEBIAN_PYTHON, [join(ROOT, "test/helpers/open-sealed.py")], { input: JSON.stringify({ jwe, key: keys.response.encryption.privateJwk }), encoding: "utf8" }).status,
    ).toBe(0);
    const stranger = await generateEncryptionKey();
    const refused = spawnSync(DEBIAN_PYTHON, [join(ROOT, "test/helpers/open-sealed.py")], { input: JSON.stringify({ jwe, key: stranger.privateJwk }), encoding: "utf8" });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/InvalidJWEData|decrypt/i);
  });
});

describe("a sealed body is bound to its batch and its keys", () => {
  const records: BatchRecord[] = [{ kind: "user", id: "usr_x", version: 1, data: { email: EMAIL } }];

  it("a ciphertext moved into another batch, a changed iv, or the wrong destination key does not open, even when the manifest is signed again by the true key", async () => {
    const keys = await testKeys();
    const signer = { privateJwk: keys.response.privateJwk, keyId: keys.response.keyId };
    const recipient = (await parseEncryptionKeys([keys.request.encryption.privateJwk])).current;
    const sender = (await parseEncryptionKeys([keys.response.encryption.privateJwk])).current;
    const built = await buildBatch({
      records,
      source: "airlock-response",
      destination: "airlock-request",
      sequence: 1,
      prevHash: ZERO_HASH,
      ack: 0,
      ttlMs: 60_000,
      signingKey: signer,
      seal: { recipient, sender },
    });
    const opening = (await parseEncryptionKeys([keys.request.encryption.privateJwk])).opening;
    const opts = { expectedDestination: "airlock-request", peerKeys: await parsePeerKeys([keys.response.publicJwk]), openingKeys: opening };
    expect(await verifyBatch(built.file, opts)).toMatchObject({ ok: true, records });

    const body = decodeBatchFile(built.file);
    if (!body.ok) throw new Error(body.reason);
    const { counts: _c, records: _r, raw_bytes: _b, ...signed } = built.manifest as Record<string, unknown>;
    const resigned = async (change: Record<string, unknown>) => encodeBatchFile(await signManifest({ ...signed, ...change } as never, signer), body.body);
    const sealed = (built.manifest as { sealed: { iv: string } }).sealed;
    // Same ciphertext under another batch id: the additional authenticated data differs.
    expect(await verifyBatch(await resigned({ batch_id: crypto.randomUUID() }), opts)).toMatchObject({ ok: false, code: "decryption_failed" });
    expect(await verifyBatch(await resigned({ sealed: { ...sealed, iv: `${sealed.iv.slice(0, -2)}${sealed.iv.endsWith("AA") ? "BA" : "AA"}` } }), opts)).toMatchObject({
      ok: false,
      code: "decryption_failed",
    });
    // The sender's own key opens it too (to supersede its own batch); an unrelated key does not.
    expect(await verifyBatch(built.file, { ...opts, openingKeys: (await parseEncryptionKeys([keys.response.encryption.privateJwk])).opening })).toMatchObject({ ok: true });
    const stranger = await generateEncryptionKey();
    expect(await verifyBatch(built.file, { ...opts, openingKeys: (await parseEncryptionKeys([stranger.privateJwk])).opening })).toMatchObject({
      ok: false,
      code: "unknown_encryption_key",
    });
  });

  it("a configuration that reaches a log line shows neither private key", async () => {
    const { redact, REDACTED } = await import("../../src/lib/redact.ts");
    const env = await transferEnv("request");
    const logged = JSON.stringify(redact({ env, transfer: { signingKey: env.AIRLOCK_SIGNING_KEY, encryptionKeys: env.AIRLOCK_ENCRYPTION_KEYS } }));
    const keys = await testKeys();
    expect(logged).toContain(REDACTED);
    for (const secret of [keys.request.privateJwk.d!, keys.request.encryption.privateJwk.d!]) expect(logged).not.toContain(secret);
  });

  it("configuration errors name the setting's problem: a private key given as the peer's, a signing key given as an encryption key", async () => {
    const keys = await testKeys();
    const { parseRecipientKey } = await import("../../src/transfer/batch/seal.ts");
    await expect(parseRecipientKey(JSON.stringify(keys.request.encryption.privateJwk))).rejects.toThrow(/PRIVATE key/);
    await expect(parseEncryptionKeys(JSON.stringify([keys.request.privateJwk]))).rejects.toThrow(/not an X25519 private JWK.*crv/);
    await expect(parseEncryptionKeys("[]")).rejects.toThrow(/empty/);
  });
});

describe("rotating the destination's encryption key", () => {
  it("a batch sealed to the old key still imports while both are configured; once the old key is dropped a straggler is quarantined, and a retry applies it when the key is back", async () => {
    const keys = await testKeys();
    const fresh = await generateEncryptionKey();
    // nodeApp gives each network the test keys (transferEnv); only the setting that rotates is overridden.
    const masterEnv = (peerEncryption: object) => ({ NETWORK_ROLE: "response", AIRLOCK_PEER_ENCRYPTION_KEY: JSON.stringify(peerEncryption) });
    const oldMaster = await nodeApp(masterEnv(keys.request.encryption.publicJwk));
    // The same master database with the new setting (the process restarted after the change).
    const newMaster = await nodeApp({ ...masterEnv(fresh.publicJwk), AIRLOCK_DATA_DIR: oldMaster.services.config.dataDir });
    const admin = await seedSession(oldMaster.services, { role: "admin" });
    const createUser = async (n: Net, email: string) => {
      expect((await caller(n)("/v1/admin/users", { token: admin.tokens.access_token, body: { email, name: email, role: "user", password: PASSWORD } })).status).toBe(201);
      await exportNow(n);
      return (await download(n)).at(-1)!;
    };
    const dir = await tempDir();
    const replicaWith = (own: object[]) => nodeApp({ NETWORK_ROLE: "request", AIRLOCK_ENCRYPTION_KEYS: JSON.stringify(own), AIRLOCK_DATA_DIR: dir });
    const sealedTo = (file: Uint8Array) => {
      const m = readManifestUnverified(file);
      return m.ok ? (m.manifest.sealed as { recipients: Array<{ header: { kid: string } }> }).recipients.map((r) => r.header.kid) : [];
    };

    const first = await createUser(oldMaster, "rot1@example.org"); // in flight, sealed to the old key
    // Step 1: the replica puts its new key in front and keeps the old one.
    let replica = await replicaWith([fresh.privateJwk, keys.request.encryption.privateJwk]);
    // Step 2: the master seals to the new key from now on.
    const second = await createUser(newMaster, "rot2@example.org");
    const straggler = await createUser(oldMaster, "rot3@example.org"); // e.g. a master instance not restarted yet
    expect(sealedTo(first.file)).toContain(keys.request.encryption.keyId);
    expect(sealedTo(second.file)).toContain(fresh.keyId);
    expect(sealedTo(second.file)).not.toContain(keys.request.encryption.keyId);
    expect((await upload(replica, first.file)).body).toMatchObject({ outcome: "applied", sequence: 1 });
    expect((await upload(replica, second.file)).body).toMatchObject({ outcome: "applied", sequence: 2 });

    // Step 3, too early: the old key is dropped while a batch sealed to it is still on its way.
    replica = await replicaWith([fresh.privateJwk]);
    const early = (await upload(replica, straggler.file)).body;
    expect(early).toMatchObject({ outcome: "quarantined" });
    expect(early.reason).toMatch(/^unknown_encryption_key: sealed to .*none of which/);
    // Nothing is lost: with the key back, the quarantined file is retried and applied.
    replica = await replicaWith([fresh.privateJwk, keys.request.encryption.privateJwk]);
    const retried = await replica.app.request(`/v1/transfer/batches/${early.receipt_id}/retry`, { method: "POST", headers: COURIER }, {});
    expect(await retried.json()).toMatchObject({ outcome: "applied", sequence: 3 });
    const status = (await (await replica.app.request("/v1/transfer/status", { headers: COURIER }, {})).json()) as { incoming: { last_imported: number } };
    expect(status.incoming.last_imported).toBe(3);
    const r = caller(replica);
    for (const email of ["rot1@example.org", "rot2@example.org", "rot3@example.org"]) expect((await r("/v1/auth/token", { body: { email, password: PASSWORD } })).status).toBe(200);
  }, 60_000);
});

describe("one sealed file, three runtimes", () => {
  let files: Uint8Array[];
  let worker: RunningWorker | undefined;

  beforeAll(async () => {
    const master = await nodeApp({ NETWORK_ROLE: "response" });
    const admin = await seedSession(master.services, { role: "admin" });
    expect((await caller(master)("/v1/admin/users", { token: admin.tokens.access_token, body: { email: EMAIL, name: "Canary", role: "user", password: PASSWORD } })).status).toBe(
      201,
    );
    await exportNow(master);
    files = (await download(master)).map((b) => b.file);
    expect(files).toHaveLength(1);
  }, 30_000);
  afterAll(async () => {
    await worker?.close();
  });

  const login = (post: (path: string, body: unknown) => Promise<Response>) => post("/v1/auth/token", { email: EMAIL, password: PASSWORD });
  const upload = (post: (path: string, init: RequestInit) => Promise<Response>) =>
    post("/v1/transfer/inbox", { method: "POST", headers: { ...COURIER, "content-type": "application/octet-stream" }, body: files[0] as Uint8Array<ArrayBuffer> });
  const jsonPost = (f: (path: string, init: RequestInit) => Promise<Response>) => (path: string, body: unknown) =>
    f(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

  it("Node opens and applies it; the user it carries logs in", async () => {
    const replica = await nodeApp({ NETWORK_ROLE: "request" });
    const f = (path: string, init: RequestInit) => Promise.resolve(replica.app.request(path, init, {}));
    expect(await (await upload(f)).json()).toMatchObject({ outcome: "applied", sequence: 1 });
    expect((await login(jsonPost(f))).status).toBe(200);
  });

  it("Deno opens and applies it; the user it carries logs in", async () => {
    const dir = await tempDir();
    const deno = run(DENO, DENO_ARGS, {
      ...TEST_ENV,
      ...(await transferEnv("request")),
      NETWORK_ROLE: "request",
      AIRLOCK_DATA_DIR: dir,
      PORT: "0",
      DENO_NO_UPDATE_CHECK: "1",
    });
    try {
      const url = String((await deno.waitForLine((l) => l.msg === "listening", 60_000)).url);
      const f = (path: string, init: RequestInit) => fetch(`${url}${path}`, init);
      expect(await (await upload(f)).json()).toMatchObject({ outcome: "applied", sequence: 1 });
      expect((await login(jsonPost(f))).status).toBe(200);
    } finally {
      expect(await deno.stop()).toBe(0);
    }
  }, 90_000);

  it("workerd (the Worker entry on D1 and R2) opens and applies it; the user it carries logs in", async () => {
    worker = await startWorker({ ...(await transferEnv("request")), AIRLOCK_JWT_SECRET: TEST_ENV.AIRLOCK_JWT_SECRET, AIRLOCK_COURIER_TOKEN: TEST_ENV.AIRLOCK_COURIER_TOKEN });
    const f = (path: string, init: RequestInit) => worker!.fetch(path, init);
    const res = await upload(f);
    expect(await res.json()).toMatchObject({ outcome: "applied", sequence: 1 });
    expect((await login(jsonPost(f))).status).toBe(200);
  }, 90_000);
});
