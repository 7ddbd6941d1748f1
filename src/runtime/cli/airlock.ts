// The one entry point of a release: `airlock <command>` (lib/airlock.mjs, bundled by
// scripts/release.ts). From the repository: `npx tsx src/runtime/cli/airlock.ts <command>`.
import { readFileSync } from "node:fs";
import process from "node:process";
import util, { type ParseArgsConfig } from "node:util";
import { ConfigError, loadConfig } from "../../config.ts";
import { SchemaTooNewError } from "../../deps/db/migrate.ts";
import { consoleLogger } from "../../deps/logger.ts";
import { startNodeServer } from "../node-server.ts";
import { readMigrations } from "../node/files.ts";
import { NAME, VERSION } from "../../version.ts";
import { parseOptions, UsageError } from "./args.ts";
import { findHome } from "./home.ts";
import { processIo } from "./io.ts";
import { backup, describeMigration, migrate, MigrateError } from "./migrate.ts";
import { verifyReleaseMain } from "./verify-release.ts";

const USAGE = `airlock ${VERSION}: the on-premises Airlock network and its tools

usage:
  airlock serve --role response|request [--env-file FILE] [--backup-dir DIR] [--no-backup]
                     run a network: migrations first (with a backup), then the HTTP server and jobs
  airlock migrate [--role R] [--env-file FILE] [--status] [--backup-dir DIR] [--no-backup]
                     apply pending migrations after a dated VACUUM INTO backup (--status: only show)
  airlock backup [--role R] [--env-file FILE] [--out FILE | --backup-dir DIR]
                     a checked copy of the database (VACUUM INTO), while it runs
  airlock ferry <command> ...     the courier CLI (airlock ferry --help)
  airlock keygen [--network ID] [--out DIR] [--only signing|encryption]
                     the batch key pairs: Ed25519 to sign, X25519 to open batches sealed to it
  airlock endpoint [--env-file FILE]           the Upstash-compatible endpoint in front of Redis
  airlock verify-release [PATH] --public-key FILE   check a release offline (default: this one)
  airlock version [--json]

Settings come from the environment (see README.md); --env-file FILE adds the variables of a
KEY=value file (the systemd EnvironmentFile) that the environment does not set.

exit status: 0 success; 1 failure; 2 usage or configuration error; 3 the database is newer than this build`;

function parse<O extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: O) {
  return parseOptions(args, { ...options, help: { type: "boolean", short: "h" } } as const);
}

function loadEnvFile(file: string | undefined): void {
  if (!file) return;
  const parseEnv = (util as { parseEnv?: (text: string) => Record<string, string> }).parseEnv;
  if (!parseEnv) throw new UsageError(`--env-file needs Node 20.12 or newer (this is ${process.version}); set the variables in the environment instead`);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read --env-file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  for (const [k, v] of Object.entries(parseEnv(text))) if (process.env[k] === undefined) process.env[k] = v;
}

function roleEnv(role: string | undefined): Record<string, string | undefined> {
  const chosen = role ?? process.env.NETWORK_ROLE;
  if (chosen !== "response" && chosen !== "request") throw new UsageError("--role must be response or request (or set NETWORK_ROLE)");
  if (process.env.NETWORK_ROLE && process.env.NETWORK_ROLE !== chosen) throw new UsageError(`--role ${chosen} contradicts NETWORK_ROLE=${process.env.NETWORK_ROLE}`);
  // The response network listens on 8788 and the request network on 8787, as under `npm start`.
  return { PORT: chosen === "response" ? "8788" : "8787", ...process.env, NETWORK_ROLE: chosen };
}

