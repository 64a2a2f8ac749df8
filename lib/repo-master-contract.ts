/**
 * The repo-master agent's HTTP contract (both directions signed the Standard Webhooks way with
 * REPO_MASTER_SECRET). Shared by the agent (repo-master/) and its only client (workers/publish).
 *   POST /v1/jobs            CreateJobRequest -> 202 JobAccepted (same job_id again: same job)
 *   GET  /v1/jobs/:job_id    -> Job (≤ 64 KiB whatever the repo size)
 *   GET  /v1/jobs/:job_id/refs?cursor=&limit=  -> JobRefsPage (update-repo, once succeeded;
 *        404 not_found for an unknown job, 409 not_finished before it has succeeded)
 *   callback: POST <PIPELINE_URL>/v1/repo-master/events  body = Job (terminal states)
 */
import { z } from "zod";
import { AppId, Commit, FlatpakRef, JobId, RepoName } from "./ids.js";

export const JobState = z.enum(["queued", "running", "succeeded", "failed"]);
export type JobState = z.infer<typeof JobState>;

export const PublishBuild = z.strictObject({
  build_key: z.string().min(1).max(400),
  app_id: AppId,
  artifact: z.strictObject({
    /** local path, file://, or http(s):// URL of an OSTree repo holding the build */
    url: z.string().min(1).max(2048),
    refs: z.record(FlatpakRef, Commit).refine((r) => Object.keys(r).length > 0, "must list at least one ref"),
  }),
});
export type PublishBuild = z.infer<typeof PublishBuild>;

export const UpdateRepoOptions = z.strictObject({
  /** refs whose refs/heads/* files changed since the last update (for the purge) */
  changed_refs: z.array(FlatpakRef).max(10_000).default([]),
  generate_static_deltas: z.boolean().optional(),
});

/** where the agent posts the finished job; falls back to the agent's configured pipeline_url */
const callback_url = z.url({ protocol: /^https?$/ }).optional();

export const CreateJobRequest = z.discriminatedUnion("kind", [
  z.strictObject({ job_id: JobId, kind: z.literal("publish"), repo: RepoName, builds: z.array(PublishBuild).min(1).max(200), callback_url }),
  z.strictObject({ job_id: JobId, kind: z.literal("update-repo"), repo: RepoName, options: UpdateRepoOptions.default({ changed_refs: [] }), callback_url }),
]);
export type CreateJobRequest = z.infer<typeof CreateJobRequest>;

export const PublishBuildResult = z.discriminatedUnion("ok", [
  z.strictObject({ build_key: z.string(), ok: z.literal(true), refs: z.record(FlatpakRef, Commit) }),
  z.strictObject({
    build_key: z.string(),
    ok: z.literal(false),
    /** permanent: integrity or bad ref, retrying cannot help; otherwise IO/gpg-agent/network */
    permanent: z.boolean(),
    error: z.string(),
  }),
]);
export type PublishBuildResult = z.infer<typeof PublishBuildResult>;

export const PublishResult = z.strictObject({ builds: z.array(PublishBuildResult) });
export type PublishResult = z.infer<typeof PublishResult>;

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

/** changed_paths holds at most this many paths (and at most MAX_CHANGED_PATHS_BYTES of JSON). */
export const MAX_CHANGED_PATHS = 2000;
/** so that a Job (the callback body, GET /v1/jobs/:id) stays ≤ 64 KiB whatever the repo size */
export const MAX_CHANGED_PATHS_BYTES = 32 * 1024;
/** the callback / GET /v1/jobs/:id body cap (issue 9 "Bounded payloads") */
export const MAX_JOB_BODY_BYTES = 64 * 1024;

export const UpdateRepoResult = z.strictObject({
  summary_sha256: Sha256Hex,
  /**
   * repo-relative mutable paths that changed, EXCEPT refs/heads/** (the pipeline knows which
   * refs it asked about: options.changed_refs): summary, summary.sig, summary.idx,
   * summary.idx.sig, appstream/**, delta-indexes/**
   */
  changed_paths: z.array(z.string()).max(MAX_CHANGED_PATHS),
  /** how many refs the new summary lists */
  refs_count: z.number().int().nonnegative(),
  /**
   * options.changed_refs, each with the commit it points at in the new signed summary (null if
   * absent): their count and refsDigest (lib/refs-digest.ts). The list itself is paged from
   * GET /v1/jobs/:job_id/refs.
   */
  changed_refs: z.strictObject({ count: z.number().int().nonnegative(), sha256: Sha256Hex }),
  duration_ms: z.number().int().nonnegative(),
});
export type UpdateRepoResult = z.infer<typeof UpdateRepoResult>;

/** GET /v1/jobs/:job_id/refs query: an opaque cursor from the previous page, and a page size */
export const MAX_REFS_PAGE = 1000;
export const DEFAULT_REFS_PAGE = 500;
export const JobRefsQuery = z.strictObject({
  cursor: z.string().min(1).max(2048).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_REFS_PAGE).default(DEFAULT_REFS_PAGE),
});

export const JobRefEntry = z.strictObject({ ref: FlatpakRef, commit: Commit.nullable() });
export type JobRefEntry = z.infer<typeof JobRefEntry>;

/** GET /v1/jobs/:job_id/refs: a page of the job's changed refs, sorted by ref */
export const JobRefsPage = z.strictObject({
  job_id: JobId,
  refs: z.array(JobRefEntry).max(MAX_REFS_PAGE),
  next_cursor: z.string().nullable(),
});
export type JobRefsPage = z.infer<typeof JobRefsPage>;

const JobBase = {
  job_id: JobId,
  repo: RepoName,
  state: JobState,
  error: z.string().optional(),
  log_tail: z.array(z.string()),
  created_at: z.string(),
  updated_at: z.string(),
  /** how many times the agent started this job (a restart mid-job re-runs it) */
  runs: z.number().int().nonnegative(),
};

export const Job = z.discriminatedUnion("kind", [
  z.strictObject({ ...JobBase, kind: z.literal("publish"), result: PublishResult.optional() }),
  z.strictObject({ ...JobBase, kind: z.literal("update-repo"), result: UpdateRepoResult.optional() }),
]);
export type Job = z.infer<typeof Job>;

export const JobAccepted = z.strictObject({ job_id: JobId, state: JobState });
export type JobAccepted = z.infer<typeof JobAccepted>;
