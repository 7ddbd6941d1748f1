/**
 * The courier CLI, which carries batch files across the gap: `npm run ferry -- <command>`, `npx airlock-ferry <command>`
 * (both through scripts/ferry.ts) or `airlock ferry <command>` in a release.
 * The operations are src/transfer/ferry/ (pull.ts, push.ts, carry.ts; shared with `npm start`'s automatic ferry);
 * this file parses arguments and reads tokens; ferry-output.ts renders progress (stderr) and the
 * summary (stdout), ferry-verify.ts is `verify`.
 * Exit status: 0 everything succeeded, 1 a file failed or was quarantined (or a network could not
 * be used), 2 usage error, 130 interrupted. Tokens are never printed.
 */
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ParseArgsConfig } from "node:util";
import { carry, errorInfo, FerryError, isCleartextRemote, normalizeBaseUrl, pull, push, TransferClient, type ClientOptions, type RetryInfo } from "../../transfer/ferry/index.ts";
import { NodeBatchFolder } from "../node/batch-folder.ts";
import { parseOptions, UsageError, type OptionValues } from "./args.ts";
import { finish, progress, Run } from "./ferry-output.ts";
import { verifyCommand } from "./ferry-verify.ts";
import type { CliIo } from "./io.ts";

const USAGE = `airlock-ferry: carry Airlock batch files across the air gap

usage:
  airlock-ferry verify FILE... [--public-key FILE]... [--destination ID]
  airlock-ferry pull   --from URL --out DIR [--token T] [--include-acknowledged]
  airlock-ferry push   --to URL --dir DIR [--token T] [--remove-after]
  airlock-ferry carry  --from URL --to URL [--from-token T] [--to-token T] [--via DIR]
  airlock-ferry status --url URL [--token T]
  airlock-ferry export --url URL [--token T] [--resend]

  verify   check batch files offline (signature, destination, expiry, checksum, records) with the
           sending network's public key (--public-key, or AIRLOCK_PEER_PUBLIC_KEYS)
  pull     download the network's unacknowledged outbox batches into DIR; files already there with
           the same name and SHA-256 are skipped; every download is checked against the listing's
           SHA-256 and the Digest header before it is written (atomically)
  push     upload DIR's batch files to the network's inbox in sequence order and report each
           outcome (applied, replay, held, quarantined); --remove-after deletes a local file only
           once the destination answered applied or replay
  carry    pull from one network, push to the other, through a temporary folder (or --via DIR);
           nothing is ever deleted at the source (it keeps batches until they are acknowledged)
  status   print the network's transfer status (GET /v1/transfer/status)
  export   ask the network to export now (--resend: again the unacknowledged batches)

options:
  --json            print the summary as one JSON object on stdout
  -q, --quiet       no progress on stderr
  --timeout SEC     per request, including the body (default 60)
  --retries N       extra attempts after a network error, timeout or 5xx (default 3; never for 4xx)
  -h, --help

tokens (a courier token, or an access token of an admin or courier user; never printed):
  --token T, --token-file FILE               pull: AIRLOCK_FERRY_FROM_TOKEN, push: AIRLOCK_FERRY_TO_TOKEN,
                                             status/export: AIRLOCK_FERRY_TOKEN
  --from-token T, --from-token-file FILE     carry's source, or AIRLOCK_FERRY_FROM_TOKEN
  --to-token T, --to-token-file FILE         carry's destination, or AIRLOCK_FERRY_TO_TOKEN
  A token on the command line is visible to other users of the machine; prefer the environment or a file.

exit status: 0 all succeeded; 1 a file failed or was quarantined, or a network could not be used;
2 usage error`;

