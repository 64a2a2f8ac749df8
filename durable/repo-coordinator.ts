/**
 * RepoCoordinator Durable Object, key `<repo>`: the single writer for one repository. It batches
 * queued builds into publish jobs, coalesces summary regeneration, polls the repo master (callbacks
 * can be lost), checks each update against the signed summary, reports progress to the
 * AppPublishers and purges the CDN after each update.
 *
 * A thin shell over lib/coordinator: rows in CoordinatorStore (one per item, issue 9), each change
 * one transaction. A storage error rolls the change back, backs the object off and alerts; it
 * never leaves a claim without its job.
 */
import { DurableObject } from "cloudflare:workers";
import { repoPolicy, loadConfig, type RepoPolicy } from "../lib/config.js";
import { agentReachable, callFailed, callSucceeded, outageAlert, outageWakeAt, type CallOutcome } from "../lib/coordinator/agent-call.js";
import { applyPublishJob, applyUpdateFailure, applyUpdateSuccess, expectedRefs, type Report, type UpdateRecord, type UpdateOutcome } from "../lib/coordinator/job-outcome.js";
import { nextBatch, updateBatch } from "../lib/coordinator/queue.js";
import { emptyMeta, type ActiveJob, type RepoMeta, type Timing } from "../lib/coordinator/state.js";
import { changedRefs, newJob, newJobId, publishRequest, updateRequest } from "../lib/coordinator/start-job.js";
import { updateDueAt } from "../lib/coordinator/update-schedule.js";
import { backoffMs } from "../lib/backoff.js";
import { createLogger, type Logger } from "../lib/log.js";
import type { Actor } from "../lib/build.js";
import type { RepoMasterCall } from "../lib/publish-contract.js";
import type { PurgeReport } from "../lib/purge/contract.js";
import { refsDigest } from "../lib/refs-digest.js";
import { Job } from "../lib/repo-master-contract.js";
import { postAlert } from "../lib/slack/sync-build-message.js";
import { CoordinatorStore, type StoredUpdate, type UpdateBuild } from "./coordinator-store.js";
import { performCoordinatorEffect, type CoordinatorEffect } from "./coordinator-effects.js";
import { slackClient } from "./integrations.js";
import { Outbox } from "./outbox.js";
import { publishService } from "./services.js";

/** The agent contract's cap on an update-repo job's `changed_refs`. */
const UPDATE_MAX_REFS = 10_000;
/** How many entries of a list the repo view shows; the paged routes give the rest. */
const VIEW_LIST = 50;
/** After a storage error: back off from 1 s to at most 5 minutes. */
const STORAGE_BACKOFF = { baseMs: 1_000, maxMs: 5 * 60_000, maxAttempts: 20 };

export interface UpdateSummary extends UpdateRecord {
  purge?: { ok: boolean; skipped?: string; paths?: number; alerts: number; verified?: boolean };
}

export interface RepoView {
  repo: string;
  paused: boolean;
  paused_reason?: string;
  paused_by?: string;
  paused_at?: string;
  public_url?: string;
  gpg_key_url?: string;
  /** the first VIEW_LIST entries; `queue_count` says how many there are (GET …/queue pages) */
  queue: { build_key: string; attempts: number; ready_at: string; job_id?: string }[];
  queue_count: number;
  waiting_for_summary: { build_key: string; published_at: string }[];
  waiting_for_summary_count: number;
  next_update_at?: string;
  running: { job_id: string; kind: string; phase: string; build_keys: string[]; build_count: number; failures: number }[];
  repo_master: { reachable: boolean; down_since?: string };
  /** summaries (counts and digests); GET …/updates/:id pages the per-build detail */
  recent_updates: UpdateSummary[];
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

const summarize = (u: StoredUpdate): UpdateSummary => ({
  ...u.record,
  ...(u.purge
    ? {
        purge: {
          ok: u.purge.providers.every((p) => p.ok) && (u.purge.verify?.ok ?? true),
          ...(u.purge.skipped ? { skipped: u.purge.skipped } : {}),
          ...(u.purge.paths !== undefined ? { paths: u.purge.paths } : {}),
          alerts: u.purge.alerts.length,
          ...(u.purge.verify ? { verified: u.purge.verify.ok } : {}),
        },
      }
    : {}),
});

export class RepoCoordinator extends DurableObject<Env> {
  private readonly store: CoordinatorStore;
  private readonly outbox: Outbox<CoordinatorEffect>;
  private readonly log: Logger;
  private ticking = false;
  /** consecutive ticks that failed on storage (kept in memory: storage may be what is failing) */
  private storageFailures = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new CoordinatorStore(ctx.storage);
    this.outbox = new Outbox<CoordinatorEffect>(ctx.storage.sql);
    this.log = createLogger({ component: "RepoCoordinator" }, loadConfig(env).LOG_LEVEL);
  }

