/**
 * AppPublisher Durable Object, key `<repo>/<app_id>`: the builds of one app on every branch.
 * A thin shell: it loads builds, calls the pure publisher functions in lib/publisher, stores the
 * result with its outbox effects in one synchronous block, and schedules its alarm.
 */
import { DurableObject } from "cloudflare:workers";
import type { Actor, Build, BuildAction } from "../lib/build.js";
import type { BuildEvent } from "../lib/build-event.js";
import { SUPERSEDABLE } from "../lib/build-state.js";
import { loadConfig, repoPolicy, type RepoPolicy } from "../lib/config.js";
import { buildKey } from "../lib/ids.js";
import { createLogger, type Logger } from "../lib/log.js";
import { actOnBuild } from "../lib/publisher/act-on-build.js";
import { discardEffects } from "../lib/publisher/discard-build.js";
import type { Effect } from "../lib/publisher/effects.js";
import { applyPublishProgress, type PublishProgress } from "../lib/publisher/publish-progress.js";
import { receiveBuild } from "../lib/publisher/receive-build.js";
import { nextTimer, runDueTimers } from "../lib/publisher/timers.js";
import { BuildStore } from "./build-store.js";
import { Outbox, type OutboxItem } from "./outbox.js";
import { performPublisherEffect, type EffectResult } from "./publisher-effects.js";

export type IntakeResult =
  | { outcome: "created" | "duplicate"; build: Build }
  | { outcome: "conflict"; build: Build };

export type ActResult =
  | { ok: true; outcome: "changed" | "recorded" | "duplicate"; build: Build }
  | { ok: false; code: "forbidden" | "invalid_transition" | "not_found"; message: string; state?: string; build?: Build };

export interface AppView {
  repo: string;
  app_id: string;
  branches: Record<string, Build[]>;
}

/** GitHub, Slack and index syncs bring the target up to the build's current state: one pending is enough. */
const dedupe = (e: Effect) => (e.kind === "github" || e.kind === "slack" || e.kind === "index" ? `${e.kind}:${e.build_key}` : undefined);

