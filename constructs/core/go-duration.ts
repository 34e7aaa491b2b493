/** A Go duration as time.ParseDuration reads it: one sign, then number+unit pairs ("1h30m", "1.5s"), or a bare 0. */
export const GO_DURATION = /^[+-]?(((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+|0)$/;

/** Nanoseconds per unit, as Go's time package counts them (there is no "d": "30d" is no duration). */
const UNIT_NS: Readonly<Record<string, number>> = { ns: 1, us: 1e3, µs: 1e3, μs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/**
 * A Go duration's length in nanoseconds (time.ParseDuration: one sign in front, then
 * number+unit pairs), or undefined when Go would not parse it.
 */
export function parseGoDuration(text: string): number | undefined {
  const match = /^([+-]?)(.+)$/.exec(text);
  if (!match || !GO_DURATION.test(text)) return undefined;
  let total = 0;
  for (const [, number, unit] of match[2].matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) total += Number(number) * UNIT_NS[unit];
  return match[1] === "-" ? -total : total;
}

/** A duration for messages: what Go would print for the common whole units. */
export function formatNs(ns: number): string {
  for (const [unit, size] of [["h", 3600e9], ["m", 60e9], ["s", 1e9], ["ms", 1e6]] as const) {
    if (Math.abs(ns) >= size && ns % size === 0) return `${ns / size}${unit}`;
  }
  return `${ns}ns`;
}
