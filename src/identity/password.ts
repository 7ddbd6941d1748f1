/**
 * Password hashing that runs unchanged on workerd, Node and Deno.
 *
 * Scheme: PBKDF2-HMAC-SHA256 through WebCrypto, the only password KDF every
 * target runtime ships natively (no WASM, no native addon). Stored format is
 * self-describing so parameters can change without a migration:
 *
 *   pbkdf2-sha256$<iterations>$<salt base64url>$<hash base64url>
 *
 * The default of 100,000 iterations is the ceiling of Cloudflare Workers in
 * production: deriveBits above it throws `NotSupportedError: Pbkdf2 failed:
 * iteration counts above 100000 are not supported`. Local workerd (wrangler
 * dev, miniflare) does NOT enforce that cap, so a higher count passes every
 * local test and then fails every login in production. Keep the default at
 * or below 100,000 unless the deployment target changes. See
 * docs/benchmarks.md for the measured cost.
 *
 * Legacy bcrypt hashes ($2a$/$2b$/$2y$) from the old system still verify, via
 * bcryptjs (pure JS; compare needs no random source), and report needsRehash
 * so the caller can upgrade them on the next successful login.
 */
import bcrypt from "bcryptjs";
import { timingSafeEqual } from "../lib/timing-safe.ts";

export const PBKDF2_DEFAULT_ITERATIONS = 100_000;
/** Refuse stored counts above this so a corrupt or hostile row can't pin a CPU. */
export const PBKDF2_MAX_ITERATIONS = 10_000_000;
/** bcrypt cost 15 is ~2–4 s in pure JS; anything higher is treated as corrupt. */
export const BCRYPT_MAX_COST = 14;

const SCHEME = "pbkdf2-sha256";
const SALT_BYTES = 16;
const KEY_BYTES = 32;
// Accepted range when reading stored hashes; we always write SALT_BYTES/KEY_BYTES.
const MIN_STORED_BYTES = 16;
const MAX_STORED_SALT_BYTES = 1024;
const MAX_STORED_KEY_BYTES = 64;

export const MIN_PASSWORD_CODE_POINTS = 12;
const MAX_PASSWORD_BYTES = 1024;

const BCRYPT_RE = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;
const B64URL_RE = /^[A-Za-z0-9_-]+$/;
const ITERATIONS_RE = /^[1-9][0-9]{0,9}$/;

export interface VerifyResult {
  ok: boolean;
  /** Only ever true together with ok: rehashing on a failed login would store the wrong password. */
  needsRehash: boolean;
}

const FAIL: VerifyResult = Object.freeze({ ok: false, needsRehash: false });
const encoder = new TextEncoder();

export async function hashPassword(password: string, opts?: { iterations?: number }): Promise<string> {
  const iterations = opts?.iterations ?? PBKDF2_DEFAULT_ITERATIONS;
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > PBKDF2_MAX_ITERATIONS) {
    throw new RangeError(`iterations must be an integer in 1..${PBKDF2_MAX_ITERATIONS}`);
  }
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await pbkdf2(password, salt, iterations, KEY_BYTES);
  return `${SCHEME}$${iterations}$${toBase64Url(salt)}$${toBase64Url(hash)}`;
}

/**
 * Never throws for an unknown or malformed `stored` value: that is a failed
 * login. Runtime errors from a well-formed hash still propagate (e.g. a hash
 * written on Node with >100k iterations, verified on Cloudflare) so they show
 * up as a 500 in the logs instead of masquerading as "wrong password".
 */
export async function verifyPassword(password: string, stored: string): Promise<VerifyResult> {
  if (typeof password !== "string" || typeof stored !== "string") return FAIL;
  if (stored.startsWith(`${SCHEME}$`)) return verifyPbkdf2(password, stored);
  if (BCRYPT_RE.test(stored)) return verifyBcrypt(password, stored);
  return FAIL;
}

