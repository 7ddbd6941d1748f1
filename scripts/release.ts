/**
 * Builds the signed, self-contained on-premises release:
 *
 *   RELEASE_SIGNING_KEY_FILE=release.private.jwk.json npm run release [-- --out DIR]
 *
 * → DIR/airlock-<version>-linux-x64.tar.gz (default DIR: dist/) and DIR/verify-release.mjs, the
 * standalone verifier. The key is an Ed25519 private key, JWK or PEM: RELEASE_SIGNING_KEY_FILE,
 * RELEASE_SIGNING_KEY (its text) or --key FILE. Make one with
 * `npx tsx scripts/keygen.ts --network release --out DIR` and keep it off the repository.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { formatSums, keyId, privateKey, sha256, signSums, SIG, SUMS, writeTar, type TarEntry } from "../src/runtime/cli/release-format.ts";
import { bundle, packageDir, thirdPartyNotices } from "./release-bundle.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PLATFORM = "linux-x64";
/** glibc first; musl for Alpine-like systems. libsql picks the one matching the C library at run time. */
const NATIVE_TARGETS = ["linux-x64-gnu", "linux-x64-musl"];

const LAUNCHER = `#!/bin/sh
# Runs the release's entry point with the first Node 20+ on PATH, or $NODE.
here=$(dirname "$(readlink -f "$0")")
exec "\${NODE:-node}" "$here/lib/airlock.mjs" "$@"
`;

function fail(message: string): never {
  console.error(`release: ${message}`);
  process.exit(2);
}

async function signingKeySource(keyFile: string | undefined): Promise<string> {
  const file = keyFile ?? process.env.RELEASE_SIGNING_KEY_FILE;
  if (file) return readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => fail(`cannot read the release signing key ${file}: ${e.code ?? e.message}`));
  if (process.env.RELEASE_SIGNING_KEY) return process.env.RELEASE_SIGNING_KEY;
  fail(
    "no release signing key: set RELEASE_SIGNING_KEY_FILE (or RELEASE_SIGNING_KEY, or --key FILE) to an Ed25519 private key; make one with `npx tsx scripts/keygen.ts --network release --out DIR`",
  );
}

function gitCommit(): string | null {
  try {
    const commit = execFileSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    return dirty ? `${commit}-dirty` : commit;
  } catch {
    return null;
  }
}

export interface BuiltRelease {
  archive: string;
  verifier: string;
  name: string;
  bytes: number;
  sha256: string;
  files: number;
  keyId: string;
}

