/**
 * Repo-level operator API: the coordinator's view (bounded: lists show their first entries and
 * a count), pause and resume, and the paged routes for the detail (issue 9): the queue, the
 * update summaries, and one update's per-build outcomes.
 */
import { Hono } from "hono";
import { z } from "zod";
import { AppError, invalidPayload } from "../../../lib/errors.js";
import { RepoName } from "../../../lib/ids.js";
import type { HonoEnv } from "../context.js";
import { knownRepoParam } from "../known-repo.js";
import { operatorAuth } from "../middleware/operator-auth.js";
import { repoCoordinator } from "../publisher-stub.js";
import { parseJson } from "../../../lib/read-body.js";
import { validate } from "../validate.js";

const Params = z.object({ repo: RepoName });
const PauseBody = z.strictObject({ reason: z.string().max(1000).optional() });
const limit = z.coerce.number().int().min(1).max(200).default(50);
const NumericCursor = z.strictObject({ cursor: z.string().regex(/^\d{1,16}$/, "must be a cursor from next_cursor").optional(), limit });
const KeyCursor = z.strictObject({ cursor: z.string().min(1).max(400).optional(), limit });

export const repos = new Hono<HonoEnv>()
  .use("/v1/repos/:repo", operatorAuth, knownRepoParam)
  .use("/v1/repos/:repo/pause", operatorAuth, knownRepoParam)
  .use("/v1/repos/:repo/resume", operatorAuth, knownRepoParam)
  .use("/v1/repos/:repo/queue", operatorAuth, knownRepoParam)
  .use("/v1/repos/:repo/updates", operatorAuth, knownRepoParam)
  .use("/v1/repos/:repo/updates/:update_id", operatorAuth, knownRepoParam)
  .get("/v1/repos/:repo/queue", validate("param", Params), validate("query", NumericCursor), async (c) => {
    const { repo } = c.req.valid("param");
    const q = c.req.valid("query");
    return c.json(await repoCoordinator(c.env, repo).queuePage(Number(q.cursor ?? 0), q.limit));
  })
  .get("/v1/repos/:repo/updates", validate("param", Params), validate("query", NumericCursor), async (c) => {
    const { repo } = c.req.valid("param");
    const q = c.req.valid("query");
    return c.json(await repoCoordinator(c.env, repo).updatesPage(q.cursor === undefined ? undefined : Number(q.cursor), q.limit));
  })
  .get("/v1/repos/:repo/updates/:update_id", validate("param", Params.extend({ update_id: z.string().min(1).max(200) })), validate("query", KeyCursor), async (c) => {
    const { repo, update_id } = c.req.valid("param");
    const q = c.req.valid("query");
    const detail = await repoCoordinator(c.env, repo).updateDetail(update_id, q.cursor ?? "", q.limit);
    if (!detail) throw new AppError("not_found", `repo "${repo}" has no update "${update_id}" (the last 200 are kept)`);
    return c.json(detail);
  })
  .get("/v1/repos/:repo", validate("param", Params), async (c) => {
    const { repo } = c.req.valid("param");
    return c.json(await repoCoordinator(c.env, repo).status(repo));
  })
  .post("/v1/repos/:repo/:action{pause|resume}", validate("param", Params.extend({ action: z.enum(["pause", "resume"]) })), async (c) => {
    const { repo, action } = c.req.valid("param");
    const text = await c.req.text();
    const body = PauseBody.safeParse(text.trim() === "" ? {} : parseJson(text));
    if (!body.success) throw invalidPayload(body.error.issues);
    const actor = { kind: "operator" as const, name: c.get("operator") };
    const stub = repoCoordinator(c.env, repo);
    const view = action === "pause" ? await stub.pause(repo, actor, body.data.reason) : await stub.resume(repo, actor);
    return c.json(view);
  });
