import { describe, expect, it } from "vitest";
import { cronMatches, nextCronRun, parseCron } from "../../src/jobs/cron.ts";

const utc = (s: string) => new Date(`${s}Z`);
const sorted = (set: ReadonlySet<number>) => [...set].sort((a, b) => a - b);
const range = (a: number, b: number, step = 1) => Array.from({ length: Math.floor((b - a) / step) + 1 }, (_, i) => a + i * step);

/** The next few runs after `from`, as ISO strings. */
function runs(expr: string, from: string, n: number): string[] {
  const out: string[] = [];
  let t = utc(from);
  for (let i = 0; i < n; i++) {
    t = nextCronRun(expr, t);
    out.push(t.toISOString());
  }
  return out;
}

describe("parseCron: syntax forms", () => {
  it("* expands to the whole field", () => {
    const s = parseCron("* * * * *");
    expect(sorted(s.minutes)).toEqual(range(0, 59));
    expect(sorted(s.hours)).toEqual(range(0, 23));
    expect(sorted(s.daysOfMonth)).toEqual(range(1, 31));
    expect(sorted(s.months)).toEqual(range(1, 12));
    expect(sorted(s.daysOfWeek)).toEqual(range(0, 6));
    expect(s.dayOfMonthRestricted).toBe(false);
    expect(s.dayOfWeekRestricted).toBe(false);
    expect(s.source).toBe("* * * * *");
  });

  it("single numbers", () => {
    const s = parseCron("5 4 3 2 1");
    expect([sorted(s.minutes), sorted(s.hours), sorted(s.daysOfMonth), sorted(s.months), sorted(s.daysOfWeek)]).toEqual([[5], [4], [3], [2], [1]]);
    expect(s.dayOfMonthRestricted).toBe(true);
    expect(s.dayOfWeekRestricted).toBe(true);
  });

  it("ranges a-b", () => {
    const s = parseCron("10-15 9-17 1-7 6-8 1-5");
    expect(sorted(s.minutes)).toEqual(range(10, 15));
    expect(sorted(s.hours)).toEqual(range(9, 17));
    expect(sorted(s.daysOfMonth)).toEqual(range(1, 7));
    expect(sorted(s.months)).toEqual([6, 7, 8]);
    expect(sorted(s.daysOfWeek)).toEqual([1, 2, 3, 4, 5]);
  });

  it("lists a,b,c, mixing values, ranges and steps", () => {
    const s = parseCron("0,15,30,45 1,2,20-22 1,15 1,7 0,3");
    expect(sorted(s.minutes)).toEqual([0, 15, 30, 45]);
    expect(sorted(s.hours)).toEqual([1, 2, 20, 21, 22]);
    expect(sorted(s.daysOfMonth)).toEqual([1, 15]);
    expect(sorted(s.months)).toEqual([1, 7]);
    expect(sorted(s.daysOfWeek)).toEqual([0, 3]);
    expect(sorted(parseCron("1,10-12,*/20 * * * *").minutes)).toEqual([0, 1, 10, 11, 12, 20, 40]);
  });

  it("steps */n", () => {
    const s = parseCron("*/15 */6 */10 */3 */2");
    expect(sorted(s.minutes)).toEqual([0, 15, 30, 45]);
    expect(sorted(s.hours)).toEqual([0, 6, 12, 18]);
    expect(sorted(s.daysOfMonth)).toEqual([1, 11, 21, 31]);
    expect(sorted(s.months)).toEqual([1, 4, 7, 10]);
    expect(sorted(s.daysOfWeek)).toEqual([0, 2, 4, 6]);
    // A stepped * still restricts the day fields (Cloudflare treats only a bare * as "any").
    expect(s.dayOfMonthRestricted).toBe(true);
    expect(s.dayOfWeekRestricted).toBe(true);
  });

  it("stepped ranges a-b/n and a/n", () => {
    expect(sorted(parseCron("10-30/10 * * * *").minutes)).toEqual([10, 20, 30]);
    expect(sorted(parseCron("0-59/20 * * * *").minutes)).toEqual([0, 20, 40]);
    expect(sorted(parseCron("* 1-23/4 * * *").hours)).toEqual([1, 5, 9, 13, 17, 21]);
    expect(sorted(parseCron("5/20 * * * *").minutes)).toEqual([5, 25, 45]);
  });

  it("month and day names, case-insensitive, in values, ranges and lists", () => {
    const s = parseCron("0 0 * JAN,mar,Dec MON-FRI");
    expect(sorted(s.months)).toEqual([1, 3, 12]);
    expect(sorted(s.daysOfWeek)).toEqual([1, 2, 3, 4, 5]);
    expect(sorted(parseCron("0 0 * FEB-APR sun,sat").months)).toEqual([2, 3, 4]);
    expect(sorted(parseCron("0 0 * * sun,SAT").daysOfWeek)).toEqual([0, 6]);
    const names = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
    for (const [i, n] of names.entries()) expect(sorted(parseCron(`0 0 * * ${n}`).daysOfWeek)).toEqual([i]);
    const months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    for (const [i, m] of months.entries()) expect(sorted(parseCron(`0 0 * ${m} *`).months)).toEqual([i + 1]);
  });

  it("day-of-week 7 is Sunday, alone and at the end of a range", () => {
    expect(sorted(parseCron("0 0 * * 7").daysOfWeek)).toEqual([0]);
    expect(sorted(parseCron("0 0 * * 0").daysOfWeek)).toEqual([0]);
    expect(sorted(parseCron("0 0 * * 5-7").daysOfWeek)).toEqual([0, 5, 6]);
    expect(sorted(parseCron("0 0 * * 0-7").daysOfWeek)).toEqual(range(0, 6));
  });

  it("wrap-around ranges (start after end), as Cloudflare accepts them", () => {
    expect(sorted(parseCron("0 0 * * FRI-MON").daysOfWeek)).toEqual([0, 1, 5, 6]);
    expect(sorted(parseCron("0 0 * * SAT-SUN").daysOfWeek)).toEqual([0, 6]);
    expect(sorted(parseCron("0 22-2 * * *").hours)).toEqual([0, 1, 2, 22, 23]);
    expect(sorted(parseCron("50-10/5 * * * *").minutes)).toEqual([0, 5, 10, 50, 55]);
    expect(sorted(parseCron("0 0 30-2 * *").daysOfMonth)).toEqual([1, 2, 30, 31]);
    expect(sorted(parseCron("0 0 * NOV-FEB *").months)).toEqual([1, 2, 11, 12]);
  });

  it("tolerates surrounding and repeated whitespace", () => {
    expect(sorted(parseCron("  */30\t0   * *  * ").minutes)).toEqual([0, 30]);
  });
});

