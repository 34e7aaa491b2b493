/**
 * Checks a cron expression the way Nomad's parser (hashicorp/cronexpr, called by
 * PeriodicConfig.Validate in nomad/structs/structs.go) reads it: a predefined schedule
 * (@daily, ...) or 5 fields (minute hour day-of-month month day-of-week), 6 (plus year) or 7
 * (second first, year last). Returns what is wrong, or undefined.
 *
 * Two expressions Nomad accepts are refused because they do not do what they say:
 * - 6 fields: other cron dialects (Quartz, Spring) put seconds first, so "0 0 3 * * *" reads
 *   as "daily at 03:00" to most people, while cronexpr reads minute 0, hour 0, day 3, year
 *   any: once a month. The 7-field form says the same without the doubt.
 * - a day that no chosen month has (30 February): cronexpr finds no next time and the job
 *   never runs, without an error.
 */
export function cronProblem(expression: string): string | undefined {
  const trimmed = expression.trim();
  if (trimmed.startsWith("@")) {
    return PREDEFINED.includes(trimmed) ? undefined : `unknown schedule "${trimmed}" (use one of ${PREDEFINED.join(", ")})`;
  }
  const fields = trimmed.split(/\s+/);
  const layout = LAYOUTS[fields.length];
  if (!layout) return `has ${fields.length} fields, expected 5 (minute hour day-of-month month day-of-week), 6 or 7`;
  for (const [i, field] of fields.entries()) {
    const spec = layout[i];
    const problem = fieldProblem(field, spec);
    if (problem) return `${spec.name} field "${field}" ${problem}`;
  }
  if (fields.length === 6) {
    const [minute, hour, day] = fields;
    return (
      `has 6 fields, which Nomad reads as minute hour day-of-month month day-of-week year (not seconds first): ` +
      `it runs at minute ${minute} of hour ${hour} on day-of-month ${day}. Write 5 fields (e.g. "${fields.slice(1).join(" ")}" if the first field was seconds) ` +
      `or, to keep this meaning, the 7-field form "0 ${trimmed}"`
    );
  }
  return impossibleDay(fields.length === 7 ? fields.slice(1) : fields);
}

/** Days in each month at most (29 February: leap years do have it). */
const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function impossibleDay([, , day, month, weekday]: readonly string[]): string | undefined {
  // With a weekday, cronexpr may match by weekday instead; L and W forms adapt to the month.
  if (weekday !== "*" && weekday !== "?") return undefined;
  const days = fieldValues(day, DAY_OF_MONTH);
  const months = fieldValues(month, MONTH);
  if (!days || !months) return undefined;
  if (days.some((d) => months.some((m) => d <= MONTH_DAYS[m - 1]))) return undefined;
  return `never runs: no chosen month has day ${days.join(", ")} (so Nomad never launches it). Pick a day one of the chosen months has`;
}

/** The numbers a field selects, or undefined when it uses a special form (L, W, #). */
function fieldValues(field: string, spec: FieldSpec): number[] | undefined {
  const values = new Set<number>();
  for (const element of field.toUpperCase().split(",")) {
    const match = /^(\*|\?|[A-Z0-9]+)(?:-([A-Z0-9]+))?(?:\/(\d+))?$/.exec(element);
    if (!match) return undefined;
    const [, from, to, step] = match;
    const all = from === "*" || from === "?";
    const first = all ? spec.min : valueOf(from, spec);
    const last = all || (to === undefined && step !== undefined) ? spec.max : to === undefined ? first : valueOf(to, spec);
    if (first === undefined || last === undefined) return undefined;
    for (let v = first; v <= last; v += Number(step ?? 1)) values.add(v);
  }
  return [...values].sort((a, b) => a - b);
}

const PREDEFINED = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** Extra forms the field accepts (L, W, #). */
  readonly special?: RegExp;
}

const SECOND: FieldSpec = { name: "second", min: 0, max: 59 };
const MINUTE: FieldSpec = { name: "minute", min: 0, max: 59 };
const HOUR: FieldSpec = { name: "hour", min: 0, max: 23 };
const DAY_OF_MONTH: FieldSpec = { name: "day-of-month", min: 1, max: 31, special: /^(L|LW|\d{1,2}W)$/ };
const MONTH: FieldSpec = {
  name: "month",
  min: 1,
  max: 12,
  names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
};
const DAY_OF_WEEK: FieldSpec = {
  name: "day-of-week",
  min: 0,
  max: 7,
  names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
  special: /^[0-7](L|#[1-5])$/,
};
const YEAR: FieldSpec = { name: "year", min: 1970, max: 2099 };

const LAYOUTS: Record<number, readonly FieldSpec[]> = {
  5: [MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK],
  6: [MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK, YEAR],
  7: [SECOND, MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK, YEAR],
};

function fieldProblem(field: string, spec: FieldSpec): string | undefined {
  for (const element of field.toUpperCase().split(",")) {
    if (spec.special?.test(element)) continue;
    const match = /^(\*|\?|[A-Z0-9]+(?:-[A-Z0-9]+)?)(?:\/(\d+))?$/.exec(element);
    if (!match) return `is not a list of values, ranges (a-b), * or steps (/n)`;
    const [, range, step] = match;
    if (step !== undefined && Number(step) === 0) return "has a step of 0";
    if (range === "*" || range === "?") continue;
    for (const value of range.split("-")) {
      const n = valueOf(value, spec);
      if (n === undefined || n < spec.min || n > spec.max) return `has "${value}" outside ${spec.min}-${spec.max}`;
    }
  }
  return undefined;
}

function valueOf(value: string, spec: FieldSpec): number | undefined {
  if (/^\d+$/.test(value)) return Number(value);
  const index = spec.names?.indexOf(value) ?? -1;
  if (index < 0) return undefined;
  return spec.min + index;
}