export async function buildRelease(opts: { out: string; keySource: string; now?: Date }): Promise<BuiltRelease> {
  const key = privateKey(opts.keySource);
  const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { version: string; engines: { node: string } };
  const migrations = (await readdir(join(ROOT, "migrations"))).filter((n) => n.endsWith(".sql")).sort();
  const schema = migrations.at(-1)!.replace(/\.sql$/, "");
  const name = `airlock-${pkg.version}-${PLATFORM}`;
  const now = opts.now ?? (process.env.SOURCE_DATE_EPOCH ? new Date(Number(process.env.SOURCE_DATE_EPOCH) * 1000) : new Date());

  const files = new Map<string, { data: Uint8Array; mode: number }>();
  const add = (path: string, data: Uint8Array | string, mode = 0o644) => files.set(path, { data: typeof data === "string" ? new TextEncoder().encode(data) : data, mode });
  const copy = async (path: string, from: string, mode = 0o644) => add(path, new Uint8Array(await readFile(join(ROOT, from))), mode);

  const app = await bundle(ROOT, "src/runtime/cli/airlock.ts", { native: true });
  const verifier = await bundle(ROOT, "scripts/release-verify.ts", { native: false });
  if (verifier.packages.length) throw new Error(`the standalone verifier must use Node built-ins only, but bundles ${verifier.packages.join(", ")}`);
  add("airlock", LAUNCHER, 0o755);
  add("lib/airlock.mjs", app.code, 0o755);
  add("verify-release.mjs", verifier.code, 0o755);
  for (const target of NATIVE_TARGETS) {
    const file = join(packageDir(ROOT, `@libsql/${target}`), "index.node");
    if (existsSync(file)) await copy(`lib/native/${target}.node`, file.slice(ROOT.length), 0o755);
    else if (target === NATIVE_TARGETS[0]) throw new Error(`${file} is missing: run npm ci on linux-x64`);
  }
  for (const f of ["swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE"]) await copy(`lib/swagger-ui/${f}`, `node_modules/swagger-ui-dist/${f}`);
  for (const m of migrations) await copy(`migrations/${m}`, `migrations/${m}`);
  // Sub-folders too (deploy/prometheus: the alerting rules for the enclave's Prometheus).
  for (const e of await readdir(join(ROOT, "deploy"), { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const f = join(e.parentPath, e.name).slice(join(ROOT, "deploy").length + 1);
    if (f === "release-README.md") await copy("README.md", "deploy/release-README.md");
    else await copy(`deploy/${f}`, `deploy/${f}`);
  }
  await copy("docs/operations.md", "docs/operations.md");
  await copy("docs/metrics.md", "docs/metrics.md");
  await copy("docs/alerts.md", "docs/alerts.md");
  await copy("docs/transfer.md", "docs/transfer.md");
  const libsqlDirs = NATIVE_TARGETS.map((t) => packageDir(ROOT, `@libsql/${t}`)).filter(existsSync);
  add("THIRD-PARTY-NOTICES.md", thirdPartyNotices([...app.packages, ...libsqlDirs, packageDir(ROOT, "swagger-ui-dist")]));
  add(
    "release.json",
    `${JSON.stringify({ name, version: pkg.version, schema_version: schema, platform: PLATFORM, node: pkg.engines.node, built_at: now.toISOString(), commit: gitCommit() }, null, 2)}\n`,
  );

  const listed = [...files].map(([path, f]) => ({ path, data: f.data }));
  const sums = new TextEncoder().encode(formatSums(listed));
  add(SUMS, sums);
  add(SIG, new Uint8Array(signSums(sums, key)));

  const dirs = new Set<string>([name]);
  for (const path of files.keys()) {
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) dirs.add(`${name}/${parts.slice(0, i).join("/")}`);
  }
  const entries: TarEntry[] = [
    ...[...dirs].map((d) => ({ path: d, type: "dir" as const, mode: 0o755, data: new Uint8Array() })),
    ...[...files].map(([path, f]) => ({ path: `${name}/${path}`, type: "file" as const, mode: f.mode, data: f.data })),
  ].sort((a, b) => (a.path < b.path ? -1 : 1));
  const archive = gzipSync(writeTar(entries, Math.floor(now.getTime() / 1000)), { level: 9 });

  await mkdir(opts.out, { recursive: true });
  const archivePath = join(opts.out, `${name}.tar.gz`);
  const verifierPath = join(opts.out, "verify-release.mjs");
  await writeFile(archivePath, archive);
  await writeFile(verifierPath, verifier.code, { mode: 0o755 });
  return { archive: archivePath, verifier: verifierPath, name, bytes: archive.length, sha256: sha256(archive), files: listed.length, keyId: keyId(key) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  let args;
  try {
    args = parseArgs({ options: { out: { type: "string" }, key: { type: "string" } } });
  } catch (e) {
    fail((e as Error).message);
  }
  const keySource = await signingKeySource(args.values.key);
  const built = await buildRelease({ out: args.values.out ?? join(ROOT, "dist"), keySource }).catch((e: Error) => {
    console.error(`release: ${e.message}`);
    process.exit(1);
  });
  console.log(`${built.archive}: ${(built.bytes / 1024 / 1024).toFixed(1)} MiB, ${built.files} files, sha256 ${built.sha256}`);
  console.log(`signed by release key ${built.keyId}; standalone verifier: ${built.verifier}`);
}
