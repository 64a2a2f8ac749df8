/**
 * One build of a publish job: check its refs, fetch its artifact, verify that every ref points
 * at the commit the (signed) event announced, then import and sign each ref into the repo.
 * Transient failures are retried here a few times; what is left is reported per build.
 */
import type { PublishBuild, PublishBuildResult } from "../lib/repo-master-contract.js";
import { backoffMs, type BackoffPolicy } from "../lib/backoff.js";
import { err, ok, type Result } from "../lib/result.js";
import { permanent, transient, type BuildFailure } from "./build-failure.js";
import { checkBuildRefs } from "./check-build-refs.js";
import type { RepoConfig } from "./config.js";
import { fetchArtifact } from "./fetch-artifact.js";
import { buildCommitFrom, revParse, signingOf } from "./ostree.js";
import { describeFailure } from "./run-command.js";

export interface ImportContext {
  repo: RepoConfig;
  /** scratch space for pulled artifacts */
  tmpDir: string;
  retry: BackoffPolicy;
  onLine: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_IMPORT_RETRY: BackoffPolicy = { baseMs: 2_000, maxMs: 30_000, maxAttempts: 3 };

export async function importBuild(build: PublishBuild, ctx: ImportContext): Promise<PublishBuildResult> {
  const bad = checkBuildRefs(build);
  if (bad) return failed(build, bad);
  const sleep = ctx.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let attempt = 1; ; attempt++) {
    const outcome = await importOnce(build, ctx);
    if (outcome.ok) return { build_key: build.build_key, ok: true, refs: outcome.value };
    if (outcome.error.permanent || attempt >= ctx.retry.maxAttempts) return failed(build, outcome.error);
    const wait = backoffMs(attempt, ctx.retry);
    ctx.onLine(`${build.build_key}: attempt ${attempt} failed (${outcome.error.message}); retrying in ${wait} ms`);
    await sleep(wait);
  }
}

function failed(build: PublishBuild, f: BuildFailure): PublishBuildResult {
  return { build_key: build.build_key, ok: false, permanent: f.permanent, error: f.message };
}

async function importOnce(build: PublishBuild, ctx: ImportContext): Promise<Result<Record<string, string>, BuildFailure>> {
  const expected = build.artifact.refs;
  const fetched = await fetchArtifact(build.artifact.url, Object.keys(expected), { tmpDir: ctx.tmpDir, onLine: ctx.onLine });
  if (!fetched.ok) return fetched;
  const artifact = fetched.value;
  try {
    for (const [ref, commit] of Object.entries(expected)) {
      const found = artifact.commits[ref];
      if (found !== commit) {
        return err(permanent(`integrity: artifact has ${ref} at ${found}, the event says ${commit}`));
      }
    }
    const imported: Record<string, string> = {};
    for (const [ref, commit] of Object.entries(expected)) {
      // import the verified checksum, not the ref name: the artifact repo may move meanwhile
      const r = await buildCommitFrom(
        { srcRepo: artifact.repo, srcCommit: commit, destRepo: ctx.repo.path, destRef: ref, signing: signingOf(ctx.repo) },
        { onLine: ctx.onLine },
      );
      if (!r.ok) {
        const corrupt = /corrupt|checksum/i.test(r.stderr);
        return err(corrupt ? permanent(`integrity: ${describeFailure(r)}`) : transient(describeFailure(r)));
      }
      // flatpak wrote a new commit (or kept the current one when the content is unchanged)
      const dest = await revParse(ctx.repo.path, ref);
      if (!dest.ok) return err(transient(describeFailure(dest)));
      imported[ref] = dest.stdout.trim();
    }
    return ok(imported);
  } finally {
    await artifact.cleanup();
  }
}
