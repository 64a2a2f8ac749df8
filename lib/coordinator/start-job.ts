/**
 * New jobs for the repo master. A publish job carries the builds their publishers handed over
 * (claimed); builds they refused (superseded or cancelled while queued) leave the queue. An
 * update-repo job covers every build published so far and lists their refs as changed.
 */
import type { ActiveJob, CoordinatorState } from "./state.js";

/**
 * Job ids are the agent's idempotency keys, kept in our state before the first submit. The
 * random part keeps them unique when this object's storage is reset but the agent's is not.
 */
export function newJobId(s: CoordinatorState, kind: "publish" | "update", random: string = crypto.randomUUID().slice(0, 8)): string {
  return `${s.repo}-${kind}-${s.seq + 1}-${random}`;
}

const fresh = (now: number) => ({ phase: "submitting" as const, created_at: now, failures: 0, next_check_at: now });

export function startPublishJob(s: CoordinatorState, jobId: string, claimed: ReadonlySet<string>, decided: ReadonlySet<string>, now: number): { state: CoordinatorState; job?: ActiveJob } {
  const items = s.queue.filter((q) => claimed.has(q.build_key));
  const queue = s.queue.filter((q) => !decided.has(q.build_key));
  if (items.length === 0) return { state: { ...s, queue } };
  const job: ActiveJob = {
    job_id: jobId,
    kind: "publish",
    request: { job_id: jobId, kind: "publish", repo: s.repo, builds: items.map((i) => ({ build_key: i.build_key, app_id: i.app_id, artifact: i.artifact })) },
    build_keys: items.map((i) => i.build_key),
    items,
    ...fresh(now),
  };
  return { state: { ...s, queue, publish_job: job, seq: s.seq + 1 }, job };
}

export function startUpdateJob(s: CoordinatorState, jobId: string, generateStaticDeltas: boolean | undefined, now: number): { state: CoordinatorState; job: ActiveJob } {
  const changed = [...new Set(s.published.flatMap((p) => Object.keys(p.refs)))];
  const job: ActiveJob = {
    job_id: jobId,
    kind: "update-repo",
    request: { job_id: jobId, kind: "update-repo", repo: s.repo, options: { changed_refs: changed, ...(generateStaticDeltas !== undefined ? { generate_static_deltas: generateStaticDeltas } : {}) } },
    build_keys: s.published.map((p) => p.build_key),
    items: [],
    ...fresh(now),
  };
  return { state: { ...s, update_job: job, seq: s.seq + 1 }, job };
}
