/**
 * What one call to the repo master (submit or poll of a job) means for the coordinator: on
 * success the job runs and the outage is over; a lost job is submitted again under its id; a
 * refusal fails the job; anything else backs off (Retry-After when given) and, once the agent has
 * been unreachable for `alertAfterMs`, raises one alert for the outage.
 */
import { backoffMs } from "../backoff.js";
import type { RepoMasterError } from "../publish-contract.js";
import type { Job } from "../repo-master-contract.js";
import type { ActiveJob, CoordinatorState, Timing } from "./state.js";

export type CallOutcome =
  | { kind: "ok"; state: CoordinatorState }
  | { kind: "resubmit"; state: CoordinatorState }
  | { kind: "refused"; state: CoordinatorState; job: Job }
  | { kind: "retry"; state: CoordinatorState; waitMs: number; alert?: string };

const iso = (ms: number) => new Date(ms).toISOString();

export function patchJob(s: CoordinatorState, jobId: string, patch: Partial<ActiveJob>): CoordinatorState {
  if (s.publish_job?.job_id === jobId) return { ...s, publish_job: { ...s.publish_job, ...patch } };
  if (s.update_job?.job_id === jobId) return { ...s, update_job: { ...s.update_job, ...patch } };
  return s;
}

export function callSucceeded(s: CoordinatorState, job: ActiveJob, now: number, timing: Timing): CallOutcome {
  const { agent_down_since: _over, ...rest } = s;
  return { kind: "ok", state: patchJob({ ...rest, agent_down_alerted: false }, job.job_id, { phase: "running", failures: 0, next_check_at: now + timing.pollMs }) };
}

export function callFailed(s: CoordinatorState, job: ActiveJob, error: RepoMasterError, now: number, timing: Timing): CallOutcome {
  if (!error.retryable && job.phase === "running" && error.status === 404) {
    // the agent lost the job (a new state dir?): submit it again under the same id
    return { kind: "resubmit", state: patchJob(s, job.job_id, { phase: "submitting", next_check_at: now }) };
  }
  if (!error.retryable) {
    // the agent refused the request itself: resending cannot help, so the job fails
    const base = { job_id: job.job_id, repo: job.request.repo, state: "failed" as const, error: `repo master refused the job: ${error.message}`, log_tail: [], created_at: iso(job.created_at), updated_at: iso(now), runs: 0 };
    return { kind: "refused", state: s, job: job.kind === "publish" ? { ...base, kind: "publish" } : { ...base, kind: "update-repo" } };
  }
  const failures = job.failures + 1;
  const waitMs = Math.max(error.retryAfterMs ?? 0, backoffMs(failures, { baseMs: timing.retryBaseMs, maxMs: timing.retryMaxMs, maxAttempts: timing.maxAttempts }));
  const since = s.agent_down_since ?? now;
  const alertNow = !s.agent_down_alerted && now - since >= timing.alertAfterMs;
  const state = patchJob({ ...s, agent_down_since: since, agent_down_alerted: s.agent_down_alerted || alertNow }, job.job_id, { failures, next_check_at: now + waitMs });
  return { kind: "retry", state, waitMs, ...(alertNow ? { alert: `repo master for ${s.repo} unreachable since ${iso(since)}: ${error.message}` } : {}) };
}
