// Server-side request forgery guard for webhook targets on Node/Deno: a user's URL must not reach
// the operator's own network. Every address the host resolves to is checked (any private one
// refuses the target). The fetch resolves the name again, so a rebinding DNS server could still
// race this check; workerd needs none of it (Cloudflare refuses private targets itself).
import type { Services } from "../services.ts";

function v4(a: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(a);
  if (!m) return null;
  const p = m.slice(1).map(Number);
  return p.every((x) => x <= 255) ? p : null;
}

function privateV4([a, b]: number[]): boolean {
  return (
    a === 0 || a === 10 || a === 127 || a >= 224 || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)
  );
}

/** Loopback, private, link-local, carrier-grade NAT, unspecified, multicast and reserved addresses, v4 and v6. */
export function isPrivateAddress(address: string): boolean {
  const ip = address.replace(/^\[|\]$/g, "").toLowerCase();
  const four = v4(ip);
  if (four) return privateV4(four);
  if (!ip.includes(":")) return true; // not an address we understand: refuse
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (mapped) return isPrivateAddress(mapped[1]);
  if (ip === "::" || ip === "::1") return true;
  const first = Number.parseInt(ip.split(":")[0] || "0", 16);
  return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80 || (first & 0xff00) === 0xff00;
}

/** Why `url` may not be called from here, or null when it may. */
export async function refusedTarget(s: Services, url: URL): Promise<string | null> {
  if (s.config.webhooks.allowPrivate || !s.runtime.resolveHost) return null;
  const host = url.hostname.replace(/^\[|\]$/g, "");
  let addresses: string[];
  try {
    addresses = v4(host) || host.includes(":") ? [host] : await s.runtime.resolveHost(host);
  } catch (e) {
    return `could not resolve ${host}: ${(e as Error)?.message ?? e}`;
  }
  const bad = addresses.find(isPrivateAddress);
  return bad ? `refused: ${host} is a private, loopback or link-local address (${bad}); see AIRLOCK_WEBHOOKS_ALLOW_PRIVATE` : addresses.length ? null : `could not resolve ${host}`;
}
