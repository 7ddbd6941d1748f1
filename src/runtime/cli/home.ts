// Where the `airlock` entry point runs from: an unpacked release (lib/airlock.mjs beside
// release.json, migrations/ and lib/swagger-ui/) or the repository (src/runtime/cli/, through tsx).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { onPremFiles } from "../node/files.ts";

export interface ReleaseInfo {
  name: string;
  version: string;
  schema_version: string;
  platform: string;
  node: string;
  built_at: string;
  commit: string | null;
}

export interface Home {
  root: string;
  release: ReleaseInfo | null;
}

/** Finds the release around the running bundle, if any, and points the runtime's files into it. */
export function findHome(): Home {
  const root = fileURLToPath(new URL("../", import.meta.url));
  const file = join(root, "release.json");
  if (!existsSync(file)) return { root: fileURLToPath(new URL("../../../", import.meta.url)), release: null };
  const release = JSON.parse(readFileSync(file, "utf8")) as ReleaseInfo;
  onPremFiles.migrations = join(root, "migrations");
  onPremFiles.docsAssets = join(root, "lib", "swagger-ui");
  return { root, release };
}
