// The release as an isolated site gets it: unpacked outside the repository, run with `node` alone
// (no node_modules anywhere above it), serving as the master against a request network started
// from the repository, with the release's own keygen and ferry doing the key and courier work.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, readdirSync } from "node:fs";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { Redis } from "@upstash/redis";
import { libsqlDatabase } from "../../src/runtime/node/libsql.ts";
import { MemoryLogger } from "../../src/deps/logger.ts";
import { startNodeServer, type RunningServer } from "../../src/runtime/node-server.ts";
import { readMigrations } from "../../src/runtime/node/files.ts";
import { TEST_ENV } from "../helpers/node-app.ts";
import { deleteKeysWithPrefix, getRedisUrl, uniquePrefix, type RedisHandle } from "../helpers/redis.ts";
import { airlock, airlockRun, buildTestRelease, type Proc, type TestRelease } from "../helpers/release.ts";
import { ROOT } from "../helpers/spawn.ts";
import { VERSION } from "../../src/version.ts";
import { fetchJson, type Json } from "../helpers/http.ts";

const NEWEST = readdirSync(join(ROOT, "migrations"))
  .filter((n) => n.endsWith(".sql"))
  .sort()
  .at(-1)!
  .replace(/\.sql$/, "");

const ADMIN = { email: "root@example.com", password: "root password, long enough" };
const MASTER_COURIER = "release-master-courier-token-0123456789abcdef";

