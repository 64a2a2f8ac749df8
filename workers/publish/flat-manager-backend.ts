/**
 * The flat-manager backend of the publish service (issue 12): the coordinator's publish and
 * update-repo jobs, carried out by flat-manager.
 *
 * - publish job: for each build, re-read `GET /api/v1/build/<id>/extended` (lib/flat-manager/
 *   decide-build.ts), `POST /api/v1/build/<id>/publish` `{}`, follow that publish job to its end
 *   and remember the update-repo job it queued. A refusal is a permanent per-build failure that
 *   names the reason; a build flat-manager already publishes or published is followed, never
 *   published twice (a retried Flatgate job, or a restart of either side).
 * - update-repo job: Flatgate asks for no update-repo of its own (flat-manager coalesces with
 *   delay-update-secs). It waits until the flat-manager update-repo jobs that cover its refs
 *   have Ended, then reads the signed summary and reports what it lists for each changed ref,
 *   exactly like the agent's result (digest via lib/refs-digest.ts, pages via `refs`).
 *
 * Each coordinator poll advances every unfinished build or wait by at most one read and one
 * write to flat-manager; nothing sleeps here, the coordinator's alarm is the clock.
 */
import { FmPublishResults, FmFailedResults, JobStatus, PublishedState, RepoState, parseResults, buildIdFromUrl, type FmJob } from "../../lib/flat-manager/api.js";
import { decideBuild } from "../../lib/flat-manager/decide-build.js";
import { publishRefusal, type FmFailure } from "../../lib/flat-manager/map-error.js";
import { summaryIndex, summaryRefs } from "../../lib/flat-manager/summary-refs.js";
import { z } from "zod";
import { Commit, FlatpakRef } from "../../lib/ids.js";
import type { BuildArtifact, BuildCheck, RepoMasterCall, RepoMasterError } from "../../lib/publish-contract.js";
import { SUMMARY_SET } from "../../lib/purge/mutable-paths.js";
import { signaturePairing } from "../../lib/purge/summary-signature.js";
import { refsDigest } from "../../lib/refs-digest.js";
import { UpdateRepoResult, type CreateJobRequest, type Job, type JobAccepted, type PublishBuildResult } from "../../lib/repo-master-contract.js";
import type { FlatManagerClient } from "./flat-manager-client.js";
import type { BuildRow, FlatManagerStore, JobRow } from "./flat-manager-store.js";

/** summary reads that may find the previous summary.sig (a non-atomic write) before the job fails */
const MAX_SUMMARY_MISSES = 30;
const KEEP_JOBS_MS = 7 * 24 * 3600_000;
const MAX_CHANGED_PATHS = 2000;
/** builds of one job stepped side by side: a 200-build job must fit in one poll, and workerd allows 6 open connections */
const STEP_CONCURRENCY = 4;
/** how long a Broken update-repo job's refs may take to reach the summary through a re-queued one */
const BROKEN_GRACE_MS = 10 * 60_000;

const iso = (ms: number) => new Date(ms).toISOString();
/** ref -> commit as this backend stored it (the event's, or flat-manager's published ones) */
const StoredRefs = z.record(FlatpakRef, Commit);

/** A failure that stops this call: the token (never retried as is), or flat-manager unreachable. */
export function callError(f: FmFailure): RepoMasterError {
  if (f.kind === "token") return { message: f.message, retryable: false, status: f.status, code: "flat_manager_token" };
  return { message: f.message, retryable: true, ...(f.status !== undefined ? { status: f.status } : {}) };
}

/** On intake: is this flat-manager build publishable as the event describes it? */
export async function checkBuild(client: FlatManagerClient, artifact: BuildArtifact): Promise<RepoMasterCall<BuildCheck>> {
  const id = buildIdFromUrl(artifact.url, client.target.baseUrl);
  if (id === undefined) return { ok: true, value: { accepted: false, reason: `artifact.url must be the flat-manager build URL ${client.target.baseUrl}/api/v1/build/<id>, as flat-manager-client create prints it` } };
  const ext = await client.getExtended(id, appIdOf(artifact.refs));
  if (!ext.ok) {
    if (ext.error.kind === "not-found" || ext.error.kind === "refused") return { ok: true, value: { accepted: false, reason: ext.error.message } };
    return { ok: false, error: callError(ext.error) };
  }
  const d = decideBuild(ext.value, artifact.refs, "intake");
  return { ok: true, value: d.kind === "refuse" ? { accepted: false, reason: d.reason } : { accepted: true, fm_build_id: id } };
}

