/**
 * flat-manager's HTTP API as Flatgate reads it (../shared/reference/flat-manager-api.md, read
 * from flat-manager @7d27258). States are integers; job `results` are strings of JSON.
 */
import { z } from "zod";

/** §4: the integer states, by name (index = value) */
export const REPO_STATES = ["Uploading", "Committing", "Ready", "Failed", "Purging", "Purged", "Validating"] as const;
export const PUBLISHED_STATES = ["Unpublished", "Publishing", "Published", "Failed"] as const;
export const JOB_STATUSES = ["New", "Started", "Ended", "Broken"] as const;
export const CHECK_STATUSES = ["Pending", "Passed", "PassedWithWarnings", "Failed", "ReviewRequired"] as const;

export const RepoState = { Ready: 2, Failed: 3, Purged: 5 } as const;
export const PublishedState = { Unpublished: 0, Publishing: 1, Published: 2, Failed: 3 } as const;
export const JobStatus = { New: 0, Started: 1, Ended: 2, Broken: 3 } as const;
export const CheckStatus = { Failed: 3, ReviewRequired: 4 } as const;

export const stateName = (names: readonly string[], n: number): string => names[n] ?? `state ${n}`;

const int = z.number().int();

/** reason fields and job ids are omitted when null (models.rs) */
export const FmBuild = z.object({
  id: int,
  repo: z.string(),
  repo_state: int,
  published_state: int,
  repo_state_reason: z.string().nullable().optional(),
  published_state_reason: z.string().nullable().optional(),
  commit_job_id: int.nullable().optional(),
  publish_job_id: int.nullable().optional(),
  app_id: z.string().nullable(),
});
export type FmBuild = z.infer<typeof FmBuild>;

export const FmBuildRef = z.object({ id: int, build_id: int, ref_name: z.string(), commit: z.string() });

export const FmCheck = z.object({
  check_name: z.string(),
  build_id: int,
  job_id: int,
  status: int,
  status_reason: z.string().nullable().optional(),
});

export const FmBuildExtended = z.object({ build: FmBuild, build_refs: z.array(FmBuildRef), checks: z.array(FmCheck) });
export type FmBuildExtended = z.infer<typeof FmBuildExtended>;

export const FmJob = z.object({
  id: int,
  kind: int,
  status: int,
  contents: z.string(),
  log: z.string(),
  /** absent until the job ends */
  results: z.string().nullable().optional(),
  repo: z.string().nullable().optional(),
});
export type FmJob = z.infer<typeof FmJob>;

/** a publish job's results, once Ended: new commits in the main repo and the update-repo job it queued */
export const FmPublishResults = z.object({ refs: z.record(z.string(), z.string()), "update-repo-job": int });
export type FmPublishResults = z.infer<typeof FmPublishResults>;

export const FmFailedResults = z.object({ "error-message": z.string() });

/** §2 errors: every JSON error body; a missing or malformed body gets plain text instead */
export const FmErrorBody = z.object({
  status: int,
  "error-type": z.string(),
  message: z.string(),
  "current-state": z.string().optional(),
  "expected-state": z.string().optional(),
});
export type FmErrorBody = z.infer<typeof FmErrorBody>;

/** `results` is a string of JSON: parse it again, with a schema. */
export function parseResults<T>(job: FmJob, schema: z.ZodType<T>): T | undefined {
  if (!job.results) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(job.results));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** `<flat_manager_url>/api/v1/build/<id>` (what `flat-manager-client create` prints) → the id */
export function buildIdFromUrl(url: string, base: string): number | undefined {
  const prefix = `${base.replace(/\/+$/, "")}/api/v1/build/`;
  if (!url.startsWith(prefix)) return undefined;
  const rest = url.slice(prefix.length).replace(/\/+$/, "");
  return /^[1-9][0-9]{0,15}$/.test(rest) ? Number(rest) : undefined;
}
