/**
 * The agent's HTTP surface: the signed job API, an unsigned health check, and in local mode
 * the repositories as static files. Errors are mapped to JSON in one place (onError).
 */
import { Hono } from "hono";
import { randomUUID } from "node:crypto";
import { AppError, invalidPayload } from "../lib/errors.js";
import { parseJson } from "../lib/read-body.js";
import { CreateJobRequest, JobRefsQuery, type JobAccepted, type JobRefsPage } from "../lib/repo-master-contract.js";
import type { AgentConfig } from "./config.js";
import { errorResponse } from "./http-error.js";
import type { JobRunner } from "./job-runner.js";
import type { Logger } from "./logger.js";
import type { ReplayCache } from "./replay-cache.js";
import { fileResponse, publicKey, resolveRepoFile } from "./serve-repo.js";
import { verifyRequest } from "./verify-request.js";

export interface AppDeps {
  config: AgentConfig;
  runner: JobRunner;
  secrets: readonly string[];
  replays: ReplayCache;
  log: Logger;
  now?: () => number;
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();

  app.get("/healthz", (c) => c.json({ ok: true, repos: Object.keys(deps.config.repos) }));

  app.use("/v1/*", verifyRequest({ secrets: deps.secrets, replays: deps.replays, ...(deps.now ? { now: deps.now } : {}) }));

  app.post("/v1/jobs", async (c) => {
    const parsed = CreateJobRequest.safeParse(parseJson(await c.req.text()));
    if (!parsed.success) throw invalidPayload(parsed.error.issues, "job request");
    const submitted = await deps.runner.submit(parsed.data);
    if (!submitted.ok) {
      if (submitted.error === "unknown_repo") throw new AppError("unknown_repo", `repo ${parsed.data.repo} is not configured on this agent`);
      throw new AppError("conflicting_job", `job ${parsed.data.job_id} exists with a different request; use a new job_id`);
    }
    const accepted: JobAccepted = { job_id: submitted.value.job.job_id, state: submitted.value.job.state };
    return c.json(accepted, 202);
  });

  app.get("/v1/jobs/:job_id", (c) => {
    const job = deps.runner.get(c.req.param("job_id"));
    if (!job) throw new AppError("not_found", `no job ${c.req.param("job_id")}`);
    return c.json(job);
  });

  app.get("/v1/jobs/:job_id/refs", async (c) => {
    const jobId = c.req.param("job_id");
    const query = JobRefsQuery.safeParse(c.req.query());
    if (!query.success) throw invalidPayload(query.error.issues, "query");
    const page = await deps.runner.refs(jobId, query.data.cursor, query.data.limit);
    if (!page.ok) {
      if (page.error === "not_found") throw new AppError("not_found", `no update-repo job ${jobId}`);
      if (page.error === "bad_cursor") throw new AppError("invalid_payload", "cursor is not one this route returned", [{ path: "cursor", message: "unknown cursor" }]);
      // not in lib/errors.ts's ErrorCode (not the agent's file): same JSON shape, 409
      return c.json({ error: { code: "not_finished", message: `job ${jobId} has not succeeded (yet): its refs are known once it has` } }, 409);
    }
    const body: JobRefsPage = { job_id: jobId, ...page.value };
    return c.json(body);
  });

  if (deps.config.serve_repos) {
    app.get("/repos/:name/key.gpg", async (c) => {
      const repo = deps.config.repos[c.req.param("name")];
      const key = repo ? await publicKey(repo) : undefined;
      if (!key) throw new AppError("not_found", "no public key for this repo");
      return c.body(typeof key === "string" ? key : new Uint8Array(key), 200, { "content-type": "application/pgp-keys" });
    });
    app.get("/repos/:name/*", async (c) => {
      const name = c.req.param("name");
      const repo = deps.config.repos[name];
      if (!repo) throw new AppError("not_found", `no repo ${name}`);
      const prefix = `/repos/${name}/`;
      const answer = await resolveRepoFile(repo.path, c.req.path.slice(prefix.length));
      if (!answer.found) throw new AppError("not_found", "no such file");
      return fileResponse(answer, c.req.method);
    });
  }

  app.notFound((c) => errorResponse(c, new AppError("not_found", `no route ${c.req.method} ${c.req.path}`)));

  app.onError((e, c) => {
    if (e instanceof AppError) return errorResponse(c, e);
    const requestId = randomUUID();
    deps.log("error", "request failed", { request_id: requestId, path: c.req.path, error: e instanceof Error ? e.message : String(e) });
    return c.json({ error: { code: "internal", message: `internal error (request ${requestId})` } }, 500);
  });

  return app;
}
