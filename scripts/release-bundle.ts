// esbuild for the release: one ESM file per entry point, Node built-ins the only imports left,
// and libsql's native module loaded from the release's lib/native/ instead of node_modules.
import { readFile } from "node:fs/promises";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { build, type Metafile, type Plugin } from "esbuild";

// The bundle gets a real `require` (CommonJS dependencies call it for built-ins and the native
// module) and the folder it lives in.
const BANNER = [
  "#!/usr/bin/env node",
  'import { createRequire as __airlockCreateRequire } from "node:module";',
  'import { fileURLToPath as __airlockFileURLToPath } from "node:url";',
  "const require = __airlockCreateRequire(import.meta.url);",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: this is source text for the bundle, a template literal on purpose
  "const __airlockNative = (target) => __airlockFileURLToPath(new URL(`./native/${target}.node`, import.meta.url));",
].join("\n");

// biome-ignore lint/suspicious/noTemplateCurlyInString: the libSQL source text this replaces, verbatim
const NATIVE_REQUIRE = "return require(`@libsql/${target}`);";

/** libsql picks `@libsql/<target>` at run time; the release ships those files as lib/native/<target>.node. */
const libsqlNative: Plugin = {
  name: "libsql-native",
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]libsql[\\/]index\.js$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      if (!source.includes(NATIVE_REQUIRE)) throw new Error(`libsql's loader changed (no ${NATIVE_REQUIRE} in ${args.path}): update scripts/release-bundle.ts`);
      return { contents: source.replace(NATIVE_REQUIRE, "return require(__airlockNative(target));"), loader: "js" };
    });
  },
};

export interface Bundle {
  code: Uint8Array;
  packages: string[];
}

/** Bundles one entry point. `native`: rewrite libsql's loader (the standalone verifier loads no native code). */
export async function bundle(root: string, entry: string, opts: { native: boolean }): Promise<Bundle> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    conditions: ["node"],
    write: false,
    outfile: "out.mjs",
    banner: { js: BANNER },
    // ws's optional speed-ups, required inside try/catch.
    external: ["bufferutil", "utf-8-validate"],
    legalComments: "none",
    keepNames: true,
    metafile: true,
    logLevel: "warning",
    plugins: opts.native ? [libsqlNative] : [],
  });
  const out = result.outputFiles.find((f) => f.path.endsWith(".mjs"));
  if (!out) throw new Error(`esbuild produced no output for ${entry}`);
  return { code: out.contents, packages: packagesOf(root, result.metafile) };
}

/** The package folders (node_modules/…) whose code went into a bundle. */
function packagesOf(root: string, meta: Metafile): string[] {
  const dirs = new Set<string>();
  for (const input of Object.keys(meta.inputs)) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) dirs.add(join(root, m[1]!));
  }
  return [...dirs].sort();
}

/** One file with each bundled package's name, version and license text. */
export function thirdPartyNotices(packageDirs: string[]): string {
  const parts = ["# Third-party software in this release\n", "The bundled code includes these packages, under their licenses:\n"];
  for (const dir of [...new Set(packageDirs)].sort()) {
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name: string; version: string; license?: string };
    const licenseFile = existsSync(dir) ? readdirSync(dir).find((f) => /^(licen[sc]e|copying)(\.|$)/i.test(f)) : undefined;
    parts.push(`\n## ${pkg.name} ${pkg.version} (${pkg.license ?? "see package"})\n`);
    if (licenseFile) parts.push(`\n${readFileSync(join(dir, licenseFile), "utf8").trim()}\n`);
  }
  return parts.join("");
}

export const packageDir = (root: string, name: string) => dirname(join(root, "node_modules", name, "package.json"));