  // ---- configuration -------------------------------------------------------------------------

  private policy(repo: string): RepoPolicy {
    const p = repoPolicy(loadConfig(this.env), repo);
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
      probeMs: c.REPO_MASTER_PROBE_SECONDS * 1000,
    };
  }

  /** One atomic change; the outbox table too exists before the transaction that may use it. */
  private write<T>(fn: () => T): T {
    return this.store.write(fn, () => this.outbox.ensureSchema());
  }

  /** The meta row, or a fresh one for `repo` (not stored until something is written). */
  private meta(repo?: string): RepoMeta {
    const m = this.store.meta();
    if (m) return m;
    if (!repo) throw new Error("coordinator used before its repo is known");
    return emptyMeta(repo);
  }

  // ---- RPC -----------------------------------------------------------------------------------

  async enqueue(repo: string, item: { build_key: string; app_id: string; artifact: { url: string; refs: Record<string, string> } }): Promise<void> {
    const now = Date.now();
    this.write(() => {
      if (!this.store.meta()) this.store.putMeta(emptyMeta(repo));
      if (!this.store.knows(item.build_key)) this.store.addToQueue({ ...item, enqueued_at: now, attempts: 0, ready_at: now });
    });
    this.log.debug("build queued", { repo, build_key: item.build_key });
    await this.wake(now);
  }

  /** A job reported by the agent's callback (verified by the webhook worker) or by a poll. */
  async onJobEvent(repo: string, job: Job): Promise<void> {
    if (!this.store.meta()) return; // a callback for a repo this object never coordinated
    await this.finish(job, repo);
    await this.wake(Date.now());
  }

  /** Pausing a paused repo keeps the first reason, actor and time (issue 10 #14). */
  async pause(repo: string, actor: Actor, reason?: string): Promise<RepoView> {
    const now = Date.now();
    this.write(() => {
      const m = this.meta(repo);
      if (m.paused) return;
      this.store.putMeta({ ...m, paused: true, paused_reason: reason ?? `paused by ${actor.name}`, paused_by: actor.name, paused_at: now });
    });
    this.log.info("repo paused", { repo, actor: actor.name });
    return this.status(repo);
  }

  async resume(repo: string, actor: Actor): Promise<RepoView> {
    const m = this.store.meta();
    if (m?.paused) {
      const { paused_reason: _r, paused_by: _b, paused_at: _a, ...rest } = m;
      this.write(() => this.store.putMeta({ ...rest, paused: false }));
      this.log.info("repo resumed", { repo, actor: actor.name });
      await this.wake(Date.now());
    }
    return this.status(repo);
  }

  async status(repo: string): Promise<RepoView> {
    const m = this.meta(repo);
    const policy = this.policy(repo);
    const timing = this.timing(repo);
    const waiting = this.store.waitingSummary();
    const jobs = this.store.jobs();
    const due = updateDueAt(m, waiting, timing);
    const counts = this.store.queueCount();
    return {
      repo,
      paused: m.paused,
      ...(m.paused_reason ? { paused_reason: m.paused_reason } : {}),
      ...(m.paused_by ? { paused_by: m.paused_by } : {}),
      ...(m.paused_at !== undefined ? { paused_at: iso(m.paused_at) } : {}),
      ...(policy.public_url ? { public_url: policy.public_url } : {}),
      ...(policy.gpg_key_url ? { gpg_key_url: policy.gpg_key_url } : {}),
      queue: this.store.queuePage(0, VIEW_LIST).map((q) => ({ build_key: q.build_key, attempts: q.attempts, ready_at: iso(q.ready_at), ...(q.job_id ? { job_id: q.job_id } : {}) })),
      queue_count: counts.total,
      waiting_for_summary: this.store.waiting(VIEW_LIST).map((p) => ({ build_key: p.build_key, published_at: iso(p.published_at) })),
      waiting_for_summary_count: waiting.count,
      ...(due !== undefined && !jobs.some((j) => j.kind === "update-repo") ? { next_update_at: iso(due) } : {}),
      running: jobs.map((j) => {
        // a publish job holds at most a batch; an update may cover thousands: read 50 and count
        const keys = j.kind === "publish" ? this.store.queuedInJob(j.job_id).map((q) => q.build_key) : this.store.inUpdate(j.job_id, VIEW_LIST).map((p) => p.build_key);
        const count = j.kind === "publish" ? keys.length : this.store.countInUpdate(j.job_id);
        return { job_id: j.job_id, kind: j.kind, phase: j.phase, build_keys: keys.slice(0, VIEW_LIST), build_count: count, failures: j.failures };
      }),
      repo_master: { reachable: m.agent_down_since === undefined, ...(m.agent_down_since !== undefined ? { down_since: iso(m.agent_down_since) } : {}) },
      recent_updates: this.store.updatesPage(Number.MAX_SAFE_INTEGER, 20).map(summarize),
    };
  }

  /** `GET /v1/repos/:repo/queue`: the queue in order, a page at a time. */
  async queuePage(cursor: number, limit: number): Promise<Page<{ build_key: string; app_id: string; attempts: number; enqueued_at: string; ready_at: string; job_id?: string }>> {
    const rows = this.store.queuePage(cursor, limit + 1);
    const items = rows.slice(0, limit);
    return {
      items: items.map((q) => ({ build_key: q.build_key, app_id: q.app_id, attempts: q.attempts, enqueued_at: iso(q.enqueued_at), ready_at: iso(q.ready_at), ...(q.job_id ? { job_id: q.job_id } : {}) })),
      next_cursor: rows.length > limit ? String(items[items.length - 1]!.pos) : null,
    };
  }

  /** `GET /v1/repos/:repo/updates`: update summaries, newest first. */
  async updatesPage(cursor: number | undefined, limit: number): Promise<Page<UpdateSummary>> {
    const rows = this.store.updatesPage(cursor ?? Number.MAX_SAFE_INTEGER, limit + 1);
    const items = rows.slice(0, limit);
    return { items: items.map(summarize), next_cursor: rows.length > limit ? String(items[items.length - 1]!.record.finished_at) : null };
  }

  /** `GET /v1/repos/:repo/updates/:update_id`: one update with a page of its per-build detail. */
  async updateDetail(updateId: string, cursor: string, limit: number): Promise<(UpdateRecord & { changed_paths: string[]; purge?: PurgeReport; outcomes: Page<UpdateBuild> }) | undefined> {
    const u = this.store.getUpdate(updateId);
    if (!u) return undefined;
    const rows = this.store.updateBuildsPage(updateId, cursor, limit + 1);
    const items = rows.slice(0, limit);
    return { ...u.record, changed_paths: u.changed_paths, ...(u.purge ? { purge: u.purge } : {}), outcomes: { items, next_cursor: rows.length > limit ? items[items.length - 1]!.build_key : null } };
  }

  // ---- the loop ------------------------------------------------------------------------------

  override async alarm(): Promise<void> {
    await this.tick();
  }

  /** One pass: outage timers, advance jobs that are due, start new ones, perform effects, reschedule. */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    let retryAt: number | undefined;
    try {
      const meta = this.store.meta();
      if (!meta) return;
      const timing = this.timing(meta.repo);
      await this.watchOutage(meta, timing);
      for (const job of this.store.jobs()) {
        if (job.next_check_at <= Date.now()) await this.advance(job, meta.repo, timing);
      }
      if (!this.meta().paused) {
        if (!this.store.job("publish")) await this.startPublish(meta.repo, timing);
        if (!this.store.job("update-repo")) {
          const due = updateDueAt(this.meta(), this.store.waitingSummary(), timing);
          if (due !== undefined && due <= Date.now()) await this.startUpdate(meta.repo, timing);
        }
      }
      await this.runEffects(meta.repo);
      this.storageFailures = 0;
    } catch (e) {
      retryAt = this.onTickError(e);
    } finally {
      this.ticking = false;
      await this.schedule(retryAt).catch((e: unknown) => this.log.error("could not schedule the next pass", { error: String(e) }));
    }
  }

  /**
   * A failed pass (a storage error, issue 9: SQLITE_TOOBIG, a full disk): its transaction rolled
   * back, so claims stay consistent. Back off (capped) instead of spinning, and alert — directly,
   * since the outbox lives in the storage that is failing.
   */
  private onTickError(e: unknown): number {
    this.storageFailures++;
    const error = e instanceof Error ? e.message : String(e);
    const waitMs = backoffMs(this.storageFailures, STORAGE_BACKOFF);
    this.log.error("coordinator pass failed, backing off", { error, failures: this.storageFailures, wait_ms: waitMs });
    if (this.storageFailures === 1 || (this.storageFailures & (this.storageFailures - 1)) === 0) {
      let repo = "unknown";
      try {
        repo = this.store.meta()?.repo ?? repo;
      } catch {
        // storage is what fails; the alert goes out without the repo name
      }
      const client = slackClient(this.env);
      if (client) this.ctx.waitUntil(postAlert(client, repo, `coordinator of ${repo} cannot make progress (${this.storageFailures} failed passes, next in ${Math.round(waitMs / 1000)} s): ${error}`).then(() => undefined, () => undefined));
    }
    return Date.now() + waitMs;
  }

  /** While the agent is down: the alert on its timer, and a health probe every probeMs (issue 10 #8). */
  private async watchOutage(meta: RepoMeta, timing: Timing): Promise<void> {
    if (meta.agent_down_since === undefined) return;
    const now = Date.now();
    const alerted = outageAlert(meta, now, timing, "no answer to submits or polls");
    if (alerted.alert) {
      const text = alerted.alert;
      this.write(() => {
        this.store.putMeta(alerted.meta);
        this.outbox.add([{ kind: "alert", text }], now);
      });
    }
    const probeAt = (meta.last_probe_at ?? meta.agent_down_since) + timing.probeMs;
    const job = this.store.jobs()[0];
    if (now < probeAt || !job) return;
    const call = await publishService(this.env).getJob(job.job_id);
    const answered = call.ok || !call.error.retryable;
    const after = Date.now();
    this.write(() => {
      const m = this.meta();
      if (!answered) return this.store.putMeta({ ...m, last_probe_at: after });
      const up = agentReachable(m, after);
      this.store.putMeta(up.meta);
      if (up.alert) this.outbox.add([{ kind: "alert", text: up.alert }], after);
      // the agent is back: every job goes on now, not after its backoff
      for (const j of this.store.jobs()) this.store.putJob({ ...j, failures: 0, next_check_at: after });
    });
    if (answered) this.log.info("repo master reachable again", { repo: meta.repo });
  }

  private async startPublish(repo: string, timing: Timing): Promise<void> {
    const now = Date.now();
    const batch = nextBatch(this.store.readyCandidates(now, timing.batchSize * 4), now, timing.batchSize);
    if (batch.length === 0) return;
    // the job row and the claim marks are one transaction: there is never a claim without its job
    const job = this.write(() => {
      const m = this.meta();
      const j = newJob(newJobId(m, "publish"), "publish", now);
      this.store.putMeta({ ...m, seq: m.seq + 1 });
      this.store.putJob(j);
      this.store.claimForJob(j.job_id, batch.map((b) => b.build_key));
      return j;
    });
    await this.advance(job, repo, timing);
  }

  private async startUpdate(repo: string, timing: Timing): Promise<void> {
    const builds = updateBatch(this.store.waiting(UPDATE_MAX_REFS), UPDATE_MAX_REFS);
    if (builds.length === 0) return;
    const now = Date.now();
    const job = this.write(() => {
      const m = this.meta();
      const j = newJob(newJobId(m, "update"), "update-repo", now);
      this.store.putMeta({ ...m, seq: m.seq + 1 });
      this.store.putJob(j);
      this.store.assignUpdate(j.job_id, builds.map((b) => b.build_key));
      return j;
    });
    await this.advance(job, repo, timing);
  }

  /**
   * Tells the AppPublishers of a claiming job's builds; builds they refuse (superseded or
   * cancelled while queued) leave the queue. A claim is idempotent, so a restart re-sends it.
   */
  private async claim(job: ActiveJob, repo: string, timing: Timing): Promise<ActiveJob | undefined> {
    const items = this.store.queuedInJob(job.job_id);
    const byApp = new Map<string, string[]>();
    for (const q of items) byApp.set(q.app_id, [...(byApp.get(q.app_id) ?? []), q.build_key]);
    const claimed = new Set<string>();
    let unanswered = 0;
    await Promise.all(
      [...byApp].map(async ([appId, keys]) => {
        try {
          const stub = this.env.APP_PUBLISHER.get(this.env.APP_PUBLISHER.idFromName(`${repo}/${appId}`));
          for (const b of await stub.claim(keys, job.job_id)) claimed.add(b.key);
        } catch (e) {
          unanswered++;
          keys.forEach((k) => claimed.add(k)); // undecided: stays in the job until it answers
          this.log.warn("claim failed, will retry", { repo, app_id: appId, error: e instanceof Error ? e.message : String(e) });
        }
      }),
    );
    const refused = items.filter((q) => !claimed.has(q.build_key)).map((q) => q.build_key);
    const now = Date.now();
    return this.write(() => {
      this.store.removeFromQueue(refused);
      if (refused.length === items.length) {
        this.store.deleteJob(job.job_id);
        return undefined;
      }
      const next: ActiveJob = unanswered > 0
        ? { ...job, failures: job.failures + 1, next_check_at: now + backoffMs(job.failures + 1, { baseMs: timing.retryBaseMs, maxMs: timing.retryMaxMs, maxAttempts: timing.maxAttempts }) }
        : { ...job, phase: "submitting", next_check_at: now };
      this.store.putJob(next);
      return next;
    });
  }

  /** Claims, submits (same job_id until accepted) or polls a job; lib/coordinator/agent-call.ts decides the rest. */
  private async advance(job: ActiveJob, repo: string, timing: Timing): Promise<void> {
    if (job.phase === "claiming") {
      const next = await this.claim(job, repo, timing);
      if (next?.phase === "submitting") await this.advance(next, repo, timing);
      return;
    }
    const service = publishService(this.env);
    let call: RepoMasterCall<unknown>;
    if (job.phase === "submitting") {
      const policy = this.policy(repo);
      const request = job.kind === "publish"
        ? publishRequest(repo, job.job_id, this.store.queuedInJob(job.job_id))
        : updateRequest(repo, job.job_id, this.store.inUpdate(job.job_id), policy.generate_static_deltas);
      call = await service.submitJob(request);
    } else {
      call = await service.getJob(job.job_id);
    }
    const now = Date.now();
    const outcome: CallOutcome = call.ok ? callSucceeded(this.meta(), job, now, timing) : callFailed(this.meta(), job, repo, call.error, now, timing);
    this.write(() => {
      if (!this.store.jobs().some((j) => j.job_id === job.job_id)) return; // finished meanwhile (callback)
      this.store.putMeta(outcome.meta);
      if (outcome.kind !== "refused") this.store.putJob(outcome.job);
      if ((outcome.kind === "ok" || outcome.kind === "retry") && outcome.alert) this.outbox.add([{ kind: "alert", text: outcome.alert }], now);
    });
    switch (outcome.kind) {
      case "ok": {
        if (job.phase === "submitting") this.log.info("job submitted", { repo, job_id: job.job_id, kind: job.kind });
        const polled = call.ok ? Job.safeParse(call.value) : undefined;
        if (polled?.success) await this.finish(polled.data, repo);
        return;
      }
      case "refused":
        await this.finish(outcome.result, repo);
        return;
      case "retry":
        this.log.warn("repo master call failed, will retry", { repo, job_id: job.job_id, phase: job.phase, failures: outcome.job.failures, wait_ms: outcome.waitMs, error: call.ok ? "" : call.error.message });
        return;
      case "resubmit":
        this.log.warn("repo master lost the job, submitting it again", { repo, job_id: job.job_id });
        return;
    }
  }

  /** Applies a terminal job (poll or callback; the second arrival finds no active job and is a no-op). */
  private async finish(job: Job, repo: string): Promise<void> {
    if (job.state !== "succeeded" && job.state !== "failed") return;
    const active = this.store.jobs().find((j) => j.job_id === job.job_id && j.kind === job.kind);
    if (!active) return;
    const now = Date.now();
    const timing = this.timing(repo);
    if (job.kind === "publish") {
      const items = this.store.queuedInJob(job.job_id);
      const outcome = applyPublishJob(job, items, now, timing);
      this.write(() => {
        this.store.removeFromQueue([...outcome.published.map((p) => p.build_key), ...outcome.dropped]);
        for (const p of outcome.published) this.store.addPublished(p);
        for (const q of outcome.requeue) this.store.requeue(q);
        this.store.deleteJob(job.job_id);
        this.outbox.add(this.reportEffects(outcome.reports), now);
      });
      this.log.info("job finished", { repo, job_id: job.job_id, kind: job.kind, state: job.state, builds: items.length, published: outcome.published.length });
      return;
    }
    const builds = this.store.inUpdate(job.job_id);
    let outcome: UpdateOutcome;
    if (job.state === "succeeded" && job.result) {
      const actual = await this.summaryRefs(job.job_id, builds, job.result.changed_refs.sha256);
      if (!actual) return; // the detail could not be read yet: the next poll tries again
      outcome = applyUpdateSuccess(this.meta(), job.job_id, builds, job.result, actual, now);
    } else {
      outcome = applyUpdateFailure(this.meta(), job.job_id, builds.length, job.error ?? "update-repo failed", now, timing);
    }
    const changedPaths = job.state === "succeeded" && job.result ? job.result.changed_paths : [];
    const byKey = new Map(builds.map((b) => [b.build_key, b]));
    this.write(() => {
      if (!this.store.jobs().some((j) => j.job_id === job.job_id)) return; // finished during the await
      this.store.putMeta(outcome.meta);
      this.store.addUpdate(
        { record: outcome.record, changed_paths: changedPaths },
        outcome.verdicts.map((v) => ({ build_key: v.build_key, outcome: v.outcome, ...(v.outcome === "superseded" && v.superseded_by ? { superseded_by: v.superseded_by } : {}), refs: byKey.get(v.build_key)?.refs ?? {} })),
      );
      if (outcome.record.ok) this.store.deletePublishedOf(job.job_id);
      else this.store.releaseUpdate(job.job_id);
      this.store.deleteJob(job.job_id);
      const effects = this.reportEffects(outcome.reports);
      effects.push(...outcome.alerts.map((text): CoordinatorEffect => ({ kind: "alert", text })));
      if (outcome.record.ok) effects.push({ kind: "purge", update_id: job.job_id });
      this.outbox.add(effects, now);
    });
    this.log.info("job finished", { repo, job_id: job.job_id, kind: job.kind, state: job.state, builds: builds.length, live: outcome.record.live, superseded: outcome.record.superseded });
  }

  /**
   * What the new signed summary lists for the update's changed refs. When the agent's digest
   * equals the digest of what we published, that is exactly our expectation; otherwise the
   * detail is read from the agent a page at a time (bounded callbacks, issue 9).
   */
  private async summaryRefs(jobId: string, builds: Parameters<typeof expectedRefs>[0], digest: string): Promise<Map<string, string | null> | undefined> {
    const expected = expectedRefs(builds);
    const mine = new Map([...expected].map(([ref, e]) => [ref, e.commit as string | null]));
    if ((await refsDigest(mine)) === digest) return mine;
    const actual = new Map<string, string | null>();
    const service = publishService(this.env);
    let cursor: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const got = await service.getJobRefs(jobId, cursor);
      if (!got.ok) {
        this.log.warn("could not read the update's refs, will retry", { job_id: jobId, error: got.error.message });
        return undefined;
      }
      for (const r of got.value.refs) actual.set(r.ref, r.commit);
      if (!got.value.next_cursor) break;
      cursor = got.value.next_cursor;
    }
    for (const ref of changedRefs(builds)) if (!actual.has(ref)) actual.set(ref, null);
    return actual;
  }

  private reportEffects(reports: readonly Report[]): CoordinatorEffect[] {
    return reports.map((r) => ({ kind: "report", build_key: r.build_key, progress: r.progress }));
  }

  private async runEffects(repo: string): Promise<void> {
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

  /** Used by the purge effect: what one update changed, and whether it was purged already. */
  purgeTarget(updateId: string): { summary_sha256: string; changed_paths: string[]; live: string[]; purged: boolean } | undefined {
    const u = this.store.getUpdate(updateId);
    if (!u?.record.ok || !u.record.summary_sha256) return undefined;
    const builds: UpdateBuild[] = [];
    for (let after = ""; ;) {
      const page = this.store.updateBuildsPage(updateId, after, 1000);
      builds.push(...page);
      if (page.length < 1000) break;
      after = page[page.length - 1]!.build_key;
    }
    const refs = changedRefs(builds);
    // update-repo moves the appstream refs of every arch it touched; the agent reports no refs/**
    const arches = [...new Set(refs.map((r) => r.split("/")[2]).filter((a): a is string => !!a))];
    const refPaths = [...refs, ...arches.flatMap((a) => [`appstream/${a}`, `appstream2/${a}`])].map((r) => `refs/heads/${r}`);
    return {
      summary_sha256: u.record.summary_sha256,
      changed_paths: [...new Set([...u.changed_paths, ...refPaths])].sort(),
      live: builds.filter((b) => b.outcome === "live").map((b) => b.build_key),
      purged: u.purge !== undefined,
    };
  }

  recordPurge(updateId: string, report: PurgeReport): void {
    this.write(() => this.store.recordPurge(updateId, report));
  }

  private async wake(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  private async schedule(retryAt?: number): Promise<void> {
    if (retryAt !== undefined) {
      await this.ctx.storage.setAlarm(retryAt);
      return;
    }
    const m = this.store.meta();
    if (!m) return;
    const timing = this.timing(m.repo);
    const jobs = this.store.jobs();
    const times: (number | undefined)[] = [...jobs.map((j) => j.next_check_at), this.outbox.nextAt(), outageWakeAt(m, timing)];
    if (!m.paused) {
      if (!jobs.some((j) => j.kind === "publish")) times.push(this.store.earliestReady());
      if (!jobs.some((j) => j.kind === "update-repo")) times.push(updateDueAt(m, this.store.waitingSummary(), timing));
    }
    const next = times.filter((t): t is number => t !== undefined);
    if (next.length > 0) await this.wake(Math.max(Date.now(), Math.min(...next)));
  }
}
