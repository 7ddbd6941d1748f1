// What the courier endpoints send and answer (/v1/transfer/outbox, /v1/transfer/inbox): the
// listing's items and the inbox's verdicts, checked field by field, and the digest checks a
// download must pass before its bytes are trusted.
import { base64, toHex } from "../../lib/crypto.ts";
import { sha256Hex } from "../batch/hash.ts";
import { FerryError } from "./errors.ts";

export interface OutboxItem {
  id: string;
  sequence: number;
  file_name: string;
  records: number;
  bytes: number;
  /** Lowercase hex. */
  sha256: string;
  created_at?: string;
  expires_at?: string;
  acknowledged: boolean;
  acknowledged_at?: string | null;
}

export type InboxOutcome = "applied" | "replay" | "held" | "quarantined";
export const INBOX_OUTCOMES: readonly InboxOutcome[] = ["applied", "replay", "held", "quarantined"];

export interface InboxResult {
  id: string | null;
  sequence: number | null;
  outcome: InboxOutcome;
  reason?: string;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

export function parseOutboxItem(raw: unknown): OutboxItem {
  const bad = (why: string) => new FerryError("protocol", `the outbox listing has an invalid item: ${why}`);
  if (!isObject(raw)) throw bad("not an object");
  const id = typeof raw.id === "number" ? String(raw.id) : raw.id;
  if (typeof id !== "string" || id === "") throw bad("id is missing");
  const { sequence, bytes, records, file_name: fileName, sha256 } = raw;
  if (typeof sequence !== "number" || !Number.isSafeInteger(sequence) || sequence < 1) throw bad(`${id}: sequence is not a positive integer`);
  if (typeof bytes !== "number" || !Number.isSafeInteger(bytes) || bytes < 0) throw bad(`${id}: bytes is not a size`);
  if (typeof fileName !== "string" || fileName === "") throw bad(`${id}: file_name is missing`);
  if (typeof sha256 !== "string" || !/^[0-9a-fA-F]{64}$/.test(sha256)) throw bad(`${id}: sha256 is not 64 hex characters`);
  return {
    id,
    sequence,
    file_name: fileName,
    records: typeof records === "number" ? records : 0,
    bytes,
    sha256: sha256.toLowerCase(),
    created_at: typeof raw.created_at === "string" ? raw.created_at : undefined,
    expires_at: typeof raw.expires_at === "string" ? raw.expires_at : undefined,
    acknowledged: raw.acknowledged === true,
    acknowledged_at: typeof raw.acknowledged_at === "string" ? raw.acknowledged_at : null,
  };
}

export function parseInboxResult(body: unknown): InboxResult {
  if (!isObject(body)) throw new FerryError("protocol", "the inbox answer is not a JSON object");
  const outcome = body.outcome;
  if (typeof outcome !== "string" || !(INBOX_OUTCOMES as readonly string[]).includes(outcome)) {
    throw new FerryError("protocol", `the inbox answer has no known outcome (got ${JSON.stringify(outcome)})`);
  }
  return {
    id: typeof body.id === "string" || typeof body.id === "number" ? String(body.id) : null,
    sequence: typeof body.sequence === "number" ? body.sequence : null,
    outcome: outcome as InboxOutcome,
    ...(typeof body.reason === "string" && { reason: body.reason }),
  };
}

/** Checks the bytes against the listing's sha256, the Digest (or Repr-/Content-Digest) header (required) and a SHA-256 ETag. */
export async function checkDigests(bytes: Uint8Array, item: OutboxItem, headers: Headers): Promise<void> {
  const raw = await sha256Bytes(bytes);
  const hex = toHex(raw);
  const b64 = base64(raw);
  const mismatch = (what: string, claimed: string) =>
    new FerryError("integrity", `the downloaded bytes' SHA-256 is ${hex}, but ${what} says ${claimed}`, { code: "digest_mismatch" });
  if (hex !== item.sha256) throw mismatch("the outbox listing", item.sha256);

  const claims: Array<{ header: string; value: string }> = [];
  const legacy = headers.get("digest");
  if (legacy) {
    for (const part of legacy.split(",")) {
      const m = /^\s*sha-256\s*=\s*(\S+?)\s*$/i.exec(part);
      if (m) claims.push({ header: "Digest", value: m[1] });
    }
  }
  for (const name of ["repr-digest", "content-digest"]) {
    const v = headers.get(name);
    if (!v) continue;
    for (const part of v.split(",")) {
      const m = /^\s*sha-256\s*=\s*:([^:]*):\s*$/i.exec(part);
      if (m) claims.push({ header: name === "repr-digest" ? "Repr-Digest" : "Content-Digest", value: m[1] });
    }
  }
  if (claims.length === 0) throw new FerryError("integrity", "the download has no Digest: sha-256=… header to check it against", { code: "missing_digest" });
  for (const c of claims) if (normalizeB64(c.value) !== normalizeB64(b64)) throw mismatch(`the ${c.header} header`, c.value);

  const etag = headers.get("etag");
  const m = etag ? /^(?:W\/)?"?([0-9a-fA-F]{64})"?$/.exec(etag.trim()) : null;
  if (m && m[1].toLowerCase() !== hex) throw mismatch("the ETag", m[1]);

  const seq = headers.get("x-airlock-batch-sequence");
  if (seq !== null && Number(seq) !== item.sequence) {
    throw new FerryError("integrity", `the download is sequence ${seq}, the listing says ${item.sequence}`, { code: "sequence_mismatch" });
  }
}

const normalizeB64 = (s: string) => s.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");

export async function sha256Bytes(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
}

/** SHA-256 hex of a file, as listed by an outbox. */
export const fileSha256 = (bytes: Uint8Array) => sha256Hex(bytes);
