/**
 * `npm start`'s automatic local ferry (docs/architecture.md, "Local development"): every few seconds it
 * carries request → response and response → request through a folder per direction, with the
 * networks' courier tokens, using the same carry() as the CLI. `AIRLOCK_AUTO_FERRY=0` turns it off
 * so a person (or a test) can play courier. Runtime-neutral: the caller supplies the folders.
 *
 * Each direction keeps, in memory, the SHA-256s the destination answered for (applied, replay,
 * held, quarantined), so a batch waiting for its acknowledgement is not uploaded again every round;
 * its file is pruned from the folder once the source stops listing it (acknowledged). A failed
 * upload (network, 5xx) is tried again next round. One JSON log line per carried file; an error is
 * logged when it first appears (not every round) and when it clears.
 */
import type { Logger } from "../../deps/logger.ts";
import { TransferClient, type ClientOptions, type Endpoint } from "./client.ts";
import { carry } from "./carry.ts";
import type { CarrySummary } from "./summary.ts";
import type { BatchFolder } from "./folder.ts";

export type FerryDirection = "request-to-response" | "response-to-request";

export interface AutoFerryOptions {
  request: Endpoint;
  response: Endpoint;
  folders: Record<FerryDirection, BatchFolder>;
  intervalMs: number;
  logger: Logger;
  /** Local networks: short timeouts and few retries (the next round retries anyway). */
  client?: ClientOptions;
}

export interface AutoFerry {
  /** Runs one round now (both directions), unless one is in flight: then waits for that one. */
  runOnce(): Promise<Partial<Record<FerryDirection, CarrySummary>>>;
  /** Stops the timer and waits for the round in flight, if any. */
  stop(): Promise<void>;
}

interface DirectionState {
  direction: FerryDirection;
  source: TransferClient;
  destination: TransferClient;
  folder: BatchFolder;
  delivered: Set<string>;
  /** sha256 → last logged outcome, so a held batch is logged once, not every round. */
  logged: Map<string, string>;
  lastError: string | null;
}

export function startAutoFerry(options: AutoFerryOptions): AutoFerry {
  const abort = new AbortController();
  const clientOptions: ClientOptions = { timeoutMs: 15_000, retry: { attempts: 2, baseDelayMs: 200, maxDelayMs: 1_000 }, ...options.client, signal: abort.signal };
  const make = (direction: FerryDirection, from: Endpoint, to: Endpoint): DirectionState => ({
    direction,
    source: new TransferClient(from, clientOptions),
    destination: new TransferClient(to, clientOptions),
    folder: options.folders[direction],
    delivered: new Set(),
    logged: new Map(),
    lastError: null,
  });
  const directions = [make("request-to-response", options.request, options.response), make("response-to-request", options.response, options.request)];
  const { logger } = options;

  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<Partial<Record<FerryDirection, CarrySummary>>> | null = null;

  async function runDirection(d: DirectionState): Promise<CarrySummary | undefined> {
    let summary: CarrySummary;
    try {
      summary = await carry({ source: d.source, destination: d.destination, folder: d.folder, delivered: d.delivered, prune: true });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (stopped) return undefined;
      if (message !== d.lastError) logger.log("warn", "ferry round failed", { direction: d.direction, error: message });
      d.lastError = message;
      return undefined;
    }
    if (d.lastError !== null) logger.log("info", "ferry recovered", { direction: d.direction });
    d.lastError = null;

    for (const f of summary.pull.files) {
      if (f.status !== "failed") continue;
      const key = `pull:${f.sha256}`;
      const message = f.error?.message ?? "failed";
      if (d.logged.get(key) === message) continue;
      d.logged.set(key, message);
      logger.log("warn", "ferry download failed", { direction: d.direction, file: f.name, sequence: f.sequence, bytes: f.bytes, error: message });
    }
    for (const f of summary.push.files) {
      if (f.status === "skipped" || !f.sha256) continue;
      const outcome = f.status === "failed" ? `failed: ${f.error?.message ?? ""}` : f.status;
      if (d.logged.get(f.sha256) === outcome) continue;
      d.logged.set(f.sha256, outcome);
      const bad = f.status === "failed" || f.status === "quarantined";
      logger.log(bad ? "warn" : "info", "ferry carried", {
        direction: d.direction,
        file: f.name,
        sequence: f.sequence,
        bytes: f.bytes,
        outcome: f.status,
        ...(f.reason !== undefined && { reason: f.reason }),
        ...(f.error && { error: f.error.message }),
      });
    }
    // Forget what the source no longer lists (acknowledged), so the map stays small.
    const listed = new Set(summary.pull.files.map((f) => f.sha256));
    for (const key of d.logged.keys()) if (!listed.has(key.replace(/^pull:/, ""))) d.logged.delete(key);
    return summary;
  }

  async function round(): Promise<Partial<Record<FerryDirection, CarrySummary>>> {
    const out: Partial<Record<FerryDirection, CarrySummary>> = {};
    for (const d of directions) {
      if (stopped) break;
      const s = await runDirection(d);
      if (s) out[d.direction] = s;
    }
    return out;
  }

  function runOnce() {
    if (!inFlight) {
      inFlight = round().finally(() => {
        inFlight = null;
      });
    }
    return inFlight;
  }

  function schedule() {
    if (stopped) return;
    timer = setTimeout(() => {
      runOnce().finally(schedule);
    }, options.intervalMs);
  }

  schedule();
  logger.log("info", "ferry started", {
    interval_ms: options.intervalMs,
    request: options.request.url,
    response: options.response.url,
    folders: Object.fromEntries(directions.map((d) => [d.direction, d.folder.label ?? ""])),
  });

  return {
    runOnce,
    async stop() {
      if (stopped) {
        await inFlight?.catch(() => {});
        return;
      }
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      // Let the round in flight finish its current file (no abort: a half-done upload is harmless
      // anyway, but a clean finish keeps the logs complete); requests have their own timeouts.
      await inFlight?.catch(() => {});
      abort.abort();
      logger.log("info", "ferry stopped", {});
    },
  };
}
