import type { z } from "zod";

/** Short, one-line rendering of zod issues (at most five) for `reason` strings and configuration errors. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => {
      const where = i.path.map(String).join(".");
      const msg = i.code === "unrecognized_keys" ? `unknown key${i.keys.length > 1 ? "s" : ""} ${i.keys.map((k) => `"${k}"`).join(", ")}` : i.message;
      return where ? `${where}: ${msg}` : msg;
    })
    .join("; ");
}
