/**
 * Which of an upsert's transitions the index has not counted yet, and what they add to the
 * metrics (issue 11 §3). Pure: the BuildIndex stores the result in the same transaction as the
 * row, so a retried or reordered upsert never counts a transition twice.
 */
import type { BuildState } from "../build-state.js";
import type { IndexEntry } from "./entry.js";

/** Fixed buckets (seconds): a maintainer's approval takes minutes to days. */
export const APPROVAL_WAIT_BUCKETS = [60, 300, 900, 1800, 3600, 7200, 14_400, 28_800, 86_400, 172_800, 604_800] as const;
/** Fixed buckets (seconds): approval → live is queue + publish job + summary debounce + update job. */
export const APPROVAL_TO_LIVE_BUCKETS = [10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 21_600] as const;

export type HistogramName = "approval_wait" | "approval_to_live";
export const HISTOGRAM_BUCKETS: Record<HistogramName, readonly number[]> = {
  approval_wait: APPROVAL_WAIT_BUCKETS,
  approval_to_live: APPROVAL_TO_LIVE_BUCKETS,
};

/** A histogram as stored: per-bucket counts (not cumulative; the last is +Inf), sum and count. */
export interface HistogramData {
  buckets: number[];
  sum: number;
  count: number;
}

export const emptyHistogram = (name: HistogramName): HistogramData => ({ buckets: new Array<number>(HISTOGRAM_BUCKETS[name].length + 1).fill(0), sum: 0, count: 0 });

export function observe(name: HistogramName, h: HistogramData, seconds: number): HistogramData {
  const bounds = HISTOGRAM_BUCKETS[name];
  let i = bounds.findIndex((b) => seconds <= b);
  if (i < 0) i = bounds.length;
  const buckets = [...h.buckets];
  buckets[i] = (buckets[i] ?? 0) + 1;
  return { buckets, sum: h.sum + seconds, count: h.count + 1 };
}

export interface NewTransitions {
  /** transitions into each state not counted before */
  counts: Partial<Record<BuildState, number>>;
  observations: { name: HistogramName; seconds: number }[];
  /** the highest transition ordinal counted after this upsert */
  counted: number;
}

/** The transitions of `entry` after ordinal `counted` (what an earlier upsert already counted). */
export function newTransitions(entry: Pick<IndexEntry, "transitions">, counted: number): NewTransitions {
  const counts: Partial<Record<BuildState, number>> = {};
  const observations: NewTransitions["observations"] = [];
  let high = counted;
  for (const t of entry.transitions) {
    if (t.seq <= counted) continue;
    counts[t.to] = (counts[t.to] ?? 0) + 1;
    if (t.approval_wait_s !== undefined) observations.push({ name: "approval_wait", seconds: t.approval_wait_s });
    if (t.approval_to_live_s !== undefined) observations.push({ name: "approval_to_live", seconds: t.approval_to_live_s });
    high = Math.max(high, t.seq);
  }
  return { counts, observations, counted: high };
}

/** Fixed buckets (seconds) of a repo-master job: an update-repo run regenerates and signs the summary. */
export const JOB_DURATION_BUCKETS = [1, 5, 10, 30, 60, 120, 300, 600, 1200, 3600] as const;