const COMMON = {
  json: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  timeout: { type: "string" },
  retries: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies ParseArgsConfig["options"];

const TOKEN = { token: { type: "string" }, "token-file": { type: "string" } } as const satisfies ParseArgsConfig["options"];

const COMMANDS = {
  verify: { "public-key": { type: "string", multiple: true }, destination: { type: "string" } },
  pull: { from: { type: "string" }, out: { type: "string" }, "include-acknowledged": { type: "boolean" }, ...TOKEN },
  push: { to: { type: "string" }, dir: { type: "string" }, "remove-after": { type: "boolean" }, ...TOKEN },
  carry: {
    from: { type: "string" },
    to: { type: "string" },
    via: { type: "string" },
    "include-acknowledged": { type: "boolean" },
    "from-token": { type: "string" },
    "from-token-file": { type: "string" },
    "to-token": { type: "string" },
    "to-token-file": { type: "string" },
  },
  status: { url: { type: "string" }, ...TOKEN },
  export: { url: { type: "string" }, resend: { type: "boolean" }, ...TOKEN },
} as const satisfies Record<string, ParseArgsConfig["options"]>;

type Command = keyof typeof COMMANDS;
type Values = OptionValues;

/** Runs `airlock-ferry <argv…>`; resolves with the exit status. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const r = new Run(io);
  try {
    return await main(argv, r);
  } catch (e) {
    if (e instanceof UsageError) {
      r.stderr(`airlock-ferry: ${e.message}\nRun "airlock-ferry --help" for usage.`);
      return 2;
    }
    r.stderr(`airlock-ferry: ${e instanceof Error ? e.message : String(e)}`);
    if (argv.includes("--json")) r.stdout(JSON.stringify({ ok: false, error: errorInfo(e) }));
    return e instanceof FerryError && e.kind === "aborted" ? 130 : 1;
  }
}

async function main(argv: string[], r: Run): Promise<number> {
  const { stdout, stderr } = r;
  const [command, ...rest] = argv;
  if (command === undefined || command === "-h" || command === "--help" || command === "help") {
    (command === undefined ? stderr : stdout)(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (!(command in COMMANDS)) throw new UsageError(`unknown command ${JSON.stringify(command)} (expected verify, pull, push, carry, status or export)`);
  const cmd = command as Command;
  const parsed = parseOptions(rest, { ...COMMON, ...COMMANDS[cmd] }, { positionals: cmd === "verify", prefix: `${cmd}: ` });
  const v = parsed.values as Values;
  if (v.help) {
    stdout(USAGE);
    return 0;
  }
  if (cmd === "verify") return verifyCommand(parsed.positionals, v, r);

  const abort = new AbortController();
  r.io.onInterrupt?.(() => {
    stderr("interrupted: stopping after cleanup (files are written atomically; nothing partial is left)");
    abort.abort();
  });
  const json = v.json === true;
  const quiet = v.quiet === true;
  const clientOptions = buildClientOptions(v, abort.signal, quiet, r);

  switch (cmd) {
    case "pull": {
      const out = required(v, "out", "DIR", "the folder to download into");
      const source = await client(v, "from", "token", "token-file", "AIRLOCK_FERRY_FROM_TOKEN", clientOptions, quiet, r);
      const summary = await pull({
        source,
        folder: new NodeBatchFolder(r.path(out), { create: true, label: out }),
        includeAcknowledged: v["include-acknowledged"] === true,
        onEvent: progress(quiet, r),
        signal: abort.signal,
      });
      return finish(summary, json, r);
    }
    case "push": {
      const dir = required(v, "dir", "DIR", "the folder of batch files to upload");
      const destination = await client(v, "to", "token", "token-file", "AIRLOCK_FERRY_TO_TOKEN", clientOptions, quiet, r);
      await mustBeDirectory(r.path(dir), dir, "--dir");
      const summary = await push({
        destination,
        folder: new NodeBatchFolder(r.path(dir), { label: dir }),
        removeAfter: v["remove-after"] === true,
        onEvent: progress(quiet, r),
        signal: abort.signal,
      });
      return finish(summary, json, r);
    }
    case "carry": {
      const source = await client(v, "from", "from-token", "from-token-file", "AIRLOCK_FERRY_FROM_TOKEN", clientOptions, quiet, r);
      const destination = await client(v, "to", "to-token", "to-token-file", "AIRLOCK_FERRY_TO_TOKEN", clientOptions, quiet, r);
      if (source.baseUrl === destination.baseUrl) throw new UsageError("carry: --from and --to are the same network");
      const via = typeof v.via === "string" ? v.via : null;
      const dir = via ?? (await mkdtemp(join(tmpdir(), "airlock-ferry-")));
      try {
        const summary = await carry({
          source,
          destination,
          folder: new NodeBatchFolder(r.path(dir), { create: true, label: dir }),
          includeAcknowledged: v["include-acknowledged"] === true,
          onEvent: progress(quiet, r),
          signal: abort.signal,
        });
        return finish(summary, json, r);
      } finally {
        if (!via) await rm(dir, { recursive: true, force: true });
      }
    }
    case "status": {
      const c = await client(v, "url", "token", "token-file", "AIRLOCK_FERRY_TOKEN", clientOptions, quiet, r);
      const status = await c.status();
      stdout(json ? JSON.stringify(status) : JSON.stringify(status, null, 2));
      return 0;
    }
    case "export": {
      const c = await client(v, "url", "token", "token-file", "AIRLOCK_FERRY_TOKEN", clientOptions, quiet, r);
      const answer = await c.triggerExport({ resend: v.resend === true });
      stdout(json ? JSON.stringify(answer) : JSON.stringify(answer, null, 2));
      return 0;
    }
  }
}

function required(v: Values, name: string, meta: string, what: string): string {
  const value = v[name];
  if (typeof value !== "string" || value === "") throw new UsageError(`missing --${name} ${meta} (${what})`);
  return value;
}

async function mustBeDirectory(path: string, shown: string, option: string) {
  const info = await stat(path).catch(() => null);
  if (!info?.isDirectory()) throw new UsageError(`${option} ${shown}: not a directory`);
}

function buildClientOptions(v: Values, signal: AbortSignal, quiet: boolean, { io, stderr }: Run): ClientOptions {
  const options: ClientOptions = { signal };
  if (typeof v.timeout === "string") {
    const s = Number(v.timeout);
    if (!(s > 0) || !Number.isFinite(s)) throw new UsageError(`--timeout must be a positive number of seconds, got ${JSON.stringify(v.timeout)}`);
    options.timeoutMs = s * 1000;
  }
  if (typeof v.retries === "string") {
    const n = Number(v.retries);
    if (!Number.isInteger(n) || n < 0 || n > 20) throw new UsageError(`--retries must be a whole number from 0 to 20, got ${JSON.stringify(v.retries)}`);
    options.retry = { attempts: n + 1 };
  }
  if (io.env.AIRLOCK_FERRY_RETRY_DELAY_MS) {
    // Undocumented: tests shorten the backoff.
    options.retry = { ...options.retry, baseDelayMs: Number(io.env.AIRLOCK_FERRY_RETRY_DELAY_MS), maxDelayMs: Number(io.env.AIRLOCK_FERRY_RETRY_DELAY_MS) * 4 };
  }
  if (!quiet) {
    options.onRetry = (r: RetryInfo) => stderr(`retrying (${r.what}) in ${(r.delayMs / 1000).toFixed(1)} s, attempt ${r.attempt + 1} of ${r.attempts}: ${r.error.message}`);
  }
  return options;
}

async function client(
  v: Values,
  urlOption: string,
  tokenOption: string,
  tokenFileOption: string,
  envName: string,
  options: ClientOptions,
  quiet: boolean,
  r: Run,
): Promise<TransferClient> {
  const raw = required(v, urlOption, "URL", urlOption === "from" ? "the network to download from" : urlOption === "to" ? "the network to upload to" : "the network");
  let url: string;
  try {
    url = normalizeBaseUrl(raw);
  } catch (e) {
    throw new UsageError(`--${urlOption}: ${(e as Error).message}`);
  }
  const token = await readToken(v, tokenOption, tokenFileOption, envName, r);
  r.secrets.push(token);
  if (!quiet && isCleartextRemote(url)) r.stderr(`warning: --${urlOption} ${url} is plain http to a remote host: the token crosses the network unencrypted`);
  try {
    return new TransferClient({ url, token }, options);
  } catch (e) {
    throw new UsageError(`--${tokenOption}: ${(e as Error).message}`);
  }
}

async function readToken(v: Values, option: string, fileOption: string, envName: string, r: Run): Promise<string> {
  const inline = v[option];
  const file = v[fileOption];
  if (typeof inline === "string" && typeof file === "string") throw new UsageError(`give --${option} or --${fileOption}, not both`);
  let token: string | undefined;
  if (typeof inline === "string") token = inline;
  else if (typeof file === "string") {
    try {
      token = (await readFile(r.path(file), "utf8")).trim();
    } catch (e) {
      throw new UsageError(`--${fileOption} ${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`);
    }
  } else token = r.io.env[envName];
  if (!token) throw new UsageError(`missing --${option} (or --${fileOption} FILE, or the ${envName} environment variable): the courier token`);
  return token;
}
