import type { z } from "zod";

/** Short, one-line rendering of zod issues for `reason` strings and configuration errors. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message))
    .join("; ");
}
