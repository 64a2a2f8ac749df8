/** `GET /status/:repo/:app_id/:build_id`: the public status page (check-run Details, Slack links). */
import { Hono } from "hono";
import { z } from "zod";
import { AppError } from "../../../lib/errors.js";
import { AppId, BuildId, RepoName, buildKey } from "../../../lib/ids.js";
import type { HonoEnv } from "../context.js";
import { appPublisher } from "../publisher-stub.js";
import { renderStatusPage } from "../status-page.js";
import { validate } from "../validate.js";

const Params = z.object({ repo: RepoName, app_id: AppId, build_id: BuildId });

export const status = new Hono<HonoEnv>().get("/status/:repo/:app_id/:build_id", validate("param", Params), async (c) => {
  const { repo, app_id, build_id } = c.req.valid("param");
  const key = buildKey(repo, app_id, build_id);
  const build = c.get("config").REPOS[repo] ? await appPublisher(c.env, repo, app_id).getBuild(key) : undefined;
  if (!build) throw new AppError("not_found", `no build ${key}`);
  c.header("cache-control", "no-store");
  return c.html(renderStatusPage(build));
});
