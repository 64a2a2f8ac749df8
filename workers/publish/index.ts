/**
 * flatgate-publish: RPC entrypoint (`PublishService` in lib/publish-contract.ts) used by the
 * RepoCoordinator. No public routes.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import type { BuildArtifact, BuildCheck, JobRefs, PublishService, RepoMasterCall } from "../../lib/publish-contract.js";
import type { CreateJobRequest, Job, JobAccepted } from "../../lib/repo-master-contract.js";
import { loadPublishConfig } from "./config.js";
import { RepoMasterClient } from "./repo-master-client.js";
import { flatManager } from "./flat-manager.js";

export { FlatManagerJobs } from "./flat-manager-jobs.js";

export default class Publish extends WorkerEntrypoint<Record<string, unknown>> implements PublishService {
  private client(): RepoMasterClient | { error: string } {
    const loaded = loadPublishConfig(this.env);
    return loaded.ok ? new RepoMasterClient(loaded.config) : { error: loaded.message };
  }

  async submitJob(job: CreateJobRequest): Promise<RepoMasterCall<JobAccepted>> {
    const fm = flatManager(this.env, job.repo);
    if (fm) return fm.submitJob(job);
    const c = this.client();
    if ("error" in c) return { ok: false, error: { message: c.error, retryable: true } };
    const withCallback = this.callbackUrl() && !job.callback_url ? { ...job, callback_url: this.callbackUrl() } : job;
    return c.submitJob(withCallback);
  }

  async getJob(jobId: string): Promise<RepoMasterCall<Job>> {
    const fm = flatManager(this.env, undefined, jobId);
    if (fm) return fm.getJob(jobId);
    const c = this.client();
    if ("error" in c) return { ok: false, error: { message: c.error, retryable: true } };
    return c.getJob(jobId);
  }

  async getJobRefs(jobId: string, cursor?: string): Promise<RepoMasterCall<JobRefs>> {
    const fm = flatManager(this.env, undefined, jobId);
    if (fm) return fm.getJobRefs(jobId, cursor);
    const c = this.client();
    if ("error" in c) return { ok: false, error: { message: c.error, retryable: true } };
    return c.getJobRefs(jobId, cursor);
  }

  /** Intake of a flat-manager build (issue 12): is it publishable as the event describes it? */
  async checkBuild(repo: string, artifact: BuildArtifact): Promise<RepoMasterCall<BuildCheck>> {
    const fm = flatManager(this.env, repo);
    if (!fm) return { ok: false, error: { message: `flatgate-publish's REPOS does not give repo ${repo} the flat-manager backend; give both workers the same REPOS`, retryable: false } };
    return fm.checkBuild(artifact);
  }

  /** Housekeeping of a flat-manager build that ended unpublished (issue 12). */
  async discardBuild(repo: string, artifact: BuildArtifact): Promise<RepoMasterCall<{ purged: boolean }>> {
    const fm = flatManager(this.env, repo);
    if (!fm) return { ok: false, error: { message: `repo ${repo} does not use flat-manager`, retryable: false } };
    return fm.discardBuild(artifact);
  }

  private callbackUrl(): string | undefined {
    const loaded = loadPublishConfig(this.env);
    return loaded.ok && loaded.config.PIPELINE_URL ? `${loaded.config.PIPELINE_URL.replace(/\/+$/, "")}/v1/repo-master/events` : undefined;
  }

  override async fetch(): Promise<Response> {
    return Response.json({ error: { code: "not_found", message: "flatgate-publish has no HTTP routes; it is reached by RPC" } }, { status: 404 });
  }
}
