// Five-field cron (minute hour day-of-month month day-of-week), evaluated in UTC because
// that is how Cloudflare fires cron triggers. The Node/Deno scheduler uses this to fire the
// same job table on the same minutes.
//
// Syntax: `*`, `n`, `a-b`, `a,b,c`, `*/n`, `a-b/n`, `a/n` (a to the field's max, every n).
// Month names JAN-DEC and day names SUN-SAT are case-insensitive. Day-of-week numbers are
// 0-6 with 7 also Sunday. A range whose start is after its end wraps around (`FRI-MON`,
// `22-2`), as Cloudflare's parser accepts it. Quartz extensions (`L`, `W`, `#`, `?`) are not
// supported and are rejected, so a schedule never silently means something else here.
//
// Day-of-month and day-of-week: when both are restricted (anything but a bare `*`) a day
// matches if EITHER matches; otherwise only the restricted one counts.

export interface CronSchedule {
  /** The expression as given. */
  readonly source: string;
  readonly minutes: ReadonlySet<number>; // 0-59
  readonly hours: ReadonlySet<number>; // 0-23
  readonly daysOfMonth: ReadonlySet<number>; // 1-31
  readonly months: ReadonlySet<number>; // 1-12
  readonly daysOfWeek: ReadonlySet<number>; // 0-6, Sunday = 0 (7 is folded into 0)
  readonly dayOfMonthRestricted: boolean;
  readonly dayOfWeekRestricted: boolean;
}

type FieldName = "minute" | "hour" | "day-of-month" | "month" | "day-of-week";

interface FieldSpec {
  name: FieldName;
  min: number;
  max: number;
  names?: Readonly<Record<string, number>>;
}

const MONTH_NAMES = { JAN: 1, FEB: 2, MAR: 3, APR: 4, MAY: 5, JUN: 6, JUL: 7, AUG: 8, SEP: 9, OCT: 10, NOV: 11, DEC: 12 };
const DAY_NAMES = { SUN: 0, MON: 1, TUE: 2, WED: 3, THU: 4, FRI: 5, SAT: 6 };

const FIELDS: readonly FieldSpec[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTH_NAMES },
  { name: "day-of-week", min: 0, max: 7, names: DAY_NAMES },
];

// Longest day-of-month per month (February counts its leap day).
const MONTH_MAX_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const MINUTE_MS = 60_000;
// Feb 29 can be 8 years away (2096 -> 2104); anything beyond 10 years never matches.
const SEARCH_LIMIT_MS = 10 * 366 * 24 * 60 * MINUTE_MS;

class FieldError extends Error {
  constructor(
    readonly field: FieldName,
    detail: string,
  ) {
    super(`${field}: ${detail}`);
  }
}

function parseValue(text: string, spec: FieldSpec): number {
  let value: number | undefined;
  if (/^\d+$/.test(text)) value = Number(text);
  else if (spec.names) value = spec.names[text.toUpperCase()];
  if (value === undefined) throw new FieldError(spec.name, `invalid value "${text}"`);
  if (value < spec.min || value > spec.max) {
    throw new FieldError(spec.name, `value ${value} out of range ${spec.min}-${spec.max}`);
  }
  return value;
}

/** Expands one comma-separated part (`*`, `n`, `a-b`, with an optional `/step`) into `out`. */
function expandPart(part: string, spec: FieldSpec, out: Set<number>): void {
  const isDow = spec.name === "day-of-week";
  // Day-of-week cycles over 0-6; 7 is only an alias for Sunday.
  const cycleMax = isDow ? 6 : spec.max;
  const pieces = part.split("/");
  if (pieces.length > 2) throw new FieldError(spec.name, `invalid step in "${part}"`);
  const [rangeText, stepText] = pieces as [string, string | undefined];

  let step = 1;
  if (stepText !== undefined) {
    if (!/^\d+$/.test(stepText)) throw new FieldError(spec.name, `invalid step "${stepText}"`);
    step = Number(stepText);
    const maxStep = cycleMax - spec.min;
    if (step < 1 || step > maxStep) throw new FieldError(spec.name, `step ${step} out of range 1-${maxStep}`);
  }

  let start: number;
  let end: number;
  if (rangeText === "*") {
    start = spec.min;
    end = cycleMax;
  } else if (rangeText.includes("-")) {
    const bounds = rangeText.split("-");
    if (bounds.length !== 2) throw new FieldError(spec.name, `invalid range "${rangeText}"`);
    start = parseValue(bounds[0]!, spec);
    end = parseValue(bounds[1]!, spec);
    if (isDow && start === 7) start = 0; // "7-2" is Sunday to Tuesday
  } else {
    start = parseValue(rangeText, spec);
    // `a/n` runs from a to the top of the field (Quartz style, accepted by Cloudflare).
    end = stepText === undefined ? start : cycleMax;
  }

  // Walk the range (wrapping past the top when start > end), taking every step-th value.
  const span = start <= end ? end - start : cycleMax - start + 1 + (end - spec.min);
  const width = cycleMax - spec.min + 1;
  for (let offset = 0; offset <= span; offset += step) {
    let v = start + offset;
    if (v > spec.max || (start > end && v > cycleMax)) v -= width;
    out.add(isDow && v === 7 ? 0 : v);
  }
}

