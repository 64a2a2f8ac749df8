/**
 * The ostree/flatpak command lines the agent uses, one function each. Everything goes through
 * the CLIs (not libostree bindings) so the agent needs nothing beyond Debian's packages.
 */
import type { RepoConfig } from "./config.js";
import { runCommand, type CommandResult } from "./run-command.js";

export interface ToolOptions {
  onLine?: (line: string) => void;
  timeoutMs?: number;
}

export interface Signing {
  keyIds: readonly string[];
  homedir?: string;
}

export function signingOf(repo: RepoConfig): Signing {
  return { keyIds: repo.gpg_key_ids, ...(repo.gpg_homedir ? { homedir: repo.gpg_homedir } : {}) };
}

function signArgs(s: Signing): string[] {
  return [...s.keyIds.map((k) => `--gpg-sign=${k}`), ...(s.homedir ? [`--gpg-homedir=${s.homedir}`] : [])];
}

/** Quiet calls (rev-parse) do not go to the job log: only what changes the repo does. */
export function revParse(repo: string, rev: string): Promise<CommandResult> {
  return runCommand("ostree", [`--repo=${repo}`, "rev-parse", rev], { timeoutMs: 60_000 });
}

export function initRepo(repo: string, opts: { mode?: string; collectionId?: string } = {}): Promise<CommandResult> {
  return runCommand("ostree", [
    "init",
    `--repo=${repo}`,
    `--mode=${opts.mode ?? "archive-z2"}`,
    ...(opts.collectionId ? [`--collection-id=${opts.collectionId}`] : []),
  ]);
}

/** Artifacts are verified by commit checksum against the signed event, not by GPG. */
export function addUnverifiedRemote(repo: string, name: string, url: string): Promise<CommandResult> {
  return runCommand("ostree", [`--repo=${repo}`, "remote", "add", "--no-gpg-verify", name, url]);
}

export function pull(repo: string, remote: string, refs: readonly string[], opts: ToolOptions = {}): Promise<CommandResult> {
  return runCommand("ostree", [`--repo=${repo}`, "pull", "--disable-fsync", remote, ...refs], {
    timeoutMs: opts.timeoutMs ?? 30 * 60_000,
    ...(opts.onLine ? { onLine: opts.onLine } : {}),
  });
}

/**
 * Imports `srcCommit` as `destRef` into `destRepo` with a new signed commit (flatpak rewrites
 * the commit, so its checksum differs from the artifact's). `--untrusted` makes flatpak verify
 * every object's checksum while copying: a build machine's repo is not trusted. The summary
 * is left alone: regenerating it is the (coalesced) update-repo job's work.
 */
export function buildCommitFrom(
  args: { srcRepo: string; srcCommit: string; destRepo: string; destRef: string; signing: Signing },
  opts: ToolOptions = {},
): Promise<CommandResult> {
  return runCommand(
    "flatpak",
    [
      "build-commit-from",
      "--untrusted",
      `--src-repo=${args.srcRepo}`,
      `--src-ref=${args.srcCommit}`,
      ...signArgs(args.signing),
      "--no-update-summary",
      args.destRepo,
      args.destRef,
    ],
    { timeoutMs: opts.timeoutMs ?? 60 * 60_000, ...(opts.onLine ? { onLine: opts.onLine } : {}) },
  );
}

export function buildUpdateRepo(
  args: { repo: string; signing: Signing; staticDeltas: boolean },
  opts: ToolOptions = {},
): Promise<CommandResult> {
  return runCommand(
    "flatpak",
    ["build-update-repo", ...signArgs(args.signing), ...(args.staticDeltas ? ["--generate-static-deltas"] : []), args.repo],
    // static deltas of a big repo take long; the coordinator polls meanwhile
    { timeoutMs: opts.timeoutMs ?? 4 * 3600_000, ...(opts.onLine ? { onLine: opts.onLine } : {}) },
  );
}
