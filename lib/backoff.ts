/**
 * Capped exponential backoff with "equal jitter": half the delay is fixed, half random, so
 * retries of many builds spread out but never fire immediately.
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** attempts after which the caller gives up (the build becomes `failed`, the alert fires) */
  maxAttempts: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 2_000, maxMs: 5 * 60_000, maxAttempts: 8 };

export function backoffMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + (random() * exp) / 2);
}
