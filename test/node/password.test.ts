import bcrypt from "bcryptjs";
import { describe, expect, it } from "vitest";
import { BCRYPT_MAX_COST, PBKDF2_DEFAULT_ITERATIONS, checkPasswordPolicy, hashPassword, verifyAgainstDummy, verifyPassword } from "../../src/identity/password.ts";
import { timingSafeEqual } from "../../src/lib/timing-safe.ts";

const PW = "correct horse battery staple";
const FAIL = { ok: false, needsRehash: false };

describe("hashPassword / verifyPassword (PBKDF2)", () => {
  it("round-trips at the default iterations in the documented format", async () => {
    const stored = await hashPassword(PW);
    expect(stored).toMatch(/^pbkdf2-sha256\$100000\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await verifyPassword(PW, stored)).toEqual({ ok: true, needsRehash: false });
  });

  it("keeps the default within the Cloudflare Workers cap", () => {
    // Production Workers throw NotSupportedError above 100,000; local workerd doesn't, so only this catches it.
    expect(PBKDF2_DEFAULT_ITERATIONS).toBeLessThanOrEqual(100_000);
  });

  it("salts every hash", async () => {
    const [a, b] = await Promise.all([hashPassword(PW, { iterations: 1000 }), hashPassword(PW, { iterations: 1000 })]);
    expect(a).not.toBe(b);
  });

  it("rejects a wrong password", async () => {
    const stored = await hashPassword(PW);
    expect(await verifyPassword(`${PW}!`, stored)).toEqual(FAIL);
    expect(await verifyPassword("", stored)).toEqual(FAIL);
  });

  it("asks for a rehash when the stored iterations are below the default, only on success", async () => {
    const stored = await hashPassword(PW, { iterations: 1000 });
    expect(stored.split("$")[1]).toBe("1000");
    expect(await verifyPassword(PW, stored)).toEqual({ ok: true, needsRehash: true });
    expect(await verifyPassword("nope nope nope", stored)).toEqual(FAIL);
  });

  it("normalises Unicode so composed and decomposed forms match", async () => {
    const composed = "caf\u00e9 au lait, s'il vous pla\u00eet";
    const stored = await hashPassword(composed, { iterations: 1000 });
    expect((await verifyPassword(composed.normalize("NFD"), stored)).ok).toBe(true);
  });

  it("refuses nonsense iteration options", async () => {
    for (const iterations of [0, -1, 1.5, Number.NaN, 10_000_001]) {
      await expect(hashPassword(PW, { iterations })).rejects.toThrow(RangeError);
    }
  });
});

describe("verifyPassword (legacy bcrypt)", () => {
  const legacy = bcrypt.hashSync(PW, 10);

  it("verifies a bcryptjs cost-10 hash and asks for a rehash", async () => {
    expect(legacy.startsWith("$2b$10$")).toBe(true);
    expect(await verifyPassword(PW, legacy)).toEqual({ ok: true, needsRehash: true });
  });

  it("accepts the $2a$ and $2y$ spellings", async () => {
    for (const prefix of ["$2a$", "$2y$"]) {
      expect(await verifyPassword(PW, prefix + legacy.slice(4))).toEqual({ ok: true, needsRehash: true });
    }
  });

  it("rejects a wrong password without asking for a rehash", async () => {
    expect(await verifyPassword("wrong password here", legacy)).toEqual(FAIL);
  });

  it("refuses a cost that would hang the server, without running it", async () => {
    const expensive = legacy.replace("$10$", "$31$");
    const t0 = performance.now();
    expect(await verifyPassword(PW, expensive)).toEqual(FAIL);
    expect(performance.now() - t0).toBeLessThan(50);
    expect(await verifyPassword(PW, legacy.replace("$10$", `$${BCRYPT_MAX_COST + 1}$`))).toEqual(FAIL);
    expect(await verifyPassword(PW, legacy.replace("$10$", "$03$"))).toEqual(FAIL);
  });
});

