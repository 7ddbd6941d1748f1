// Standard Webhooks signatures (docs/webhooks.md): HMAC-SHA256 over
// `${id}.${timestamp}.${body}` with the secret's bytes, sent as `v1,<base64>`. WebCrypto only,
// so workerd, Node and Deno sign alike.
import { base64 } from "../lib/crypto.ts";

const enc = new TextEncoder();
export const SECRET_PREFIX = "whsec_";

/** A new endpoint secret: 24 random bytes, base64, with the prefix receivers' libraries expect. */
export function newSecret(): string {
  return `${SECRET_PREFIX}${base64(crypto.getRandomValues(new Uint8Array(24)))}`;
}

function secretBytes(secret: string): Uint8Array<ArrayBuffer> {
  const b = atob(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret);
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = b.charCodeAt(i);
  return out;
}

/** The `webhook-signature` value for one attempt. */
export async function sign(secret: string, id: string, timestamp: number, body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", secretBytes(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(`${id}.${timestamp}.${body}`)));
  return `v1,${base64(mac)}`;
}