function parseField(text: string, spec: FieldSpec): Set<number> {
  if (text === "") throw new FieldError(spec.name, "empty field");
  const out = new Set<number>();
  for (const part of text.split(",")) {
    if (part === "") throw new FieldError(spec.name, `empty list item in "${text}"`);
    expandPart(part, spec, out);
  }
  return out;
}

/** Parses a 5-field cron expression; throws an Error naming the offending field. */
export function parseCron(expr: string): CronSchedule {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5 || fields[0] === "") {
    throw new Error(`Invalid cron expression "${expr}": expected 5 fields (minute hour day-of-month month day-of-week), got ${fields[0] === "" ? 0 : fields.length}`);
  }
  try {
    const [minutes, hours, daysOfMonth, months, daysOfWeek] = FIELDS.map((spec, i) => parseField(fields[i]!, spec)) as [
      Set<number>,
      Set<number>,
      Set<number>,
      Set<number>,
      Set<number>,
    ];
    const schedule: CronSchedule = {
      source: expr,
      minutes,
      hours,
      daysOfMonth,
      months,
      daysOfWeek,
      dayOfMonthRestricted: fields[2] !== "*",
      dayOfWeekRestricted: fields[4] !== "*",
    };
    // "0 0 30 2 *" would otherwise parse and then never fire.
    if (schedule.dayOfMonthRestricted && !schedule.dayOfWeekRestricted) {
      const possible = [...months].some((m) => [...daysOfMonth].some((d) => d <= MONTH_MAX_DAYS[m - 1]!));
      if (!possible) throw new FieldError("day-of-month", "never occurs in the selected months");
    }
    return schedule;
  } catch (err) {
    if (err instanceof FieldError) throw new Error(`Invalid cron expression "${expr}": ${err.message}`);
    throw err;
  }
}

function toSchedule(cron: string | CronSchedule): CronSchedule {
  return typeof cron === "string" ? parseCron(cron) : cron;
}

function dayMatches(s: CronSchedule, d: Date): boolean {
  const dom = s.daysOfMonth.has(d.getUTCDate());
  const dow = s.daysOfWeek.has(d.getUTCDay());
  if (s.dayOfMonthRestricted && s.dayOfWeekRestricted) return dom || dow;
  return dom && dow; // an unrestricted field's set is full
}

/** Whether the UTC minute containing `date` is one the schedule fires on (seconds are ignored). */
export function cronMatches(cron: string | CronSchedule, date: Date): boolean {
  const s = toSchedule(cron);
  return s.minutes.has(date.getUTCMinutes()) && s.hours.has(date.getUTCHours()) && s.months.has(date.getUTCMonth() + 1) && dayMatches(s, date);
}

/** The first matching minute strictly after `after` (UTC, seconds zero). */
export function nextCronRun(cron: string | CronSchedule, after: Date): Date {
  const s = toSchedule(cron);
  const from = after.getTime();
  if (Number.isNaN(from)) throw new Error("nextCronRun: invalid date");
  let t = Math.floor(from / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  // Skip whole months, days and hours that cannot match before stepping by minutes.
  while (t - from <= SEARCH_LIMIT_MS) {
    const d = new Date(t);
    const y = d.getUTCFullYear();
    const mo = d.getUTCMonth();
    const day = d.getUTCDate();
    const h = d.getUTCHours();
    if (!s.months.has(mo + 1)) t = Date.UTC(y, mo + 1, 1);
    else if (!dayMatches(s, d)) t = Date.UTC(y, mo, day + 1);
    else if (!s.hours.has(h)) t = Date.UTC(y, mo, day, h + 1);
    else if (!s.minutes.has(d.getUTCMinutes())) t += MINUTE_MS;
    else return d;
  }
  throw new Error(`Cron expression "${s.source}" has no run within 10 years after ${after.toISOString()}`);
}
