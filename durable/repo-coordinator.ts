/**
 * RepoCoordinator Durable Object, key `<repo>`: the single writer for one repository. It batches
 * queued builds into publish jobs, coalesces summary regeneration, polls the repo master (callbacks
 * can be lost), reports progress to the AppPublishers and purges the CDN after each update.
 * A thin shell over lib/coordinator: state is one JSON row; every change is load → pure fn → save.
 */
import { DurableObject } from "cloudflare:workers";
import { loadConfig, type RepoPolicy } from "../lib/config.js";
import { callFailed, callSucceeded } from "../lib/coordinator/agent-call.js";
import { applyPublishJob, applyUpdateJob, type FinishedUpdate, type Outcome } from "../lib/coordinator/job-outcome.js";
import { earliestReady, enqueue, nextBatch } from "../lib/coordinator/queue.js";
import { emptyState, type ActiveJob, type CoordinatorState, type QueuedBuild, type Timing } from "../lib/coordinator/state.js";
import { newJobId, startPublishJob, startUpdateJob } from "../lib/coordinator/start-job.js";
import { updateDueAt } from "../lib/coordinator/update-schedule.js";
import { createLogger, type Logger } from "../lib/log.js";
import type { Actor } from "../lib/build.js";
import type { PurgeReport } from "../lib/purge/contract.js";
import { Job } from "../lib/repo-master-contract.js";
import { Outbox } from "./outbox.js";
import { publishService } from "./services.js";
import { performCoordinatorEffect, type CoordinatorEffect } from "./coordinator-effects.js";

export interface RepoUpdateRecord extends FinishedUpdate {
  purge?: PurgeReport;
}

export interface RepoView {
  repo: string;
  paused: boolean;
  paused_reason?: string;
  public_url?: string;
  gpg_key_url?: string;
  queue: { build_key: string; attempts: number; ready_at: string }[];
  waiting_for_summary: { build_key: string; published_at: string }[];
  next_update_at?: string;
  running: { job_id: string; kind: string; phase: string; build_keys: string[]; failures: number }[];
  repo_master: { reachable: boolean; down_since?: string };
  recent_updates: RepoUpdateRecord[];
}

const iso = (ms: number) => new Date(ms).toISOString();


