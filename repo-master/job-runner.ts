/**
 * Accepts jobs, runs them one at a time per repository (the single writer), persists every
 * state change, and reports completions. On start it resumes what a previous process left:
 * `queued` jobs run in order, a `running` job is run again (importing the same commit twice
 * is harmless: flatpak answers "no change").
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import type { BackoffPolicy } from "../lib/backoff.js";
import type { CreateJobRequest, Job, PublishBuildResult } from "../lib/repo-master-contract.js";
import { err, ok, type Result } from "../lib/result.js";
import { canonicalJson } from "../lib/canonical-json.js";
import type { AgentConfig, RepoConfig } from "./config.js";
import { importBuild } from "./import-build.js";
import type { JobRefs, JobStore, StoredJob } from "./job-store.js";
import { LogTail } from "./log-tail.js";
import { snapshotMutable } from "./mutable-files.js";
import type { Logger } from "./logger.js";
import { pageRefs, type RefsPage } from "./refs-page.js";
import { updateRepo } from "./update-repo.js";

export interface RunnerOptions {
  config: AgentConfig;
  store: JobStore;
  log: Logger;
  retry: BackoffPolicy;
  /**
   * called once per finished job (the signed callback) with the request it ran, whose
   * `callback_url` says where to report; failures are the callee's business
   */
  notify: (job: Job, request: CreateJobRequest) => Promise<unknown>;
  now?: () => Date;
}

export type SubmitError = "conflicting_job" | "unknown_repo";
export type RefsError = "not_found" | "not_finished" | "bad_cursor";

/** a failed tool's stderr can be one huge line: the Job (callback body) must stay ≤ 64 KiB */
const MAX_ERROR_CHARS = 4_000;
/** refs lists of the last few update jobs, so paging one does not re-read its file per page */
const REFS_CACHE = 4;

export class JobRunner {
  private readonly jobs = new Map<string, StoredJob>();
  /** per repo, the tail of its serial queue */
  private readonly queues = new Map<string, Promise<void>>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private closing = false;
  private readonly now: () => Date;
  private readonly refsCache = new Map<string, JobRefs>();

