// What a person types into the search box, turned into an FTS5 query that cannot fail, and the
// snippets FTS5 marks up turned into plain-text segments (docs/search.md).
import { ApiError } from "../errors.ts";

/** Longest query accepted, in characters (UTF-16 units), before anything else looks at it. */
export const MAX_QUERY_CHARS = 200;
/** Most words in one query (each is one more doclist to intersect). */
export const MAX_QUERY_WORDS = 12;
/** The last word is matched as a prefix from this many characters on (a shorter prefix fans out to too many terms). */
export const MIN_PREFIX_CHARS = 3;

// A word: letters, digits and private-use characters, with their combining marks, as the
// unicode61 tokenizer sees them (anything else separates words and is never passed on).
const WORD = /[\p{L}\p{N}\p{Co}][\p{L}\p{N}\p{Co}\p{M}]*/gu;

const invalid = (detail: string) => new ApiError("search_query_invalid", { detail, errors: [{ parameter: "q", detail }] });

/**
 * The FTS5 query for `text`: every whitespace-separated piece and every "quoted phrase" becomes a
 * quoted phrase of its words (so `e-mail` finds "e-mail", and `NEAR(`, `OR`, `*`, `-`, `col:` are
 * words or nothing, never syntax), all of which must match; the last piece, when the text does not
 * end with a space or a closing quote, also matches as a prefix ("tid" finds "tides"). Throws
 * search_query_invalid when the text is too long, has no word, or too many.
 */
export function ftsQuery(text: string): string {
  if (text.length > MAX_QUERY_CHARS) throw invalid(`the query is longer than ${MAX_QUERY_CHARS} characters`);
  const pieces: Array<{ words: string[]; quoted: boolean }> = [];
  for (const m of text.matchAll(/"([^"]*)"?|[^\s"]+/g)) {
    const quoted = m[1] !== undefined;
    const words = (quoted ? m[1]! : m[0]).match(WORD) ?? [];
    if (words.length) pieces.push({ words, quoted });
  }
  const count = pieces.reduce((n, p) => n + p.words.length, 0);
  if (count === 0) throw invalid("the query has no word to search for (letters or digits)");
  if (count > MAX_QUERY_WORDS) throw invalid(`the query has ${count} words; at most ${MAX_QUERY_WORDS}`);
  const last = pieces[pieces.length - 1]!;
  const lastWord = last.words[last.words.length - 1]!;
  const prefix = !last.quoted && !/\s$/.test(text) && [...lastWord].length >= MIN_PREFIX_CHARS;
  // Words hold no quote character, so wrapping them in quotes is the whole escaping.
  return pieces.map((p, i) => `"${p.words.join(" ")}"${prefix && i === pieces.length - 1 ? " *" : ""}`).join(" ");
}

/** Marks FTS5 puts around hits in a snippet; the index never holds these characters (the migration replaces them). */
export const HIT_OPEN = "\u0002";
export const HIT_CLOSE = "\u0003";

export interface Segment {
  text: string;
  hit: boolean;
}

/** A marked snippet as plain-text segments (hit or not), for any page or client to render safely. */
export function segmentsOf(marked: string): Segment[] {
  const out: Segment[] = [];
  let hit = false;
  let text = "";
  const flush = () => {
    if (text) {
      const prev = out[out.length - 1];
      if (prev && prev.hit === hit) prev.text += text;
      else out.push({ text, hit });
    }
    text = "";
  };
  for (const ch of marked) {
    if (ch === HIT_OPEN || ch === HIT_CLOSE) {
      flush();
      hit = ch === HIT_OPEN;
    } else {
      text += ch;
    }
  }
  flush();
  return out;
}