export class AppPublisher extends DurableObject<Env> {
  private readonly builds: BuildStore;
  private readonly outbox: Outbox<Effect>;
  private readonly log: Logger;
  private draining = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.builds = new BuildStore(ctx.storage.sql);
    this.outbox = new Outbox<Effect>(ctx.storage.sql);
    this.log = createLogger({ component: "AppPublisher" }, loadConfig(env).LOG_LEVEL);
  }

  /** flat-manager repos: unpublished builds that ended here are purged from its build repos */
  private discards(builds: readonly Build[]): Effect[] {
    return discardEffects(builds, (repo) => repoPolicy(loadConfig(this.env), repo));
  }

  private policy(repo: string): RepoPolicy {
    const policy = repoPolicy(loadConfig(this.env), repo);
    if (!policy) throw new Error(`repo ${repo} is not in REPOS`);
    return policy;
  }

  /**
   * `requestId` ties this object's log lines to the HTTP request that caused them; `worker` is
   * the build worker that delivered the event (the credential's name), kept apart from
   * `source.triggered_by`. The webhook-id is deduplicated pipeline-wide by the ReplayLedger
   * before this is called; a retry of the same message reaches here and is answered by the
   * build key (same build, same body: duplicate).
   */
  async intake(event: BuildEvent, webhookId: string, requestId?: string, worker?: Actor): Promise<IntakeResult> {
    const log = requestId ? this.log.child({ request_id: requestId }) : this.log;
    const now = new Date();
    const key = buildKey(event.repo, event.app_id, event.build_id);
    const outcome = receiveBuild(this.builds.forIntake(key, event.branch, SUPERSEDABLE), event, this.policy(event.repo), now, worker);
    if (outcome.kind === "conflict") return { outcome: "conflict", build: outcome.build };
    if (outcome.kind === "duplicate") return { outcome: "duplicate", build: outcome.build };
    for (const b of [outcome.build, ...outcome.superseded]) this.builds.put(b);
    this.outbox.add([...outcome.effects, ...this.discards(outcome.superseded)], now.getTime(), dedupe);
    for (const b of outcome.superseded) log.info("build superseded", { build_key: b.key, by: outcome.build.key });
    // the request line is the one info line per request (issue 9); this detail is for debugging
    log.debug("build received", { build_key: outcome.build.key, state: outcome.build.state, webhook_id: webhookId });
    await this.schedule();
    return { outcome: "created", build: outcome.build };
  }

  async getApp(repo: string, appId: string): Promise<AppView> {
    const branches: Record<string, Build[]> = {};
    for (const b of this.builds.all().reverse()) (branches[b.branch] ??= []).push(b);
    return { repo, app_id: appId, branches };
  }

  async getBuild(key: string): Promise<Build | undefined> {
    return this.builds.get(key);
  }

  /**
   * Approve/reject/cancel/retry. `deliveryId` (X-GitHub-Delivery) makes a redelivered click a
   * no-op; it is recorded whatever the outcome so a refused click is not re-evaluated either.
   */
  async act(key: string, action: BuildAction, actor: Actor, reason?: string, deliveryId?: string, requestId?: string): Promise<ActResult> {
    const log = requestId ? this.log.child({ request_id: requestId }) : this.log;
    const now = new Date();
    const build = this.builds.get(key);
    if (!build) return { ok: false, code: "not_found", message: `no build ${key}` };
    if (deliveryId) {
      if (this.builds.delivery(deliveryId)) return { ok: true, outcome: "duplicate", build };
      this.builds.recordDelivery(deliveryId, key, now.getTime());
    }
    const outcome = actOnBuild(build, action, actor, this.policy(build.repo), now, reason);
    if (outcome.kind === "invalid_transition") {
      log.warn("transition refused", { build_key: key, action, state: build.state, actor: actor.name });
      return { ok: false, code: "invalid_transition", message: `cannot ${action} a build that is ${build.state}`, state: build.state, build };
    }
    this.builds.put(outcome.build);
    this.outbox.add([...outcome.effects, ...this.discards([outcome.build])], now.getTime(), dedupe);
    await this.schedule();
    log.info(`build ${action}: ${outcome.kind}`, { build_key: key, state: outcome.build.state, actor: actor.name });
    if (outcome.kind === "refused") return { ok: false, code: "forbidden", message: outcome.reason, state: outcome.build.state, build: outcome.build };
    return { ok: true, outcome: outcome.kind, build: outcome.build };
  }

  /** Publish progress from the RepoCoordinator (idempotent). Returns the build's state after it. */
  async progress(key: string, p: PublishProgress): Promise<string | undefined> {
    const build = this.builds.get(key);
    if (!build) return undefined;
    const now = new Date();
    const outcome = applyPublishProgress(build, p, now);
    if (outcome.kind === "changed") {
      this.builds.put(outcome.build);
      this.outbox.add(outcome.effects, now.getTime(), dedupe);
      await this.schedule();
      this.log.info("publish progress", { build_key: key, state: outcome.build.state });
    }
    return outcome.build.state;
  }

  /** A note for the build's Slack thread from elsewhere in the pipeline (e.g. a failed purge). */
  async notify(key: string, text: string): Promise<void> {
    if (!this.builds.get(key)) return;
    this.outbox.add([{ kind: "slack_reply", build_key: key, text }], Date.now());
    await this.schedule();
  }

  /**
   * The coordinator claims queued builds for a publish job; a build superseded or cancelled while
   * it waited is not claimed and drops out of the queue.
   */
  async claim(keys: string[], jobId: string): Promise<Build[]> {
    const claimed: Build[] = [];
    for (const key of keys) {
      const build = this.builds.get(key);
      if (!build) continue;
      if (build.state === "publishing") {
        claimed.push(build); // a re-sent claim after a coordinator restart
        continue;
      }
      const outcome = applyPublishProgress(build, { kind: "publishing", job_id: jobId }, new Date());
      if (outcome.kind === "changed") {
        this.builds.put(outcome.build);
        this.outbox.add(outcome.effects, Date.now(), dedupe);
        claimed.push(outcome.build);
      }
    }
    await this.schedule();
    return claimed;
  }

  override async alarm(): Promise<void> {
    // one drain at a time: a second alarm invocation while effects are on the wire would send
    // them twice; the running one reschedules for whatever is left
    if (this.draining) return;
    this.draining = true;
    try {
      await this.drain();
    } finally {
      this.draining = false;
    }
    await this.schedule();
  }

  private async drain(): Promise<void> {
    const now = new Date();
    const due = runDueTimers(this.builds.awaitingApproval(), now);
    for (const b of due.changed) {
      this.builds.put(b);
      this.log.info("timer fired", { build_key: b.key, state: b.state });
    }
    this.outbox.add([...due.effects, ...this.discards(due.changed)], now.getTime(), dedupe);
    // One lane per service, run side by side: Slack pacing (~1 message a second) or a GitHub
    // outage must never hold up the hand-over to the coordinator. Order is kept within a lane.
    const lanes = new Map<string, OutboxItem<Effect>[]>();
    for (const item of this.outbox.due(now.getTime(), 100)) {
      const lane = item.effect.kind === "slack_reply" ? "slack" : item.effect.kind;
      lanes.set(lane, [...(lanes.get(lane) ?? []), item]);
    }
    await Promise.all([...lanes.values()].map((items) => this.runLane(items)));
    this.compact(now);
  }

  /** Retention: final builds past the repo's limits shrink to summary rows (a bounded batch per alarm). */
  private compact(now: Date): void {
    const repo = this.builds.anyRepo();
    const policy = repo ? repoPolicy(loadConfig(this.env), repo) : undefined;
    if (!policy) return;
    const before = new Date(now.getTime() - policy.retain_final_days * 86_400_000).toISOString();
    // GitHub redelivers for 3 days; a delivery id older than a week cannot come back
    const n = this.builds.compactFinal(policy.retain_final_builds, before, now.getTime() - 7 * 86_400_000);
    if (n > 0) this.log.info("builds compacted", { count: n });
  }

  private async runLane(items: OutboxItem<Effect>[]): Promise<void> {
    for (const item of items) {
      const build = item.effect.build_key ? this.builds.get(item.effect.build_key) : undefined;
      if (!build) {
        this.outbox.done(item.id);
        continue;
      }
      this.outbox.start(item.id);
      const result = await performPublisherEffect({ env: this.env, log: this.log, publisher: this }, item.effect, build).catch(
        // a bad GITHUB_*/SLACK_* value: keep the effect and retry with backoff until it is fixed
        (e: unknown): EffectResult => ({ ok: false, error: e instanceof Error ? e.message : String(e) }),
      );
      if (result.ok) {
        this.outbox.done(item.id);
      } else {
        this.outbox.retry(item, Date.now(), result.error, result.retryAfterMs);
        this.log.warn("effect failed, will retry", { build_key: build.key, effect: item.effect.kind, attempts: item.attempts + 1, error: result.error });
      }
    }
  }

  /** Merges fields an effect learned (check run id, Slack ts) into the stored build. */
  remember(key: string, patch: Pick<Partial<Build>, "github" | "slack">): void {
    const build = this.builds.get(key);
    if (!build) return;
    this.builds.put({ ...build, ...patch });
    // the index shows the check run id: a newly learned one is worth an upsert
    if (patch.github?.check_run_id !== undefined && patch.github.check_run_id !== build.github?.check_run_id) {
      this.outbox.add([{ kind: "index", build_key: key }], Date.now(), dedupe);
    }
  }

  private async schedule(): Promise<void> {
    const candidates = [this.outbox.nextAt(), nextTimer(this.builds.awaitingApproval())].filter((t): t is number => t !== undefined);
    if (candidates.length === 0) return;
    const at = Math.max(Date.now(), Math.min(...candidates));
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  /** Test and operator helper: the outbox as it stands. */
  async pendingEffects(): Promise<{ effect: Effect; attempts: number; last_error: string | null }[]> {
    return this.outbox.pending().map((i) => ({ effect: i.effect, attempts: i.attempts, last_error: i.last_error }));
  }
}

