/** `GET /status/:repo/:app_id/:build_id`: the public status page (check-run Details, Slack links). */
import { Hono } from "hono";
import { repoPolicy } from "../../../lib/config.js";
import { AppError } from "../../../lib/errors.js";
import { parseGitHubConfig } from "../../../lib/github/config.js";
import { AppId, BuildId, buildKey } from "../../../lib/ids.js";
import type { HonoEnv } from "../context.js";
import { appPublisher } from "../publisher-stub.js";
import { renderNotFoundPage, renderStatusPage } from "../status-page.js";

export const status = new Hono<HonoEnv>().get("/status/:repo/:app_id/:build_id", async (c) => {
  const { repo, app_id, build_id } = c.req.param();
  const key = buildKey(repo, app_id, build_id);
  c.header("cache-control", "no-store");
  // people follow these links: anything that is not a build of a configured repo is an HTML 404
  // (JSON for a client that asks for it), and no Durable Object is reached for it
  const miss = !repoPolicy(c.get("config"), repo)
    ? new AppError("unknown_repo", `repo "${repo}" is not configured`)
    : !AppId.safeParse(app_id).success || !BuildId.safeParse(build_id).success
      ? new AppError("not_found", `no build ${key}`)
      : undefined;
  const build = miss ? undefined : await appPublisher(c.env, repo, app_id).getBuild(key);
  if (!build) {
    const error = miss ?? new AppError("not_found", `no build ${key}`);
    if (prefersJson(c.req.header("accept"))) throw error;
    return c.html(renderNotFoundPage(error.code === "unknown_repo" ? `There is no repository "${repo}" here.` : `There is no build ${key}.`), 404);
  }
  return c.html(renderStatusPage(build, { github: parseGitHubConfig(c.env).configured }));
});

function prefersJson(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes("application/json") && !accept.includes("text/html");
}