export class RepoCoordinator extends DurableObject<Env> {
  private readonly outbox: Outbox<CoordinatorEffect>;
  private readonly log: Logger;
  private ticking = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS coordinator (id INTEGER PRIMARY KEY CHECK (id = 1), data TEXT NOT NULL)");
    sql.exec("CREATE TABLE IF NOT EXISTS updates (update_id TEXT PRIMARY KEY, finished_at INTEGER NOT NULL, data TEXT NOT NULL)");
    this.outbox = new Outbox<CoordinatorEffect>(sql);
    this.log = createLogger({ component: "RepoCoordinator" }, loadConfig(env).LOG_LEVEL);
  }

  // ---- state ---------------------------------------------------------------------------------

  private stored(): CoordinatorState | undefined {
    const row = this.ctx.storage.sql.exec<{ data: string }>("SELECT data FROM coordinator WHERE id = 1").toArray()[0];
    return row ? (JSON.parse(row.data) as CoordinatorState) : undefined;
  }

  private load(repo?: string): CoordinatorState {
    const s = this.stored();
    if (s) return s;
    if (!repo) throw new Error("coordinator used before its repo is known");
    return emptyState(repo);
  }

  private save(state: CoordinatorState): void {
    this.ctx.storage.sql.exec("INSERT INTO coordinator (id, data) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET data = excluded.data", JSON.stringify(state));
  }

  /** Applies a pure change to the freshly loaded state (other calls may have run during an await). */
  private mutate<T>(fn: (s: CoordinatorState) => { state: CoordinatorState } & T, repo?: string): T {
    const result = fn(this.load(repo));
    this.save(result.state);
    return result;
  }

  private policy(repo: string): RepoPolicy {
    const p = loadConfig(this.env).REPOS[repo];
    if (!p) throw new Error(`repo ${repo} is not in REPOS`);
    return p;
  }

  private timing(repo: string): Timing {
    const c = loadConfig(this.env);
    const p = this.policy(repo);
    return {
      debounceMs: p.update_debounce_seconds * 1000,
      maxWaitMs: p.update_max_wait_seconds * 1000,
      batchSize: p.publish_batch_size,
      retryBaseMs: c.RETRY_BASE_SECONDS * 1000,
      retryMaxMs: c.RETRY_MAX_SECONDS * 1000,
      maxAttempts: c.RETRY_MAX_ATTEMPTS,
      pollMs: c.POLL_INTERVAL_SECONDS * 1000,
      alertAfterMs: c.REPO_MASTER_ALERT_AFTER_MINUTES * 60_000,
    };
  }

  // ---- RPC -----------------------------------------------------------------------------------

  async enqueue(repo: string, item: Pick<QueuedBuild, "build_key" | "app_id" | "artifact">): Promise<void> {
    this.mutate((s) => ({ state: enqueue(s, item, Date.now()) }), repo);
    this.log.info("build queued", { repo, build_key: item.build_key });
    await this.wake(Date.now());
  }

  /** A job reported by the agent's callback (verified by the webhook worker) or by a poll. */
  async onJobEvent(repo: string, job: Job): Promise<void> {
    this.finish(job, repo);
    await this.wake(Date.now());
  }

  async pause(repo: string, actor: Actor, reason?: string): Promise<RepoView> {
    this.mutate((s) => ({ state: { ...s, paused: true, paused_reason: reason ?? `paused by ${actor.name}` } }), repo);
    this.log.info("repo paused", { repo, actor: actor.name });
    return this.status(repo);
  }

  async resume(repo: string, actor: Actor): Promise<RepoView> {
    this.mutate((s) => {
      const { paused_reason: _r, ...rest } = s;
      return { state: { ...rest, paused: false } };
    }, repo);
    this.log.info("repo resumed", { repo, actor: actor.name });
    await this.wake(Date.now());
    return this.status(repo);
  }

  async status(repo: string): Promise<RepoView> {
    const s = this.load(repo);
    const policy = this.policy(repo);
    const due = updateDueAt(s, this.timing(repo));
    const updates = this.ctx.storage.sql
      .exec<{ data: string }>("SELECT data FROM updates ORDER BY finished_at DESC LIMIT 20")
      .toArray()
      .map((r) => JSON.parse(r.data) as RepoUpdateRecord);
    return {
      repo,
      paused: s.paused,
      ...(s.paused_reason ? { paused_reason: s.paused_reason } : {}),
      ...(policy.public_url ? { public_url: policy.public_url } : {}),
      ...(policy.gpg_key_url ? { gpg_key_url: policy.gpg_key_url } : {}),
      queue: s.queue.map((q) => ({ build_key: q.build_key, attempts: q.attempts, ready_at: iso(q.ready_at) })),
      waiting_for_summary: s.published.map((p) => ({ build_key: p.build_key, published_at: iso(p.published_at) })),
      ...(due !== undefined && !s.update_job ? { next_update_at: iso(due) } : {}),
      running: [s.publish_job, s.update_job]
        .filter((j): j is ActiveJob => j !== undefined)
        .map((j) => ({ job_id: j.job_id, kind: j.kind, phase: j.phase, build_keys: j.build_keys, failures: j.failures })),
      repo_master: { reachable: s.agent_down_since === undefined, ...(s.agent_down_since ? { down_since: iso(s.agent_down_since) } : {}) },
      recent_updates: updates,
    };
  }

  // ---- the loop ------------------------------------------------------------------------------

  override async alarm(): Promise<void> {
    await this.tick();
  }

  /** One pass: advance jobs that are due, start new ones, perform effects, schedule the next pass. */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const repo = this.load().repo;
      const timing = this.timing(repo);
      let s = this.load();
      for (const job of [s.publish_job, s.update_job]) {
        if (job && job.next_check_at <= Date.now()) await this.advance(job, timing);
      }
      s = this.load();
      if (!s.paused && !s.publish_job && nextBatch(s, Date.now(), timing.batchSize).length > 0) await this.startPublish(timing);
      s = this.load();
      const due = updateDueAt(s, timing);
      if (!s.paused && !s.update_job && due !== undefined && due <= Date.now()) await this.startUpdate();
      await this.runEffects();
    } catch (e) {
      this.log.error("tick failed", { error: e instanceof Error ? e.message : String(e) });
    } finally {
      this.ticking = false;
      await this.schedule();
    }
  }

  private async startPublish(timing: Timing): Promise<void> {
    const s = this.load();
    const batch = nextBatch(s, Date.now(), timing.batchSize);
    const jobId = newJobId(s, "publish");
    const byApp = new Map<string, string[]>();
    for (const q of batch) byApp.set(q.app_id, [...(byApp.get(q.app_id) ?? []), q.build_key]);
    const claimed = new Set<string>();
    const decided = new Set<string>();
    for (const [appId, keys] of byApp) {
      try {
        const stub = this.env.APP_PUBLISHER.get(this.env.APP_PUBLISHER.idFromName(`${s.repo}/${appId}`));
        for (const b of await stub.claim(keys, jobId)) claimed.add(b.key);
        keys.forEach((k) => decided.add(k));
      } catch (e) {
        this.log.warn("claim failed, will retry", { repo: s.repo, app_id: appId, error: e instanceof Error ? e.message : String(e) });
      }
    }
    const { job } = this.mutate((cur) => startPublishJob(cur, jobId, claimed, decided, Date.now()));
    if (job) await this.advance(job, timing);
  }

  private async startUpdate(): Promise<void> {
    const timing = this.timing(this.load().repo);
    const deltas = this.policy(this.load().repo).generate_static_deltas;
    const { job } = this.mutate((cur) => startUpdateJob(cur, newJobId(cur, "update"), deltas, Date.now()));
    await this.advance(job, timing);
  }

  /** Submits a job (same job_id until accepted) or polls it; lib/coordinator/agent-call.ts decides the rest. */
  private async advance(job: ActiveJob, timing: Timing): Promise<void> {
    const service = publishService(this.env);
    const call = job.phase === "submitting" ? await service.submitJob(job.request) : await service.getJob(job.job_id);
    const now = Date.now();
    const outcome = this.mutate((s) => (call.ok ? callSucceeded(s, job, now, timing) : callFailed(s, job, call.error, now, timing)));
    switch (outcome.kind) {
      case "ok": {
        if (job.phase === "submitting") this.log.info("job submitted", { repo: job.request.repo, job_id: job.job_id, kind: job.kind, builds: job.build_keys.length });
        const polled = call.ok ? Job.safeParse(call.value) : undefined;
        if (polled?.success) this.finish(polled.data);
        return;
      }
      case "refused":
        this.finish(outcome.job);
        return;
      case "retry":
        if (outcome.alert) this.outbox.add([{ kind: "alert", text: outcome.alert }], now);
        this.log.warn("repo master call failed, will retry", { job_id: job.job_id, phase: job.phase, failures: job.failures + 1, wait_ms: outcome.waitMs, error: call.ok ? "" : call.error.message });
        return;
      case "resubmit":
        this.log.warn("repo master lost the job, submitting it again", { job_id: job.job_id });
        return;
    }
  }

  /** Applies a terminal job (poll or callback; the second arrival finds no active job and is a no-op). */
  private finish(job: Job, repo?: string): void {
    if (job.state !== "succeeded" && job.state !== "failed") return;
    const now = Date.now();
    const s = this.load(repo);
    const timing = this.timing(s.repo);
    const outcome: Outcome = job.kind === "publish" ? applyPublishJob(s, job, now, timing) : applyUpdateJob(s, job, now, timing);
    if (outcome.state === s) return;
    this.save(outcome.state);
    const effects: CoordinatorEffect[] = outcome.reports.map((r) => ({ kind: "report", build_key: r.build_key, progress: r.progress }));
    effects.push(...outcome.alerts.map((text): CoordinatorEffect => ({ kind: "alert", text })));
    if (outcome.update) {
      this.ctx.storage.sql.exec("INSERT OR REPLACE INTO updates (update_id, finished_at, data) VALUES (?, ?, ?)", outcome.update.update_id, now, JSON.stringify(outcome.update));
      if (outcome.update.ok) effects.push({ kind: "purge", update_id: outcome.update.update_id });
    }
    this.outbox.add(effects, now);
    this.log.info("job finished", { repo: s.repo, job_id: job.job_id, kind: job.kind, state: job.state, reports: outcome.reports.length });
  }

  private async runEffects(): Promise<void> {
    const repo = this.load().repo;
    const queue = (effect: CoordinatorEffect) => this.outbox.add([effect], Date.now());
    const ctx = {
      env: this.env,
      log: this.log,
      repo,
      policy: this.policy(repo),
      updates: this,
      alert: (text: string) => queue({ kind: "alert", text }),
      notify: (build_key: string, text: string) => queue({ kind: "notify", build_key, text }),
    };
    for (const item of this.outbox.due(Date.now())) {
      this.outbox.start(item.id);
      const result = await performCoordinatorEffect(ctx, item.effect);
      if (result.ok) this.outbox.done(item.id);
      else this.outbox.retry(item, Date.now(), result.error, result.retryAfterMs);
    }
  }

  /** Used by the purge effect: the update record, and where its purge report is kept. */
  getUpdate(updateId: string): RepoUpdateRecord | undefined {
    const row = this.ctx.storage.sql.exec<{ data: string }>("SELECT data FROM updates WHERE update_id = ?", updateId).toArray()[0];
    return row ? (JSON.parse(row.data) as RepoUpdateRecord) : undefined;
  }

  recordPurge(updateId: string, report: PurgeReport): void {
    const u = this.getUpdate(updateId);
    if (u) this.ctx.storage.sql.exec("UPDATE updates SET data = ? WHERE update_id = ?", JSON.stringify({ ...u, purge: report }), updateId);
  }

  private async wake(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  private async schedule(): Promise<void> {
    const s = this.stored();
    if (!s) return;
    const timing = this.timing(s.repo);
    const times: (number | undefined)[] = [s.publish_job?.next_check_at, s.update_job?.next_check_at, this.outbox.nextAt()];
    if (!s.paused) {
      if (!s.publish_job) times.push(earliestReady(s));
      if (!s.update_job) times.push(updateDueAt(s, timing));
    }
    const next = times.filter((t): t is number => t !== undefined);
    if (next.length > 0) await this.wake(Math.max(Date.now(), Math.min(...next)));
  }
}
