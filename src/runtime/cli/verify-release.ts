// `airlock verify-release` and the standalone scripts/release-verify.ts: checks an unpacked or a
// packed (.tar.gz) release offline against the publisher's release public key. Node built-ins only.
import { lstat, readdir, readFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { parseOptions } from "./args.ts";
import { keyId, parseSums, publicKey, readTar, safeRelativePath, SIG, SUMS, sha256, verifySums } from "./release-format.ts";

export interface VerifyResult {
  ok: boolean;
  release: string;
  files: number;
  key_id: string;
  problems: string[];
}

type Files = Map<string, Uint8Array>;

async function walk(root: string, rel = "", out: Files = new Map(), problems: string[] = []): Promise<{ files: Files; problems: string[] }> {
  for (const name of (await readdir(join(root, rel))).sort()) {
    const path = rel ? `${rel}/${name}` : name;
    const st = await lstat(join(root, path));
    if (st.isDirectory()) await walk(root, path, out, problems);
    else if (st.isFile()) out.set(path, new Uint8Array(await readFile(join(root, path))));
    else problems.push(`${path}: not a regular file (a release holds only files and folders)`);
  }
  return { files: out, problems };
}

/** The files of a .tar.gz release, relative to its one top folder. */
function unpack(archive: Buffer): { top: string; files: Files; problems: string[] } {
  let tar: Buffer;
  try {
    tar = gunzipSync(archive);
  } catch (e) {
    throw new Error(`not a gzip file, or a damaged one: ${(e as Error).message}`);
  }
  const files: Files = new Map();
  const problems: string[] = [];
  const entries = readTar(tar);
  const top = entries[0]?.path.split("/")[0] ?? "";
  for (const e of entries) {
    if (!safeRelativePath(e.path)) {
      problems.push(`${JSON.stringify(e.path)}: unsafe path in the archive (absolute or with "..")`);
      continue;
    }
    const [head, ...rest] = e.path.split("/");
    if (head !== top) problems.push(`${e.path}: outside the release's top folder ${top}`);
    else if (e.type === "file" && rest.length === 0) problems.push(`${e.path}: a file beside the top folder`);
    else if (e.type === "file") {
      const rel = rest.join("/");
      if (files.has(rel)) problems.push(`${rel}: in the archive twice`);
      files.set(rel, e.data);
    }
  }
  return { top, files, problems };
}

export async function verifyRelease(path: string, publicKeySource: string): Promise<VerifyResult> {
  const key = publicKey(publicKeySource);
  const st = await lstat(path);
  const { top, files, problems } = st.isDirectory() ? { top: basename(resolve(path)), ...(await walk(path)) } : unpack(await readFile(path));
  const result = (extra: string[] = []): VerifyResult => {
    const all = [...problems, ...extra];
    return { ok: all.length === 0, release: top, files: [...files.keys()].filter((f) => f !== SUMS && f !== SIG).length, key_id: keyId(key), problems: all };
  };
  const sums = files.get(SUMS);
  const sig = files.get(SIG);
  if (!sums || !sig) return result([`${!sums ? SUMS : SIG} is missing: this is not a signed release`]);
  // Nothing in SHA256SUMS is trusted before its signature is.
  if (!verifySums(sums, sig, key)) return result([`${SIG} is not a valid signature of ${SUMS} by release key ${keyId(key)}: the release was changed or signed by another key`]);
  let listed: Map<string, string>;
  try {
    listed = parseSums(new TextDecoder().decode(sums));
  } catch (e) {
    return result([(e as Error).message]);
  }
  const extra: string[] = [];
  for (const [file, digest] of listed) {
    const data = files.get(file);
    if (!data) extra.push(`${file}: missing`);
    else if (sha256(data) !== digest) extra.push(`${file}: SHA-256 does not match ${SUMS} (the file was changed)`);
  }
  for (const file of files.keys()) if (file !== SUMS && file !== SIG && !listed.has(file)) extra.push(`${file}: not listed in ${SUMS} (added after signing)`);
  return result(extra);
}

const USAGE = `usage: airlock verify-release [PATH] --public-key FILE [--json]

  Checks a release offline: PATH is the .tar.gz you carried in or an unpacked release folder
  (default: the release this command belongs to). FILE is the release public key (Ed25519 JWK or
  PEM) you received from the publisher by a separate, trusted way, never one shipped in the release.
  Verifies the signature over SHA256SUMS, then every file against it; a missing, changed or
  added file, a link, or an unsafe path fails.

exit status: 0 verified; 1 not verified; 2 usage error`;

/** Returns the exit status; `self` is the unpacked release this command belongs to, if any. */
export async function verifyReleaseMain(argv: string[], self?: string): Promise<number> {
  let args;
  try {
    args = parseOptions(argv, { "public-key": { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } }, { positionals: true });
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.values.help) {
    console.log(USAGE);
    return 0;
  }
  const target = args.positionals[0] ?? self;
  const keyFile = args.values["public-key"];
  if (!target || !keyFile || args.positionals.length > 1) {
    console.error(`${!keyFile ? "missing --public-key FILE" : !target ? "missing PATH" : "give one PATH"}\n${USAGE}`);
    return 2;
  }
  let result: VerifyResult;
  try {
    result = await verifyRelease(target, await readFile(keyFile, "utf8"));
  } catch (e) {
    const message = `cannot verify ${target}: ${(e as Error).message}`;
    if (args.values.json) console.log(JSON.stringify({ ok: false, problems: [message] }));
    else console.error(message);
    return 1;
  }
  if (args.values.json) console.log(JSON.stringify(result));
  else if (result.ok) console.log(`verified ${result.release}: ${result.files} files match ${SUMS}, signed by release key ${result.key_id}`);
  else {
    const shown = result.problems.slice(0, 20);
    console.error(`NOT verified ${result.release} (release key ${result.key_id}):\n${shown.map((p) => `  - ${p}`).join("\n")}`);
    if (result.problems.length > shown.length) console.error(`  … and ${result.problems.length - shown.length} more`);
  }
  return result.ok ? 0 : 1;
}
