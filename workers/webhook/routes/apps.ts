/**
 * Read and operator API (issue 2, retry from issue 3): an app's builds, one build with its
 * history, and approve / reject / cancel / retry. Bearer token from OPERATOR_TOKENS.
 */
import { Hono } from "hono";
import { z } from "zod";
import type { Build } from "../../../lib/build.js";
import { AppError } from "../../../lib/errors.js";
import { AppId, BuildId, RepoName, buildKey } from "../../../lib/ids.js";
import type { HonoEnv } from "../context.js";
import { knownRepoParam } from "../known-repo.js";
import { operatorAuth } from "../middleware/operator-auth.js";
import { appPublisher } from "../publisher-stub.js";
import { parseJson } from "../../../lib/read-body.js";
import { statusUrl } from "../status-url.js";
import { validate } from "../validate.js";
import { invalidPayload } from "../../../lib/errors.js";

const AppParams = z.object({ repo: RepoName, app_id: AppId });
const BuildParams = AppParams.extend({ build_id: BuildId, action: z.enum(["approve", "reject", "cancel", "retry"]).optional() });
const ActionBody = z.strictObject({ reason: z.string().max(1000).optional() });

function withLinks(base: string, b: Build) {
  return { ...b, status_url: statusUrl(base, b.repo, b.app_id, b.build_id) };
}

export const apps = new Hono<HonoEnv>()
  .use("/v1/repos/:repo/apps/*", operatorAuth, knownRepoParam)
  .get("/v1/repos/:repo/apps/:app_id", validate("param", AppParams), async (c) => {
    const { repo, app_id } = c.req.valid("param");
    const view = await appPublisher(c.env, repo, app_id).getApp(repo, app_id);
    const base = c.get("config").PIPELINE_URL ?? new URL(c.req.url).origin;
    const branches = Object.fromEntries(
      Object.entries(view.branches).map(([branch, builds]) => [
        branch,
        builds.map((b) => ({ key: b.key, build_id: b.build_id, state: b.state, received_at: b.received_at, updated_at: b.updated_at, status_url: statusUrl(base, b.repo, b.app_id, b.build_id) })),
      ]),
    );
    if (Object.keys(branches).length === 0) throw new AppError("not_found", `no builds of ${app_id} in ${repo} yet`);
    return c.json({ repo, app_id, branches });
  })
  .get("/v1/repos/:repo/apps/:app_id/builds/:build_id", validate("param", BuildParams), async (c) => {
    const { repo, app_id, build_id } = c.req.valid("param");
    const build = await appPublisher(c.env, repo, app_id).getBuild(buildKey(repo, app_id, build_id));
    if (!build) throw new AppError("not_found", `no build ${buildKey(repo, app_id, build_id)}`);
    return c.json({ build: withLinks(c.get("config").PIPELINE_URL ?? new URL(c.req.url).origin, build) });
  })
  .post("/v1/repos/:repo/apps/:app_id/builds/:build_id/:action", validate("param", BuildParams), async (c) => {
    const { repo, app_id, build_id, action } = c.req.valid("param");
    const text = await c.req.text();
    const body = ActionBody.safeParse(text.trim() === "" ? {} : parseJson(text));
    if (!body.success) throw invalidPayload(body.error.issues);
    const key = buildKey(repo, app_id, build_id);
    const result = await appPublisher(c.env, repo, app_id).act(key, action!, { kind: "operator", name: c.get("operator") }, body.data.reason, undefined, c.get("requestId"));
    if (!result.ok) {
      const details = result.state ? { state: result.state } : undefined;
      throw new AppError(result.code === "forbidden" ? "forbidden" : result.code, result.message, undefined, details);
    }
    return c.json({ build: withLinks(c.get("config").PIPELINE_URL ?? new URL(c.req.url).origin, result.build) });
  });
