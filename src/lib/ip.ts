/**
 * The address a per-client limit counts: an IPv4 address as it is, an IPv6 address by its
 * network prefix (`prefix` bits, e.g. 64). Whoever holds a /64 holds 2^64 addresses; counting
 * each alone would give them a fresh bucket per address. IPv4-mapped IPv6 (::ffff:a.b.c.d)
 * counts as the IPv4 address. Anything that does not parse is counted as given (bounded).
 */
export function clientBucket(ip: string, prefix: number): string {
  const bare = ip
    .trim()
    .replace(/^\[|\]$/g, "")
    .replace(/%.*$/, "");
  if (!bare.includes(":")) return bare.slice(0, 64);
  const groups = ipv6Groups(bare);
  if (!groups) return bare.slice(0, 64);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `${groups[6] >> 8}.${groups[6] & 255}.${groups[7] >> 8}.${groups[7] & 255}`;
  const masked = groups.map((g, i) => {
    const bits = Math.min(16, Math.max(0, prefix - i * 16));
    return bits === 0 ? 0 : g & ((0xffff << (16 - bits)) & 0xffff);
  });
  return `${masked.map((g) => g.toString(16)).join(":")}/${prefix}`;
}

function ipv4Octets(addr: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(addr);
  const o = m?.slice(1).map(Number);
  return o?.every((x) => x <= 255) ? o : null;
}

function privateV4([a, b]: number[]): boolean {
  return (
    a === 0 || a === 10 || a === 127 || a >= 224 || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)
  );
}

/**
 * Loopback, private, link-local, carrier-grade NAT, unspecified, multicast and reserved addresses,
 * v4 and v6 (an IPv4-mapped IPv6 address, in either spelling, by its IPv4 part). Anything that
 * does not parse as an address counts as private: refused, not guessed at.
 */
export function isPrivateAddress(address: string): boolean {
  const ip = address.replace(/^\[|\]$/g, "").toLowerCase();
  const four = ipv4Octets(ip);
  if (four) return privateV4(four);
  const g = ip.includes(":") ? ipv6Groups(ip) : null;
  if (!g) return true;
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return privateV4([g[6] >> 8, g[6] & 255, g[7] >> 8, g[7] & 255]);
  if (g.slice(0, 7).every((x) => x === 0) && g[7] <= 1) return true; // :: and ::1
  return (g[0] & 0xfe00) === 0xfc00 || (g[0] & 0xffc0) === 0xfe80 || (g[0] & 0xff00) === 0xff00;
}

/** The eight 16-bit groups of an IPv6 address (with `::` and a dotted IPv4 tail), or null. */
function ipv6Groups(addr: string): number[] | null {
  if (addr.length > 45) return null;
  let text = addr;
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const o = v4.slice(1).map(Number);
    if (o.some((x) => x > 255)) return null;
    text = `${text.slice(0, v4.index)}${((o[0] << 8) | o[1]).toString(16)}:${((o[2] << 8) | o[3]).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const parse = (s: string) => (s === "" ? [] : s.split(":").map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN)));
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  const missing = 8 - head.length - rest.length;
  if ([...head, ...rest].some(Number.isNaN) || missing < 0 || (halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) return null;
  return [...head, ...Array(halves.length === 2 ? missing : 0).fill(0), ...rest];
}
