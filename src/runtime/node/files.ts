// The files Node and Deno read at run time: the migrations (libSQL applies the SQL files wrangler
// applies on D1) and the API docs' static files. The repository's by default; a release's entry
// point (src/runtime/cli/home.ts) points them into the unpacked release.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Migration } from "../../deps/db/migrate.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** Files read at run time: the repository's by default; a release's entry point points them into the unpacked release. */
export const onPremFiles = { migrations: join(ROOT, "migrations"), docsAssets: join(ROOT, "node_modules", "swagger-ui-dist") };

/** The SQL files wrangler applies on D1, read from disk for libSQL. */
export async function readMigrations(dir = onPremFiles.migrations): Promise<Migration[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith(".sql")).sort();
  return Promise.all(names.map(async (name) => ({ name, sql: await readFile(join(dir, name), "utf8") })));
}

const DOCS_FILES: Record<string, string> = {
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "swagger-ui.css": "text/css; charset=utf-8",
};

/** The enclave has no internet: the docs' static files come from node_modules (or the release's lib/swagger-ui/). */
export async function docsAsset(file: string): Promise<Response | null> {
  const type = DOCS_FILES[file];
  if (!type) return null;
  const body = await readFile(join(onPremFiles.docsAssets, file));
  return new Response(body, { headers: { "content-type": type, "cache-control": "public, max-age=86400" } });
}