/**
 * Housekeeping: purge a build that will never be published. "Can't prune build while in use"
 * (committing, validating, publishing) is retried; a build already purged or published
 * (its directory is gone) counts as done.
 */
export async function discardBuild(client: FlatManagerClient, artifact: BuildArtifact): Promise<RepoMasterCall<{ purged: boolean }>> {
  const id = buildIdFromUrl(artifact.url, client.target.baseUrl);
  if (id === undefined) return { ok: true, value: { purged: false } };
  const appId = appIdOf(artifact.refs);
  const ext = await client.getExtended(id, appId);
  if (!ext.ok) return ext.error.kind === "not-found" ? { ok: true, value: { purged: false } } : { ok: false, error: callError(ext.error) };
  const b = ext.value.build;
  if (b.repo_state === RepoState.Purged || b.published_state === PublishedState.Published || b.published_state === PublishedState.Publishing) return { ok: true, value: { purged: false } };
  const res = await client.purge(id, appId);
  if (res.ok) return { ok: true, value: { purged: true } };
  if (res.error.kind === "refused") return { ok: false, error: { message: res.error.message, retryable: /in use/i.test(res.error.message) } };
  return res.error.kind === "not-found" ? { ok: true, value: { purged: false } } : { ok: false, error: callError(res.error) };
}

/** The app id for the token's prefix claim: the shortest id among the refs (extensions extend it at a dot). */
function appIdOf(refs: Record<string, string>): string | undefined {
  const ids = Object.keys(refs).map((r) => r.split("/")[1] ?? "").filter(Boolean);
  return ids.sort((a, b) => a.length - b.length)[0];
}

export class FlatManagerBackend {
  constructor(
    private readonly store: FlatManagerStore,
    private readonly client: FlatManagerClient,
    private readonly now: () => number = Date.now,
  ) {}

  /** Stores the job (same job_id again: the same job); the work happens on the polls. */
  submit(req: CreateJobRequest): RepoMasterCall<JobAccepted> {
    const existing = this.store.job(req.job_id);
    if (existing) return { ok: true, value: { job_id: req.job_id, state: existing.state } };
    const now = this.now();
    this.store.prune(now - KEEP_JOBS_MS);
    this.store.addJob({ job_id: req.job_id, kind: req.kind, created_at: now });
    if (req.kind === "publish") {
      for (const b of req.builds) {
        const id = buildIdFromUrl(b.artifact.url, this.client.target.baseUrl);
        this.store.addBuild({
          job_id: req.job_id,
          build_key: b.build_key,
          app_id: b.app_id,
          fm_build_id: id ?? null,
          refs: JSON.stringify(b.artifact.refs),
          phase: id === undefined ? "failed" : "check",
          error: id === undefined ? `artifact.url ${b.artifact.url} is not a build of ${this.client.target.baseUrl}` : null,
        });
      }
    } else {
      this.store.addUpdate(req.job_id, req.options.changed_refs);
    }
    return { ok: true, value: { job_id: req.job_id, state: "queued" } };
  }

  async poll(jobId: string): Promise<RepoMasterCall<Job>> {
    const job = this.store.job(jobId);
    if (!job) return { ok: false, error: { message: `no flat-manager job ${jobId} in flatgate-publish`, retryable: false, status: 404, code: "not_found" } };
    if (job.state !== "running") return { ok: true, value: this.jobView(job) };
    this.store.touch(jobId, this.now());
    const stop = job.kind === "publish" ? await this.advancePublish(job) : await this.advanceUpdate(job);
    if (stop) return { ok: false, error: stop };
    return { ok: true, value: this.jobView(this.store.job(jobId)!) };
  }

  /** A page of an update-repo job's changed refs as the signed summary lists them. */
  refs(jobId: string, cursor?: string): RepoMasterCall<{ refs: { ref: string; commit: string | null }[]; next_cursor: string | null }> {
    const job = this.store.job(jobId);
    if (!job || job.kind !== "update-repo" || job.state !== "succeeded") return { ok: false, error: { message: `no finished flat-manager update-repo job ${jobId}`, retryable: false, status: 404, code: "not_found" } };
    const limit = 1000;
    const rows = this.store.updateRefs(jobId, cursor ?? "", limit);
    return { ok: true, value: { refs: rows.map((r) => ({ ref: r.ref, commit: r.commit_id })), next_cursor: rows.length === limit ? rows[rows.length - 1]!.ref : null } };
  }

