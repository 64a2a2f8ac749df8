/**
 * FlatManagerJobs: one SQLite Durable Object per flat-manager repo, owned by flatgate-publish.
 * flatgate-publish is otherwise stateless, but flat-manager's ids (build, publish job, the
 * update-repo job a publish queued) cannot be derived from a Flatgate job id, so they are kept
 * here. A thin shell: the backend (flat-manager-backend.ts) does the work over its store.
 * Single-threaded per repo, so two polls of one job never publish a build twice.
 */
import { DurableObject } from "cloudflare:workers";
import type { RepoMasterCall } from "../../lib/publish-contract.js";
import type { CreateJobRequest, Job, JobAccepted } from "../../lib/repo-master-contract.js";
import { FlatManagerBackend } from "./flat-manager-backend.js";
import { FlatManagerClient } from "./flat-manager-client.js";
import { flatManagerTarget } from "./flat-manager-config.js";
import { FlatManagerStore } from "./flat-manager-store.js";

type Refs = { refs: { ref: string; commit: string | null }[]; next_cursor: string | null };

export class FlatManagerJobs extends DurableObject<Record<string, unknown>> {
  private readonly store: FlatManagerStore;

  constructor(ctx: DurableObjectState, env: Record<string, unknown>) {
    super(ctx, env);
    this.store = new FlatManagerStore(ctx.storage.sql);
  }

  private backend(repo: string): FlatManagerBackend | { error: string } {
    const t = flatManagerTarget(this.env, repo);
    if (!t) return { error: `repo ${repo} does not use flat-manager` };
    if (!t.ok) return { error: t.message };
    return new FlatManagerBackend(this.store, new FlatManagerClient(t.target));
  }

  async submit(repo: string, req: CreateJobRequest): Promise<RepoMasterCall<JobAccepted>> {
    const b = this.backend(repo);
    return "error" in b ? { ok: false, error: { message: b.error, retryable: true } } : b.submit(req);
  }

  async poll(repo: string, jobId: string): Promise<RepoMasterCall<Job>> {
    const b = this.backend(repo);
    return "error" in b ? { ok: false, error: { message: b.error, retryable: true } } : b.poll(jobId);
  }

  async refs(repo: string, jobId: string, cursor?: string): Promise<RepoMasterCall<Refs>> {
    const b = this.backend(repo);
    return "error" in b ? { ok: false, error: { message: b.error, retryable: true } } : b.refs(jobId, cursor);
  }
}
