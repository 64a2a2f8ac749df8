/**
 * 3. Summary-regeneration coalescing, simulated on a virtual clock with the coordinator's own pure
 * functions (enqueue, nextBatch, updateDueAt, applyPublishJob, applyUpdateJob) driven the way
 * RepoCoordinator.tick drives them: at most one publish job and one update-repo job in flight,
 * a publish starts as soon as the queue has a ready batch, an update-repo once updateDueAt passes.
 *
 * Model: N approvals of N different apps arrive uniformly at random within 60 s. The repo-master
 * agent is the single writer: jobs run one at a time, FIFO. A publish job takes 4–6 s, an
 * update-repo 16–24 s. Completions arrive by callback (no 5 s poll delay); nothing fails.
 * Latency is approval → the update-repo that made the build live, in simulated seconds.
 * Every N runs with 25 seeds; counts are medians over seeds, latencies pooled.
 */
import { applyPublishJob, applyUpdateJob } from "../lib/coordinator/job-outcome.js";
import { earliestReady, enqueue, nextBatch } from "../lib/coordinator/queue.js";
import { emptyState, type ActiveJob, type CoordinatorState, type Timing } from "../lib/coordinator/state.js";
import { updateDueAt } from "../lib/coordinator/update-schedule.js";
import { RepoPolicy } from "../lib/config.js";
import type { Job } from "../lib/repo-master-contract.js";
import { appId, BRANCH, hex, REPO } from "./builders.js";
import { median, percentile, seededRandom } from "./harness.js";
import { bytes, type Section } from "./report.js";

const ARRIVAL_WINDOW_MS = 60_000;
const PUBLISH_MS: [number, number] = [4_000, 6_000];
const UPDATE_MS: [number, number] = [16_000, 24_000];
const SEEDS = 25;

export interface SimResult {
  publishJobs: number;
  updates: number;
  /** approval → live, seconds, one per build */
  latencies: number[];
  /** when the last build went live, seconds after the first approval */
  drainedAt: number;
  /** the coordinator's state row: largest size, and bytes written over the burst (one save per event) */
  maxStateBytes: number;
  stateBytesWritten: number;
}

interface Completion {
  at: number;
  job: Job;
}

function timingFrom(policy: RepoPolicy): Timing {
  // retries never happen here (nothing fails); the values are the config defaults
  return {
    debounceMs: policy.update_debounce_seconds * 1000,
    maxWaitMs: policy.update_max_wait_seconds * 1000,
    batchSize: policy.publish_batch_size,
    retryBaseMs: 2_000,
    retryMaxMs: 300_000,
    maxAttempts: 8,
    pollMs: 5_000,
    alertAfterMs: 600_000,
  };
}