  private async advancePublish(job: JobRow): Promise<RepoMasterError | undefined> {
    let progressed = false;
    let transient: FmFailure | undefined;
    const open = this.store.builds(job.job_id).filter((b) => b.phase !== "published" && b.phase !== "failed");
    const steps = await inBatches(open, STEP_CONCURRENCY, (b) => this.stepBuild(b));
    for (const [i, { row, failure }] of steps.entries()) {
      if (failure?.kind === "token") return callError(failure);
      if (failure) transient = failure;
      if (row.phase !== open[i]!.phase) progressed = true;
    }
    const builds = this.store.builds(job.job_id);
    if (builds.every((b) => b.phase === "published" || b.phase === "failed")) {
      this.store.finishJob(job.job_id, "succeeded", this.now(), {});
      return undefined;
    }
    // flat-manager unreachable and nothing moved: the coordinator backs off (and alerts on an outage)
    return transient && !progressed ? callError(transient) : undefined;
  }

  /** One build, one step further: check → publishing → published, or failed with the reason. */
  private async stepBuild(b: BuildRow): Promise<{ row: BuildRow; failure?: FmFailure }> {
    const id = b.fm_build_id!;
    const refs = StoredRefs.parse(JSON.parse(b.refs));
    const fail = (reason: string) => this.put({ ...b, phase: "failed", error: reason });
    let row = b;
    if (row.phase === "check") {
      const ext = await this.client.getExtended(id, b.app_id);
      if (!ext.ok) return ext.error.kind === "not-found" || ext.error.kind === "refused" ? { row: fail(ext.error.message) } : { row, failure: ext.error };
      const d = decideBuild(ext.value, refs, "publish");
      if (d.kind === "refuse") return { row: fail(d.reason) };
      if (d.kind === "publish") {
        const p = await this.client.publish(id, b.app_id);
        if (!p.ok) {
          if (p.error.kind === "refused") {
            const r = publishRefusal(p.error);
            if (r.kind === "fail") return { row: fail(r.reason) };
          } else if (p.error.kind === "not-found") return { row: fail(p.error.message) };
          // transient: the next poll reads the build again, and follows the publish if the POST did land
          else return { row, failure: p.error };
        }
      }
      row = this.put({ ...row, phase: "publishing", ...(ext.value.build.publish_job_id ? { publish_job_id: ext.value.build.publish_job_id } : {}) });
    }
    const j = await this.client.publishJob(id, b.app_id);
    if (!j.ok) {
      // no publish job (the POST never landed): read the build again on the next poll
      if (j.error.kind === "not-found") return { row: this.put({ ...row, phase: "check" }) };
      return j.error.kind === "refused" ? { row: fail(j.error.message) } : { row, failure: j.error };
    }
    return { row: this.followPublish(row, j.value, refs) };
  }

  private followPublish(row: BuildRow, j: FmJob, refs: Record<string, string>): BuildRow {
    const base = { ...row, publish_job_id: j.id };
    if (j.status === JobStatus.New || j.status === JobStatus.Started) return row.publish_job_id === j.id ? row : this.put(base);
    if (j.status === JobStatus.Broken) {
      const why = parseResults(j, FmFailedResults)?.["error-message"] ?? "no results (flat-manager was restarted during the publish?)";
      return this.put({ ...base, phase: "failed", error: `flat-manager publish job ${j.id} of build ${row.fm_build_id} is Broken: ${why}; flat-manager never retries a failed publish, so upload the build again` });
    }
    const results = parseResults(j, FmPublishResults);
    if (!results) return this.put({ ...base, phase: "failed", error: `flat-manager publish job ${j.id} ended without readable results` });
    const published: Record<string, string> = {};
    for (const ref of Object.keys(refs)) {
      const commit = results.refs[ref];
      if (commit && Commit.safeParse(commit).success && FlatpakRef.safeParse(ref).success) published[ref] = commit;
    }
    const missing = Object.keys(refs).filter((r) => !(r in published));
    if (missing.length) return this.put({ ...base, phase: "failed", error: `flat-manager publish job ${j.id} did not publish ${missing.join(", ")}` });
    this.store.setPending(published, results["update-repo-job"]);
    return this.put({ ...base, phase: "published", published_refs: JSON.stringify(published), update_job_id: results["update-repo-job"], error: null });
  }

  private put(row: BuildRow): BuildRow {
    this.store.putBuild(row);
    return row;
  }

