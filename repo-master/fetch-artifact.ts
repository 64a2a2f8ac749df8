/**
 * Makes a build's artifact available as a local OSTree repo and reads which commit each ref
 * points to there. Local paths and file:// URLs are used in place; http(s):// repos are pulled
 * into a throwaway repo first (ostree verifies every object's checksum while pulling).
 */
import { randomUUID } from "node:crypto";
import { mkdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { err, ok, type Result } from "../lib/result.js";
import { permanent, transient, type BuildFailure } from "./build-failure.js";
import { addUnverifiedRemote, initRepo, pull, revParse, type ToolOptions } from "./ostree.js";
import { describeFailure } from "./run-command.js";

export interface FetchedArtifact {
  /** a local repo holding the artifact's objects */
  repo: string;
  /** ref -> commit as found in the artifact */
  commits: Record<string, string>;
  cleanup(): Promise<void>;
}

type Source = { kind: "local"; path: string } | { kind: "http"; url: string };

export function artifactSource(url: string): Result<Source, BuildFailure> {
  if (/^https?:\/\//i.test(url)) {
    try {
      return ok({ kind: "http", url: new URL(url).href });
    } catch {
      return err(permanent(`artifact url ${url} is not a valid URL`));
    }
  }
  if (url.startsWith("file://")) {
    try {
      return ok({ kind: "local", path: fileURLToPath(url) });
    } catch {
      return err(permanent(`artifact url ${url} is not a valid file:// URL`));
    }
  }
  // a relative path would depend on the agent's working directory: refuse it
  if (path.isAbsolute(url)) return ok({ kind: "local", path: path.normalize(url) });
  return err(permanent(`artifact url ${url} must be an absolute path, file:// or http(s):// URL`));
}

export async function fetchArtifact(
  url: string,
  refs: readonly string[],
  opts: ToolOptions & { tmpDir: string },
): Promise<Result<FetchedArtifact, BuildFailure>> {
  const source = artifactSource(url);
  if (!source.ok) return source;
  if (source.value.kind === "local") {
    const repo = source.value.path;
    const isRepo = await stat(path.join(repo, "config")).then((s) => s.isFile(), () => false);
    if (!isRepo) return err(permanent(`artifact ${repo} is not an OSTree repository`));
    const commits = await readCommits(repo, refs, "");
    return commits.ok ? ok({ repo, commits: commits.value, cleanup: async () => {} }) : commits;
  }
  const repo = path.join(opts.tmpDir, `artifact-${randomUUID()}`);
  const cleanup = () => rm(repo, { recursive: true, force: true });
  const fail = async (f: BuildFailure) => {
    await cleanup();
    return err(f);
  };
  await mkdir(opts.tmpDir, { recursive: true });
  const init = await initRepo(repo);
  if (!init.ok) return fail(transient(describeFailure(init)));
  const remote = await addUnverifiedRemote(repo, "artifact", source.value.url);
  if (!remote.ok) return fail(transient(describeFailure(remote)));
  // a missing ref and an unreachable server look alike over HTTP: both count as transient
  const pulled = await pull(repo, "artifact", refs, opts);
  if (!pulled.ok) return fail(transient(`pulling the artifact failed: ${describeFailure(pulled)}`));
  const commits = await readCommits(repo, refs, "artifact:");
  return commits.ok ? ok({ repo, commits: commits.value, cleanup }) : fail(commits.error);
}

async function readCommits(repo: string, refs: readonly string[], prefix: string): Promise<Result<Record<string, string>, BuildFailure>> {
  const commits: Record<string, string> = {};
  for (const ref of refs) {
    const r = await revParse(repo, `${prefix}${ref}`);
    if (!r.ok) {
      const missing = /not found|no such/i.test(r.stderr);
      return err(missing ? permanent(`artifact has no ref ${ref}`) : transient(describeFailure(r)));
    }
    commits[ref] = r.stdout.trim();
  }
  return ok(commits);
}
