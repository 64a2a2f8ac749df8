/**
 * What one call to the repo master (submit or poll of a job, or a health probe) means for the
 * coordinator: on success the job runs and any outage is over (with an all-clear if an alert
 * went out); a lost job is submitted again under its id; a refusal fails the job; anything
 * else backs off (Retry-After when given). The outage alert fires on a timer (issue 10 #8),
 * not on the next failed call, and a probe every `probeMs` notices the agent's return.
 */
import { backoffMs } from "../backoff.js";
import type { RepoMasterError } from "../publish-contract.js";
import type { Job } from "../repo-master-contract.js";
import type { ActiveJob, RepoMeta, Timing } from "./state.js";

export type CallOutcome =
  | { kind: "ok"; meta: RepoMeta; job: ActiveJob; alert?: string }
  | { kind: "resubmit"; meta: RepoMeta; job: ActiveJob }
  | { kind: "refused"; meta: RepoMeta; result: Job }
  | { kind: "retry"; meta: RepoMeta; job: ActiveJob; waitMs: number; alert?: string };

const iso = (ms: number) => new Date(ms).toISOString();

/** The error code the publish service gives when the backend refuses its token (workers/publish). */
export const CREDENTIAL_REFUSED = "flat_manager_token";

/** The agent answered: the outage (if any) is over. */
export function agentReachable(meta: RepoMeta, now: number): { meta: RepoMeta; alert?: string } {
  if (meta.agent_down_since === undefined) return { meta };
  const { agent_down_since: since, last_probe_at: _p, ...rest } = meta;
  const next = { ...rest, agent_down_alerted: false };
  if (!meta.agent_down_alerted) return { meta: next };
  return { meta: next, alert: `all clear: repo master for ${meta.repo} is reachable again after an outage of ${Math.round((now - since) / 1000)} s (since ${iso(since)})` };
}

export function agentUnreachable(meta: RepoMeta, now: number): RepoMeta {
  return meta.agent_down_since === undefined ? { ...meta, agent_down_since: now, last_probe_at: now } : meta;
}

/** The outage alert, once, when the agent has been unreachable for `alertAfterMs`. */
export function outageAlert(meta: RepoMeta, now: number, timing: Pick<Timing, "alertAfterMs">, lastError: string): { meta: RepoMeta; alert?: string } {
  if (meta.agent_down_since === undefined || meta.agent_down_alerted || now - meta.agent_down_since < timing.alertAfterMs) return { meta };
  return { meta: { ...meta, agent_down_alerted: true }, alert: `repo master for ${meta.repo} unreachable since ${iso(meta.agent_down_since)}: ${lastError}` };
}

/** When the outage needs attention next: the alert time, then a probe every `probeMs`. */
export function outageWakeAt(meta: RepoMeta, timing: Pick<Timing, "alertAfterMs" | "probeMs">): number | undefined {
  if (meta.agent_down_since === undefined) return undefined;
  const probe = (meta.last_probe_at ?? meta.agent_down_since) + timing.probeMs;
  return meta.agent_down_alerted ? probe : Math.min(probe, meta.agent_down_since + timing.alertAfterMs);
}

export function callSucceeded(meta: RepoMeta, job: ActiveJob, now: number, timing: Timing): CallOutcome {
  const up = agentReachable(meta, now);
  let alert = up.alert;
  let next = up.meta;
  if (next.credential_refused_since !== undefined) {
    const { credential_refused_since: since, ...rest } = next;
    next = rest;
    const cleared = `all clear: the backend of ${meta.repo} accepts Flatgate's credential again (refused for ${Math.round((now - since) / 1000)} s); the waiting builds go on`;
    alert = alert ? `${alert}\n${cleared}` : cleared;
  }
  return { kind: "ok", meta: next, job: { ...job, phase: "running", failures: 0, next_check_at: now + timing.pollMs }, ...(alert ? { alert } : {}) };
}

/**
 * The backend refused Flatgate's credential (flat-manager's 401/403 on an expired or wrong token,
 * issue 12): resending the same job works once an operator fixes the token, so the job is kept and
 * retried with backoff, the builds wait instead of failing, and one alert says so in plain words.
 */
function credentialRefused(meta: RepoMeta, job: ActiveJob, error: RepoMasterError, now: number, timing: Timing): CallOutcome {
  const failures = job.failures + 1;
  const waitMs = backoffMs(failures, { baseMs: timing.retryBaseMs, maxMs: timing.retryMaxMs, maxAttempts: timing.maxAttempts });
  const first = meta.credential_refused_since === undefined;
  return {
    kind: "retry",
    meta: first ? { ...meta, credential_refused_since: now } : meta,
    job: { ...job, failures, next_check_at: now + waitMs },
    waitMs,
    ...(first ? { alert: `the backend of ${meta.repo} refuses Flatgate's credential: ${error.message}. Publishing waits (nothing fails) and goes on by itself once the credential is fixed.` } : {}),
  };
}

export function callFailed(meta: RepoMeta, job: ActiveJob, repo: string, error: RepoMasterError, now: number, timing: Timing): CallOutcome {
  if (error.code === CREDENTIAL_REFUSED) return credentialRefused(meta, job, error, now, timing);
  if (!error.retryable && job.phase === "running" && error.status === 404) {
    // the agent lost the job (a new state dir?): submit it again under the same id
    return { kind: "resubmit", meta: agentReachable(meta, now).meta, job: { ...job, phase: "submitting", next_check_at: now } };
  }
  if (!error.retryable) {
    // the agent refused the request itself: resending cannot help, so the job fails
    const base = { job_id: job.job_id, repo, state: "failed" as const, error: `repo master refused the job: ${error.message}`, log_tail: [], created_at: iso(job.created_at), updated_at: iso(now), runs: 0 };
    return { kind: "refused", meta: agentReachable(meta, now).meta, result: job.kind === "publish" ? { ...base, kind: "publish" } : { ...base, kind: "update-repo" } };
  }
  const failures = job.failures + 1;
  const waitMs = Math.max(error.retryAfterMs ?? 0, backoffMs(failures, { baseMs: timing.retryBaseMs, maxMs: timing.retryMaxMs, maxAttempts: timing.maxAttempts }));
  return { kind: "retry", meta: agentUnreachable(meta, now), job: { ...job, failures, next_check_at: now + waitMs }, waitMs };
}
