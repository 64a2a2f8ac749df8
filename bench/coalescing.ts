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
import { applyPublishJob, applyUpdateSuccess, expectedRefs } from "../lib/coordinator/job-outcome.js";
import { nextBatch } from "../lib/coordinator/queue.js";
import { changedRefs, newJobId } from "../lib/coordinator/start-job.js";
import { emptyMeta, type PublishedBuild, type QueuedBuild, type RepoMeta, type Timing } from "../lib/coordinator/state.js";
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
  /** the coordinator's rows: the largest, and bytes written over the burst (the rows each change writes) */
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
    probeMs: 10_000,
  };
}

/** `measureState`: size every row a change writes, as the Durable Object stores them. */
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

  // the coordinator's rows, in memory: queue entries, published builds, at most one job of each kind
  let meta: RepoMeta = emptyMeta(REPO);
  const queue: QueuedBuild[] = [];
  const published: PublishedBuild[] = [];
  let publishJob: { id: string; items: QueuedBuild[] } | undefined;
  let updateJob: { id: string; builds: PublishedBuild[] } | undefined;
  let agentFreeAt = 0;
  const completions: Completion[] = []; // FIFO on the single-writer agent, so already in time order
  const approvedAt = new Map<string, number>();
  const liveAt = new Map<string, number>();
  let publishJobs = 0;
  let updates = 0;
  let seq = 0;
  let wakeAt: number | undefined;
  let maxRowBytes = 0;
  let bytesWritten = 0;

  /** one stored row (what the Durable Object writes for this change) */
  const wrote = (row: unknown) => {
    if (!measureState) return;
    const size = JSON.stringify(row).length;
    maxRowBytes = Math.max(maxRowBytes, size);
    bytesWritten += size;
  };

  /** the agent runs one job at a time: this one starts when the previous one is done */
  const submit = (now: number, durationMs: number, finished: Job) => {
    agentFreeAt = Math.max(now, agentFreeAt) + durationMs;
    completions.push({ at: agentFreeAt, job: finished });
  };

  const waiting = () => {
    const times = published.map((p) => p.published_at);
    return times.length === 0 ? { count: 0 } : { count: times.length, first: Math.min(...times), last: Math.max(...times) };
  };

  const tick = (now: number) => {
    if (!publishJob) {
      const batch = nextBatch(queue, now, timing.batchSize);
      if (batch.length > 0) {
        const id = newJobId(meta, "publish", "sim");
        meta = { ...meta, seq: meta.seq + 1 };
        publishJob = { id, items: batch };
        for (const b of batch) b.job_id = id;
        wrote(meta);
        batch.forEach(wrote);
        publishJobs++;
        submit(now, between(PUBLISH_MS), {
          job_id: id, kind: "publish", repo: REPO, state: "succeeded", log_tail: [], created_at: iso(now), updated_at: iso(now), runs: 1,
          result: { builds: batch.map((b) => ({ build_key: b.build_key, ok: true as const, refs: b.artifact.refs })) },
        });
      }
    }
    const due = updateDueAt(meta, waiting(), timing);
    if (!updateJob && due !== undefined && due <= now) {
      const id = newJobId(meta, "update", "sim");
      meta = { ...meta, seq: meta.seq + 1 };
      const builds = published.splice(0, published.length);
      updateJob = { id, builds };
      wrote(meta);
      updates++;
      const took = between(UPDATE_MS);
      const changed = changedRefs(builds);
      submit(now, took, {
        job_id: id, kind: "update-repo", repo: REPO, state: "succeeded", log_tail: [], created_at: iso(now), updated_at: iso(now), runs: 1,
        result: { summary_sha256: hex(64, rand), changed_paths: ["summary", "summary.sig"], refs_count: changed.length, changed_refs: { count: changed.length, sha256: hex(64, rand) }, duration_ms: Math.round(took) },
      });
    }
    // RepoCoordinator.schedule: the next alarm
    const ready = queue.filter((q) => q.job_id === undefined).map((q) => q.ready_at);
    const times = [!publishJob && ready.length > 0 ? Math.min(...ready) : undefined, !updateJob ? updateDueAt(meta, waiting(), timing) : undefined].filter((t): t is number => t !== undefined);
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
      const q = { ...arrival.item, enqueued_at: now, attempts: 0, ready_at: now };
      queue.push(q);
      wrote(q);
    } else if (done && done.at === now) {
      completions.shift();
      if (done.job.kind === "publish" && publishJob) {
        const outcome = applyPublishJob(done.job, publishJob.items, now, timing);
        const gone = new Set(publishJob.items.map((i) => i.build_key));
        queue.splice(0, queue.length, ...queue.filter((q) => !gone.has(q.build_key)));
        for (const p of outcome.published) {
          const row = { ...p, seq: ++seq };
          published.push(row);
          wrote(row);
        }
        publishJob = undefined;
      } else if (done.job.kind === "update-repo" && done.job.result && updateJob) {
        const builds = updateJob.builds;
        const actual = new Map([...expectedRefs(builds)].map(([r, e]) => [r, e.commit as string | null]));
        const outcome = applyUpdateSuccess(meta, done.job.job_id, builds, done.job.result, actual, now);
        meta = outcome.meta;
        wrote(outcome.record);
        for (const r of outcome.reports) if (r.progress.kind === "live") liveAt.set(r.build_key, now);
        updateJob = undefined;
      }
    } else {
      wakeAt = undefined;
    }
    tick(now);
  }

  if (liveAt.size !== n) throw new Error(`simulation lost builds: ${liveAt.size} of ${n} went live`);
  const latencies = [...liveAt].map(([key, at]) => (at - (approvedAt.get(key) ?? Number.NaN)) / 1000);
  const first = arrivals[0]?.at ?? 0;
  return { publishJobs, updates, latencies, drainedAt: (Math.max(...liveAt.values()) - first) / 1000, maxStateBytes: maxRowBytes, stateBytesWritten: bytesWritten };
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
    memoryWhat: "largest row",
    note: `${s.updates} update-repo (${s.updates_range[0]}–${s.updates_range[1]}) vs ${s.publish_jobs} naive · all live at ${s.drained_s.toFixed(0)} s · rows written Σ ${bytes(s.state_bytes_written)}`,
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
