/**
 * The update-repo job: regenerate and sign the summary (and static deltas when configured),
 * then report the new summary's sha256, the non-ref mutable paths that changed (for the CDN
 * purge), how many refs the summary lists, and the requested changed refs with the commit each
 * points at in the new summary: as a count and a digest in the result (bounded whatever the
 * repo size), and as the full sorted list for GET /v1/jobs/:id/refs.
 *
 * "Changed" paths are measured against the snapshot taken after the previous update. Refs are
 * not snapshotted: the pipeline says which refs it moved, and the summary says where they are.
 * Where the time goes is logged per phase (issue 9 item 4).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { z } from "zod";
import { backoffMs, type BackoffPolicy } from "../lib/backoff.js";
import { canonicalRefs, refsDigest } from "../lib/refs-digest.js";
import { MAX_CHANGED_PATHS, MAX_CHANGED_PATHS_BYTES, type UpdateRepoOptions, type UpdateRepoResult } from "../lib/repo-master-contract.js";
import { err, ok, type Result } from "../lib/result.js";
import type { RepoConfig } from "./config.js";
import { boundChangedPaths, changedPaths, snapshotMutable, type Snapshot } from "./mutable-files.js";
import { buildUpdateRepo, signingOf } from "./ostree.js";
import { describeFailure } from "./run-command.js";
import { parseSummaryRefs } from "./summary-refs.js";

export interface UpdateContext {
  repo: RepoConfig;
  /** the mutable files right after the previous update-repo, when known */
  lastSnapshot?: Snapshot;
  retry: BackoffPolicy;
  onLine: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

export type ChangedRef = [ref: string, commit: string | null];

export interface UpdateOutcome {
  result: UpdateRepoResult;
  snapshot: Snapshot;
  /** options.changed_refs in canonical order (lib/refs-digest.ts), with their summary commits */
  refs: ChangedRef[];
  /** milliseconds per phase, for the log and the benchmark */
  phases: Record<string, number>;
}

export async function updateRepo(options: z.output<typeof UpdateRepoOptions>, ctx: UpdateContext): Promise<Result<UpdateOutcome, string>> {
  const started = Date.now();
  const phases: Record<string, number> = {};
  const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      phases[name] = Math.round(performance.now() - t0);
    }
  };
  const sleep = ctx.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const repo = ctx.repo.path;
  const before = ctx.lastSnapshot ?? (await timed("snapshot_before", () => snapshotMutable(repo)));
  const staticDeltas = options.generate_static_deltas ?? ctx.repo.generate_static_deltas;
  const built = await timed("build_update_repo", async () => {
    for (let attempt = 1; ; attempt++) {
      const run = await buildUpdateRepo({ repo, signing: signingOf(ctx.repo), staticDeltas }, { onLine: ctx.onLine });
      if (run.ok) return ok(undefined);
      // signing goes through gpg-agent (maybe a hardware token): worth another try
      if (attempt >= ctx.retry.maxAttempts) return err(describeFailure(run));
      const wait = backoffMs(attempt, ctx.retry);
      ctx.onLine(`update-repo attempt ${attempt} failed (${describeFailure(run)}); retrying in ${wait} ms`);
      await sleep(wait);
    }
  });
  if (!built.ok) return built;
  const after = await timed("snapshot_after", () => snapshotMutable(repo, before));
  const summarySha = after["summary"]?.sha256;
  if (!summarySha) return err(`flatpak build-update-repo succeeded but ${repo}/summary is missing`);
  const read = await timed("summary_refs", () => readChangedRefs(repo, options.changed_refs));
  if (!read.ok) return read;
  const { count, refs } = read.value;
  const paths = boundChangedPaths(changedPaths(before, after));
  if (paths.omitted > 0) {
    ctx.onLine(`changed_paths capped: ${paths.omitted} changed path(s) not listed (max ${MAX_CHANGED_PATHS} paths / ${MAX_CHANGED_PATHS_BYTES} bytes)`);
  }
  const sha256 = await refsDigest(refs);
  ctx.onLine(`update-repo phases (ms): ${Object.entries(phases).map(([k, v]) => `${k}=${v}`).join(" ")}`);
  return ok({
    result: {
      summary_sha256: summarySha,
      changed_paths: paths.listed,
      refs_count: count,
      changed_refs: { count: refs.length, sha256 },
      duration_ms: Date.now() - started,
    },
    snapshot: after,
    refs,
    phases,
  });
}

async function readChangedRefs(repo: string, wanted: readonly string[]): Promise<Result<{ count: number; refs: ChangedRef[] }, string>> {
  try {
    const summary = parseSummaryRefs(await readFile(path.join(repo, "summary")));
    const commits = summary.commitsOf(wanted);
    return ok({ count: summary.count, refs: canonicalRefs(wanted.map((r) => [r, commits.get(r) ?? null])) });
  } catch (e) {
    return err(`reading the new summary of ${repo}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
