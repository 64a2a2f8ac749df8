/**
 * "Is this repo configured?" for every route: own properties of REPOS only, so `constructor`,
 * `__proto__` or `toString` are unknown repos like any other (issue 10 item 2).
 */
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import { repoPolicy, type RepoPolicy, type WebhookConfig } from "../../lib/config.js";
import { AppError, type Issue } from "../../lib/errors.js";
import type { HonoEnv } from "./context.js";

export function requireRepo(config: WebhookConfig, repo: string, issues?: Issue[]): RepoPolicy {
  const policy = repoPolicy(config, repo);
  if (!policy) throw new AppError("unknown_repo", `repo "${repo}" is not configured; known repos: ${Object.keys(config.REPOS).join(", ")}`, issues);
  return policy;
}

/**
 * Runs before the param validator: an unconfigured repo is 404 unknown_repo whatever its shape
 * (`__proto__` would otherwise be a 422 for not looking like a repo name).
 */
export const knownRepoParam = createMiddleware<HonoEnv>(async (c, next) => {
  requireRepo(c.get("config"), c.req.param("repo") ?? "");
  await next();
});

const ClaimedRepo = z.looseObject({ repo: z.string() });

/**
 * Intake: a body naming an unconfigured repo is 404 unknown_repo before the event schema runs,
 * whatever the name's shape. A body without a string `repo` is left to the schema (422).
 */
export function requireClaimedRepo(config: WebhookConfig, json: unknown): void {
  const claimed = ClaimedRepo.safeParse(json);
  if (claimed.success) requireRepo(config, claimed.data.repo, [{ path: "repo", message: "unknown repo" }]);
}
