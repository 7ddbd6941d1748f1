import type { HourCount } from "../../requests/stats.ts";

const BAR = 7;
const GAP = 2;
const SLOT = 2 * BAR + GAP * 3;
const LEFT = 36;
const TOP = 8;
const HEIGHT = 120;
const BOTTOM = 22;

/** A round scale top (1, 2, 5 × 10^n) at or above the largest value, so the axis reads well. */
function scaleTop(max: number): number {
  if (max <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

const hourLabel = (hour: string) => `${hour.slice(11, 13)}:00`;
const dayHour = (hour: string) => `${hour.slice(0, 10)} ${hourLabel(hour)} UTC`;

/**
 * Requests and answers per hour as an inline SVG bar chart (no script), one pair of bars per
 * hour, a bar only where the count is above 0; the same numbers as a table for screen readers
 * and anyone who wants the figures.
 */
export function HourlyChart(p: { hours: HourCount[]; caption: string }) {
  const top = scaleTop(Math.max(0, ...p.hours.flatMap((h) => [h.requests, h.answers])));
  const width = LEFT + p.hours.length * SLOT + GAP;
  const y = (v: number) => TOP + HEIGHT - (v / top) * HEIGHT;
  const total = (k: "requests" | "answers") => p.hours.reduce((a, h) => a + h[k], 0);
  const first = p.hours[0]?.hour ?? "";
  const last = p.hours.at(-1)?.hour ?? "";
  return (
    <figure class="chart">
      <figcaption id="chart-caption">{p.caption}</figcaption>
      <p class="legend" aria-hidden="true">
        <span class="key key-requests" /> Requests ({total("requests")}) <span class="key key-answers" /> Answers ({total("answers")})
      </p>
      <svg viewBox={`0 0 ${width} ${TOP + HEIGHT + BOTTOM}`} role="img" aria-labelledby="chart-title chart-desc" class="chart-svg">
        <title id="chart-title">{p.caption}</title>
        <desc id="chart-desc">
          {`From ${first ? dayHour(first) : "–"} to ${last ? dayHour(last) : "–"}: ${total("requests")} requests and ${total("answers")} answers; the table below has every hour.`}
        </desc>
        <line class="axis" x1={LEFT} y1={TOP + HEIGHT} x2={width} y2={TOP + HEIGHT} />
        <line class="axis" x1={LEFT} y1={TOP} x2={LEFT} y2={TOP + HEIGHT} />
        <text class="tick" x={LEFT - 4} y={TOP + 4} text-anchor="end">
          {top}
        </text>
        <text class="tick" x={LEFT - 4} y={TOP + HEIGHT} text-anchor="end">
          0
        </text>
        {p.hours.map((h, i) => {
          const x = LEFT + GAP + i * SLOT;
          return (
            <g>
              {h.requests > 0 && (
                <rect class="bar-requests" x={x} y={y(h.requests)} width={BAR} height={TOP + HEIGHT - y(h.requests)}>
                  <title>{`${dayHour(h.hour)}: ${h.requests} requests`}</title>
                </rect>
              )}
              {h.answers > 0 && (
                <rect class="bar-answers" x={x + BAR + GAP} y={y(h.answers)} width={BAR} height={TOP + HEIGHT - y(h.answers)}>
                  <title>{`${dayHour(h.hour)}: ${h.answers} answers`}</title>
                </rect>
              )}
              {i % 6 === 0 && (
                <text class="tick" x={x} y={TOP + HEIGHT + 16}>
                  {hourLabel(h.hour)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <details>
        <summary>The chart's figures as a table</summary>
        <section class="table-wrap" aria-label="Requests and answers per hour" tabindex={0}>
          <table>
            <caption>Requests and answers per hour (UTC)</caption>
            <thead>
              <tr>
                <th scope="col">Hour</th>
                <th scope="col" class="num">
                  Requests
                </th>
                <th scope="col" class="num">
                  Answers
                </th>
              </tr>
            </thead>
            <tbody>
              {p.hours.map((h) => (
                <tr>
                  <th scope="row">{dayHour(h.hour)}</th>
                  <td class="num">{h.requests}</td>
                  <td class="num">{h.answers}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </details>
    </figure>
  );
}
