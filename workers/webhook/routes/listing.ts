/**
 * Listing across apps (issue 11 §1), served from the per-repo BuildIndex:
 * `GET /v1/repos` (every configured repo with build counts, paused, repo master reachable) and
 * `GET /v1/builds` (newest first, filtered, paged with an opaque cursor).
 */
import { Hono } from "hono";
import { z } from "zod";
import { BUILD_STATES } from "../../../lib/build-state.js";
import { decodeCursor, encodeCursor, type CursorFilters } from "../../../lib/build-index/cursor.js";
import { DEFAULT_LIMIT, MAX_LIMIT, mergePages, positionOf } from "../../../lib/build-index/listing.js";
import { repoPolicy } from "../../../lib/config.js";
import { AppError, invalidPayload } from "../../../lib/errors.js";
import { AppId, Branch, RepoName } from "../../../lib/ids.js";
import type { HonoEnv } from "../context.js";
import { operatorAuth } from "../middleware/operator-auth.js";
import { buildIndex, repoCoordinator } from "../publisher-stub.js";
import { statusUrl } from "../status-url.js";
import { validate } from "../validate.js";

const ListQuery = z.strictObject({
  repo: RepoName.optional(),
  state: z.enum(BUILD_STATES).optional(),
  app_id: AppId.optional(),
  branch: Branch.optional(),
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(DEFAULT_LIMIT),
  cursor: z.string().min(1).max(800).optional(),
});

export const listing = new Hono<HonoEnv>()
  .get("/v1/repos", operatorAuth, async (c) => {
    const config = c.get("config");
    const repos = await Promise.all(
      Object.entries(config.REPOS).map(async ([repo, policy]) => {
        // the coordinator's status only reads (its tables are created on the first write)
        const [counts, status] = await Promise.all([buildIndex(c.env, repo).counts(), repoCoordinator(c.env, repo).status(repo)]);
        const total = Object.values(counts).reduce((a, n) => a + n, 0);
        return {
          repo,
          approval: policy.approval,
          paused: status.paused,
          ...(status.paused_reason ? { paused_reason: status.paused_reason } : {}),
          repo_master: status.repo_master,
          queue_count: status.queue_count,
          builds: { total, by_state: counts },
        };
      }),
    );
    return c.json({ repos });
  })
  .get("/v1/builds", operatorAuth, validate("query", ListQuery), async (c) => {
    const config = c.get("config");
    const q = c.req.valid("query");
    if (q.repo !== undefined && !repoPolicy(config, q.repo)) {
      throw new AppError("unknown_repo", `repo "${q.repo}" is not configured; known repos: ${Object.keys(config.REPOS).join(", ")}`, [{ path: "repo", message: "unknown repo" }]);
    }
    const filters: CursorFilters = { repo: q.repo, state: q.state, app_id: q.app_id, branch: q.branch };
    let after;
    if (q.cursor !== undefined) {
      const decoded = decodeCursor(q.cursor, filters);
      if (!decoded.ok) throw invalidPayload([{ path: ["cursor"], message: decoded.error }], "query");
      after = decoded.value;
    }
    const query = {
      ...(q.state ? { state: q.state } : {}),
      ...(q.app_id ? { app_id: q.app_id } : {}),
      ...(q.branch ? { branch: q.branch } : {}),
      ...(after ? { after } : {}),
      limit: q.limit,
    };
    // one index per repo; without `repo`, each repo's page after the same position is merged
    const repos = q.repo !== undefined ? [q.repo] : Object.keys(config.REPOS);
    const page = mergePages(await Promise.all(repos.map((r) => buildIndex(c.env, r).list(query))), q.limit);
    const base = config.PIPELINE_URL ?? new URL(c.req.url).origin;
    const last = page.items[page.items.length - 1];
    return c.json({
      items: page.items.map((b) => ({ ...b, status_url: statusUrl(base, b.repo, b.app_id, b.build_id) })),
      next_cursor: page.more && last ? encodeCursor(positionOf(last), filters) : null,
    });
  });
