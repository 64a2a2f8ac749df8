/**
 * Update-repo runs for the metrics (issue 11 §3), from the RepoCoordinator's finished-update
 * records (its `updatesPage` RPC keeps the last 200). The coordinator keeps no counters, so the
 * BuildIndex folds each record in once, by update id, and keeps the ids of the current window
 * only: a record that has left the window never comes back.
 */
import type { HistogramData } from "./transition-metrics.js";
import { JOB_DURATION_BUCKETS } from "./transition-metrics.js";

/** The fields of the coordinator's UpdateSummary this needs (plain data over RPC). */
export interface UpdateRun {
  update_id: string;
  ok: boolean;
  finished_at: number;
  duration_ms?: number;
}

export interface UpdateRunTotals {
  ok: number;
  failed: number;
  duration: HistogramData;
}

export const emptyRunTotals = (): UpdateRunTotals => ({ ok: 0, failed: 0, duration: { buckets: new Array<number>(JOB_DURATION_BUCKETS.length + 1).fill(0), sum: 0, count: 0 } });

/** Adds the runs not in `seen` to `totals`. */
export function foldRuns(totals: UpdateRunTotals, runs: readonly UpdateRun[], seen: ReadonlySet<string>): UpdateRunTotals {
  let next = totals;
  for (const r of runs) {
    if (seen.has(r.update_id)) continue;
    next = { ...next, ok: next.ok + (r.ok ? 1 : 0), failed: next.failed + (r.ok ? 0 : 1) };
    if (r.duration_ms !== undefined) {
      const s = r.duration_ms / 1000;
      let i = JOB_DURATION_BUCKETS.findIndex((b) => s <= b);
      if (i < 0) i = JOB_DURATION_BUCKETS.length;
      const buckets = [...next.duration.buckets];
      buckets[i] = (buckets[i] ?? 0) + 1;
      next = { ...next, duration: { buckets, sum: next.duration.sum + s, count: next.duration.count + 1 } };
    }
  }
  return next;
}

/** What a finished update's purge report says per CDN provider (the coordinator's updateDetail). */
export interface PurgeRun {
  update_id: string;
  providers: { provider: string; ok: boolean; requests: number }[];
}

/** Purge requests (batches) by provider and outcome. */
export type PurgeTotals = Record<string, { ok: number; failed: number }>;

/**
 * Adds each purge's requests to its provider: all of them `ok` when the provider reported
 * success, else `failed` (at least one: a provider that failed before sending still failed).
 */
export function foldPurges(totals: PurgeTotals, purges: readonly PurgeRun[]): PurgeTotals {
  const next: PurgeTotals = Object.fromEntries(Object.entries(totals).map(([p, t]) => [p, { ...t }]));
  for (const run of purges) {
    for (const p of run.providers) {
      const t = (next[p.provider] ??= { ok: 0, failed: 0 });
      if (p.ok) t.ok += p.requests;
      else t.failed += Math.max(1, p.requests);
    }
  }
  return next;
}
