/**
 * The per-repo backend switch of flatgate-publish: a repo whose REPOS entry says
 * `"backend": "flat-manager"` is served by flat-manager (its jobs kept in the FlatManagerJobs
 * Durable Object for that repo); every other repo by the repo-master agent, as before.
 */
import type { BuildArtifact, BuildCheck, RepoMasterCall } from "../../lib/publish-contract.js";
import type { CreateJobRequest, Job, JobAccepted } from "../../lib/repo-master-contract.js";
import { checkBuild, discardBuild } from "./flat-manager-backend.js";
import { FlatManagerClient } from "./flat-manager-client.js";
import { flatManagerTarget, repoOfJobId } from "./flat-manager-config.js";
import type { FlatManagerJobs } from "./flat-manager-jobs.js";

type Refs = { refs: { ref: string; commit: string | null }[]; next_cursor: string | null };

export interface FlatManagerRoute {
  submitJob(job: CreateJobRequest): Promise<RepoMasterCall<JobAccepted>>;
  getJob(jobId: string): Promise<RepoMasterCall<Job>>;
  getJobRefs(jobId: string, cursor?: string): Promise<RepoMasterCall<Refs>>;
  checkBuild(artifact: BuildArtifact): Promise<RepoMasterCall<BuildCheck>>;
  discardBuild(artifact: BuildArtifact): Promise<RepoMasterCall<{ purged: boolean }>>;
}

const failed = (message: string) => ({ ok: false as const, error: { message, retryable: true } });

/** The flat-manager route for a repo (or the repo a job id names), or undefined for the agent. */
export function flatManager(env: Record<string, unknown>, repo?: string, jobId?: string): FlatManagerRoute | undefined {
  const name = repo ?? (jobId ? repoOfJobId(env, jobId) : undefined);
  if (!name) return undefined;
  const target = flatManagerTarget(env, name);
  if (!target) return undefined;
  if (!target.ok) {
    const message = target.message;
    return { submitJob: async () => failed(message), getJob: async () => failed(message), getJobRefs: async () => failed(message), checkBuild: async () => failed(message), discardBuild: async () => failed(message) };
  }
  const ns = env.FLAT_MANAGER_JOBS as DurableObjectNamespace<FlatManagerJobs> | undefined;
  const stub = () => ns!.get(ns!.idFromName(name));
  const noDo = "flatgate-publish has no FLAT_MANAGER_JOBS Durable Object binding (workers/publish/wrangler.toml)";
  return {
    submitJob: async (job) => (ns ? stub().submit(name, job) : failed(noDo)),
    getJob: async (id) => (ns ? stub().poll(name, id) : failed(noDo)),
    getJobRefs: async (id, cursor) => (ns ? stub().refs(name, id, cursor) : failed(noDo)),
    checkBuild: (artifact) => checkBuild(new FlatManagerClient(target.target), artifact),
    discardBuild: (artifact) => discardBuild(new FlatManagerClient(target.target), artifact),
  };
}
