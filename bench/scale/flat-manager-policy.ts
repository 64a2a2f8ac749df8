/**
 * The same arrival trace under flat-manager's policy (issue 9 item 7), on a virtual clock:
 * - one publish job per build;
 * - after a publish, an update-repo is queued to start 120 s later, unless one is queued already
 *   (at most one queued; once it starts, the next publish queues the next one);
 * - one job at a time per repo. A due update-repo goes before waiting publishes (the order that
 *   favours flat-manager's latency), and covers every build published before it starts.
 * Job durations are functions of the job's size, fitted to what the stand-in agent measured.
 */

export interface Durations {
  publishMs: (builds: number) => number;
  updateMs: (refs: number) => number;
}

export interface PolicyResult {
  publish_jobs: number;
  update_runs: number;
  /** release → live, ms, one per build (in arrival order) */
  latencies_ms: number[];
  /** last build live, ms after the first release */
  drained_ms: number;
}

/** `arrivals`: when each build was released to publishing (ms), `refsPerBuild`: refs each publishes. */
export function simulateFlatManager(arrivals: readonly number[], refsPerBuild: number, d: Durations, updateDelayMs = 120_000): PolicyResult {
  const order = arrivals.map((at, i) => ({ at, i })).sort((a, b) => a.at - b.at);
  const liveAt = new Array<number>(arrivals.length).fill(Number.NaN);
  let now = order[0]?.at ?? 0;
  let next = 0;
  /** published, not yet in an update-repo that started */
  let unsummarized: number[] = [];
  let queuedUpdateAt: number | undefined;
  let publishJobs = 0;
  let updates = 0;
  for (;;) {
    if (queuedUpdateAt !== undefined && queuedUpdateAt <= now) {
      const covered = unsummarized;
      unsummarized = [];
      queuedUpdateAt = undefined;
      now += d.updateMs(covered.length * refsPerBuild);
      updates++;
      for (const i of covered) liveAt[i] = now;
      continue;
    }
    const arrival = order[next];
    if (arrival && arrival.at <= now) {
      next++;
      now += d.publishMs(1);
      publishJobs++;
      unsummarized.push(arrival.i);
      queuedUpdateAt ??= now + updateDelayMs;
      continue;
    }
    const wake = [arrival?.at, queuedUpdateAt].filter((t): t is number => t !== undefined);
    if (wake.length === 0) break;
    now = Math.min(...wake);
  }
  const first = order[0]?.at ?? 0;
  return {
    publish_jobs: publishJobs,
    update_runs: updates,
    latencies_ms: liveAt.map((t, i) => t - arrivals[i]!),
    drained_ms: Math.max(...liveAt) - first,
  };
}

/** Least-squares `a + b·size` through the measured (size, ms) points; a constant when sizes are equal. */
export function fitDuration(points: readonly { size: number; ms: number }[]): { base_ms: number; per_item_ms: number; fn: (size: number) => number } {
  const n = points.length;
  if (n === 0) return { base_ms: 0, per_item_ms: 0, fn: () => 0 };
  const mx = points.reduce((s, p) => s + p.size, 0) / n;
  const my = points.reduce((s, p) => s + p.ms, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.size - mx) ** 2, 0);
  const b = sxx === 0 ? 0 : points.reduce((s, p) => s + (p.size - mx) * (p.ms - my), 0) / sxx;
  const a = my - b * mx;
  return { base_ms: a, per_item_ms: b, fn: (size) => Math.max(0, a + b * size) };
}