describe("verifyPassword on malformed input", () => {
  const salt = "AAAAAAAAAAAAAAAAAAAAAA"; // 16 zero bytes
  const hash = "A".repeat(43); // 32 zero bytes
  const cases: string[] = [
    "",
    "hunter2",
    "$2b$10$",
    `$2b$10$${"!".repeat(53)}`,
    `$2x$10$${"a".repeat(53)}`,
    "pbkdf2-sha256",
    "pbkdf2-sha256$",
    "pbkdf2-sha256$$$",
    `pbkdf2-sha256$1000$${salt}`,
    `pbkdf2-sha256$1000$${salt}$${hash}$extra`,
    `pbkdf2-sha256$abc$${salt}$${hash}`,
    `pbkdf2-sha256$0$${salt}$${hash}`,
    `pbkdf2-sha256$-5$${salt}$${hash}`,
    `pbkdf2-sha256$01000$${salt}$${hash}`,
    `pbkdf2-sha256$1e5$${salt}$${hash}`,
    `pbkdf2-sha256$ 1000$${salt}$${hash}`,
    `pbkdf2-sha256$10000001$${salt}$${hash}`, // above the guard: must not run
    `pbkdf2-sha256$9999999999999$${salt}$${hash}`,
    `pbkdf2-sha256$1000$not+base64/url=$${hash}`,
    `pbkdf2-sha256$1000$AAAA$${hash}`, // 3-byte salt
    `pbkdf2-sha256$1000$${salt}$AAAA`, // 3-byte hash
    `pbkdf2-sha256$1000$${salt}$${"A".repeat(200)}`, // 150-byte hash
    `pbkdf2-sha256$1000$A${salt}$${hash}`, // impossible base64 length
    `pbkdf2-sha512$1000$${salt}$${hash}`,
    `PBKDF2-SHA256$1000$${salt}$${hash}`,
    `argon2id$v=19$m=65536,t=3,p=4$${salt}$${hash}`,
  ];

  it.each(cases)("%j fails closed without throwing", async (stored) => {
    const t0 = performance.now();
    await expect(verifyPassword(PW, stored)).resolves.toEqual(FAIL);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it("tolerates non-string arguments from untyped callers", async () => {
    await expect(verifyPassword(PW, null as unknown as string)).resolves.toEqual(FAIL);
    await expect(verifyPassword(undefined as unknown as string, await hashPassword(PW, { iterations: 1000 }))).resolves.toEqual(FAIL);
  });

  it("runs a well-formed hash with a zero digest and simply fails", async () => {
    await expect(verifyPassword(PW, `pbkdf2-sha256$1000$${salt}$${hash}`)).resolves.toEqual(FAIL);
  });
});

describe("verifyAgainstDummy", () => {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

  it("always fails and costs about as much as a real wrong-password check", async () => {
    const stored = await hashPassword(PW);
    await verifyAgainstDummy(PW); // warm up, and build the lazy dummy hash
    const real: number[] = [];
    const dummy: number[] = [];
    for (let i = 0; i < 5; i++) {
      let t = performance.now();
      await verifyPassword("wrong password here", stored);
      real.push(performance.now() - t);
      t = performance.now();
      expect(await verifyAgainstDummy(PW)).toEqual(FAIL);
      dummy.push(performance.now() - t);
    }
    // Loose bounds: the point is that the dummy does the full PBKDF2 work, not a shortcut.
    expect(median(dummy)).toBeGreaterThan(median(real) * 0.3);
    expect(median(dummy)).toBeLessThan(median(real) * 3);
  });
});

describe("checkPasswordPolicy", () => {
  it("accepts a 12-character password", () => {
    expect(checkPasswordPolicy("abcdefghijkl")).toEqual([]);
  });

  it("rejects fewer than 12 characters", () => {
    expect(checkPasswordPolicy("abcdefghijk")).toHaveLength(1);
    expect(checkPasswordPolicy("")).toHaveLength(1);
  });

  it("counts code points, not UTF-16 units", () => {
    const eleven = "🔑".repeat(11); // 22 UTF-16 units, 11 characters
    expect(eleven.length).toBe(22);
    expect(checkPasswordPolicy(eleven)[0]).toMatch(/at least 12/);
    expect(checkPasswordPolicy("🔑".repeat(12))).toEqual([]);
  });

  it("rejects more than 1024 bytes of UTF-8", () => {
    expect(checkPasswordPolicy("a".repeat(1024))).toEqual([]);
    expect(checkPasswordPolicy("é".repeat(513))[0]).toMatch(/at most 1024 bytes/); // 1026 bytes, 513 chars
  });

  it("rejects the email address itself, case-insensitively", () => {
    expect(checkPasswordPolicy("Alice.Liddell@Example.org", "alice.liddell@example.org")[0]).toMatch(/email/);
    expect(checkPasswordPolicy("alice.liddell@example.org", "Alice.Liddell@EXAMPLE.org")).toHaveLength(1);
  });

  it("rejects the email's local part", () => {
    expect(checkPasswordPolicy("CorrectHorse", "correcthorse@example.org")).toHaveLength(1);
    expect(checkPasswordPolicy("CorrectHorse1", "correcthorse@example.org")).toEqual([]);
  });

  it("reports every problem at once", () => {
    expect(checkPasswordPolicy("bob", "bob@example.org")).toHaveLength(2);
  });

  it("ignores a missing or empty email", () => {
    expect(checkPasswordPolicy("abcdefghijkl", "")).toEqual([]);
    expect(checkPasswordPolicy("abcdefghijkl", undefined)).toEqual([]);
  });
});

describe("timingSafeEqual", () => {
  const bytes = (...xs: number[]) => new Uint8Array(xs);

  it("is true for equal contents", () => {
    expect(timingSafeEqual(bytes(1, 2, 3), bytes(1, 2, 3))).toBe(true);
    expect(timingSafeEqual(bytes(), bytes())).toBe(true);
  });

  it("is false for any differing byte, first or last", () => {
    expect(timingSafeEqual(bytes(0, 2, 3), bytes(1, 2, 3))).toBe(false);
    expect(timingSafeEqual(bytes(1, 2, 3), bytes(1, 2, 4))).toBe(false);
    expect(timingSafeEqual(bytes(255), bytes(127))).toBe(false);
  });

  it("is false for different lengths, including a prefix and zero padding", () => {
    expect(timingSafeEqual(bytes(1, 2), bytes(1, 2, 3))).toBe(false);
    expect(timingSafeEqual(bytes(1, 2, 0), bytes(1, 2))).toBe(false);
    expect(timingSafeEqual(bytes(), bytes(0))).toBe(false);
  });

  it("compares views by their contents, not their backing buffers", () => {
    const buf = new Uint8Array([9, 1, 2, 3, 9]);
    expect(timingSafeEqual(buf.subarray(1, 4), bytes(1, 2, 3))).toBe(true);
  });
});
