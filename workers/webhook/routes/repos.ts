/** Repo-level operator API (issue 3): the coordinator's view, pause and resume. */
import { Hono } from "hono";
import { z } from "zod";
import { invalidPayload } from "../../../lib/errors.js";
import { RepoName } from "../../../lib/ids.js";
import type { HonoEnv } from "../context.js";
import { knownRepoParam } from "../known-repo.js";
import { operatorAuth } from "../middleware/operator-auth.js";
import { repoCoordinator } from "../publisher-stub.js";
import { parseJson } from "../../../lib/read-body.js";
import { validate } from "../validate.js";

const Params = z.object({ repo: RepoName });
const PauseBody = z.strictObject({ reason: z.string().max(1000).optional() });

export const repos = new Hono<HonoEnv>()
  .use("/v1/repos/:repo", operatorAuth, knownRepoParam)
  .use("/v1/repos/:repo/pause", operatorAuth, knownRepoParam)
  .use("/v1/repos/:repo/resume", operatorAuth, knownRepoParam)
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
