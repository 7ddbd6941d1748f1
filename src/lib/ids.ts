// Time-sortable ids (ULID layout: 48-bit ms time + 80 random bits, Crockford base32)
// with a type prefix, so ids sort by creation and cursors can use them.
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

export function ulid(now = Date.now()): string {
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const rand = crypto.getRandomValues(new Uint8Array(16));
  let r = "";
  for (let i = 0; i < 16; i++) r += ALPHABET[rand[i] % 32];
  return time + r;
}

export const newId = (prefix: "usr" | "key" | "req" | "aud" | "rt" | "fam" | "rcv" | "rpt" | "dlt" | "whk", now?: number) => `${prefix}_${ulid(now)}`;
