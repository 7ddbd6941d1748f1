// What the ferry CLI prints: through one run's io, with every token in use scrubbed; progress
// events on stderr, the summary on stdout.
import { resolve } from "node:path";
import { formatBytes, summaryLine, type CarrySummary, type FerryEvent, type PullSummary, type PushSummary } from "../../transfer/ferry/index.ts";
import type { CliIo } from "./io.ts";

/** One run: its io, and every token in use, so no output line can ever contain one (defence in depth). */
export class Run {
  readonly secrets: string[] = [];
  constructor(readonly io: CliIo) {}
  // (Real tokens are long: courier tokens at least 32 characters, access tokens JWTs. A toy token of a
  // few characters is not scrubbed, or every word containing its letters would be mangled.)
  private scrub(text: string) {
    return this.secrets.reduce((t, s) => (s.length >= 8 ? t.split(s).join("[redacted]") : t), text);
  }
  readonly stdout = (line: string) => this.io.stdout.write(`${this.scrub(line)}\n`);
  readonly stderr = (line: string) => this.io.stderr.write(`${this.scrub(line)}\n`);
  /** A path from the command line, for the file system (messages keep it as given). */
  path(p: string) {
    return resolve(this.io.cwd, p);
  }
}

export function progress(quiet: boolean, { stderr }: Run): (e: FerryEvent) => void {
  if (quiet) return () => {};
  return (e) => {
    if (e.type === "warning") stderr(`warning: ${e.message}`);
    else if (e.type === "listed")
      stderr(e.phase === "pull" ? `pull: ${e.files} batch file(s) listed, ${formatBytes(e.bytes)}` : `push: ${e.files} batch file(s) to upload, ${formatBytes(e.bytes)}`);
    else {
      const width = String(e.total).length;
      const extra = [e.removed ? "removed" : "", e.reason ?? ""].filter(Boolean).join("; ");
      stderr(`[${String(e.index).padStart(width)}/${e.total}] ${e.name}  ${formatBytes(e.bytes)}  ${e.status}${extra ? ` (${extra})` : ""}`);
    }
  };
}

export function finish(summary: PullSummary | PushSummary | CarrySummary, json: boolean, { stdout, stderr }: Run): number {
  stdout(json ? JSON.stringify(summary) : summaryLine(summary));
  if (!json) {
    const files = summary.command === "carry" ? [...summary.pull.files, ...summary.push.files] : summary.files;
    for (const f of files) {
      if (f.status === "failed") stderr(`failed: ${f.name}: ${f.error?.message ?? "unknown error"}`);
      else if (f.status === "quarantined") stderr(`quarantined: ${f.name}: ${f.reason ?? "no reason given"}`);
    }
  }
  return summary.ok ? 0 : 1;
}