describe("parseCron: invalid expressions name the field", () => {
  const cases: Array<[string, RegExp]> = [
    ["60 * * * *", /minute: value 60 out of range 0-59/],
    ["-1 * * * *", /minute/],
    ["x * * * *", /minute: invalid value "x"/],
    ["*/0 * * * *", /minute: step 0 out of range/],
    ["*/x * * * *", /minute: invalid step "x"/],
    ["1/2/3 * * * *", /minute: invalid step/],
    ["1,,2 * * * *", /minute: empty list item/],
    ["1-2-3 * * * *", /minute: invalid range/],
    ["* 24 * * *", /hour: value 24 out of range 0-23/],
    ["* 1-25 * * *", /hour/],
    ["* * 0 * *", /day-of-month: value 0 out of range 1-31/],
    ["* * 32 * *", /day-of-month/],
    ["* * L * *", /day-of-month: invalid value "L"/],
    ["* * 15W * *", /day-of-month/],
    ["* * ? * *", /day-of-month/],
    ["0 0 30 2 *", /day-of-month: never occurs in the selected months/],
    ["0 0 31 4,6,9,11 *", /day-of-month: never occurs/],
    ["* * * 0 *", /month: value 0 out of range 1-12/],
    ["* * * 13 *", /month/],
    ["* * * JANUARY *", /month: invalid value "JANUARY"/],
    ["* * * MON *", /month: invalid value "MON"/],
    ["* * * * 8", /day-of-week: value 8 out of range 0-7/],
    ["* * * * FOO", /day-of-week: invalid value "FOO"/],
    ["* * * * JAN", /day-of-week/],
    ["* * * * 5#2", /day-of-week/],
    ["* * * * 5L", /day-of-week/],
    ["* * * * */7", /day-of-week: step 7 out of range 1-6/],
  ];
  it.each(cases)("%s", (expr, message) => {
    expect(() => parseCron(expr)).toThrow(message);
    expect(() => parseCron(expr)).toThrow(`Invalid cron expression "${expr}"`);
  });

  it.each(["", "   ", "* * * *", "* * * * * *", "0 0 1 1 * 2026"])("wrong field count: %j", (expr) => {
    expect(() => parseCron(expr)).toThrow(/expected 5 fields \(minute hour day-of-month month day-of-week\)/);
  });

  it("a day-of-month that only some months have is fine", () => {
    expect(() => parseCron("0 0 31 * *")).not.toThrow();
    expect(() => parseCron("0 0 29 2 *")).not.toThrow();
    // With day-of-week also restricted the OR can still fire, so it is not rejected.
    expect(() => parseCron("0 0 30 2 MON")).not.toThrow();
  });
});