/** `measureState`: serialize the state after every event, as the Durable Object saves it (slow at N=500). */
export function simulate(n: number, timing: Timing, seed: number, measureState = false): SimResult {
  const rand = seededRandom(seed);
  const between = ([lo, hi]: [number, number]) => lo + rand() * (hi - lo);
  const iso = (ms: number) => new Date(Date.UTC(2026, 10, 25) + ms).toISOString();
  const arrivals = Array.from({ length: n }, (_, i) => {
    const app = appId(i);
    return {
      at: rand() * ARRIVAL_WINDOW_MS,
      item: { build_key: `${REPO}/${app}/gh-${i}-1`, app_id: app, artifact: { url: `https://builds.example.org/${i}/repo`, refs: { [`app/${app}/x86_64/${BRANCH}`]: hex(64, rand) } } },
    };
  }).sort((a, b) => a.at - b.at);

  let state: CoordinatorState = emptyState(REPO);
  let agentFreeAt = 0;
  const completions: Completion[] = []; // FIFO on the single-writer agent, so already in time order
  const approvedAt = new Map<string, number>();
  const liveAt = new Map<string, number>();
  let publishJobs = 0;
  let updates = 0;
  let wakeAt: number | undefined;
  let maxStateBytes = 0;
  let stateBytesWritten = 0;

  const save = () => {
    if (!measureState) return;
    const size = JSON.stringify(state).length;
    maxStateBytes = Math.max(maxStateBytes, size);
    stateBytesWritten += size;
  };

  /** the agent runs one job at a time: this one starts when the previous one is done */
  const submit = (now: number, durationMs: number, finished: Job) => {
    agentFreeAt = Math.max(now, agentFreeAt) + durationMs;
    completions.push({ at: agentFreeAt, job: finished });
  };

  const activeJob = (now: number, id: string, kind: ActiveJob["kind"], request: ActiveJob["request"], items: ActiveJob["items"], keys: string[]): ActiveJob => ({
    job_id: id,
    kind,
    phase: "running",
    request,
    build_keys: keys,
    items,
    created_at: now,
    failures: 0,
    next_check_at: now + timing.pollMs,
  });

  const tick = (now: number) => {
    if (!state.publish_job) {
      const batch = nextBatch(state, now, timing.batchSize);
      if (batch.length > 0) {
        const id = `${REPO}-publish-${state.seq + 1}`;
        const keys = batch.map((b) => b.build_key);
        const job = activeJob(now, id, "publish", { job_id: id, kind: "publish", repo: REPO, builds: batch.map(({ build_key, app_id, artifact }) => ({ build_key, app_id, artifact })) }, batch, keys);
        const taken = new Set(keys);
        state = { ...state, queue: state.queue.filter((q) => !taken.has(q.build_key)), publish_job: job, seq: state.seq + 1 };
        publishJobs++;
        submit(now, between(PUBLISH_MS), {
          job_id: id, kind: "publish", repo: REPO, state: "succeeded", log_tail: [], created_at: iso(now), updated_at: iso(now), runs: 1,
          result: { builds: batch.map((b) => ({ build_key: b.build_key, ok: true as const, refs: b.artifact.refs })) },
        });
      }
    }
    const due = updateDueAt(state, timing);
    if (!state.update_job && due !== undefined && due <= now) {
      const id = `${REPO}-update-${state.seq + 1}`;
      const changed = [...new Set(state.published.flatMap((p) => Object.keys(p.refs)))];
      const job = activeJob(now, id, "update-repo", { job_id: id, kind: "update-repo", repo: REPO, options: { changed_refs: changed } }, [], state.published.map((p) => p.build_key));
      state = { ...state, update_job: job, seq: state.seq + 1 };
      updates++;
      const took = between(UPDATE_MS);
      submit(now, took, {
        job_id: id, kind: "update-repo", repo: REPO, state: "succeeded", log_tail: [], created_at: iso(now), updated_at: iso(now), runs: 1,
        result: { summary_sha256: hex(64, rand), changed_paths: ["summary", "summary.sig", ...changed.map((r) => `refs/heads/${r}`)], refs: {}, duration_ms: Math.round(took) },
      });
    }
    save();
    // RepoCoordinator.schedule: the next alarm
    const times = [!state.publish_job ? earliestReady(state) : undefined, !state.update_job ? updateDueAt(state, timing) : undefined].filter((t): t is number => t !== undefined);
    wakeAt = times.length > 0 ? Math.max(now, Math.min(...times)) : undefined;
  };

  let next = 0;
  for (;;) {
    const arrival = arrivals[next];
    const done = completions[0];
    const candidates = [arrival?.at, done?.at, wakeAt].filter((t): t is number => t !== undefined);
    if (candidates.length === 0) break;
    const now = Math.min(...candidates);
    if (arrival && arrival.at === now) {
      next++;
      approvedAt.set(arrival.item.build_key, now);
      state = enqueue(state, arrival.item, now);
    } else if (done && done.at === now) {
      completions.shift();
      const outcome = done.job.kind === "publish" ? applyPublishJob(state, done.job, now, timing) : applyUpdateJob(state, done.job, now, timing);
      state = outcome.state;
      for (const r of outcome.reports) if (r.progress.kind === "live") liveAt.set(r.build_key, now);
    } else {
      wakeAt = undefined;
    }
    tick(now);
  }

  if (liveAt.size !== n) throw new Error(`simulation lost builds: ${liveAt.size} of ${n} went live`);
  const latencies = [...liveAt].map(([key, at]) => (at - (approvedAt.get(key) ?? Number.NaN)) / 1000);
  const first = arrivals[0]?.at ?? 0;
  return { publishJobs, updates, latencies, drainedAt: (Math.max(...liveAt.values()) - first) / 1000, maxStateBytes, stateBytesWritten };
}

