// Durations in the object model are integer nanoseconds, as in the Docker Engine API (Go's
// time.Duration in JSON), so a Docker client's numbers mean the same here. These constants
// keep literals readable: `5 * SECOND`.
//
// A JS number holds every integer exactly up to 2^53 ns (about 104 days); longer durations
// (a one-year certificate expiry) are still stored exactly when, like whole seconds, they are
// multiples of a power of two, and are only ever compared, never summed to the nanosecond.

/** A duration in integer nanoseconds. */
export type Nanoseconds = number;

export const NANOSECOND: Nanoseconds = 1;
export const MICROSECOND: Nanoseconds = 1_000;
export const MILLISECOND: Nanoseconds = 1_000_000;
export const SECOND: Nanoseconds = 1_000_000_000;
export const MINUTE: Nanoseconds = 60 * SECOND;
export const HOUR: Nanoseconds = 60 * MINUTE;

/** Go's time.Duration is an int64: durations must stay below 2^63 ns (about 292 years). */
export const MAX_DURATION_EXCLUSIVE = 2 ** 63;

/** Nanoseconds to milliseconds, for timers (rounds down). */
export function toMilliseconds(duration: Nanoseconds): number {
  return Math.floor(duration / MILLISECOND);
}
