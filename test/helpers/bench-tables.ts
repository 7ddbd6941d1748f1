// Reads the tables back out of the bench's two renderings (the printed report and the generated
// markdown), so tests can check that they say the same thing.

const cells = (line: string) => line.split(/(?<!\\)\|/).map((c) => c.trim());

/** Markdown: "#### title", a blank line, then "| a | b |" lines. Title → rows of cells (header first, separator dropped). */
export function markdownTables(md: string): Map<string, string[][]> {
  const out = new Map<string, string[][]>();
  const lines = md.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const title = /^#### (.*)$/.exec(lines[i])?.[1];
    if (!title) continue;
    const rows: string[][] = [];
    for (let j = i + 2; j < lines.length && lines[j].startsWith("|"); j++) {
      if (/^\|( --- \|)+$/.test(lines[j])) continue;
      rows.push(cells(lines[j].slice(1, -1)));
    }
    out.set(title, rows);
  }
  return out;
}

/** The printed report: a title line, a blank line, the header, a "----|----" line, rows, a blank line. */
export function textTables(text: string): Map<string, string[][]> {
  const out = new Map<string, string[][]>();
  const lines = text.split("\n");
  for (let i = 0; i + 3 < lines.length; i++) {
    if (lines[i + 1] !== "" || !/^-+(-\|-+)+$/.test(lines[i + 3] ?? "")) continue;
    const rows = [cells(lines[i + 2])];
    for (let j = i + 4; j < lines.length && lines[j] !== ""; j++) rows.push(cells(lines[j]));
    out.set(lines[i], rows);
  }
  return out;
}
