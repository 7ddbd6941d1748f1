/**
 * Splits SQL text into statements the way SQLite's sqlite3_complete() finds their ends: at a
 * semicolon outside quotes ('', "", ``, []) and comments (-- and /* *\/), except inside a
 * CREATE [TEMP] TRIGGER statement, which ends only at `; END ;` (its body's statements end with
 * semicolons too). libSQL runs only the first statement of a text it is given and ignores the
 * rest without an error, so a migration chunk holding several statements must be split here,
 * as wrangler splits it for D1. Statements keep their text (comments included) without the final
 * semicolon; a piece with nothing but comments and spaces is dropped.
 */
export function splitStatements(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  let words: string[] = []; // the statement's first words (enough to tell a trigger)
  let trigger = false;
  let tail: Array<";" | "END" | "other"> = []; // last significant tokens, for `; END ;`
  let substance = false;
  const push = (end: number) => {
    if (substance) out.push(text.slice(start, end).trim());
    start = end + 1;
    words = [];
    trigger = false;
    tail = [];
    substance = false;
  };
  const seen = (t: ";" | "END" | "other") => {
    tail.push(t);
    if (tail.length > 3) tail.shift();
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "-" && text[i + 1] === "-") {
      const nl = text.indexOf("\n", i);
      i = nl < 0 ? text.length : nl + 1;
    } else if (c === "/" && text[i + 1] === "*") {
      const close = text.indexOf("*/", i + 2);
      i = close < 0 ? text.length : close + 2;
    } else if (c === "'" || c === '"' || c === "`" || c === "[") {
      const quote = c === "[" ? "]" : c;
      let j = i + 1;
      for (;;) {
        const k = text.indexOf(quote, j);
        if (k < 0) {
          j = text.length;
          break;
        }
        // A doubled quote is an escaped quote (not for [brackets]).
        if (quote !== "]" && text[k + 1] === quote) {
          j = k + 2;
          continue;
        }
        j = k + 1;
        break;
      }
      i = j;
      substance = true;
      seen("other");
    } else if (c === ";") {
      seen(";");
      const ends = !trigger || (tail.length === 3 && tail[0] === ";" && tail[1] === "END");
      if (ends) push(i);
      i++;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < text.length && /[A-Za-z0-9_$]/.test(text[j]!)) j++;
      const word = text.slice(i, j).toUpperCase();
      if (words.length < 3) {
        words.push(word);
        const [a, b, c3] = words;
        trigger = a === "CREATE" && (b === "TRIGGER" || ((b === "TEMP" || b === "TEMPORARY") && c3 === "TRIGGER"));
      }
      substance = true;
      seen(word === "END" ? "END" : "other");
      i = j;
    } else {
      substance = true;
      seen("other");
      i++;
    }
  }
  push(text.length);
  return out;
}
