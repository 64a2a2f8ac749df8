/**
 * Tells the pipeline that a job finished: POST the Job to the job's `callback_url` (set by the
 * pipeline that submitted it), else to <pipeline_url>/v1/repo-master/events, signed the
 * Standard Webhooks way. Best effort: the coordinator also polls GET /v1/jobs/:id, so a lost
 * callback only delays it.
 */
import { z } from "zod";
import { request } from "../lib/http/request.js";
import type { CreateJobRequest, Job } from "../lib/repo-master-contract.js";
import { signedHeaders } from "../lib/standard-webhooks.js";
import type { Logger } from "./logger.js";

export interface CallbackOptions {
  /** the full URL to POST to (see callbackUrl) */
  url: string;
  secret: string;
  log: Logger;
  attempts?: number;
  baseDelayMs?: number;
  fetch?: typeof fetch;
}

/**
 * Where to report a job: the request's own callback_url wins, because the pipeline that
 * submitted the job knows its public URL better than the agent's static config does.
 */
export function callbackUrl(request: Pick<CreateJobRequest, "callback_url">, pipelineUrl: string | undefined): string | undefined {
  if (request.callback_url) return request.callback_url;
  if (!pipelineUrl) return undefined;
  return new URL("v1/repo-master/events", pipelineUrl.endsWith("/") ? pipelineUrl : `${pipelineUrl}/`).href;
}

export async function postJobEvent(job: Job, opts: CallbackOptions): Promise<boolean> {
  const url = opts.url;
  const body = JSON.stringify(job);
  // one webhook-id for every retry of this message: the receiver dedupes on it
  const headers = await signedHeaders(opts.secret, body, { id: `msg_${job.job_id}_${job.runs}_${job.state}` });
  const res = await request({
    url,
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body,
    schema: z.unknown(),
    service: "pipeline",
    attempts: opts.attempts ?? 5,
    baseDelayMs: opts.baseDelayMs ?? 1_000,
    maxInlineWaitMs: 60_000,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
  if (res.ok) opts.log("info", "callback delivered", { job_id: job.job_id, state: job.state, url });
  else opts.log("warn", "callback failed; the pipeline will poll", { job_id: job.job_id, url, error: res.error.message });
  return res.ok;
}
