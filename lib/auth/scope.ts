/**
 * What a build credential or trusted publisher may announce (issue 13): app ids and repos.
 * flat-manager narrows its tokens the same way, by repo and by app-id prefix.
 * - apps: an exact id (`org.gnome.Maps`) or `prefix.*`, which covers every id below the prefix
 *   (`org.gnome.*` covers `org.gnome.Maps` and `org.gnome.Maps.Devel`, not `org.gnome` itself);
 * - repos: exact repo names, or `*` for every repo.
 */
import { z } from "zod";
import { AppId, RepoName } from "../ids.js";

export const AppPattern = z.union([
  AppId,
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_-]*)*\.\*$/, "must be an app id or prefix.* (like org.gnome.*)"),
]);

export const RepoPattern = z.union([RepoName, z.literal("*")]);

export interface Scope {
  apps: readonly string[];
  repos: readonly string[];
}

export function coversApp(patterns: readonly string[], appId: string): boolean {
  return patterns.some((p) => (p.endsWith(".*") ? appId.startsWith(p.slice(0, -1)) && appId.length > p.length - 1 : p === appId));
}

export function coversRepo(patterns: readonly string[], repo: string): boolean {
  return patterns.some((p) => p === "*" || p === repo);
}

/** Why `scope` does not cover `app_id` in `repo`, or undefined when it does. */
export function scopeRefusal(scope: Scope, appId: string, repo: string): string | undefined {
  if (!coversRepo(scope.repos, repo)) return `repo ${repo} is not one of ${scope.repos.join(", ")}`;
  if (!coversApp(scope.apps, appId)) return `app ${appId} is not covered by ${scope.apps.join(", ")}`;
  return undefined;
}
