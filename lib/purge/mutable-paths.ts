/**
 * Which repository files a CDN must forget after an update-repo, and how they are named to
 * each provider. Pure.
 *
 * Mutable (rewritten in place by every summary update; external-apis.md §6, DESIGN.md "Purge"):
 *   summary, summary.sig, summary.idx, summary.idx.sig   always, as one set
 *   delta-indexes/**    rebuilt by ostree_repo_static_delta_reindex on each summary update
 *   refs/heads/**       the changed refs (appstream/<arch> and appstream2/<arch> are refs too)
 *   refs/mirrors/**     collection-id mirrors of refs
 *   appstream/**        flat-manager's checked-out appstream tree and <app>.flatpakref files
 * Never purged: objects/, deltas/, summaries/ (content-addressed: a new version is a new name),
 * and `config` (not rewritten by update-repo; an operator who edits it purges it by hand).
 *
 * Surrogate keys / cache tags the ORIGIN must send so key purges work (one key per file):
 *   Surrogate-Key: <repo>:<path>     (Fastly)    e.g. `stable:summary`,
 *   Cache-Tag: <repo>:<path>         (Cloudflare)     `stable:refs/heads/app/org.x.App/x86_64/stable`
 * `originCacheHeaders(repo, path)` returns exactly these. The repo prefix keeps several repos
 * on one Fastly service / Cloudflare zone apart. Keys never contain spaces (both providers use
 * spaces/commas as separators) and are at most 1024 bytes (both providers' limit).
 */

/** Purged together, in one request, so summary and summary.sig never disagree at the edge. */
export const SUMMARY_SET = ["summary", "summary.sig", "summary.idx", "summary.idx.sig"] as const;

const MUTABLE_PREFIXES = ["delta-indexes/", "refs/heads/", "refs/mirrors/", "appstream/"] as const;

/** Fastly and Cloudflare both cap a surrogate key / cache tag at 1024 characters. */
export const MAX_KEY_LENGTH = 1024;

/**
 * Canonical repo-relative form: no leading `/` or `./`, no empty, `.` or `..` segments, no
 * whitespace, query or fragment. Anything else is not a repository file we would purge.
 */
export function normalizePath(path: string): string | undefined {
  let p = path.trim();
  while (p.startsWith("./")) p = p.slice(2);
  p = p.replace(/^\/+/, "");
  if (p === "" || /[\s?#\\]/.test(p)) return undefined;
  const segments = p.split("/");
  if (segments.some((s) => s === "" || s === "." || s === "..")) return undefined;
  return p;
}

export function isMutablePath(path: string): boolean {
  if ((SUMMARY_SET as readonly string[]).includes(path)) return true;
  return MUTABLE_PREFIXES.some((prefix) => path.startsWith(prefix) && path.length > prefix.length);
}

export interface MutablePaths {
  /** the summary set first (so it always lands in the same batch), then the rest sorted */
  paths: string[];
  /** changed paths that are not purged (immutable, `config`, malformed), for the report/logs */
  ignored: string[];
}

/** Filters an update's changed paths to exactly the mutable files, always adding the summary set. */
export function mutablePaths(changed: readonly string[]): MutablePaths {
  const rest = new Set<string>();
  const ignored: string[] = [];
  for (const raw of changed) {
    const p = normalizePath(raw);
    if (p === undefined || !isMutablePath(p)) {
      ignored.push(raw);
      continue;
    }
    if (!(SUMMARY_SET as readonly string[]).includes(p)) rest.add(p);
  }
  return { paths: [...SUMMARY_SET, ...[...rest].sort()], ignored };
}

/** `<repo>:<path>`: the Fastly surrogate key and Cloudflare cache tag of one file. */
export function surrogateKey(repo: string, path: string): string {
  return `${repo}:${path}`;
}

/** The caching headers the origin should send for a repository file (see the module comment). */
export function originCacheHeaders(repo: string, path: string): Record<string, string> {
  const p = normalizePath(path);
  if (p === undefined || !isMutablePath(p)) return {};
  const key = surrogateKey(repo, p);
  return { "Surrogate-Key": key, "Cache-Tag": key };
}

/**
 * Full public URLs of repo-relative paths. `publicUrl` may carry a path prefix
 * (https://dl.example.org/repo): paths resolve below it, never beside it.
 */
export function publicUrls(publicUrl: string, paths: readonly string[]): string[] {
  const base = new URL(publicUrl);
  base.search = "";
  base.hash = "";
  if (!base.pathname.endsWith("/")) base.pathname += "/";
  return paths.map((p) => new URL(p.split("/").map(encodeURIComponent).join("/"), base).toString());
}

/** Splits a list into consecutive batches of at most `size` (the last one may be shorter). */
export function chunk<T>(list: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunk size must be a positive integer, got ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/**
 * Batches for sending: the first chunk holds the summary set (the list starts with it), and it
 * is sent LAST, so by the time users can fetch the new summary every ref and index it points
 * at has already been purged.
 */
export function sendOrder<T>(list: readonly T[], size: number): T[][] {
  return chunk(list, size).reverse();
}
