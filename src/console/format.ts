/** `2026-12-01 14:03:22 UTC`: operators on both sides of the gap read the same clock. */
export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

const UNITS: Array<[number, string]> = [
  [86_400, "d"],
  [3_600, "h"],
  [60, "min"],
  [1, "s"],
];

/** How long ago (or, for a future time, in how long): `3 min ago`, `2 h 5 min ago`, `in 40 s`, `just now`. */
export function relativeAge(iso: string, now: Date): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  const seconds = Math.round((now.getTime() - t) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 1) return "just now";
  const parts: string[] = [];
  let rest = abs;
  for (const [size, unit] of UNITS) {
    if (rest >= size && parts.length < 2) {
      parts.push(`${Math.floor(rest / size)} ${unit}`);
      rest %= size;
    } else if (parts.length) break;
  }
  return seconds > 0 ? `${parts.join(" ")} ago` : `in ${parts.join(" ")}`;
}
