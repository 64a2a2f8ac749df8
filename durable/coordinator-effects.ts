/**
 * Performs one outbox effect of the RepoCoordinator: report progress to a build's AppPublisher,
 * purge the CDN after a summary update, or raise a repo-level alert.
 */
import type { RepoPolicy } from "../lib/config.js";
import type { Logger } from "../lib/log.js";
import type { PublishProgress } from "../lib/publisher/publish-progress.js";
import { splitBuildKey } from "../lib/ids.js";
import type { PurgeReport } from "../lib/purge/contract.js";
import { postAlert } from "../lib/slack/sync-build-message.js";
import { slackClient } from "./integrations.js";
import type { EffectResult } from "./publisher-effects.js";
import { purgeService } from "./services.js";

export type CoordinatorEffect =
  | { kind: "report"; build_key: string; progress: PublishProgress }
  | { kind: "purge"; update_id: string }
  | { kind: "alert"; text: string }
  /** a line in one build's Slack thread */
  | { kind: "notify"; build_key: string; text: string };

export interface CoordinatorEffectContext {
  env: Env;
  log: Logger;
  repo: string;
  policy: RepoPolicy;
  /** queues a repo-level alert (its own outbox effect, so a Slack outage does not lose it) */
  alert(text: string): void;
  /** queues a line for a build's Slack thread */
  notify(buildKey: string, text: string): void;
  updates: {
    /** what the update changed (summary files, refs/heads of its refs…), its live builds, whether it was purged */
    purgeTarget(updateId: string): { summary_sha256: string; changed_paths: string[]; live: string[]; purged: boolean } | undefined;
    recordPurge(updateId: string, report: PurgeReport): void;
  };
}

export async function performCoordinatorEffect(ctx: CoordinatorEffectContext, effect: CoordinatorEffect): Promise<EffectResult> {
  try {
    switch (effect.kind) {
      case "report":
      case "notify": {
        const key = splitBuildKey(effect.build_key);
        if (!key) return { ok: true };
        const stub = ctx.env.APP_PUBLISHER.get(ctx.env.APP_PUBLISHER.idFromName(`${key.repo}/${key.appId}`));
        if (effect.kind === "report") await stub.progress(effect.build_key, effect.progress);
        else await stub.notify(effect.build_key, effect.text);
        return { ok: true };
      }
      case "purge":
        return await purge(ctx, effect.update_id);
      case "alert": {
        ctx.log.error("repo alert", { repo: ctx.repo, alert: effect.text });
        const client = slackClient(ctx.env);
        if (!client) return { ok: true };
        const sent = await postAlert(client, ctx.repo, effect.text);
        if (sent.ok || !sent.error.retryable) return { ok: true };
        return { ok: false, error: sent.error.message, ...(sent.error.retryAfterMs !== undefined ? { retryAfterMs: sent.error.retryAfterMs } : {}) };
      }
    }
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * Purges the CDN for one summary update (issue 5). Idempotent per update id: a recorded report
 * is never redone. A purge that fails after the purge worker's own retries raises alerts but
 * never touches the builds, which are already live in the signed summary.
 */
async function purge(ctx: CoordinatorEffectContext, updateId: string): Promise<EffectResult> {
  const update = ctx.updates.purgeTarget(updateId);
  if (!update || update.purged) return { ok: true };
  const report = await purgeService(ctx.env).purge({
    repo: ctx.repo,
    update_id: updateId,
    ...(ctx.policy.public_url ? { public_url: ctx.policy.public_url } : {}),
    changed_paths: update.changed_paths,
    expected: { summary: update.summary_sha256 },
  });
  ctx.updates.recordPurge(updateId, report);
  ctx.log.info("purge", { repo: ctx.repo, update_id: updateId, skipped: report.skipped, ok: report.providers.every((p) => p.ok), alerts: report.alerts.length });
  for (const alert of report.alerts) ctx.alert(alert);
  // the builds of this update are live; their threads hear that users may not see them yet
  if (report.alerts.length > 0) for (const key of update.live) ctx.notify(key, `live, but the CDN purge needs attention: ${report.alerts[0]}`);
  return { ok: true };
}