describe("the release, unpacked and run with node alone", () => {
  let rel: TestRelease;
  let master: Proc;
  let M: string;
  let replica: RunningServer;
  let redis: RedisHandle;

  const keygen = async (network: string) => {
    const r = await airlockRun(rel.home, ["keygen", "--network", network, "--out", join(rel.work, "keys")], { cwd: rel.work });
    expect(r.code, r.stderr).toBe(0);
    const read = (kind: string) => readFile(join(rel.work, "keys", `${network}.${kind}.jwk.json`), "utf8").then((t) => JSON.stringify(JSON.parse(t)));
    return {
      privateJwk: await read("private"),
      publicJwk: await read("public"),
      encryptionPrivate: await read("encryption.private"),
      encryptionPublic: await read("encryption.public"),
    };
  };

  beforeAll(async () => {
    rel = await buildTestRelease();
    redis = await getRedisUrl();
    const mKeys = await keygen("airlock-response");
    const rKeys = await keygen("airlock-request");
    // The master's settings as the systemd EnvironmentFile would hold them.
    const envFile = join(rel.work, "response.env");
    await writeFile(
      envFile,
      [
        `AIRLOCK_DATA_DIR=${join(rel.work, "data")}`,
        "PORT=0",
        `AIRLOCK_JWT_SECRET=release-test-jwt-secret-0123456789abcdef`,
        `AIRLOCK_COURIER_TOKEN=${MASTER_COURIER}`,
        `AIRLOCK_SIGNING_KEY='${mKeys.privateJwk}'`,
        `AIRLOCK_PEER_PUBLIC_KEYS='[${rKeys.publicJwk}]'`,
        `AIRLOCK_ENCRYPTION_KEYS='[${mKeys.encryptionPrivate}]'`,
        `AIRLOCK_PEER_ENCRYPTION_KEY='${rKeys.encryptionPublic}'`,
        `AIRLOCK_ADMIN_EMAIL=${ADMIN.email}`,
        `AIRLOCK_ADMIN_PASSWORD='${ADMIN.password}'`,
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    master = airlock(rel.home, ["serve", "--role", "response", "--env-file", envFile], { cwd: rel.work });
    M = String((await master.waitForLine((l) => l.msg === "listening")).url);
    replica = await startNodeServer(
      {
        ...TEST_ENV,
        NETWORK_ROLE: "request",
        PORT: "0",
        AIRLOCK_DATA_DIR: join(rel.work, "replica"),
        AIRLOCK_SIGNING_KEY: rKeys.privateJwk,
        AIRLOCK_PEER_PUBLIC_KEYS: `[${mKeys.publicJwk}]`,
        AIRLOCK_ENCRYPTION_KEYS: `[${rKeys.encryptionPrivate}]`,
        AIRLOCK_PEER_ENCRYPTION_KEY: mKeys.encryptionPublic,
      },
      { scheduler: false, logger: new MemoryLogger() },
    );
  }, 90_000);
  afterAll(async () => {
    await master?.stop();
    await replica?.close();
    await redis?.stop();
    await rel?.cleanup();
  });

  const http = fetchJson;
  const login = async (base: string, email: string, password: string) =>
    (await http(base, "/v1/auth/token", { method: "POST", body: { email, password } })).body.access_token as string | undefined;
  const token = (url: string) => (url === M ? MASTER_COURIER : TEST_ENV.AIRLOCK_COURIER_TOKEN);
  /** One courier trip with the release's ferry: export on `from`, carry to `to`. */
  const trip = async (from: string, to: string) => {
    const exp = await airlockRun(rel.home, ["ferry", "export", "--url", from, "--json", "-q"], { cwd: rel.work, env: { AIRLOCK_FERRY_TOKEN: token(from) } });
    expect(exp.code, exp.stderr).toBe(0);
    const c = await airlockRun(rel.home, ["ferry", "carry", "--from", from, "--to", to, "--json", "-q"], {
      cwd: rel.work,
      env: { AIRLOCK_FERRY_FROM_TOKEN: token(from), AIRLOCK_FERRY_TO_TOKEN: token(to) },
    });
    expect(c.code, c.stderr).toBe(0);
    const summary = JSON.parse(c.stdout) as Json;
    expect(summary.ok).toBe(true);
    return summary.push.files.map((f: Json) => f.status) as string[];
  };

  it("cannot reach anything of the repository: no node_modules above it, no repository path inside it", async () => {
    expect(rel.home.startsWith(ROOT)).toBe(false);
    for (let d = rel.home; ; d = dirname(d)) {
      expect(existsSync(join(d, "node_modules")), `${d}/node_modules`).toBe(false);
      if (d === dirname(d)) break;
    }
    const sums = await readFile(join(rel.home, "SHA256SUMS"), "utf8");
    expect(sums).not.toMatch(/node_modules/);
    expect(sums).toMatch(/ {2}lib\/native\/linux-x64-gnu\.node\n/);
    expect(await readFile(join(rel.home, "lib", "airlock.mjs"), "utf8")).not.toContain(ROOT.replace(/\/$/, ""));
    // The running master loaded libSQL's native module from the release, and nothing from the repository.
    const maps = await readFile(`/proc/${master.child.pid}/maps`, "utf8");
    expect(maps).toContain(join(rel.home, "lib", "native", "linux-x64-gnu.node"));
    expect(maps).not.toContain(ROOT.replace(/\/$/, ""));
  });

  it("runs the full loop: user on the master, batch carried, login on the replica, request answered and read back", async () => {
    const meta = await http(M, "/v1/meta");
    expect(meta.body).toMatchObject({ name: "airlock", version: VERSION, role: "response", schema_version: NEWEST, runtime: "node" });
    const admin = (await login(M, ADMIN.email, ADMIN.password))!;
    expect(admin).toEqual(expect.any(String));
    const alice = await http(M, "/v1/admin/users", {
      method: "POST",
      token: admin,
      body: { email: "alice@example.com", name: "Alice", role: "user", password: "alice password long" },
    });
    expect(alice.status).toBe(201);
    await http(M, "/v1/admin/users", { method: "POST", token: admin, body: { email: "olga@example.com", name: "Olga", role: "operator", password: "olga password long" } });
    expect(await login(replica.url, "alice@example.com", "alice password long")).toBeUndefined();

    expect(await trip(M, replica.url)).toContain("applied");
    const aliceToken = (await login(replica.url, "alice@example.com", "alice password long"))!;
    expect(aliceToken).toEqual(expect.any(String));
    const submitted = await http(replica.url, "/v1/requests", {
      method: "POST",
      token: aliceToken,
      body: { topic: "weather", body: { city: "Oslo" } },
      headers: { "Idempotency-Key": "release-1" },
    });
    expect(submitted.status).toBe(202);
    const id = submitted.body.id as string;

    expect(await trip(replica.url, M)).toContain("applied");
    const olga = (await login(M, "olga@example.com", "olga password long"))!;
    expect((await http(M, "/v1/queue", { token: olga })).body.items.map((i: Json) => i.id)).toContain(id);
    expect((await http(M, `/v1/queue/${id}/claim`, { method: "POST", token: olga })).status).toBe(200);
    expect((await http(M, `/v1/requests/${id}/response`, { method: "POST", token: olga, body: { body: { forecast: "rain" } } })).status).toBe(201);

    expect(await trip(M, replica.url)).toContain("applied");
    const answer = await http(replica.url, `/v1/requests/${id}/response`, { token: aliceToken });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ request_id: id, body: { forecast: "rain" } });
  }, 90_000);

  it("serves the interactive docs' static files from the release", async () => {
    const res = await fetch(`${M}/docs/assets/swagger-ui-bundle.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/javascript/);
    expect(Buffer.from(await res.arrayBuffer()).equals(await readFile(join(rel.home, "lib", "swagger-ui", "swagger-ui-bundle.js")))).toBe(true);
  });

  it("reports its version, and its launcher finds the bundle through a symlink", async () => {
    const v = await airlockRun(rel.home, ["version", "--json"], { cwd: rel.work });
    expect(JSON.parse(v.stdout)).toMatchObject({ version: VERSION, schema_version: NEWEST, release: { name: rel.name, platform: "linux-x64" } });
    await mkdir(join(rel.work, "bin"));
    await symlink(join(rel.home, "airlock"), join(rel.work, "bin", "airlock"));
    const out = execFileSync(join(rel.work, "bin", "airlock"), ["version"], { env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin` }, encoding: "utf8" });
    expect(out).toContain(`release ${rel.name}`);
  });

  it("refuses to start on a database migrated by a newer build, and leaves it untouched", async () => {
    const dir = join(rel.work, "newer");
    await mkdir(dir);
    const future = { name: "9999_future.sql", sql: "CREATE TABLE `future_thing` (`id` text PRIMARY KEY NOT NULL);" };
    const db = await libsqlDatabase({ url: `file:${join(dir, "response.db")}`, migrations: [...(await readMigrations()), future] });
    await db.close();
    const env = { AIRLOCK_DATA_DIR: dir, AIRLOCK_JWT_SECRET: "release-test-jwt-secret-0123456789abcdef", PORT: "0" };
    for (const args of [
      ["serve", "--role", "response"],
      ["migrate", "--role", "response"],
    ]) {
      const r = await airlockRun(rel.home, args, { cwd: rel.work, env });
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(`airlock: refusing to start: the database's schema (9999_future) is newer than this build of Airlock knows (newest: ${NEWEST}`);
      expect(r.stdout).not.toContain("listening");
    }
    expect(existsSync(join(dir, "backups"))).toBe(false);
    const again = await libsqlDatabase({ url: `file:${join(dir, "response.db")}` });
    expect((await again.client.execute("SELECT name FROM d1_migrations ORDER BY id")).rows.map((r) => r.name)).toEqual([
      ...(await readMigrations()).map((m) => m.name),
      "9999_future.sql",
    ]);
    await again.close();
  });

  it("runs the Upstash-compatible endpoint in front of Redis", async () => {
    const endpointToken = "release-endpoint-token-0123456789abcdef";
    const ep = airlock(rel.home, ["endpoint"], { cwd: rel.work, env: { UPSTASH_ENDPOINT_TOKEN: endpointToken, REDIS_URL: redis.url, PORT: "0" } });
    const prefix = uniquePrefix("release-endpoint");
    try {
      const url = String((await ep.waitForLine((l) => l.msg === "listening")).url);
      const client = new Redis({ url, token: endpointToken, enableTelemetry: false });
      expect(await client.set(`${prefix}k`, "v1", { ex: 60 })).toBe("OK");
      expect(await client.get(`${prefix}k`)).toBe("v1");
      const denied = await fetch(url, { method: "POST", headers: { authorization: "Bearer wrong" }, body: JSON.stringify(["GET", `${prefix}k`]) });
      expect(denied.status).toBe(401);
    } finally {
      await deleteKeysWithPrefix(redis.url, prefix);
      expect(await ep.stop()).toBe(0);
    }
  });

  it("stops cleanly on SIGTERM (what systemd sends)", async () => {
    expect(await master.stop()).toBe(0);
    expect(master.output()).not.toMatch(/"level":"error"/);
  });
});
