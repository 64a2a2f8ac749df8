/**
 * What a finished repo-master job means for the repo's builds. Publish results are per build: one
 * bad build fails alone; permanent errors (integrity, bad ref) fail at once; transient ones go
 * back to the queue with capped backoff until `maxAttempts`, then fail (an operator can retry).
 */
import { backoffMs } from "../backoff.js";
import type { PublishProgress } from "../publisher/publish-progress.js";
import type { Job, UpdateRepoResult } from "../repo-master-contract.js";
import type { CoordinatorState, QueuedBuild, Timing } from "./state.js";

export interface Report {
  build_key: string;
  progress: PublishProgress;
}

export interface FinishedUpdate {
  update_id: string;
  build_keys: string[];
  ok: boolean;
  result?: UpdateRepoResult;
  error?: string;
  finished_at: number;
}

export interface Outcome {
  state: CoordinatorState;
  reports: Report[];
  alerts: string[];
  update?: FinishedUpdate;
}

const backoff = (attempt: number, t: Timing) => backoffMs(attempt, { baseMs: t.retryBaseMs, maxMs: t.retryMaxMs, maxAttempts: t.maxAttempts });

export function applyPublishJob(state: CoordinatorState, job: Job, now: number, timing: Timing): Outcome {
  const active = state.publish_job;
  if (!active || active.job_id !== job.job_id || job.kind !== "publish") return { state, reports: [], alerts: [] };
  const reports: Report[] = [];
  const requeue: QueuedBuild[] = [];
  const published = [...state.published];
  const results = new Map((job.state === "succeeded" ? job.result?.builds ?? [] : []).map((r) => [r.build_key, r]));
  for (const item of active.items) {
    const r = results.get(item.build_key);
    if (r?.ok) {
      published.push({ build_key: item.build_key, refs: r.refs, published_at: now });
      reports.push({ build_key: item.build_key, progress: { kind: "published", job_id: job.job_id, refs: r.refs } });
      continue;
    }
    const reason = r ? r.error : job.error ?? `publish job ${job.job_id} ${job.state} without a result for this build`;
    const attempt = item.attempts + 1;
    if ((r && r.permanent) || attempt >= timing.maxAttempts) {
      const why = r?.permanent ? reason : `gave up after ${attempt} attempts: ${reason}`;
      reports.push({ build_key: item.build_key, progress: { kind: "failed", reason: why } });
    } else {
      requeue.push({ ...item, attempts: attempt, ready_at: now + backoff(attempt, timing) });
      reports.push({ build_key: item.build_key, progress: { kind: "retrying", reason, attempt } });
    }
  }
  const { publish_job: _done, ...rest } = state;
  return { state: { ...rest, queue: [...requeue, ...state.queue], published }, reports, alerts: [] };
}

export function applyUpdateJob(state: CoordinatorState, job: Job, now: number, timing: Timing): Outcome {
  const active = state.update_job;
  if (!active || active.job_id !== job.job_id || job.kind !== "update-repo") return { state, reports: [], alerts: [] };
  const { update_job: _done, ...rest } = state;
  const inJob = new Set(active.build_keys);
  if (job.state === "succeeded" && job.result) {
    const result = job.result;
    const reports: Report[] = active.build_keys.map((build_key) => ({
      build_key,
      progress: { kind: "live", summary_sha256: result.summary_sha256, update_id: job.job_id },
    }));
    const next: CoordinatorState = { ...rest, published: state.published.filter((p) => !inJob.has(p.build_key)), update_failures: 0 };
    delete next.update_not_before;
    return { state: next, reports, alerts: [], update: { update_id: job.job_id, build_keys: active.build_keys, ok: true, result, finished_at: now } };
  }
  // The builds stay published and wait for the next update-repo, after a backoff.
  const failures = state.update_failures + 1;
  const error = job.error ?? "update-repo failed";
  const alerts = failures === timing.maxAttempts ? [`summary regeneration of ${state.repo} failed ${failures} times in a row: ${error}`] : [];
  return {
    state: { ...rest, update_failures: failures, update_not_before: now + backoff(Math.min(failures, timing.maxAttempts), timing) },
    reports: [],
    alerts,
    update: { update_id: job.job_id, build_keys: active.build_keys, ok: false, error, finished_at: now },
  };
}
