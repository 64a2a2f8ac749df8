/**
 * Sends a provider's purge batches and folds the outcomes into one ProviderReport. Shared by
 * the Fastly and Cloudflare clients so both count attempts, ids and failures the same way.
 */
import type { HttpFailure } from "../http/request.js";
import type { Result } from "../result.js";
import type { ProviderReport, PurgeProviderName } from "./contract.js";

export interface BatchFailure {
  message: string;
  attempts: number;
  retryAfterMs?: number;
}

export type BatchResult = Result<{ ids: string[]; attempts: number }, BatchFailure>;

/** The network edge, injectable for tests (defaults: global fetch, setTimeout). */
export interface HttpDeps {
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

export function failureOf(f: HttpFailure, message = f.message): BatchFailure {
  return { message, attempts: f.attempts, ...(f.retryAfterMs !== undefined && f.retryAfterMs > 0 ? { retryAfterMs: f.retryAfterMs } : {}) };
}

/**
 * Sends the requests group by group; the requests of one group go out concurrently. Every
 * group is tried even when an earlier one failed (purge as much as we can), except after a
 * rate limit with a long Retry-After: the rest would be refused too, so we stop and hand the
 * wait to the caller.
 */
export async function runBatches<T>(
  provider: PurgeProviderName,
  mode: ProviderReport["mode"],
  groups: readonly (readonly T[])[],
  send: (request: T) => Promise<BatchResult>,
): Promise<ProviderReport> {
  const report: ProviderReport = { provider, mode, ok: true, attempts: 0, requests: 0, ids: [] };
  const errors: string[] = [];
  for (let i = 0; i < groups.length; i++) {
    const group = groups[i] ?? [];
    const results = await Promise.all(
      group.map(async (b): Promise<BatchResult> => {
        try {
          return await send(b);
        } catch (e) {
          return { ok: false, error: { message: e instanceof Error ? e.message : String(e), attempts: 1 } };
        }
      }),
    );
    report.requests += group.length;
    for (const r of results) {
      if (r.ok) {
        report.attempts += r.value.attempts;
        report.ids.push(...r.value.ids);
      } else {
        report.attempts += r.error.attempts;
        errors.push(r.error.message);
        if (r.error.retryAfterMs !== undefined) {
          report.retry_after_ms = Math.max(report.retry_after_ms ?? 0, Math.ceil(r.error.retryAfterMs));
        }
      }
    }
    if (report.retry_after_ms !== undefined && i + 1 < groups.length) {
      const left = groups.slice(i + 1).reduce((n, g) => n + g.length, 0);
      errors.push(`${left} more request(s) not sent: rate limited, retry after ${Math.ceil(report.retry_after_ms / 1000)} s`);
      break;
    }
  }
  if (errors.length > 0) {
    report.ok = false;
    report.error = errors.length === 1 ? errors[0] : `${errors[0]} (and ${errors.length - 1} more error(s): ${errors.slice(1, 4).join("; ")})`;
  }
  return report;
}
