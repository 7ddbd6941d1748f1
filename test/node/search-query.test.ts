// The search box's text to FTS5: whatever anyone types either is refused as search_query_invalid or
// becomes a query FTS5 runs without an error (so search never answers 500), and snippets' marks
// become plain-text segments that lose no character.
import { afterAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { createClient } from "@libsql/client";
import { ApiError } from "../../src/errors.ts";
import { ftsQuery, HIT_CLOSE, HIT_OPEN, MAX_QUERY_CHARS, segmentsOf } from "../../src/requests/search-query.ts";

const db = createClient({ url: ":memory:" });
afterAll(() => db.close());

// Pieces of FTS5 syntax, mixed with words and any other characters.
const SYNTAX = ['"', "*", "-", "+", "^", ":", "(", ")", "{", "}", "NEAR", "NEAR(", "OR", "AND", "NOT", ",", "'", "\\", "\u0000", "\u0002", " ", "body:", "é", "ß", "🌊", "1", "x"];
const typed = fc.oneof(
  fc.string({ maxLength: 80, unit: "grapheme" }),
  fc.array(fc.constantFrom(...SYNTAX), { maxLength: 40 }).map((a) => a.join("")),
  fc.array(fc.oneof(fc.constantFrom(...SYNTAX), fc.string({ maxLength: 6 })), { maxLength: 30 }).map((a) => a.join(" ")),
);

describe("ftsQuery", () => {
  it("refuses with search_query_invalid or gives a query FTS5 runs, for any text", async () => {
    await db.execute("CREATE VIRTUAL TABLE t USING fts5(a, b, tokenize = 'unicode61 remove_diacritics 2')");
    await db.execute("INSERT INTO t VALUES ('near the tide or not', 'body: café 1 x')");
    let ran = 0;
    await fc.assert(
      fc.asyncProperty(typed, async (text) => {
        let q: string;
        try {
          q = ftsQuery(text);
        } catch (e) {
          expect(e).toBeInstanceOf(ApiError);
          expect((e as ApiError).code).toBe("search_query_invalid");
          return;
        }
        await db.execute({ sql: "SELECT rowid FROM t WHERE t MATCH ?", args: [q] });
        ran++;
      }),
      { numRuns: 600 },
    );
    expect(ran).toBeGreaterThan(100); // most texts have words: the property checked queries, not only refusals
  });

  it("quotes every piece, prefixes the last unless quoted, spaced or short, bounds length and words", () => {
    expect(ftsQuery("high tide")).toBe('"high" "tide" *');
    expect(ftsQuery("high tide ")).toBe('"high" "tide"');
    expect(ftsQuery('"high tide"')).toBe('"high tide"');
    expect(ftsQuery("e-mail NEAR(x OR y)")).toBe('"e mail" "NEAR x" "OR" "y"');
    expect(ftsQuery("at")).toBe('"at"');
    expect(() => ftsQuery("a".repeat(MAX_QUERY_CHARS + 1))).toThrow(ApiError);
    expect(() => ftsQuery("* - ( )")).toThrow("no word");
  });
});

describe("segmentsOf", () => {
  it("turns marks into hit segments and keeps every other character", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.includes(HIT_OPEN) && !s.includes(HIT_CLOSE)),
            fc.boolean(),
          ),
          { maxLength: 12 },
        ),
        (parts) => {
          const marked = parts.map(([t, hit]) => (hit ? `${HIT_OPEN}${t}${HIT_CLOSE}` : t)).join("");
          const segments = segmentsOf(marked);
          expect(segments.map((s) => s.text).join("")).toBe(parts.map(([t]) => t).join(""));
          expect(
            segments
              .filter((s) => s.hit)
              .map((s) => s.text)
              .join(""),
          ).toBe(
            parts
              .filter(([, hit]) => hit)
              .map(([t]) => t)
              .join(""),
          );
          for (let i = 1; i < segments.length; i++) expect(segments[i]!.hit).not.toBe(segments[i - 1]!.hit); // neighbours merged
        },
      ),
    );
    expect(segmentsOf(`a ${HIT_OPEN}<b>${HIT_CLOSE} c…`)).toEqual([
      { text: "a ", hit: false },
      { text: "<b>", hit: true },
      { text: " c…", hit: false },
    ]);
  });
});
