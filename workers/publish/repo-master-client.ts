/**
 * The one client of the repo-master agent: every request signed the Standard Webhooks way with
 * REPO_MASTER_SECRET, every response parsed with the shared contract's zod schemas.
 */
import type { z } from "zod";
import { request } from "../../lib/http/request.js";
import type { JobRefs, RepoMasterCall } from "../../lib/publish-contract.js";
import { CreateJobRequest, Job, JobAccepted, JobRefsPage, MAX_REFS_PAGE } from "../../lib/repo-master-contract.js";
import { signedHeaders } from "../../lib/standard-webhooks.js";
import type { PublishConfig } from "./config.js";

export class RepoMasterClient {
  constructor(private readonly config: PublishConfig, private readonly fetcher: typeof fetch = fetch) {}

  submitJob(job: CreateJobRequest): Promise<RepoMasterCall<JobAccepted>> {
    const body = JSON.stringify(CreateJobRequest.parse(job));
    return this.call("POST", "/v1/jobs", body, JobAccepted);
  }

  getJob(jobId: string): Promise<RepoMasterCall<Job>> {
    return this.call("GET", `/v1/jobs/${encodeURIComponent(jobId)}`, "", Job);
  }

  async getJobRefs(jobId: string, cursor?: string): Promise<RepoMasterCall<JobRefs>> {
    // the largest page: the coordinator pages only on a digest mismatch, in as few calls as it can
    const query = new URLSearchParams({ limit: String(MAX_REFS_PAGE), ...(cursor !== undefined ? { cursor } : {}) });
    const page = await this.call("GET", `/v1/jobs/${encodeURIComponent(jobId)}/refs?${query}`, "", JobRefsPage);
    return page.ok ? { ok: true, value: { refs: page.value.refs, next_cursor: page.value.next_cursor } } : page;
  }

  private async call<T>(method: string, path: string, body: string, schema: z.ZodType<T>): Promise<RepoMasterCall<T>> {
    // a fresh webhook-id per attempt: the agent refuses replayed ids; job_id is the idempotency key
    const res = await request({
      service: "repo master",
      url: `${this.config.REPO_MASTER_URL.replace(/\/+$/, "")}${path}`,
      method,
      headers: { ...(await signedHeaders(this.config.REPO_MASTER_SECRET, body)), "content-type": "application/json" },
      ...(method === "GET" ? {} : { body }),
      schema,
      attempts: 1, // the coordinator's alarm owns retries (with backoff and outage alerts)
      timeoutMs: 15_000,
      fetch: this.fetcher,
    });
    if (res.ok) return { ok: true, value: res.value.data };
    const e = res.error;
    let code: string | undefined;
    try {
      code = e.body ? (JSON.parse(e.body) as { error?: { code?: string } }).error?.code : undefined;
    } catch {
      code = undefined;
    }
    return {
      ok: false,
      error: {
        message: e.message,
        retryable: e.retryable || e.kind === "parse",
        ...(e.status !== undefined ? { status: e.status } : {}),
        ...(code ? { code } : {}),
        ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
      },
    };
  }
}