interface Summary {
  n: number;
  mode: string;
  publish_jobs: number;
  updates: number;
  updates_range: [number, number];
  p50_s: number;
  p95_s: number;
  drained_s: number;
  max_state_bytes: number;
  state_bytes_written: number;
  wall_ms: number;
}

function summarize(n: number, mode: string, timing: Timing): Summary {
  const start = performance.now();
  const runs = Array.from({ length: SEEDS }, (_, s) => simulate(n, timing, 1000 + s));
  const wall = (performance.now() - start) / SEEDS;
  const measured = simulate(n, timing, 1000, true);
  const updates = runs.map((r) => r.updates);
  const latencies = runs.flatMap((r) => r.latencies);
  return {
    n,
    mode,
    publish_jobs: median(runs.map((r) => r.publishJobs)),
    updates: median(updates),
    updates_range: [Math.min(...updates), Math.max(...updates)],
    p50_s: percentile(latencies, 50),
    p95_s: percentile(latencies, 95),
    drained_s: median(runs.map((r) => r.drainedAt)),
    max_state_bytes: measured.maxStateBytes,
    state_bytes_written: measured.stateBytesWritten,
    wall_ms: wall,
  };
}

export function benchCoalescing(): Section {
  const defaults = RepoPolicy.parse({ approval: "required" });
  const coalesced = timingFrom(defaults);
  // no coalescing window: an update-repo starts whenever none is running and something is published
  const eager = { ...coalesced, debounceMs: 0, maxWaitMs: 0 };
  const sizes = [10, 100, 500];
  const results = sizes.flatMap((n) => [summarize(n, "debounce 30 s / max wait 120 s", coalesced), summarize(n, "eager (debounce 0)", eager)]);
  const rows = results.map((s) => ({
    name: `N=${s.n} ${s.mode}`,
    ms: s.wall_ms,
    p50: s.p50_s,
    p95: s.p95_s,
    latencyUnit: "sim_s" as const,
    memoryBytes: s.max_state_bytes,
    memoryWhat: "max state row",
    note: `${s.updates} update-repo (${s.updates_range[0]}–${s.updates_range[1]}) vs ${s.publish_jobs} naive · all live at ${s.drained_s.toFixed(0)} s · state rows saved Σ ${bytes(s.state_bytes_written)}`,
  }));
  const ratios = results
    .filter((s) => s.mode.startsWith("debounce"))
    .map((s) => ({ name: `N=${s.n} naive / coalesced update-repo jobs`, value: s.publish_jobs / s.updates, meaning: `${s.publish_jobs} publish jobs would mean ${s.publish_jobs} regenerations; coalescing runs ${s.updates} (${s.n} builds)` }));
  return {
    id: "coalescing",
    title: `3. Coalescing simulation (batch ${coalesced.batchSize}, publish 4–6 s, update-repo 16–24 s, ${SEEDS} seeds; * = simulated seconds, ms = wall time per run)`,
    rows,
    ratios,
    data: { seeds: SEEDS, arrival_window_ms: ARRIVAL_WINDOW_MS, publish_ms: PUBLISH_MS, update_ms: UPDATE_MS, results },
  };
}
