import { applyD1Migrations, env } from "cloudflare:test";

// The same SQL files `wrangler d1 migrations apply` uses, applied to this test's D1.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
