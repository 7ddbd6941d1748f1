// What the command lines (airlock, airlock-ferry, verify-release) share: one way to parse options
// and one error for "the command line is wrong" (exit status 2).
import { parseArgs, type ParseArgsConfig } from "node:util";

export class UsageError extends Error {}

/** Parsed option values, read by name. */
export type OptionValues = Record<string, string | boolean | string[] | undefined>;

type Options = NonNullable<ParseArgsConfig["options"]>;

/** node:util's parseArgs, strict; a bad command line becomes a UsageError (its message after `prefix`). */
export function parseOptions<O extends Options>(args: string[], options: O, opts: { positionals?: boolean; prefix?: string } = {}) {
  try {
    return parseArgs({ args, options, allowPositionals: opts.positionals ?? false, strict: true });
  } catch (e) {
    throw new UsageError(`${opts.prefix ?? ""}${(e as Error).message}`);
  }
}