describe("cronMatches", () => {
  it("matches the UTC minute and ignores seconds", () => {
    expect(cronMatches("30 9 * * *", utc("2026-05-04T09:30:00"))).toBe(true);
    expect(cronMatches("30 9 * * *", utc("2026-05-04T09:30:59.999"))).toBe(true);
    expect(cronMatches("30 9 * * *", utc("2026-05-04T09:31:00"))).toBe(false);
    expect(cronMatches("30 9 * * *", utc("2026-05-04T10:30:00"))).toBe(false);
  });

  it("is evaluated in UTC, not local time", () => {
    // 09:30 at +02:00 is 07:30 UTC.
    expect(cronMatches("30 7 * * *", new Date("2026-05-04T09:30:00+02:00"))).toBe(true);
    expect(cronMatches("30 9 * * *", new Date("2026-05-04T09:30:00+02:00"))).toBe(false);
  });

  it("accepts a parsed schedule", () => {
    const s = parseCron("*/10 * * * *");
    expect(cronMatches(s, utc("2026-01-01T00:20:00"))).toBe(true);
    expect(cronMatches(s, utc("2026-01-01T00:21:00"))).toBe(false);
  });

  it("months and weekday names", () => {
    // 2026-01-02 is a Friday, 2026-01-03 a Saturday.
    expect(cronMatches("0 8 * * MON-FRI", utc("2026-01-02T08:00:00"))).toBe(true);
    expect(cronMatches("0 8 * * MON-FRI", utc("2026-01-03T08:00:00"))).toBe(false);
    expect(cronMatches("0 8 * JUN-AUG *", utc("2026-01-02T08:00:00"))).toBe(false);
    expect(cronMatches("0 8 * JUN-AUG *", utc("2026-07-02T08:00:00"))).toBe(true);
  });

  it("Sunday as 0, 7 and SUN", () => {
    const sunday = utc("2026-01-04T00:00:00");
    expect(sunday.getUTCDay()).toBe(0);
    for (const dow of ["0", "7", "SUN", "sun"]) expect(cronMatches(`0 0 * * ${dow}`, sunday)).toBe(true);
    expect(cronMatches("0 0 * * 1", sunday)).toBe(false);
  });

  it("day-of-month and day-of-week both restricted: either matches (OR)", () => {
    const expr = "0 12 13 * FRI";
    expect(cronMatches(expr, utc("2026-02-13T12:00:00"))).toBe(true); // the 13th and a Friday
    expect(cronMatches(expr, utc("2026-01-13T12:00:00"))).toBe(true); // the 13th, a Tuesday
    expect(cronMatches(expr, utc("2026-01-02T12:00:00"))).toBe(true); // a Friday, the 2nd
    expect(cronMatches(expr, utc("2026-01-14T12:00:00"))).toBe(false); // neither
  });

  it("only one of them restricted: that one alone decides", () => {
    expect(cronMatches("0 12 13 * *", utc("2026-01-13T12:00:00"))).toBe(true);
    expect(cronMatches("0 12 13 * *", utc("2026-01-02T12:00:00"))).toBe(false); // Friday, not the 13th
    expect(cronMatches("0 12 * * FRI", utc("2026-01-02T12:00:00"))).toBe(true);
    expect(cronMatches("0 12 * * FRI", utc("2026-01-13T12:00:00"))).toBe(false); // 13th, not Friday
  });

  it("a stepped * day-of-month counts as restricted for the OR", () => {
    // */10 -> days 1, 11, 21, 31; OR Mondays. 2026-01-05 is a Monday, 2026-01-06 a Tuesday.
    expect(cronMatches("0 0 */10 * MON", utc("2026-01-05T00:00:00"))).toBe(true);
    expect(cronMatches("0 0 */10 * MON", utc("2026-01-11T00:00:00"))).toBe(true);
    expect(cronMatches("0 0 */10 * MON", utc("2026-01-06T00:00:00"))).toBe(false);
  });
});

