/**
 * Tells the pipeline that a job finished: POST <pipeline_url>/v1/repo-master/events with the
 * Job as body, signed the Standard Webhooks way. Best effort: the coordinator also polls
 * GET /v1/jobs/:id, so a lost callback only delays it.
 */
import { z } from "zod";
import { request } from "../lib/http/request.js";
import type { Job } from "../lib/repo-master-contract.js";
import { signedHeaders } from "../lib/standard-webhooks.js";
import type { Logger } from "./logger.js";

export interface CallbackOptions {
  pipelineUrl: string;
  secret: string;
  log: Logger;
  attempts?: number;
  baseDelayMs?: number;
  fetch?: typeof fetch;
}

export async function postJobEvent(job: Job, opts: CallbackOptions): Promise<boolean> {
  const url = new URL("v1/repo-master/events", opts.pipelineUrl.endsWith("/") ? opts.pipelineUrl : `${opts.pipelineUrl}/`).href;
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
  if (res.ok) opts.log("info", "callback delivered", { job_id: job.job_id, state: job.state });
  else opts.log("warn", "callback failed; the pipeline will poll", { job_id: job.job_id, error: res.error.message });
  return res.ok;
}
