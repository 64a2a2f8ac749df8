/**
 * What a finished repo-master job means for the repo's builds. Publish results are per build: one
 * bad build fails alone; permanent errors (integrity, bad ref) fail at once; transient ones go
 * back to the queue with capped backoff until `maxAttempts`, then fail (an operator can retry).
 *
 * An update-repo result is checked against what the builds published (issue 10 #1): a build is
 * live only if the new signed summary lists each of its refs at the commit published for it.
 * When two builds of one ref went out in one update, the summary lists the later one; the
 * earlier ends superseded by it.
 */
import { backoffMs } from "../backoff.js";
import type { PublishProgress } from "../publisher/publish-progress.js";
import type { Job, UpdateRepoResult } from "../repo-master-contract.js";
import type { PublishedBuild, QueuedBuild, RepoMeta, Timing } from "./state.js";

export interface Report {
  build_key: string;
  progress: PublishProgress;
}

export interface PublishOutcome {
  published: Omit<PublishedBuild, "seq">[];
  requeue: QueuedBuild[];
  /** builds that leave the coordinator (failed for good) */
  dropped: string[];
  reports: Report[];
}

const backoff = (attempt: number, t: Timing) => backoffMs(attempt, { baseMs: t.retryBaseMs, maxMs: t.retryMaxMs, maxAttempts: t.maxAttempts });

export function applyPublishJob(job: Job, items: readonly QueuedBuild[], now: number, timing: Timing): PublishOutcome {
  const out: PublishOutcome = { published: [], requeue: [], dropped: [], reports: [] };
  const results = new Map((job.kind === "publish" && job.state === "succeeded" ? job.result?.builds ?? [] : []).map((r) => [r.build_key, r]));
  for (const item of items) {
    const r = results.get(item.build_key);
    if (r?.ok) {
      out.published.push({ build_key: item.build_key, app_id: item.app_id, refs: r.refs, published_at: now });
      out.reports.push({ build_key: item.build_key, progress: { kind: "published", job_id: job.job_id, refs: r.refs } });
      continue;
    }
    const reason = r ? r.error : job.error ?? `publish job ${job.job_id} ${job.state} without a result for this build`;
    const attempt = item.attempts + 1;
    if ((r && r.permanent) || attempt >= timing.maxAttempts) {
      const why = r?.permanent ? reason : `gave up after ${attempt} attempts: ${reason}`;
      out.dropped.push(item.build_key);
      out.reports.push({ build_key: item.build_key, progress: { kind: "failed", reason: why } });
    } else {
      const { job_id: _claim, ...rest } = item;
      out.requeue.push({ ...rest, attempts: attempt, ready_at: now + backoff(attempt, timing) });
      out.reports.push({ build_key: item.build_key, progress: { kind: "retrying", reason, attempt } });
    }
  }
  return out;
}

/** ref -> the commit the summary should list and the build that published it (the latest). */
export function expectedRefs(builds: readonly PublishedBuild[]): Map<string, { commit: string; build_key: string }> {
  const expected = new Map<string, { commit: string; build_key: string; seq: number }>();
  for (const b of builds) {
    for (const [ref, commit] of Object.entries(b.refs)) {
      const cur = expected.get(ref);
      if (!cur || cur.seq < b.seq) expected.set(ref, { commit, build_key: b.build_key, seq: b.seq });
    }
  }
  return expected;
}

export type BuildVerdict =
  | { build_key: string; outcome: "live" }
  | { build_key: string; outcome: "superseded"; superseded_by?: string; reason: string };

/**
 * Each build's verdict from the commits the signed summary lists for the changed refs
 * (`actual`: ref -> commit, null when the summary does not list the ref).
 */
export function verdicts(builds: readonly PublishedBuild[], actual: ReadonlyMap<string, string | null>): BuildVerdict[] {
  const byCommit = new Map<string, string>();
  for (const b of builds) for (const [ref, commit] of Object.entries(b.refs)) byCommit.set(`${ref} ${commit}`, b.build_key);
  return builds.map((b): BuildVerdict => {
    for (const [ref, commit] of Object.entries(b.refs)) {
      const listed = actual.get(ref) ?? null;
      if (listed === commit) continue;
      const by = listed ? byCommit.get(`${ref} ${listed}`) : undefined;
      const reason = listed
        ? `the signed summary lists ${ref} at ${listed.slice(0, 12)}${by ? ` (build ${by})` : ""}, not at this build's ${commit.slice(0, 12)}`
        : `the signed summary does not list ${ref}`;
      return { build_key: b.build_key, outcome: "superseded", ...(by && by !== b.build_key ? { superseded_by: by } : {}), reason };
    }
    return { build_key: b.build_key, outcome: "live" };
  });
}

export interface UpdateRecord {
  update_id: string;
  ok: boolean;
  finished_at: number;
  builds: number;
  live: number;
  superseded: number;
  summary_sha256?: string;
  refs_count?: number;
  changed_refs?: number;
  changed_refs_sha256?: string;
  duration_ms?: number;
  error?: string;
}

export interface UpdateOutcome {
  meta: RepoMeta;
  reports: Report[];
  record: UpdateRecord;
  verdicts: BuildVerdict[];
  alerts: string[];
}

export function applyUpdateSuccess(meta: RepoMeta, jobId: string, builds: readonly PublishedBuild[], result: UpdateRepoResult, actual: ReadonlyMap<string, string | null>, now: number): UpdateOutcome {
  const { update_not_before: _nb, ...rest } = meta;
  const vs = verdicts(builds, actual);
  const reports = vs.map((v): Report => ({
    build_key: v.build_key,
    progress: v.outcome === "live"
      ? { kind: "live", summary_sha256: result.summary_sha256, update_id: jobId }
      : { kind: "superseded", reason: v.reason, ...(v.superseded_by ? { superseded_by: v.superseded_by } : {}) },
  }));
  const live = vs.filter((v) => v.outcome === "live").length;
  return {
    meta: { ...rest, update_failures: 0 },
    reports,
    verdicts: vs,
    alerts: [],
    record: {
      update_id: jobId,
      ok: true,
      finished_at: now,
      builds: builds.length,
      live,
      superseded: builds.length - live,
      summary_sha256: result.summary_sha256,
      refs_count: result.refs_count,
      changed_refs: result.changed_refs.count,
      changed_refs_sha256: result.changed_refs.sha256,
      duration_ms: result.duration_ms,
    },
  };
}

/** The builds stay published and wait for the next update-repo, after a backoff. */
export function applyUpdateFailure(meta: RepoMeta, jobId: string, buildCount: number, error: string, now: number, timing: Timing): UpdateOutcome {
  const failures = meta.update_failures + 1;
  return {
    meta: { ...meta, update_failures: failures, update_not_before: now + backoff(Math.min(failures, timing.maxAttempts), timing) },
    reports: [],
    verdicts: [],
    alerts: failures === timing.maxAttempts ? [`summary regeneration of ${meta.repo} failed ${failures} times in a row: ${error}`] : [],
    record: { update_id: jobId, ok: false, finished_at: now, builds: buildCount, live: 0, superseded: 0, error },
  };
}
