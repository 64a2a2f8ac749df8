/**
 * `POST /v1/builds`: the signed build-complete intake (issue 2). Order matters: size cap, then the
 * signature over the raw body, and only then is the body parsed.
 */
import { Hono } from "hono";
import { BuildEvent, MAX_BODY_BYTES } from "../../../lib/build-event.js";
import { canonicalJson } from "../../../lib/canonical-json.js";
import { sha256Hex } from "../../../lib/replay/ledger-keys.js";
import { checkReplay } from "../check-replay.js";
import { AppError, invalidPayload } from "../../../lib/errors.js";
import type { HonoEnv } from "../context.js";
import { appPublisher } from "../publisher-stub.js";
import { parseJson, readBody } from "../../../lib/read-body.js";
import { statusPageUrl, statusUrl } from "../status-url.js";
import { requireClaimedRepo } from "../known-repo.js";
import { authenticateBuild, authorizeBuild, buildWorker, tokenId } from "../authenticate-build.js";
import { publishService } from "../../../durable/services.js";
import { repoPolicy } from "../../../lib/config.js";

export const builds = new Hono<HonoEnv>().post("/v1/builds", async (c) => {
  const config = c.get("config");
  const body = await readBody(c.req.raw, MAX_BODY_BYTES);
  const sender = await authenticateBuild(config, c.req.raw.headers, body);
  const json = parseJson(body);
  requireClaimedRepo(config, json);
  const parsed = BuildEvent.safeParse(json);
  if (!parsed.success) throw invalidPayload(parsed.error.issues);
  const event = parsed.data;
  authorizeBuild(sender, event);
  // A flat-manager build is read from flat-manager (issue 12) before the id is bound or anything stored
  if (repoPolicy(config, event.repo)?.backend === "flat-manager" && event.status === "success" && event.artifact) {
    const check = await publishService(c.env).checkBuild(event.repo, event.artifact);
    if (!check.ok) throw new AppError("upstream_error", `could not read the build from flat-manager: ${check.error.message}`);
    if (!check.value.accepted) throw new AppError("build_refused", check.value.reason, [{ path: "artifact.url", message: check.value.reason }]);
  }
  // Pipeline-wide webhook-id check (issue 10 item 3), after validation so a refused body does not
  // bind the id. Check-and-reserve is one step in the ledger, committed before the AppPublisher
  // stores anything, so of two different bodies racing under one id exactly one gets through.
  // A `duplicate` (same id, same event) is passed on, not answered here: if an earlier attempt
  // reserved the id and then failed or crashed before the AppPublisher committed the build, the
  // sender's retry must still create it; if the build did land, the AppPublisher's build-key
  // idempotency (same repo/app/build_id, same event) answers `duplicate`. So the reservation
  // never loses a build, and only a different body under a known id is refused, storing nothing.
  // The digest is of the canonical event, as the build-key check compares it.
  // An OIDC token is used once (issue 13): any second sight of its jti is a replay, even with the
  // same body; the entry is taken back if the intake fails on our side, so a retry can succeed.
  const digest = await sha256Hex(canonicalJson(event));
  const webhookId = sender.kind === "oidc" ? `oidc:${sender.publisher.name}:${sender.claims.run_id}` : sender.webhookId;
  const replay = sender.kind === "oidc" ? await checkReplay(c.env, "oidc", await tokenId(sender), digest) : await checkReplay(c.env, "build", webhookId, digest);
  if (sender.kind === "oidc" && replay.decision.kind !== "new") {
    throw new AppError("replayed", `this OIDC token (jti) was already used; request a new token for each request`, [{ path: "jti", message: "already used" }]);
  }
  if (replay.decision.kind === "reused") {
    throw new AppError("webhook_id_reused", `webhook-id ${webhookId} was already used for a different body; sign each message with a new webhook-id`);
  }
  const result = await appPublisher(c.env, event.repo, event.app_id)
    .intake(event, webhookId, c.get("requestId"), buildWorker(sender))
    .catch(async (e: unknown) => {
      if (sender.kind === "oidc") await replay.forget();
      throw e;
    });
  const build = result.build;
  if (result.outcome === "conflict") {
    throw new AppError("conflicting_build", `build ${build.key} already exists with a different body; send a new build_id for a new build`, undefined, {
      build: { key: build.key, state: build.state },
    });
  }
  c.get("log").info("build intake", { build_key: build.key, outcome: result.outcome, state: build.state });
  const base = config.PIPELINE_URL ?? new URL(c.req.url).origin;
  const view = { key: build.key, state: build.state, status_url: statusUrl(base, build.repo, build.app_id, build.build_id), status_page_url: statusPageUrl(base, build.repo, build.app_id, build.build_id) };
  return result.outcome === "duplicate" ? c.json({ build: view, duplicate: true }, 200) : c.json({ build: view }, 202);
});
