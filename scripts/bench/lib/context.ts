// What every case gets: settings of this run, a temp folder, a log folder, and shared servers
// (started once, stopped when the last case that needs them is done or at the end).
import type { BenchResult } from "../result.ts";

export interface Ctx {
  root: string;
  tmp: string;
  logDir: string;
  quick: boolean;
  connections: number;
  warmupS: number;
  durationS: number;
  records: number[];
  coldStarts: number;
  result: BenchResult;
  log(msg: string): void;
  /** One instance per key for the whole run; `stop` runs at release(key) or at the end. */
  shared<T>(key: string, start: () => Promise<T>, stop: (v: T) => Promise<void>): Promise<T>;
  release(key: string): Promise<void>;
}

/** A case's own way of saying "cannot run here" (Python missing, say): recorded as skipped, not failed. */
export class Skip extends Error {}

export interface Case {
  id: string;
  label: string;
  /** Keys of the shared servers it needs: the runner stops each after the last case that uses it. */
  uses: string[];
  run(ctx: Ctx): Promise<void>;
}

export function sharedRegistry() {
  const items = new Map<string, { value: Promise<unknown>; stop: (v: unknown) => Promise<void> }>();
  return {
    shared<T>(key: string, start: () => Promise<T>, stop: (v: T) => Promise<void>): Promise<T> {
      let item = items.get(key);
      if (!item) {
        item = { value: start(), stop: stop as (v: unknown) => Promise<void> };
        items.set(key, item);
      }
      return item.value as Promise<T>;
    },
    async release(key: string) {
      const item = items.get(key);
      if (!item) return;
      items.delete(key);
      const v = await item.value.catch(() => undefined);
      if (v !== undefined) await item.stop(v).catch(() => {});
    },
    async releaseAll() {
      for (const key of [...items.keys()].reverse()) await this.release(key);
    },
  };
}
