/**
 * The RepoCoordinator's state for one repository, as plain data: the publish queue, builds
 * published but not yet in a signed summary, and at most one publish job and one update-repo job
 * in flight (the agent is the single writer; we keep at most one of each on the wire).
 */
import type { CreateJobRequest } from "../repo-master-contract.js";

export interface QueuedBuild {
  build_key: string;
  app_id: string;
  artifact: { url: string; refs: Record<string, string> };
  enqueued_at: number;
  /** failed publish attempts so far */
  attempts: number;
  /** not before this time (backoff after a transient failure) */
  ready_at: number;
}

export interface PublishedBuild {
  build_key: string;
  refs: Record<string, string>;
  published_at: number;
}

export interface ActiveJob {
  job_id: string;
  kind: "publish" | "update-repo";
  /** submitting: not yet accepted by the agent (re-sent with the same job_id until it is) */
  phase: "submitting" | "running";
  request: CreateJobRequest;
  build_keys: string[];
  /** a publish job's builds as they were queued, to requeue them after a transient failure */
  items: QueuedBuild[];
  created_at: number;
  /** consecutive failed submits or polls */
  failures: number;
  next_check_at: number;
}

export interface CoordinatorState {
  repo: string;
  paused: boolean;
  paused_reason?: string;
  queue: QueuedBuild[];
  published: PublishedBuild[];
  publish_job?: ActiveJob;
  update_job?: ActiveJob;
  /** builds of a failed update-repo wait for the next one, not before this time */
  update_not_before?: number;
  update_failures: number;
  /** first failure to reach the agent in the current outage (for the "unreachable" alert) */
  agent_down_since?: number;
  agent_down_alerted: boolean;
  seq: number;
}

export function emptyState(repo: string): CoordinatorState {
  return { repo, paused: false, queue: [], published: [], update_failures: 0, agent_down_alerted: false, seq: 0 };
}

export interface Timing {
  /** summary regeneration coalescing (issue 3: defaults 30 s / 120 s) */
  debounceMs: number;
  maxWaitMs: number;
  batchSize: number;
  /** backoff of retries (failed publishes, unreachable agent) */
  retryBaseMs: number;
  retryMaxMs: number;
  maxAttempts: number;
  pollMs: number;
  alertAfterMs: number;
}
