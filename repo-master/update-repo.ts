/**
 * The update-repo job: regenerate and sign the summary (and static deltas when configured),
 * then report the new summary's sha256, the mutable paths that changed (for the CDN purge) and
 * the repo's refs. "Changed" is measured against the snapshot taken after the previous update,
 * so refs moved by publish jobs in between are included too.
 */
import type { z } from "zod";
import { backoffMs, type BackoffPolicy } from "../lib/backoff.js";
import type { UpdateRepoOptions, UpdateRepoResult } from "../lib/repo-master-contract.js";
import { err, ok, type Result } from "../lib/result.js";
import type { RepoConfig } from "./config.js";
import { changedPaths, readRefs, snapshotMutable, type Snapshot } from "./mutable-files.js";
import { buildUpdateRepo, signingOf } from "./ostree.js";
import { describeFailure } from "./run-command.js";
import { refsDigest } from "../lib/refs-digest.js";

export interface UpdateContext {
  repo: RepoConfig;
  /** the mutable files right after the previous update-repo, when known */
  lastSnapshot?: Snapshot;
  retry: BackoffPolicy;
  onLine: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

export interface UpdateOutcome {
  result: UpdateRepoResult;
  snapshot: Snapshot;
}

export async function updateRepo(options: z.output<typeof UpdateRepoOptions>, ctx: UpdateContext): Promise<Result<UpdateOutcome, string>> {
  const started = Date.now();
  const sleep = ctx.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const repo = ctx.repo.path;
  const before = ctx.lastSnapshot ?? (await snapshotMutable(repo));
  const staticDeltas = options.generate_static_deltas ?? ctx.repo.generate_static_deltas;
  for (let attempt = 1; ; attempt++) {
    const run = await buildUpdateRepo({ repo, signing: signingOf(ctx.repo), staticDeltas }, { onLine: ctx.onLine });
    if (run.ok) break;
    // signing goes through gpg-agent (maybe a hardware token): worth another try
    if (attempt >= ctx.retry.maxAttempts) return err(describeFailure(run));
    const wait = backoffMs(attempt, ctx.retry);
    ctx.onLine(`update-repo attempt ${attempt} failed (${describeFailure(run)}); retrying in ${wait} ms`);
    await sleep(wait);
  }
  const after = await snapshotMutable(repo);
  const summarySha = after["summary"];
  if (!summarySha) return err(`flatpak build-update-repo succeeded but ${repo}/summary is missing`);
  const changed = new Set(changedPaths(before, after));
  // the pipeline knows which refs it published even if our snapshot was lost
  for (const ref of options.changed_refs) changed.add(`refs/heads/${ref}`);
  const refs = await readRefs(repo);
  const listed = options.changed_refs.map((r): [string, string | null] => [r, refs[r] ?? null]);
  return ok({
    result: {
      summary_sha256: summarySha,
      changed_paths: [...changed].filter((p) => !p.startsWith("refs/heads/")).sort().slice(0, 2000),
      refs_count: Object.keys(refs).length,
      changed_refs: { count: new Set(options.changed_refs).size, sha256: await refsDigest(listed) },
      duration_ms: Date.now() - started,
    },
    snapshot: after,
  });
}
