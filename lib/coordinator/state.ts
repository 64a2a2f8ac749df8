/**
 * The RepoCoordinator's data for one repository, as plain records. Storage keeps one row per
 * item (issue 9): the repo's fixed-size meta row, one row per queue entry, per active job, per
 * build waiting for the summary and per finished update. Nothing here holds a list that grows
 * with the queue, the builds or the refs; the pure functions get the few rows a decision needs.
 */

export interface QueuedBuild {
  build_key: string;
  app_id: string;
  artifact: { url: string; refs: Record<string, string> };
  enqueued_at: number;
  /** failed publish attempts so far */
  attempts: number;
  /** not before this time (backoff after a transient failure) */
  ready_at: number;
  /** the publish job that claimed it (stored in the same transaction as the job) */
  job_id?: string;
}

export interface PublishedBuild {
  build_key: string;
  app_id: string;
  refs: Record<string, string>;
  published_at: number;
  /** order of publication: the later of two builds of one ref is the one the summary lists */
  seq: number;
  /** the update-repo job that covers it, once one has started */
  update_id?: string;
}

/** claiming: rows written, AppPublishers not yet told; submitting: not yet accepted by the agent */
export type JobPhase = "claiming" | "submitting" | "running";

export interface ActiveJob {
  job_id: string;
  kind: "publish" | "update-repo";
  phase: JobPhase;
  created_at: number;
  /** consecutive failed submits or polls */
  failures: number;
  next_check_at: number;
}

export interface RepoMeta {
  repo: string;
  paused: boolean;
  paused_reason?: string;
  paused_by?: string;
  paused_at?: number;
  /** builds of a failed update-repo wait for the next one, not before this time */
  update_not_before?: number;
  update_failures: number;
  /** first failure to reach the agent in the current outage */
  agent_down_since?: number;
  agent_down_alerted: boolean;
  /** last health probe while the agent is down (issue 10: every ≤ 15 s, apart from the job backoff) */
  last_probe_at?: number;
  /** the backend refused our credential (flat-manager token): alerted once, builds wait */
  credential_refused_since?: number;
  seq: number;
}

export function emptyMeta(repo: string): RepoMeta {
  return { repo, paused: false, update_failures: 0, agent_down_alerted: false, seq: 0 };
}

export interface Timing {
  /** summary regeneration coalescing (defaults 30 s / 120 s) */
  debounceMs: number;
  maxWaitMs: number;
  batchSize: number;
  /** backoff of retries (failed publishes, unreachable agent) */
  retryBaseMs: number;
  retryMaxMs: number;
  maxAttempts: number;
  pollMs: number;
  alertAfterMs: number;
  /** health probe interval while the agent is unreachable */
  probeMs: number;
}
