/**
 * New jobs for the repo master. A publish job carries the builds it claimed from the queue; an
 * update-repo job covers the published builds that wait for a summary and lists their refs as
 * changed. Requests are built from the job's rows each time they are sent, never stored whole.
 */
import type { CreateJobRequest } from "../repo-master-contract.js";
import type { ActiveJob, PublishedBuild, QueuedBuild, RepoMeta } from "./state.js";

/**
 * Job ids are the agent's idempotency keys, kept in our storage before the first submit. The
 * random part keeps them unique when this object's storage is reset but the agent's is not.
 */
export function newJobId(meta: RepoMeta, kind: "publish" | "update", random: string = crypto.randomUUID().slice(0, 8)): string {
  return `${meta.repo}-${kind}-${meta.seq + 1}-${random}`;
}

export function newJob(jobId: string, kind: ActiveJob["kind"], now: number): ActiveJob {
  return { job_id: jobId, kind, phase: kind === "publish" ? "claiming" : "submitting", created_at: now, failures: 0, next_check_at: now };
}

export function publishRequest(repo: string, jobId: string, items: readonly QueuedBuild[]): CreateJobRequest {
  return { job_id: jobId, kind: "publish", repo, builds: items.map((i) => ({ build_key: i.build_key, app_id: i.app_id, artifact: i.artifact })) };
}

export function changedRefs(builds: readonly Pick<PublishedBuild, "refs">[]): string[] {
  return [...new Set(builds.flatMap((b) => Object.keys(b.refs)))].sort();
}

export function updateRequest(repo: string, jobId: string, builds: readonly PublishedBuild[], generateStaticDeltas: boolean | undefined): CreateJobRequest {
  return {
    job_id: jobId,
    kind: "update-repo",
    repo,
    options: { changed_refs: changedRefs(builds), ...(generateStaticDeltas !== undefined ? { generate_static_deltas: generateStaticDeltas } : {}) },
  };
}
