import { redact } from "../lib/redact.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

/** Structured logger: one JSON object per line. Fields are redacted before they are written. */
export interface Logger {
  log(level: LogLevel, msg: string, fields?: LogFields): void;
}

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Where finished lines go; errors separately (stderr). */
export type LineWriter = (line: string, level: LogLevel) => void;

const toConsole: LineWriter = (line, level) => {
  if (level === "error") console.error(line);
  else console.log(line);
};

/** Writes JSON lines to the console (stdout on Node/Deno, the Workers log stream on workerd), or to `write`. */
export function consoleLogger(minLevel: LogLevel = "info", base: LogFields = {}, write: LineWriter = toConsole): Logger {
  return {
    log(level, msg, fields = {}) {
      if (order[level] < order[minLevel]) return;
      write(JSON.stringify(redact({ time: new Date().toISOString(), level, msg, ...base, ...fields })), level);
    },
  };
}

/** Keeps entries in memory; tests read `entries`. */
export class MemoryLogger implements Logger {
  entries: Array<{ level: LogLevel; msg: string } & LogFields> = [];
  log(level: LogLevel, msg: string, fields: LogFields = {}): void {
    this.entries.push(redact({ level, msg, ...fields }) as { level: LogLevel; msg: string } & LogFields);
  }
}
