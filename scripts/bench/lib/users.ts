/** The i-th user record of the transfer benches: ~350 bytes, as a real account looks. */
export function user(i: number) {
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, i % 60)).toISOString();
  return {
    id: `usr_BENCH${String(i).padStart(21, "0")}`,
    email: `u${i}@example.com`,
    emailNormalized: `u${i}@example.com`,
    name: `User ${i}`,
    role: "user",
    status: "active",
    passwordHash: `pbkdf2-sha256$100000$${"A".repeat(22)}$${"B".repeat(43)}`,
    rateLimits: null,
    version: 1,
    createdAt: at,
    updatedAt: at,
  };
}
