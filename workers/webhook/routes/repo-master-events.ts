/**
 * `POST /v1/repo-master/events`: the agent's job-completion callback (issue 3), signed with
 * REPO_MASTER_SECRET. Only a hint: the coordinator also polls, so a lost callback costs time, not
 * a publish, and a repeated one changes nothing (the job id is the idempotency key). A replayed
 * webhook-id is still refused with `401 replayed`, as the agent refuses ours (issue 10 item 7).
 */
import { Hono } from "hono";
import { AppError, invalidPayload } from "../../../lib/errors.js";
import { Job } from "../../../lib/repo-master-contract.js";
import type { HonoEnv } from "../context.js";
import { requireRepo } from "../known-repo.js";
import { repoCoordinator } from "../publisher-stub.js";
import { parseJson, readBody } from "../../../lib/read-body.js";
import { verifySignedRequest } from "../../../lib/verify-signed-request.js";
import { sha256Hex } from "../../../lib/replay/ledger-keys.js";
import { checkReplay } from "../check-replay.js";

const MAX_EVENT_BYTES = 1024 * 1024;

export const repoMasterEvents = new Hono<HonoEnv>().post("/v1/repo-master/events", async (c) => {
  const config = c.get("config");
  if (!config.REPO_MASTER_SECRET) throw new AppError("not_configured", "REPO_MASTER_SECRET is not set; the repo master's callbacks cannot be verified");
  const body = await readBody(c.req.raw, MAX_EVENT_BYTES).catch((e: unknown) => {
    // an agent whose callbacks outgrow the cap is a bug on our side (they are bounded to 64 KiB), not noise
    if (e instanceof AppError && e.code === "payload_too_large") {
      c.get("log").error("repo-master callback refused: larger than the events cap", { cap_bytes: MAX_EVENT_BYTES, content_length: c.req.header("content-length") });
    }
    throw e;
  });
  const webhookId = await verifySignedRequest([config.REPO_MASTER_SECRET], c.req.raw.headers, body, { secretName: "REPO_MASTER_SECRET" });
  // Any second use of a webhook-id is refused, same body or not: a replay is the same bytes. The id
  // is recorded before the coordinator hears of the job, which is safe because a callback is only a
  // hint; and if handling fails on our side the entry is taken back, so the agent's retry (it
  // re-sends under the same id) is not refused as a replay.
  const replay = await checkReplay(c.env, "callback", webhookId, await sha256Hex(body));
  if (replay.decision.kind !== "new") throw new AppError("replayed", `webhook-id ${webhookId} was already used; sign each request with a new id`);
  try {
    const parsed = Job.safeParse(parseJson(body));
    if (!parsed.success) throw invalidPayload(parsed.error.issues);
    const job = parsed.data;
    requireRepo(config, job.repo);
    await repoCoordinator(c.env, job.repo).onJobEvent(job.repo, job);
    c.get("log").info("repo-master event", { job_id: job.job_id, kind: job.kind, state: job.state });
  } catch (e) {
    // best effort: an entry that stays only turns the agent's retry into a 401, and polling covers that
    await replay.forget().catch((f: unknown) => c.get("log").warn("could not take back a callback's ledger entry", { error: String(f) }));
    throw e;
  }
  return c.json({ ok: true });
});
