/**
 * RPC contract of workers/publish, the only client of the repo-master agent. The RepoCoordinator
 * depends on this interface; workers/publish implements it (DESIGN.md: durable → lib ← workers).
 */
import type { CreateJobRequest, Job, JobAccepted } from "./repo-master-contract.js";

export interface RepoMasterError {
  message: string;
  /** false for caller faults the agent refused (4xx): resending the same job cannot help */
  retryable: boolean;
  status?: number;
  code?: string;
  retryAfterMs?: number;
}

export type RepoMasterCall<T> = { ok: true; value: T } | { ok: false; error: RepoMasterError };

export interface JobRefs {
  /** sorted by ref (plain string order), as refsDigest hashes them */
  refs: { ref: string; commit: string | null }[];
  /** pass back to get the next page; null on the last page */
  next_cursor: string | null;
}

export interface PublishService {
  submitJob(request: CreateJobRequest): Promise<RepoMasterCall<JobAccepted>>;
  getJob(jobId: string): Promise<RepoMasterCall<Job>>;
  /**
   * A page (up to 1,000) of a succeeded update-repo job's changed refs with the commit each has
   * in the new signed summary. Read them only when the result's changed_refs.sha256 differs
   * from refsDigest() over what you expected. 409 code "not_finished" before the job succeeded.
   */
  getJobRefs(jobId: string, cursor?: string): Promise<RepoMasterCall<JobRefs>>;
}