describe("nextCronRun", () => {
  it("is strictly after `after` and on a whole minute", () => {
    expect(nextCronRun("* * * * *", utc("2026-01-01T10:00:00")).toISOString()).toBe("2026-01-01T10:01:00.000Z");
    expect(nextCronRun("* * * * *", utc("2026-01-01T10:00:59.999")).toISOString()).toBe("2026-01-01T10:01:00.000Z");
    expect(nextCronRun("* * * * *", utc("2026-01-01T10:00:00.001")).toISOString()).toBe("2026-01-01T10:01:00.000Z");
    // The current minute matches, but it is not after `after`.
    expect(nextCronRun("0 10 * * *", utc("2026-01-01T10:00:00")).toISOString()).toBe("2026-01-02T10:00:00.000Z");
  });

  it("steps through minutes", () => {
    expect(runs("*/15 * * * *", "2026-01-01T10:07:00", 4)).toEqual([
      "2026-01-01T10:15:00.000Z",
      "2026-01-01T10:30:00.000Z",
      "2026-01-01T10:45:00.000Z",
      "2026-01-01T11:00:00.000Z",
    ]);
  });

  it("crosses hour, day, month and year boundaries", () => {
    expect(nextCronRun("5 * * * *", utc("2026-01-01T10:59:00")).toISOString()).toBe("2026-01-01T11:05:00.000Z");
    expect(nextCronRun("30 2 * * *", utc("2026-01-01T23:59:00")).toISOString()).toBe("2026-01-02T02:30:00.000Z");
    expect(nextCronRun("0 0 1 * *", utc("2026-01-31T23:59:30")).toISOString()).toBe("2026-02-01T00:00:00.000Z");
    expect(nextCronRun("0 0 31 * *", utc("2026-04-01T00:00:00")).toISOString()).toBe("2026-05-31T00:00:00.000Z");
    expect(nextCronRun("* * * * *", utc("2026-12-31T23:59:00")).toISOString()).toBe("2027-01-01T00:00:00.000Z");
    expect(nextCronRun("0 9 * JAN *", utc("2026-01-31T09:00:00")).toISOString()).toBe("2027-01-01T09:00:00.000Z");
    expect(nextCronRun("0 0 1 1 *", utc("2026-01-01T00:00:00")).toISOString()).toBe("2027-01-01T00:00:00.000Z");
  });

  it("February's last day, with and without a leap day", () => {
    expect(runs("0 0 28-31 2 *", "2027-02-27T12:00:00", 2)).toEqual([
      "2027-02-28T00:00:00.000Z",
      "2028-02-28T00:00:00.000Z", // 2027 has no Feb 29
    ]);
    expect(runs("0 0 * 2 *", "2028-02-28T00:00:00", 2)).toEqual(["2028-02-29T00:00:00.000Z", "2029-02-01T00:00:00.000Z"]);
  });

  it("leap day: Feb 29 only in leap years, skipping 2100", () => {
    expect(nextCronRun("0 0 29 2 *", utc("2026-01-01T00:00:00")).toISOString()).toBe("2028-02-29T00:00:00.000Z");
    expect(nextCronRun("0 0 29 2 *", utc("2028-02-29T00:00:00")).toISOString()).toBe("2032-02-29T00:00:00.000Z");
    expect(nextCronRun("0 0 29 2 *", utc("2096-03-01T00:00:00")).toISOString()).toBe("2104-02-29T00:00:00.000Z");
  });

  it("weekday names skip the weekend", () => {
    // 2026-01-02 is a Friday.
    expect(runs("0 8 * * MON-FRI", "2026-01-02T08:00:00", 2)).toEqual(["2026-01-05T08:00:00.000Z", "2026-01-06T08:00:00.000Z"]);
    expect(runs("0 0 * * SUN", "2026-01-01T00:00:00", 2)).toEqual(["2026-01-04T00:00:00.000Z", "2026-01-11T00:00:00.000Z"]);
  });

  it("DOM/DOW OR semantics: the 13th of any month or any Friday", () => {
    // Jan 2026: Fri 2, 9, 13 (Tue), 16, 23, 30; Feb: 6, 13 (Fri).
    expect(runs("0 12 13 * FRI", "2026-01-01T00:00:00", 8)).toEqual([
      "2026-01-02T12:00:00.000Z",
      "2026-01-09T12:00:00.000Z",
      "2026-01-13T12:00:00.000Z",
      "2026-01-16T12:00:00.000Z",
      "2026-01-23T12:00:00.000Z",
      "2026-01-30T12:00:00.000Z",
      "2026-02-06T12:00:00.000Z",
      "2026-02-13T12:00:00.000Z",
    ]);
  });

  it("the day OR still ANDs with month, hour and minute", () => {
    // Only March days that are the 1st or a Friday (Mar 2026: Fridays 6, 13, 20, 27).
    expect(runs("0 12 1 MAR FRI", "2026-01-01T00:00:00", 3)).toEqual(["2026-03-01T12:00:00.000Z", "2026-03-06T12:00:00.000Z", "2026-03-13T12:00:00.000Z"]);
  });

  it("accepts a parsed schedule and agrees with cronMatches", () => {
    const s = parseCron("*/7 3-5 * * *");
    const next = nextCronRun(s, utc("2026-06-01T05:57:00"));
    expect(next.toISOString()).toBe("2026-06-02T03:00:00.000Z");
    expect(cronMatches(s, next)).toBe(true);
  });

  it("matches a minute-by-minute scan", () => {
    const exprs = ["*/7 * * * *", "0 */5 * * *", "15 3 * * MON,THU", "0 0 1,15 * FRI", "45 23 1 * *", "0 22-2 * * SAT-SUN", "0 0 30-2 * *"];
    const starts = ["2026-01-01T00:00:00", "2026-02-27T21:13:00", "2026-12-30T22:59:00", "2028-02-28T01:00:00"];
    for (const expr of exprs) {
      for (const start of starts) {
        let t = utc(start).getTime() + 60_000;
        while (!cronMatches(expr, new Date(t))) t += 60_000;
        expect(nextCronRun(expr, utc(start)).getTime(), `${expr} after ${start}`).toBe(t);
      }
    }
  });

  it("rejects an invalid date and an invalid expression", () => {
    expect(() => nextCronRun("* * * * *", new Date(Number.NaN))).toThrow(/invalid date/);
    expect(() => nextCronRun("* * * 13 *", new Date())).toThrow(/month/);
  });
});
