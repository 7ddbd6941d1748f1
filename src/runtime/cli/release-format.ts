// The release artifact's format: a gzip'd ustar archive with one top folder, a SHA256SUMS file
// listing every other file, and SHA256SUMS.sig, a raw Ed25519 signature over SHA256SUMS (the
// same bytes `openssl pkeyutl -verify -rawin` checks). Node built-ins only: the standalone
// verifier is this file and verify-release.ts bundled, and runs where nothing can be installed.
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";

export const SUMS = "SHA256SUMS";
export const SIG = "SHA256SUMS.sig";
const BLOCK = 512;

export interface TarEntry {
  path: string;
  type: "file" | "dir";
  mode: number;
  data: Uint8Array;
}

export const sha256 = (data: Uint8Array | string) => createHash("sha256").update(data).digest("hex");

function octal(buf: Buffer, offset: number, length: number, value: number): void {
  buf.write(`${value.toString(8).padStart(length - 1, "0")}\0`, offset, length, "ascii");
}

/** A ustar archive (uncompressed) of the entries, in the order given. */
export function writeTar(entries: TarEntry[], mtime: number): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const path = e.type === "dir" && !e.path.endsWith("/") ? `${e.path}/` : e.path;
    let name = path;
    let prefix = "";
    if (Buffer.byteLength(name) > 100) {
      const cut = path.lastIndexOf("/", path.length - 2);
      prefix = path.slice(0, cut);
      name = path.slice(cut + 1);
      if (cut < 0 || Buffer.byteLength(name) > 100 || Buffer.byteLength(prefix) > 155) throw new Error(`path too long for ustar: ${path}`);
    }
    const h = Buffer.alloc(BLOCK);
    h.write(name, 0, 100, "utf8");
    octal(h, 100, 8, e.mode);
    octal(h, 108, 8, 0);
    octal(h, 116, 8, 0);
    octal(h, 124, 12, e.type === "file" ? e.data.length : 0);
    octal(h, 136, 12, mtime);
    h.fill(" ", 148, 156);
    h.write(e.type === "file" ? "0" : "5", 156, 1, "ascii");
    h.write("ustar\0", 257, 6, "ascii");
    h.write("00", 263, 2, "ascii");
    h.write("root", 265, 32, "ascii");
    h.write("root", 297, 32, "ascii");
    h.write(prefix, 345, 155, "utf8");
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "ascii");
    parts.push(h);
    if (e.type === "file") {
      parts.push(Buffer.from(e.data));
      const pad = (BLOCK - (e.data.length % BLOCK)) % BLOCK;
      if (pad) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

const text = (buf: Buffer, offset: number, length: number) => {
  const raw = buf.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? length : end).toString("utf8");
};

/** Reads a ustar archive; anything but plain files and folders (links, devices, pax headers) is an error. */
export function readTar(tar: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let at = 0;
  while (at + BLOCK <= tar.length) {
    const h = tar.subarray(at, at + BLOCK);
    if (h.every((b) => b === 0)) return entries;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
    if (parseInt(text(h, 148, 8).trim(), 8) !== sum) throw new Error(`damaged archive: bad header checksum at byte ${at}`);
    const name = text(h, 0, 100);
    const prefix = text(h, 345, 155);
    const path = (prefix ? `${prefix}/${name}` : name).replace(/\/$/, "");
    const size = parseInt(text(h, 124, 12).trim() || "0", 8);
    const flag = text(h, 156, 1) || "0";
    const mode = parseInt(text(h, 100, 8).trim() || "0", 8);
    if (flag !== "0" && flag !== "5") throw new Error(`unexpected archive entry ${JSON.stringify(path)} (type ${JSON.stringify(flag)}): a release holds only files and folders`);
    at += BLOCK;
    if (at + size > tar.length) throw new Error(`damaged archive: ${path} is cut short`);
    entries.push({ path, type: flag === "5" ? "dir" : "file", mode, data: tar.subarray(at, at + size) });
    at += Math.ceil(size / BLOCK) * BLOCK;
  }
  throw new Error("damaged archive: no end-of-archive marker (the file is cut short)");
}

/** A release path must stay inside its folder: relative, no "..", no empty or odd segments. */
export function safeRelativePath(path: string): boolean {
  return path.length > 0 && !path.startsWith("/") && path.split("/").every((s) => s !== "" && s !== "." && s !== ".." && !s.includes("\\") && !/[\0\n\r]/.test(s));
}

/** `sha256sum` format, sorted by path, so `sha256sum -c SHA256SUMS` checks it too. */
export function formatSums(files: Array<{ path: string; data: Uint8Array }>): string {
  return [...files]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((f) => `${sha256(f.data)}  ${f.path}\n`)
    .join("");
}

export function parseSums(sums: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [i, line] of sums.split("\n").entries()) {
    if (line === "") continue;
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!m || !safeRelativePath(m[2]!)) throw new Error(`${SUMS} line ${i + 1} is not "<sha256>  <path>"`);
    if (out.has(m[2]!)) throw new Error(`${SUMS} lists ${m[2]} twice`);
    out.set(m[2]!, m[1]!);
  }
  return out;
}

/** A key given as an Ed25519 JWK (JSON) or PEM. */
function keyObject(source: string, kind: "private" | "public"): KeyObject {
  const trimmed = source.trim();
  let key: KeyObject;
  if (trimmed.startsWith("{")) {
    const jwk = JSON.parse(trimmed) as Record<string, unknown>;
    if (kind === "private" && typeof jwk.d !== "string") throw new Error("the release signing key is a public key: give the private one");
    const { kty, crv, x, d } = jwk;
    const clean = kind === "private" ? { kty, crv, x, d } : { kty, crv, x };
    key = kind === "private" ? createPrivateKey({ key: clean as never, format: "jwk" }) : createPublicKey({ key: clean as never, format: "jwk" });
  } else {
    key = kind === "private" ? createPrivateKey(trimmed) : createPublicKey(trimmed);
  }
  if (key.asymmetricKeyType !== "ed25519") throw new Error(`the release key must be Ed25519, got ${key.asymmetricKeyType}`);
  return key;
}

export const privateKey = (source: string) => keyObject(source, "private");
export const publicKey = (source: string) => keyObject(source, "public");

/** RFC 7638 thumbprint: the same "key id" scripts/keygen.ts prints for a key pair. */
export function keyId(key: KeyObject): string {
  const jwk = (key.type === "public" ? key : createPublicKey(key)).export({ format: "jwk" });
  return createHash("sha256")
    .update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x }))
    .digest("base64url");
}

export const signSums = (sums: Uint8Array, key: KeyObject) => sign(null, sums, key);
export const verifySums = (sums: Uint8Array, sig: Uint8Array, key: KeyObject) => sig.length === 64 && verify(null, sums, key, sig);
