/**
 * The purge service's RPC contract (DESIGN.md: contracts live in lib/, workers/purge implements
 * them, the RepoCoordinator depends only on this file). Everything here is plain data, so it
 * crosses a service binding by structured clone and can be stored in the coordinator's history.
 *
 * Idempotency per `update_id` is the caller's job: the RepoCoordinator records the report under
 * the update id and does not call `purge` again for an update it already has a report for
 * (purging twice is harmless, but it costs API quota and floods the channel with alerts).
 */
import { z } from "zod";
import { RepoName } from "../ids.js";

export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "must be a 64-hex sha256");

export const PurgeRequest = z.strictObject({
  repo: RepoName,
  /** the update-repo job id: the key the caller dedupes on, echoed in the report */
  update_id: z.string().min(1).max(200),
  /** where users fetch the repo through the CDN (e.g. https://dl.example.org/repo); overrides REPOS */
  public_url: z.url({ protocol: /^https?$/ }).optional(),
  /** repo-relative paths the update changed (UpdateRepoResult.changed_paths); filtered to the mutable ones */
  changed_paths: z.array(z.string().min(1).max(1024)).max(100_000),
  /** repo-relative path -> sha256 hex of what the origin now serves; "summary" is required */
  expected: z
    .record(z.string().min(1), Sha256Hex)
    .refine((e) => e.summary !== undefined, { message: "must include the sha256 of \"summary\"", path: ["summary"] }),
});
export type PurgeRequest = z.infer<typeof PurgeRequest>;

export const PurgeProviderName = z.enum(["fastly", "cloudflare"]);
export type PurgeProviderName = z.infer<typeof PurgeProviderName>;

export const ProviderReport = z.strictObject({
  provider: PurgeProviderName,
  /** what was purged: Fastly surrogate keys/URLs, Cloudflare files/tags */
  mode: z.enum(["keys", "urls", "files", "tags"]),
  ok: z.boolean(),
  /** HTTP attempts including retries */
  attempts: z.number().int().nonnegative(),
  /** purge requests (batches) sent, not counting retries */
  requests: z.number().int().nonnegative(),
  /** purge ids the provider returned (Fastly purge ids, Cloudflare result ids) */
  ids: z.array(z.string()),
  error: z.string().optional(),
  /** the provider rate-limited us for longer than we wait inline: call again after this long */
  retry_after_ms: z.number().int().nonnegative().optional(),
});
export type ProviderReport = z.infer<typeof ProviderReport>;

export const VerifyReport = z.strictObject({
  /** the edge served the expected summary with a matching summary.sig */
  ok: z.boolean(),
  /** edge checks made (each a GET of summary and summary.sig) */
  attempts: z.number().int().nonnegative(),
  /** from the first purge request to the first check that saw the new summary */
  ms_until_fresh: z.number().int().nonnegative().optional(),
  summary_sha256_edge: z.string().optional(),
  summary_sig_sha256_edge: z.string().optional(),
  /** summary and summary.sig at the edge do not belong together: clients fail with "BAD signature" */
  signature_mismatch: z.boolean(),
  /** how the pair was checked: the OpenPGP hash prefix, the expected sha256, or not at all */
  signature_check: z.enum(["openpgp", "sha256", "none"]).optional(),
  error: z.string().optional(),
});
export type VerifyReport = z.infer<typeof VerifyReport>;

export const PurgeReport = z.strictObject({
  update_id: z.string(),
  /** why nothing was purged (no provider configured, configuration error) */
  skipped: z.string().optional(),
  /** how many mutable paths the update touched (summary set included) */
  paths: z.number().int().nonnegative().optional(),
  providers: z.array(ProviderReport),
  verify: VerifyReport.optional(),
  /** repo-level alerts for the channel; a failed purge never fails the publish */
  alerts: z.array(z.string()),
});
export type PurgeReport = z.infer<typeof PurgeReport>;

/** What the RepoCoordinator calls through its `PURGE` service binding. Reports; never throws for a CDN failure. */
export interface PurgeService {
  purge(req: PurgeRequest): Promise<PurgeReport>;
}