  private async advanceUpdate(job: JobRow): Promise<RepoMasterError | undefined> {
    let transient: FmFailure | undefined;
    let progressed = false;
    for (const w of this.store.waits(job.job_id)) {
      if (w.status === JobStatus.Ended || w.status === JobStatus.Broken) continue;
      const j = await this.client.job(w.fm_job_id, w.log_offset);
      if (!j.ok) {
        if (j.error.kind === "token") return callError(j.error);
        if (j.error.kind === "not-found" || j.error.kind === "refused") {
          this.store.finishJob(job.job_id, "failed", this.now(), { error: j.error.message });
          return undefined;
        }
        transient = j.error;
        continue;
      }
      const logBytes = new TextEncoder().encode(j.value.log).length;
      if (j.value.status !== w.status || logBytes > 0) {
        this.store.setWait(job.job_id, w.fm_job_id, j.value.status, w.log_offset + logBytes);
        progressed = true;
      }
    }
    const waits = this.store.waits(job.job_id);
    if (waits.some((w) => w.status !== JobStatus.Ended && w.status !== JobStatus.Broken)) return transient && !progressed ? callError(transient) : undefined;
    return this.readSummary(job, waits.filter((w) => w.status === JobStatus.Broken).map((w) => w.fm_job_id));
  }

  /**
   * The update-repo jobs are over: the signed summary is what users get, so `live` is read from
   * it. A Broken update job (flat-manager restarted during it) wrote no summary; flat-manager
   * re-queues it at startup under a new id that nothing tells us, so for its refs the summary
   * itself must show the published commits (the re-queued job, or any later update, ran) before
   * the job succeeds; after BROKEN_GRACE_MS without that it fails, and the builds wait for the
   * coordinator's next update-repo.
   */
  private async readSummary(job: JobRow, broken: readonly number[]): Promise<RepoMasterError | undefined> {
    const summary = await this.client.repoFile("summary");
    if (!summary.ok) return callError(summary.error);
    const sig = await this.client.repoFile("summary.sig");
    if (!sig.ok) return callError(sig.error);
    // a summary.sig left from the previous summary (read between the two writes): read again next poll
    if ((await signaturePairing(summary.value, sig.value)) === "mismatch") {
      const misses = this.store.summaryMiss(job.job_id);
      if (misses >= MAX_SUMMARY_MISSES) this.store.finishJob(job.job_id, "failed", this.now(), { error: `summary.sig at ${this.client.target.repoUrl} does not sign its summary (${misses} reads)` });
      return undefined;
    }
    const compat = summaryRefs(summary.value);
    if (!compat) {
      this.store.finishJob(job.job_id, "failed", this.now(), { error: `${this.client.target.repoUrl}/summary is not an OSTree summary` });
      return undefined;
    }
    const arches = [...new Set(this.store.updateRefs(job.job_id).map((r) => r.ref.split("/")[2]).filter((a): a is string => !!a))].sort();
    const indexed = await this.indexedRefs(arches);
    if (indexed === "retry") {
      const misses = this.store.summaryMiss(job.job_id);
      if (misses >= MAX_SUMMARY_MISSES) this.store.finishJob(job.job_id, "failed", this.now(), { error: `summary.idx at ${this.client.target.repoUrl} is not signed by its summary.idx.sig or names a missing subsummary (${misses} reads)` });
      return undefined;
    }
    if (!indexed.ok) return callError(indexed.error);
    // the arch's subsummary where the index has one (the compat summary may leave arches out)
    const listed = new Map(compat);
    for (const [ref, commit] of indexed.value) listed.set(ref, commit);
    for (const arch of indexed.arches) for (const ref of compat.keys()) if (ref.split("/")[2] === arch && !indexed.value.has(ref)) listed.delete(ref);
    for (const fmJobId of broken) {
      const unlisted = [...this.store.pendingOf(job.job_id, fmJobId)].filter(([ref, commit]) => listed.get(ref) !== commit);
      if (unlisted.length === 0) continue;
      if (this.now() - job.created_at > BROKEN_GRACE_MS) {
        this.store.finishJob(job.job_id, "failed", this.now(), { error: `flat-manager update-repo job ${fmJobId} is Broken (flat-manager was restarted during it) and no later update-repo has put ${unlisted[0]![0]}${unlisted.length > 1 ? ` and ${unlisted.length - 1} more` : ""} into the signed summary; restart flat-manager (it re-queues the job) or republish` });
      }
      return undefined;
    }
    const entries: [string, string | null][] = [];
    for (let after = ""; ; ) {
      const page = this.store.updateRefs(job.job_id, after, 1000);
      if (page.length === 0) break;
      for (const r of page) {
        const commit = listed.get(r.ref) ?? null;
        this.store.listRef(job.job_id, r.ref, commit);
        entries.push([r.ref, commit]);
      }
      after = page[page.length - 1]!.ref;
    }
    const changedPaths = [
      ...SUMMARY_SET,
      // flat-manager's update-repo regenerates appstream for every arch it publishes
      ...arches.flatMap((a) => [`refs/heads/appstream/${a}`, `refs/heads/appstream2/${a}`]),
      ...entries.map(([ref]) => `refs/heads/${ref}`),
    ].slice(0, MAX_CHANGED_PATHS);
    const result: UpdateRepoResult = {
      summary_sha256: hex(new Uint8Array(await crypto.subtle.digest("SHA-256", summary.value))),
      changed_paths: changedPaths,
      refs_count: listed.size,
      changed_refs: { count: entries.length, sha256: await refsDigest(entries) },
      duration_ms: Math.max(0, this.now() - job.created_at),
    };
    this.store.clearPending(job.job_id);
    this.store.finishJob(job.job_id, "succeeded", this.now(), { result: JSON.stringify(result) });
    return undefined;
  }

