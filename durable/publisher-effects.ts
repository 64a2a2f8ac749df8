/**
 * Performs one outbox effect of an AppPublisher: sync the GitHub check run, sync the Slack
 * message, upsert the build index, or hand the build to the RepoCoordinator. Failures come back as values with an
 * optional Retry-After; the outbox reschedules them. Answers a retry cannot change (App not
 * installed, a 422) are logged and dropped instead of retried forever.
 */
import type { Build } from "../lib/build.js";
import { loadConfig } from "../lib/config.js";
import { splitBuildKey } from "../lib/ids.js";
import type { Logger } from "../lib/log.js";
import { indexEntry } from "../lib/build-index/entry.js";
import type { Effect } from "../lib/publisher/effects.js";
import { postThreadReply, syncBuildMessage } from "../lib/slack/sync-build-message.js";
import { syncCheckRun } from "../lib/github/sync-check-run.js";
import { githubClient, slackClient } from "./integrations.js";
import { publishService } from "./services.js";

export type EffectResult = { ok: true } | { ok: false; error: string; retryAfterMs?: number };

export interface EffectContext {
  env: Env;
  log: Logger;
  publisher: {
    progress(key: string, p: { kind: "queued" }): Promise<string | undefined>;
    remember(key: string, patch: Pick<Partial<Build>, "github" | "slack">): void;
  };
}

/** The build's public status page (under PIPELINE_URL), for check-run Details and Slack links. */
export function buildStatusUrl(env: Env, key: string): string | undefined {
  const base = loadConfig(env).PIPELINE_URL;
  const k = splitBuildKey(key);
  if (!base || !k) return undefined;
  return `${base.replace(/\/+$/, "")}/status/${k.repo}/${k.appId}/${encodeURIComponent(k.buildId)}`;
}

export async function performPublisherEffect(ctx: EffectContext, effect: Effect, build: Build): Promise<EffectResult> {
  switch (effect.kind) {
    case "enqueue":
      return enqueue(ctx, build);
    case "discard_build":
      return discard(ctx, build);
    case "github":
      return github(ctx, build);
    case "index":
      return index(ctx, build);
    case "slack":
    case "slack_reply": {
      const client = slackClient(ctx.env);
      if (!client) return { ok: true };
      const statusUrl = buildStatusUrl(ctx.env, build.key);
      const result =
        effect.kind === "slack"
          ? await syncBuildMessage(client, build, statusUrl ? { statusUrl } : {})
          : await postThreadReply(client, build, effect.text);
      if (result.ok) {
        // only the build's own message is remembered (a thread reply's ts must not replace it)
        if (effect.kind === "slack" && result.value.action === "posted") ctx.publisher.remember(build.key, { slack: { channel: result.value.channel, ts: result.value.ts } });
        return { ok: true };
      }
      return dropOrRetry(ctx, build, "slack", result.error);
    }
  }
}

async function github(ctx: EffectContext, build: Build): Promise<EffectResult> {
  const client = githubClient(ctx.env);
  if (!client) return { ok: true };
  const detailsUrl = buildStatusUrl(ctx.env, build.key);
  const newerBuildUrl = build.superseded_by ? buildStatusUrl(ctx.env, build.superseded_by) : undefined;
  const result = await syncCheckRun(client, build, { ...(detailsUrl ? { detailsUrl } : {}), ...(newerBuildUrl ? { newerBuildUrl } : {}) });
  if (result.ok) {
    ctx.publisher.remember(build.key, { github: { installation_id: result.value.installation_id, check_run_id: result.value.check_run_id } });
    return { ok: true };
  }
  return dropOrRetry(ctx, build, "github", result.error);
}

function dropOrRetry(ctx: EffectContext, build: Build, service: string, e: { message: string; retryable: boolean; retryAfterMs?: number }): EffectResult {
  if (e.retryable) return { ok: false, error: e.message, ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}) };
  ctx.log.error(`${service} refused the update; not retrying`, { build_key: build.key, error: e.message });
  return { ok: true };
}

async function enqueue(ctx: EffectContext, build: Build): Promise<EffectResult> {
  // only approved (or operator-retried, already queued) builds go to the coordinator
  if (build.state !== "approved" && build.state !== "queued") return { ok: true };
  if (!build.artifact) {
    // only successful builds, which carry an artifact, reach approved; never enqueue nothing
    ctx.log.error("approved build without an artifact; not enqueued", { build_key: build.key });
    return { ok: true };
  }
  try {
    const coordinator = ctx.env.REPO_COORDINATOR.get(ctx.env.REPO_COORDINATOR.idFromName(build.repo));
    await coordinator.enqueue(build.repo, { build_key: build.key, app_id: build.app_id, artifact: build.artifact });
  } catch (e) {
    return { ok: false, error: `coordinator unreachable: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (build.state === "approved") await ctx.publisher.progress(build.key, { kind: "queued" });
  return { ok: true };
}

/** The upsert carries the build's current state and rev; the index drops it if it already has newer. */
async function index(ctx: EffectContext, build: Build): Promise<EffectResult> {
  try {
    const result = await ctx.env.BUILD_INDEX.get(ctx.env.BUILD_INDEX.idFromName(build.repo)).upsert(indexEntry(build));
    return result.ok ? { ok: true } : { ok: false, error: `build index: ${result.error}` };
  } catch (e) {
    return { ok: false, error: `build index unreachable: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** flat-manager housekeeping: purge an unpublished build's build repo; a refusal is logged, not retried */
async function discard(ctx: EffectContext, build: Build): Promise<EffectResult> {
  if (!build.artifact) return { ok: true }; // a failed build announced no artifact: nothing to purge
  let call;
  try {
    call = await publishService(ctx.env).discardBuild(build.repo, build.artifact);
  } catch (e) {
    return { ok: false, error: `publish service unreachable: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (call.ok) {
    ctx.log.info("build purged from flat-manager", { build_key: build.key });
    return { ok: true };
  }
  return dropOrRetry(ctx, build, "flat-manager purge", call.error);
}
