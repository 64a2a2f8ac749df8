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

/** a build event's artifact: for a flat-manager repo, url is `<flat_manager_url>/api/v1/build/<id>` */
export interface BuildArtifact {
  url: string;
  refs: Record<string, string>;
}

/** the intake check of a flat-manager build (issue 12); a refusal names the reason */
export type BuildCheck = { accepted: true; fm_build_id: number } | { accepted: false; reason: string };

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
  /** only for repos whose backend is flat-manager: GET /api/v1/build/<id>/extended, as on intake */
  checkBuild(repo: string, artifact: BuildArtifact): Promise<RepoMasterCall<BuildCheck>>;
  /** only for flat-manager repos: POST /api/v1/build/<id>/purge of a build that will never be published */
  discardBuild(repo: string, artifact: BuildArtifact): Promise<RepoMasterCall<{ purged: boolean }>>;
}
