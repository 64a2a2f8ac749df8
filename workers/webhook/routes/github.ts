/**
 * `POST /v1/github` (issue 4): check-run button clicks. The signature is verified before the
 * payload is read; routing is by event name; a redelivery (same X-GitHub-Delivery) has no second
 * effect, and the same signed body under a new X-GitHub-Delivery is a replay with no effect for
 * 3 days (issue 10 item 6). Policy (roles, self-approval, quorum) is the AppPublisher's; this
 * route only finds out who clicked and which role they hold. Answers stay well within GitHub's 10 s limit: one
 * short permission lookup, then the Durable Object call.
 */
import { Hono } from "hono";
import { repoPolicy } from "../../../lib/config.js";
import { AppError } from "../../../lib/errors.js";
import { createGitHubClient } from "../../../lib/github/client.js";
import { parseGitHubConfig } from "../../../lib/github/config.js";
import { verifyAndParse } from "../../../lib/github/webhook-event.js";
import { splitBuildKey } from "../../../lib/ids.js";
import type { HonoEnv } from "../context.js";
import { appPublisher } from "../publisher-stub.js";
import { readBody } from "../../../lib/read-body.js";
import { sha256Hex } from "../../../lib/replay/ledger-keys.js";
import { checkReplay, peekReplay } from "../check-replay.js";

const MAX_GITHUB_BYTES = 5 * 1024 * 1024;

export const github = new Hono<HonoEnv>().post("/v1/github", async (c) => {
  const config = parseGitHubConfig(c.env);
  if (!config.configured) throw new AppError("not_configured", `GitHub App not configured: set ${config.missing.join(", ")}`);
  const body = await readBody(c.req.raw, MAX_GITHUB_BYTES);
  const intent = await verifyAndParse({
    secret: config.webhookSecret,
    body,
    signatureHeader: c.req.header("x-hub-signature-256") ?? null,
    event: c.req.header("x-github-event") ?? null,
    deliveryId: c.req.header("x-github-delivery") ?? null,
    ourAppId: config.appId,
  });
  const log = c.get("log");
  switch (intent.kind) {
    case "invalid_signature":
      throw new AppError("invalid_signature", `X-Hub-Signature-256 ${intent.reason === "missing" ? "is missing" : "does not match the body"}; check GITHUB_WEBHOOK_SECRET`);
    case "invalid_payload":
      throw new AppError("invalid_payload", intent.message);
    case "ping":
      return c.json({ ok: true, pong: true });
    case "ignored":
      log.debug("github event ignored", { reason: intent.reason });
      return c.json({ ok: true, ignored: intent.reason });
  }

  const ignore = (reason: string) => {
    log.info("github action ignored", { reason, delivery: intent.deliveryId });
    return c.json({ ok: true, ignored: reason });
  };
  const replayed = (firstSeen: number) => {
    log.warn("github replay ignored", { build_key: intent.buildKey, delivery: intent.deliveryId, first_seen: new Date(firstSeen).toISOString() });
    return c.json({ ok: true, outcome: "replayed", ignored: "this signed body was already delivered under another X-GitHub-Delivery; a click has at most one effect" });
  };
  // a known replay is refused before it costs a GitHub role lookup (the binding check is below)
  const bodyDigest = await sha256Hex(body);
  const early = await peekReplay(c.env, "github", bodyDigest, intent.deliveryId);
  if (early.kind === "reused") return replayed(early.first_seen);
  const key = splitBuildKey(intent.buildKey);
  if (!key || !repoPolicy(c.get("config"), key.repo)) return ignore(`external_id ${intent.buildKey} is not a build of a configured repo`);
  const publisher = appPublisher(c.env, key.repo, key.appId);
  const build = await publisher.getBuild(intent.buildKey);
  if (!build) return ignore(`no build ${intent.buildKey}`);
  // the click must come from the repository the build was built from
  if (build.source.owner.toLowerCase() !== intent.owner.toLowerCase() || build.source.name.toLowerCase() !== intent.repo.toLowerCase()) {
    return ignore(`check run of ${intent.owner}/${intent.repo} does not match the build's source ${build.source.owner}/${build.source.name}`);
  }

  const client = createGitHubClient(
    { appId: config.appId, privateKeyPkcs8: config.privateKeyPkcs8, apiUrl: config.apiUrl },
    { request: { attempts: 2, timeoutMs: 3000, maxInlineWaitMs: 500 } },
  );
  const installationId = intent.installationId ?? build.github?.installation_id;
  if (installationId === undefined) throw new AppError("upstream_error", "the event carries no installation id and the build has none yet; redeliver it from the App's settings");
  const role = await client.getPermission(build.source.owner, build.source.name, installationId, intent.sender.login);
  if (!role.ok) throw new AppError("upstream_error", `could not read ${intent.sender.login}'s role from GitHub: ${role.error.message}; redeliver the event`);

  // GitHub signs the body but no timestamp, so a captured click verifies forever. The ledger binds
  // each signed body (its sha256) to the first X-GitHub-Delivery it came with, for GitHub's 3-day
  // redelivery window. A new delivery id with the same body is a replay: 200 (GitHub wants a
  // 2xx) and no effect. The same delivery id is a redelivery and goes on to `act`, whose own
  // delivery-id check makes it a no-op once the click took effect, or lets it through if the
  // attempt that recorded the body died before `act` ("Redeliver" keeps the delivery id).
  // Recorded only here, after everything that can fail on our side before `act` (role lookup,
  // installation id): a click refused with 502 leaves no entry, so clicking again, whose body
  // may be byte-identical, is not taken for a replay.
  const replay = await checkReplay(c.env, "github", bodyDigest, intent.deliveryId);
  if (replay.decision.kind === "reused") return replayed(replay.decision.first_seen);
  const result = await publisher.act(
    intent.buildKey,
    intent.action,
    { kind: "github", name: intent.sender.login, ...(role.value ? { role: role.value } : {}) },
    `check run ${intent.via === "rerequested" ? "re-run" : "button"}`,
    intent.deliveryId,
    c.get("requestId"),
  );
  log.info("github action", { build_key: intent.buildKey, action: intent.action, sender: intent.sender.login, role: role.value, ok: result.ok, outcome: result.ok ? result.outcome : result.code });
  if (result.ok) return c.json({ ok: true, outcome: result.outcome, state: result.build.state });
  // refused or not applicable: nothing changed; GitHub only needs a 2xx
  return c.json({ ok: true, outcome: result.code, message: result.message, ...(result.state ? { state: result.state } : {}) });
});
