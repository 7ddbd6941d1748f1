import { formatTime, relativeAge } from "../format.ts";

/** A point in time: the UTC time, and how long ago it was. */
export function Time(p: { at: string | null | undefined; now: Date }) {
  if (!p.at) return <span>–</span>;
  return (
    <time datetime={p.at}>
      {formatTime(p.at)} <span class="hint">({relativeAge(p.at, p.now)})</span>
    </time>
  );
}
