/**
 * The repos `npm run bench:repo` measures: a signed dev repo (throwaway key) holding one real
 * Flatpak app commit that `size` app refs point at (refs/heads files written directly, then one
 * `flatpak build-update-repo` so the summary lists them all). Generated once per size and cached
 * under bench/.cache/repo-<size>/ (git-ignored); 30,000 refs take seconds, not minutes.
 */
import { mkdir, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureDevRepo, makeTestBuild, pointManyRefs, type DevRepo } from "../repo-master/dev-repo.js";
import { buildCommitFrom, buildUpdateRepo, revParse, signingOf } from "../repo-master/ostree.js";
import { describeFailure, type CommandResult } from "../repo-master/run-command.js";

export const CACHE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), ".cache");
export const BENCH_REPO = "bench";

export interface BenchRepo {
  size: number;
  dir: string;
  dev: DevRepo;
  arch: string;
}

export async function benchRepo(size: number, log: (line: string) => void): Promise<BenchRepo> {
  const dir = path.join(CACHE_DIR, `repo-${size}`);
  const ready = path.join(dir, ".ready");
  const cached = await stat(ready).then(() => true, () => false);
  if (!cached) await rm(dir, { recursive: true, force: true });
  const dev = await ensureDevRepo({ dir, repoName: BENCH_REPO, collectionId: "org.flatgate.Bench" });
  const seed = await makeTestBuild({ dir: path.join(dir, "seed"), appId: "org.example.App0", branch: "stable", marker: "seed" });
  const arch = seed.ref.split("/")[2]!;
  if (cached) return { size, dir, dev, arch };

  const t0 = performance.now();
  const repo = dev.config.repos[BENCH_REPO]!;
  must(await buildCommitFrom({ srcRepo: seed.repoPath, srcCommit: seed.refs[seed.ref]!, destRepo: repo.path, destRef: seed.ref, signing: signingOf(repo) }));
  const commit = must(await revParse(repo.path, seed.ref)).stdout.trim();
  // App0 is the real commit; App1…App<size-1> point at it too
  await pointManyRefs({ repoPath: repo.path, commit, count: size - 1, arch, from: 1 });
  must(await buildUpdateRepo({ repo: repo.path, signing: signingOf(repo), staticDeltas: false }));
  await writeFile(ready, `${new Date().toISOString()}\n`);
  log(`generated ${size} refs in ${((performance.now() - t0) / 1000).toFixed(1)} s (${dir})`);
  return { size, dir, dev, arch };
}

/** A fresh build of one app (new content each call) in a build repo of its own. */
export async function freshBuild(bench: BenchRepo, appId: string, round: number) {
  const dir = path.join(bench.dir, "builds", appId);
  await mkdir(dir, { recursive: true });
  return makeTestBuild({ dir, appId, branch: "stable", marker: `${appId} round ${round} ${Date.now()}` });
}

function must(r: CommandResult): CommandResult {
  if (!r.ok) throw new Error(describeFailure(r));
  return r;
}
