/**
 * `POST /v1/repo-master/events`: the agent's job-completion callback (issue 3), signed with
 * REPO_MASTER_SECRET. Only a hint: the coordinator also polls, so a lost callback costs time, not
 * a publish, and a repeated one changes nothing (the job id is the idempotency key).
 */
import { Hono } from "hono";
import { AppError, invalidPayload } from "../../../lib/errors.js";
import { Job } from "../../../lib/repo-master-contract.js";
import type { HonoEnv } from "../context.js";
import { requireRepo } from "../known-repo.js";
import { repoCoordinator } from "../publisher-stub.js";
import { parseJson, readBody } from "../../../lib/read-body.js";
import { verifySignedRequest } from "../../../lib/verify-signed-request.js";

const MAX_EVENT_BYTES = 1024 * 1024;

export const repoMasterEvents = new Hono<HonoEnv>().post("/v1/repo-master/events", async (c) => {
  const config = c.get("config");
  if (!config.REPO_MASTER_SECRET) throw new AppError("not_configured", "REPO_MASTER_SECRET is not set; the repo master's callbacks cannot be verified");
  const body = await readBody(c.req.raw, MAX_EVENT_BYTES);
  await verifySignedRequest([config.REPO_MASTER_SECRET], c.req.raw.headers, body, { secretName: "REPO_MASTER_SECRET" });
  const parsed = Job.safeParse(parseJson(body));
  if (!parsed.success) throw invalidPayload(parsed.error.issues);
  const job = parsed.data;
  requireRepo(config, job.repo);
  await repoCoordinator(c.env, job.repo).onJobEvent(job.repo, job);
  c.get("log").info("repo-master event", { job_id: job.job_id, kind: job.kind, state: job.state });
  return c.json({ ok: true });
});