  /**
   * The refs of the given arches as flatpak's summary index lists them (summary.idx, signed by
   * summary.idx.sig, naming one content-addressed subsummary per arch); `arches` says which
   * arches were read from it. A repo without summary.idx (older flatpak) reads the compat
   * summary only. "retry": the index and its signature, or a subsummary, do not match yet.
   */
  private async indexedRefs(arches: readonly string[]): Promise<{ ok: true; value: Map<string, string>; arches: string[] } | { ok: false; error: FmFailure } | "retry"> {
    const idx = await this.client.repoFile("summary.idx");
    if (!idx.ok) return idx.error.status === 404 ? { ok: true, value: new Map(), arches: [] } : idx;
    const sig = await this.client.repoFile("summary.idx.sig");
    if (!sig.ok) return sig.error.status === 404 ? "retry" : sig;
    if ((await signaturePairing(idx.value, sig.value)) === "mismatch") return "retry";
    const index = summaryIndex(idx.value);
    if (!index) return "retry";
    const value = new Map<string, string>();
    const read: string[] = [];
    for (const arch of arches) {
      const digest = index.get(arch);
      if (!digest) continue;
      const gz = await this.client.repoFile(`summaries/${digest}.gz`);
      if (!gz.ok) return gz.error.status === 404 ? "retry" : gz;
      const raw = await gunzip(gz.value);
      // content-addressed: the name is the sha256 of the uncompressed subsummary
      if (!raw || hex(new Uint8Array(await crypto.subtle.digest("SHA-256", raw))) !== digest) return "retry";
      const refs = summaryRefs(raw);
      if (!refs) return "retry";
      for (const [ref, commit] of refs) value.set(ref, commit);
      read.push(arch);
    }
    return { ok: true, value, arches: read };
  }

  private jobView(job: JobRow): Job {
    const base = {
      job_id: job.job_id,
      repo: this.client.target.repo,
      state: job.state,
      ...(job.error ? { error: job.error } : {}),
      log_tail: [] as string[],
      created_at: iso(job.created_at),
      updated_at: iso(job.updated_at),
      runs: job.runs,
    };
    if (job.kind === "update-repo") {
      return { ...base, kind: "update-repo", ...(job.state === "succeeded" && job.result ? { result: UpdateRepoResult.parse(JSON.parse(job.result)) } : {}) };
    }
    if (job.state !== "succeeded") return { ...base, kind: "publish" };
    const builds = this.store.builds(job.job_id).map((b): PublishBuildResult =>
      b.phase === "published"
        ? { build_key: b.build_key, ok: true, refs: StoredRefs.parse(JSON.parse(b.published_refs ?? "{}")) }
        : { build_key: b.build_key, ok: false, permanent: true, error: b.error ?? "not published" },
    );
    return { ...base, kind: "publish", result: { builds } };
  }
}

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

async function inBatches<T, R>(items: readonly T[], size: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(f))));
  return out;
}

async function gunzip(bytes: Uint8Array): Promise<Uint8Array | undefined> {
  try {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch {
    return undefined;
  }
}
