/** How a client waits between reconnection attempts: exponential backoff with full jitter. */
export interface BackoffOptions {
  /** Upper bound of the first wait, in ms (default 500). */
  initialDelay?: number;
  /** Cap of every wait, in ms (default 30 000). */
  maxDelay?: number;
  /** Growth of the bound per attempt (default 2). */
  factor?: number;
  /** Attempts before giving up (default unlimited). */
  maxAttempts?: number;
  /** Random source in [0, 1) (default `Math.random`; tests pass their own). */
  random?: () => number;
}

/** The defaults of {@link BackoffOptions}. */
export const DEFAULT_BACKOFF = {
  initialDelay: 500,
  maxDelay: 30_000,
  factor: 2,
  maxAttempts: Number.POSITIVE_INFINITY,
} as const;

/** Checks the options and fills in the defaults; throws a `RangeError` naming a bad value. */
export function resolveBackoff(options: BackoffOptions = {}): Required<BackoffOptions> {
  const r = {
    initialDelay: options.initialDelay ?? DEFAULT_BACKOFF.initialDelay,
    maxDelay: options.maxDelay ?? DEFAULT_BACKOFF.maxDelay,
    factor: options.factor ?? DEFAULT_BACKOFF.factor,
    maxAttempts: options.maxAttempts ?? DEFAULT_BACKOFF.maxAttempts,
    random: options.random ?? Math.random,
  };
  if (!(r.initialDelay >= 0) || !Number.isFinite(r.initialDelay)) {
    throw new RangeError("backoff initialDelay must be a finite number >= 0, got " + r.initialDelay);
  }
  if (!(r.maxDelay >= r.initialDelay) || !Number.isFinite(r.maxDelay)) {
    throw new RangeError(`backoff maxDelay must be finite and >= initialDelay (${r.initialDelay}), got ${r.maxDelay}`);
  }
  if (!(r.factor >= 1)) {
    throw new RangeError("backoff factor must be >= 1, got " + r.factor);
  }
  if (!(r.maxAttempts >= 1)) {
    throw new RangeError("backoff maxAttempts must be >= 1, got " + r.maxAttempts);
  }
  return r;
}

/**
 * The wait before reconnection attempt `attempt` (1 for the first, counted since the last open):
 * `max(floor, ⌊random × min(maxDelay, initialDelay × factor^(attempt−1))⌋)` ms — "full jitter"
 * in [0, bound), so that many clients dropped at once do not come back at once. `floor` (default
 * 0) is a wait the server asked for (an SSE `retry:`, a `Retry-After`). The rule of
 * docs/clients.md, checked against test-vectors/clients/backoff.json.
 */
export function backoffDelay(attempt: number, options: Required<BackoffOptions>, floor = 0): number {
  if (!(attempt >= 1) || !Number.isInteger(attempt)) {
    throw new RangeError("backoff attempt must be an integer >= 1 (1-based), got " + attempt);
  }
  // initialDelay 0 means no wait at all: 0 × factor^n would be 0 × Infinity = NaN once the power overflows
  const bound = options.initialDelay === 0 ? 0 : Math.min(options.maxDelay, options.initialDelay * Math.pow(options.factor, attempt - 1));
  return Math.max(floor, Math.floor(options.random() * bound));
}

/**
 * The wait a `Retry-After` header asks for, in ms: delta-seconds or an HTTP date (relative to
 * `now`); 0 when absent, malformed or in the past.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number {
  if (value == null) return 0;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - now) : 0;
}
