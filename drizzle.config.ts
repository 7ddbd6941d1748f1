import { defineConfig } from "drizzle-kit";

// `npm run db:generate` writes SQL to migrations/; the same files are applied by
// `wrangler d1 migrations apply` on D1 and by src/deps/db/migrate.ts on libSQL.
export default defineConfig({
  dialect: "sqlite",
  schema: "./schema/index.ts",
  out: "./migrations",
});