async function serve(args: string[]): Promise<number | undefined> {
  const { values } = parse(args, { role: { type: "string" }, "env-file": { type: "string" }, "backup-dir": { type: "string" }, "no-backup": { type: "boolean" } });
  if (values.help) return help();
  loadEnvFile(values["env-file"]);
  const env = roleEnv(values.role);
  const config = loadConfig(env);
  const log = consoleLogger(config.logLevel, { role: config.role, network_id: config.networkId });
  const m = await migrate(config, { backupDir: values["backup-dir"], noBackup: values["no-backup"] });
  log.log("info", "database ready", { schema: m.schema_after, applied: m.applied, backup: m.backup });
  const running = await startNodeServer(env);
  const stop = async () => {
    await running.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return undefined;
}

async function migrateCommand(args: string[]): Promise<number> {
  const { values } = parse(args, {
    role: { type: "string" },
    "env-file": { type: "string" },
    status: { type: "boolean" },
    "backup-dir": { type: "string" },
    "no-backup": { type: "boolean" },
    json: { type: "boolean" },
  });
  if (values.help) return help();
  loadEnvFile(values["env-file"]);
  const config = loadConfig(roleEnv(values.role));
  const result = await migrate(config, { statusOnly: values.status, backupDir: values["backup-dir"], noBackup: values["no-backup"] });
  console.log(values.json ? JSON.stringify(result) : describeMigration(result));
  return 0;
}

async function backupCommand(args: string[]): Promise<number> {
  const { values } = parse(args, {
    role: { type: "string" },
    "env-file": { type: "string" },
    out: { type: "string" },
    "backup-dir": { type: "string" },
    json: { type: "boolean" },
  });
  if (values.help) return help();
  loadEnvFile(values["env-file"]);
  const result = await backup(loadConfig(roleEnv(values.role)), { out: values.out, backupDir: values["backup-dir"] });
  console.log(values.json ? JSON.stringify(result) : `backup written and checked: ${result.backup} (schema ${result.schema ?? "(empty)"})`);
  return 0;
}

async function version(args: string[], release: ReturnType<typeof findHome>["release"]): Promise<number> {
  const { values } = parse(args, { json: { type: "boolean" } });
  if (values.help) return help();
  const migrations = await readMigrations();
  const schema = release?.schema_version ?? migrations.at(-1)?.name.replace(/\.sql$/, "") ?? null;
  const info = { name: NAME, version: VERSION, schema_version: schema, node: process.version, release };
  if (values.json) console.log(JSON.stringify(info));
  else {
    console.log(`${NAME} ${VERSION} (schema ${schema}, ${process.version})`);
    console.log(release ? `release ${release.name}, built ${release.built_at}${release.commit ? ` from ${release.commit}` : ""}` : "running from the repository (not a release)");
  }
  return 0;
}

/** Runs one of the scripts (they read process.argv and set the exit status themselves). */
async function delegate(command: string, args: string[], load: () => Promise<unknown>): Promise<undefined> {
  process.argv = [process.argv[0]!, `airlock ${command}`, ...args];
  await load();
  return undefined;
}

function help(): number {
  console.log(USAGE);
  return 0;
}

async function main(argv: string[]): Promise<number | undefined> {
  const home = findHome();
  const [command, ...args] = argv;
  switch (command) {
    case "serve":
      return serve(args);
    case "migrate":
      return migrateCommand(args);
    case "backup":
      return backupCommand(args);
    case "ferry":
      return (await import("./ferry.ts")).run(args, processIo());
    case "keygen":
      return delegate("keygen", args, () => import("../../../scripts/keygen.ts"));
    case "endpoint": {
      const { values } = parse(args, { "env-file": { type: "string" } });
      if (values.help) return help();
      loadEnvFile(values["env-file"]);
      return delegate("endpoint", [], () => import("../../../scripts/upstash-endpoint.ts"));
    }
    case "verify-release":
      return verifyReleaseMain(args, home.release ? home.root : undefined);
    case "version":
    case "--version":
      return version(args, home.release);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      return help();
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

try {
  const code = await main(process.argv.slice(2));
  if (code !== undefined) process.exitCode = code;
} catch (e) {
  if (e instanceof UsageError) {
    console.error(`airlock: ${e.message}\nRun "airlock help" for usage.`);
    process.exitCode = 2;
  } else if (e instanceof ConfigError) {
    console.error(`airlock: ${e.message}`);
    process.exitCode = 2;
  } else if (e instanceof SchemaTooNewError) {
    console.error(`airlock: refusing to start: ${e.message}`);
    process.exitCode = 3;
  } else {
    console.error(`airlock: ${e instanceof MigrateError || e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  }
}
