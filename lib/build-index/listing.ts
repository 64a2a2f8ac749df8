/**
 * The BuildIndex RPC contract for listing (issue 11 §1), and the merge of several repos' pages
 * into one. Order everywhere: newest first by (received_at, key), so one position works across
 * repos and a page boundary never splits or repeats a build.
 */
import type { BuildState } from "../build-state.js";

/** A position in the listing: the last build of the previous page. */
export interface ListPosition {
  received_at: number;
  key: string;
}

export interface ListQuery {
  state?: BuildState;
  app_id?: string;
  branch?: string;
  /** builds strictly after this position (older, or same time and a smaller key) */
  after?: ListPosition;
  /** 1..200 */
  limit: number;
}

/** One row of the listing, as `GET /v1/builds` answers it (ISO times). */
export interface ListedBuild {
  key: string;
  repo: string;
  app_id: string;
  branch: string;
  build_id: string;
  state: BuildState;
  received_at: string;
  updated_at: string;
  approvals: { count: number; required: number };
  reason?: string;
  live_summary_sha256?: string;
  check_run_id?: number;
}

export interface ListPage {
  items: ListedBuild[];
  /** true when builds after the last item match the query */
  more: boolean;
}

export const MAX_LIMIT = 200;
export const DEFAULT_LIMIT = 50;

export const positionOf = (b: ListedBuild): ListPosition => ({ received_at: Date.parse(b.received_at), key: b.key });

/** a before b in the listing (newer first; ties broken by key, descending) */
export function newerFirst(a: ListPosition, b: ListPosition): number {
  if (a.received_at !== b.received_at) return b.received_at - a.received_at;
  return a.key < b.key ? 1 : a.key > b.key ? -1 : 0;
}

/**
 * Merges one page per repo (each asked for `limit` builds after the same position) into the
 * first `limit` builds overall. More remain if any repo had more, or the merge left some out.
 */
export function mergePages(pages: readonly ListPage[], limit: number): ListPage {
  const all = pages.flatMap((p) => p.items).sort((a, b) => newerFirst(positionOf(a), positionOf(b)));
  return { items: all.slice(0, limit), more: all.length > limit || pages.some((p) => p.more) };
}
