/** Identifier grammars shared by every edge (intake, operator API, agent, coordinator). */
import { z } from "zod";

/** Reverse-DNS id: at least three dot-separated elements, no `/`, no `..`, ≤255 chars (flatpak's rules). */
export const AppId = z
  .string()
  .max(255, "must be at most 255 characters")
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_-]*){2,}$/,
    "must be a reverse-DNS id like org.example.App (letters, digits, _ and -, no / or ..)",
  );

export const RepoName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "must be a short lowercase repo name like stable");

export const BuildId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "must be 1-64 of letters, digits, . _ -");

export const Branch = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/, "must be a Flatpak branch name like stable");

export const Arch = z.string().regex(/^[a-z0-9_]{1,32}$/, "must be an architecture like x86_64");

export const Commit = z.string().regex(/^[0-9a-f]{64}$/, "must be a 64-hex OSTree commit checksum");

export const GitSha = z.string().regex(/^[0-9a-f]{40}$/, "must be a 40-hex git commit sha");

export const JobId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, "must be 1-128 of letters, digits, . _ : -");

/** `(app|runtime)/<id>/<arch>/<branch>` */
export const FlatpakRef = z
  .string()
  .regex(/^(app|runtime)\/[^/]+\/[^/]+\/[^/]+$/, "must be a Flatpak ref (app|runtime)/<id>/<arch>/<branch>");

export interface ParsedRef {
  kind: "app" | "runtime";
  id: string;
  arch: string;
  branch: string;
}

export function parseRef(ref: string): ParsedRef | undefined {
  const m = /^(app|runtime)\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(ref);
  if (!m) return undefined;
  return { kind: m[1] as "app" | "runtime", id: m[2]!, arch: m[3]!, branch: m[4]! };
}

/**
 * A build of app X may carry `app/X/…` and its extensions `runtime/X.Locale/…`, `runtime/X.Debug/…`
 * (what flatpak-builder exports), all on the build's branch.
 */
export function refBelongsTo(ref: string, appId: string, branch: string): boolean {
  const p = parseRef(ref);
  if (!p || p.branch !== branch) return false;
  if (!AppId.safeParse(p.id).success || !Arch.safeParse(p.arch).success) return false;
  return p.kind === "app" ? p.id === appId : p.id === appId || p.id.startsWith(`${appId}.`);
}

/** `<repo>/<app_id>/<build_id>`: the key of a build everywhere (check run external_id, jobs, logs). */
export function buildKey(repo: string, appId: string, buildId: string): string {
  return `${repo}/${appId}/${buildId}`;
}

export function splitBuildKey(key: string): { repo: string; appId: string; buildId: string } | undefined {
  const parts = key.split("/");
  if (parts.length !== 3) return undefined;
  const [repo, appId, buildId] = parts as [string, string, string];
  if (!RepoName.safeParse(repo).success || !AppId.safeParse(appId).success || !BuildId.safeParse(buildId).success) {
    return undefined;
  }
  return { repo, appId, buildId };
}
