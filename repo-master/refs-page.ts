/**
 * Pages of an update-repo's changed refs (GET /v1/jobs/:id/refs). The list is fixed once the
 * job succeeded and sorted by ref, so the cursor is simply the last ref of the previous page
 * (base64url, so callers treat it as opaque): a page is found by binary search, not by offset.
 */
import { err, ok, type Result } from "../lib/result.js";
import type { JobRefEntry } from "../lib/repo-master-contract.js";

export interface RefsPage {
  refs: JobRefEntry[];
  next_cursor: string | null;
}

export function pageRefs(sorted: readonly (readonly [string, string | null])[], cursor: string | undefined, limit: number): Result<RefsPage, "bad_cursor"> {
  let start = 0;
  if (cursor !== undefined) {
    const after = decodeCursor(cursor);
    if (after === undefined) return err("bad_cursor");
    // first entry whose ref sorts after the cursor (plain string order, as refsDigest sorts)
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]![0] <= after) lo = mid + 1;
      else hi = mid;
    }
    start = lo;
  }
  const page = sorted.slice(start, start + limit);
  const last = page[page.length - 1];
  const more = start + page.length < sorted.length;
  return ok({
    refs: page.map(([ref, commit]) => ({ ref, commit })),
    next_cursor: more && last ? encodeCursor(last[0]) : null,
  });
}

function encodeCursor(ref: string): string {
  return Buffer.from(`r:${ref}`, "utf8").toString("base64url");
}

function decodeCursor(cursor: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  return text.startsWith("r:") && text.length > 2 ? text.slice(2) : undefined;
}
