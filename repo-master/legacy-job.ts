/**
 * Job files written by agents before the bounded update-repo result (issue 9): their result
 * carried `refs`, every ref of the repo. On load they are turned into today's shape (count,
 * digest over the requested changed refs, refs/heads/** dropped from changed_paths) and their
 * changed refs are returned for the job store to keep, so a pipeline polling such a job after
 * the upgrade still gets an answer instead of a 404.
 */
import { z } from "zod";
import { Commit } from "../lib/ids.js";
import { canonicalRefs, refsDigest } from "../lib/refs-digest.js";
import { CreateJobRequest, MAX_CHANGED_PATHS } from "../lib/repo-master-contract.js";

const LegacyUpdateResult = z.strictObject({
  summary_sha256: z.string(),
  changed_paths: z.array(z.string()),
  refs: z.record(z.string(), Commit),
  duration_ms: z.number(),
});

const LegacyStoredJob = z.object({
  request: CreateJobRequest,
  job: z.looseObject({ kind: z.literal("update-repo"), result: LegacyUpdateResult }),
});

export interface UpgradedJob {
  /** the job file's content in today's shape (still to be parsed as a StoredJob) */
  raw: unknown;
  refs: [string, string | null][];
}

/** undefined when `raw` is not a legacy update-repo job file */
export async function upgradeLegacyJob(raw: unknown): Promise<UpgradedJob | undefined> {
  const legacy = LegacyStoredJob.safeParse(raw);
  if (!legacy.success || legacy.data.request.kind !== "update-repo") return undefined;
  const { refs: all, ...rest } = legacy.data.job.result;
  const refs = canonicalRefs(legacy.data.request.options.changed_refs.map((r) => [r, all[r] ?? null]));
  const result = {
    ...rest,
    changed_paths: rest.changed_paths.filter((p) => !p.startsWith("refs/")).slice(0, MAX_CHANGED_PATHS),
    refs_count: Object.keys(all).length,
    changed_refs: { count: refs.length, sha256: await refsDigest(refs) },
  };
  return { raw: { ...legacy.data, job: { ...legacy.data.job, result } }, refs };
}