/**
 * For a login whose email matches no user: does the same PBKDF2 work as a
 * wrong password against a real default-cost hash, so response time doesn't
 * reveal which emails exist. Always fails.
 */
export async function verifyAgainstDummy(password: string): Promise<VerifyResult> {
  await verifyPassword(typeof password === "string" ? password : "", getDummyHash());
  return FAIL;
}

/** Human-readable problems with a new password; an empty list means acceptable. */
export function checkPasswordPolicy(password: string, email?: string): string[] {
  const problems: string[] = [];
  // Code points, not UTF-16 units: "🔑" is one character to the user, two units to JS.
  if ([...password].length < MIN_PASSWORD_CODE_POINTS) {
    problems.push(`Password must be at least ${MIN_PASSWORD_CODE_POINTS} characters long.`);
  }
  if (encoder.encode(password).length > MAX_PASSWORD_BYTES) {
    problems.push(`Password must be at most ${MAX_PASSWORD_BYTES} bytes long.`);
  }
  const addr = email?.trim().toLowerCase();
  if (addr) {
    const pw = password.trim().toLowerCase();
    const at = addr.lastIndexOf("@");
    const local = at > 0 ? addr.slice(0, at) : "";
    if (pw === addr || (local !== "" && pw === local)) {
      problems.push("Password must not be your email address or its part before the @.");
    }
  }
  return problems;
}

async function verifyPbkdf2(password: string, stored: string): Promise<VerifyResult> {
  const parts = stored.split("$");
  if (parts.length !== 4) return FAIL;
  const [, iterText, saltText, hashText] = parts;
  if (!ITERATIONS_RE.test(iterText)) return FAIL;
  const iterations = Number(iterText);
  if (iterations > PBKDF2_MAX_ITERATIONS) return FAIL;
  const salt = fromBase64Url(saltText);
  const expected = fromBase64Url(hashText);
  if (!salt || salt.length < MIN_STORED_BYTES || salt.length > MAX_STORED_SALT_BYTES) return FAIL;
  if (!expected || expected.length < MIN_STORED_BYTES || expected.length > MAX_STORED_KEY_BYTES) return FAIL;

  const actual = await pbkdf2(password, salt, iterations, expected.length);
  const ok = timingSafeEqual(actual, expected);
  const weak = iterations < PBKDF2_DEFAULT_ITERATIONS || salt.length < SALT_BYTES || expected.length < KEY_BYTES;
  return { ok, needsRehash: ok && weak };
}

async function verifyBcrypt(password: string, stored: string): Promise<VerifyResult> {
  const cost = Number(BCRYPT_RE.exec(stored)?.[1]);
  if (!(cost >= 4 && cost <= BCRYPT_MAX_COST)) return FAIL;
  try {
    const ok = await bcrypt.compare(password, stored);
    return { ok, needsRehash: ok };
  } catch {
    return FAIL; // bcryptjs rejects e.g. a bad salt alphabet: a malformed row, not a server error
  }
}

async function pbkdf2(password: string, salt: Uint8Array<ArrayBuffer>, iterations: number, bytes: number): Promise<Uint8Array> {
  // NFC so the same password typed on different OSes/keyboards hashes the same.
  const key = await crypto.subtle.importKey("raw", encoder.encode(password.normalize("NFC")), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, bytes * 8);
  return new Uint8Array(bits);
}

function toBase64Url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!B64URL_RE.test(text) || text.length % 4 === 1) return null;
  try {
    const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

// Random salt and digest: no password can match it, but verifying against it
// walks exactly the code path (and cost) of a real default-iteration hash.
// Built lazily: workerd forbids generating random values at global scope.
let dummyHash: string | undefined;
function getDummyHash(): string {
  dummyHash ??= `${SCHEME}$${PBKDF2_DEFAULT_ITERATIONS}$${toBase64Url(
    crypto.getRandomValues(new Uint8Array(SALT_BYTES)),
  )}$${toBase64Url(crypto.getRandomValues(new Uint8Array(KEY_BYTES)))}`;
  return dummyHash;
}