  constructor(private readonly opts: RunnerOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  /** Loads persisted jobs and resumes the unfinished ones, oldest first. */
  async start(): Promise<void> {
    await this.opts.store.init();
    const { jobs, problems } = await this.opts.store.loadAll();
    for (const p of problems) this.opts.log("error", "unreadable job file skipped", { problem: p });
    await this.baselineSnapshots();
    jobs.sort((a, b) => a.job.created_at.localeCompare(b.job.created_at));
    for (const stored of jobs) {
      this.jobs.set(stored.job.job_id, stored);
      if (stored.job.state === "queued" || stored.job.state === "running") {
        this.opts.log("info", "resuming job", { job_id: stored.job.job_id, state: stored.job.state, runs: stored.job.runs });
        this.enqueue(stored);
      }
    }
  }

  /**
   * The first time the agent sees a repo, it records its mutable files, so the first
   * update-repo can tell which refs the publishes before it moved.
   */
  private async baselineSnapshots(): Promise<void> {
    for (const [name, repo] of Object.entries(this.opts.config.repos)) {
      if ((await this.opts.store.loadSnapshot(name)) || (await missingRepo(repo))) continue;
      await this.opts.store.saveSnapshot(name, await snapshotMutable(repo.path));
    }
  }

  get(jobId: string): Job | undefined {
    return this.jobs.get(jobId)?.job;
  }

  /** A page of a succeeded update-repo job's changed refs, in the order refsDigest uses. */
  async refs(jobId: string, cursor: string | undefined, limit: number): Promise<Result<RefsPage, RefsError>> {
    const job = this.jobs.get(jobId)?.job;
    if (!job) return err("not_found");
    if (job.kind !== "update-repo") return err("not_found");
    if (job.state !== "succeeded") return err("not_finished");
    let list = this.refsCache.get(jobId);
    if (!list) {
      list = await this.opts.store.loadJobRefs(jobId);
      // a succeeded job always has its file (written before the job is saved as succeeded)
      if (!list) throw new Error(`the refs of job ${jobId} are missing from the job store`);
      this.refsCache.set(jobId, list);
      for (const key of this.refsCache.keys()) if (this.refsCache.size > REFS_CACHE) this.refsCache.delete(key);
    }
    return pageRefs(list, cursor, limit);
  }

  /** Counts per repo, for /healthz. */
  queueDepth(repo: string): number {
    let n = 0;
    for (const s of this.jobs.values()) if (s.job.repo === repo && (s.job.state === "queued" || s.job.state === "running")) n++;
    return n;
  }

  /** Idempotent on job_id: the same request again returns the existing job; a different one is a conflict. */
  async submit(request: CreateJobRequest): Promise<Result<{ job: Job; created: boolean }, SubmitError>> {
    const existing = this.jobs.get(request.job_id);
    if (existing) {
      return canonicalJson(existing.request) === canonicalJson(request) ? ok({ job: existing.job, created: false }) : err("conflicting_job");
    }
    if (!this.opts.config.repos[request.repo]) return err("unknown_repo");
    const at = this.now().toISOString();
    const base = { job_id: request.job_id, repo: request.repo, state: "queued" as const, log_tail: [], created_at: at, updated_at: at, runs: 0 };
    const job: Job = request.kind === "publish" ? { ...base, kind: "publish" } : { ...base, kind: "update-repo" };
    const stored: StoredJob = { request, job };
    // claim the id before awaiting, so a concurrent duplicate sees it
    this.jobs.set(request.job_id, stored);
    try {
      await this.opts.store.save(stored);
    } catch (e) {
      this.jobs.delete(request.job_id);
      throw e;
    }
    this.opts.log("info", "job accepted", { job_id: job.job_id, kind: job.kind, repo: job.repo });
    this.enqueue(stored);
    return ok({ job, created: true });
  }

  /** Stops starting jobs; waits for the running ones and for pending callbacks. */
  async close(): Promise<void> {
    this.closing = true;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private enqueue(stored: StoredJob): void {
    const repo = stored.job.repo;
    const tail = (this.queues.get(repo) ?? Promise.resolve()).then(() => this.run(stored.job.job_id));
    this.queues.set(repo, tail);
    this.track(tail);
  }

  private track(p: Promise<unknown>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async run(jobId: string): Promise<void> {
    const stored = this.jobs.get(jobId);
    // a closing agent leaves the job queued on disk: the next start resumes it
    if (!stored || this.closing) return;
    const tail = new LogTail(stored.job.log_tail);
    const { error: _previous, ...rest } = stored.job;
    stored.job = { ...rest, state: "running", runs: stored.job.runs + 1, updated_at: this.now().toISOString() };
    tail.push(`run ${stored.job.runs} started at ${stored.job.updated_at}`);
    stored.job.log_tail = tail.toArray();
    await this.opts.store.save(stored);
    this.opts.log("info", "job started", { job_id: jobId, kind: stored.job.kind, runs: stored.job.runs });
    try {
      stored.job = await this.execute(stored, tail);
    } catch (e) {
      // our fault (a bug, a full disk): the job fails, the agent keeps going
      const message = e instanceof Error ? e.message : String(e);
      this.opts.log("error", "job crashed", { job_id: jobId, error: message });
      stored.job = { ...stored.job, state: "failed", error: `internal error: ${message}` };
    }
    if (stored.job.error && stored.job.error.length > MAX_ERROR_CHARS) stored.job.error = `${stored.job.error.slice(0, MAX_ERROR_CHARS)}…`;
    stored.job.log_tail = tail.toArray();
    stored.job.updated_at = this.now().toISOString();
    await this.opts.store.save(stored);
    this.opts.log(stored.job.state === "succeeded" ? "info" : "warn", "job finished", {
      job_id: jobId,
      state: stored.job.state,
      ...(stored.job.error ? { error: stored.job.error } : {}),
    });
    this.track(this.opts.notify(stored.job, stored.request).catch(() => undefined));
  }

  private async execute(stored: StoredJob, tail: LogTail): Promise<Job> {
    const { request, job } = stored;
    const repo = this.opts.config.repos[request.repo];
    if (!repo) return { ...job, state: "failed", error: `repo ${request.repo} is not configured on this agent` };
    const missing = await missingRepo(repo);
    if (missing) return { ...job, state: "failed", error: missing };
    if (request.kind === "publish" && job.kind === "publish") {
      const builds: PublishBuildResult[] = [];
      for (const build of request.builds) {
        const r = await importBuild(build, { repo, tmpDir: this.opts.store.tmpDir, retry: this.opts.retry, onLine: tail.push });
        tail.push(r.ok ? `${r.build_key}: imported ${Object.keys(r.refs).join(", ")}` : `${r.build_key}: failed: ${r.error}`);
        builds.push(r);
      }
      // the job succeeded as a job; each build carries its own outcome
      return { ...job, state: "succeeded", result: { builds } };
    }
    if (request.kind === "update-repo" && job.kind === "update-repo") {
      const lastSnapshot = await this.opts.store.loadSnapshot(request.repo);
      const outcome = await updateRepo(request.options, {
        repo,
        retry: this.opts.retry,
        onLine: tail.push,
        ...(lastSnapshot ? { lastSnapshot } : {}),
      });
      if (!outcome.ok) return { ...job, state: "failed", error: outcome.error };
      // refs first: a job saved as succeeded always has its refs to page
      await this.opts.store.saveJobRefs(job.job_id, outcome.value.refs);
      this.refsCache.delete(job.job_id);
      await this.opts.store.saveSnapshot(request.repo, outcome.value.snapshot);
      return { ...job, state: "succeeded", result: outcome.value.result };
    }
    return { ...job, state: "failed", error: "job kind does not match its request" };
  }
}

async function missingRepo(repo: RepoConfig): Promise<string | undefined> {
  const ok = await stat(path.join(repo.path, "config")).then((s) => s.isFile(), () => false);
  return ok ? undefined : `repository ${repo.path} does not exist (no OSTree config file)`;
}
