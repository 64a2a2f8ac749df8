/**
 * The metric families of `GET /metrics` (issue 11 §3) from what each repo's BuildIndex and
 * RepoCoordinator report. Pure: the route gathers the inputs, this shapes them.
 */
import { BUILD_STATES } from "../build-state.js";
import type { Family } from "../metrics/exposition.js";
import { HISTOGRAM_BUCKETS, JOB_DURATION_BUCKETS, type HistogramData, type HistogramName } from "./transition-metrics.js";
import type { PurgeTotals, UpdateRunTotals } from "./update-runs.js";

export interface RepoMetricsInput {
  repo: string;
  builds: Record<string, number>;
  transitions: Record<string, number>;
  histograms: Record<HistogramName, HistogramData>;
  update_runs: UpdateRunTotals;
  purges: PurgeTotals;
  repo_master_up: boolean;
  paused: boolean;
  queue_length: number;
}

export function metricFamilies(repos: readonly RepoMetricsInput[]): Family[] {
  const histogram = (name: HistogramName, metric: string, help: string): Family => ({
    name: metric,
    help,
    type: "histogram",
    buckets: HISTOGRAM_BUCKETS[name],
    samples: repos.map((r) => ({ labels: { repo: r.repo }, counts: r.histograms[name].buckets, sum: r.histograms[name].sum, count: r.histograms[name].count })),
  });
  return [
    {
      name: "flatgate_builds",
      help: "Builds in the index by current state.",
      type: "gauge",
      // every state, zeros included, so a state that empties reads 0 rather than vanishing
      samples: repos.flatMap((r) => BUILD_STATES.map((state) => ({ labels: { repo: r.repo, state }, value: r.builds[state] ?? 0 }))),
    },
    {
      name: "flatgate_build_transitions_total",
      help: "Build transitions into each state (received included), each counted once.",
      type: "counter",
      samples: repos.flatMap((r) => BUILD_STATES.map((state) => ({ labels: { repo: r.repo, state }, value: r.transitions[state] ?? 0 }))),
    },
    histogram("approval_wait", "flatgate_approval_wait_seconds", "Time from received to approved, for builds that waited for approval."),
    histogram("approval_to_live", "flatgate_approval_to_live_seconds", "Time from the last approval to live (in the signed summary)."),
    {
      name: "flatgate_repo_master_jobs_total",
      help: "Finished repo-master jobs by kind and outcome (update-repo only: publish jobs are not reported by the coordinator yet).",
      type: "counter",
      samples: repos.flatMap((r) => [
        { labels: { repo: r.repo, kind: "update-repo", outcome: "ok" }, value: r.update_runs.ok },
        { labels: { repo: r.repo, kind: "update-repo", outcome: "failed" }, value: r.update_runs.failed },
      ]),
    },
    {
      name: "flatgate_repo_master_job_duration_seconds",
      help: "Duration of finished repo-master jobs (update-repo only, as the coordinator records it).",
      type: "histogram",
      buckets: JOB_DURATION_BUCKETS,
      samples: repos.map((r) => ({ labels: { repo: r.repo, kind: "update-repo" }, counts: r.update_runs.duration.buckets, sum: r.update_runs.duration.sum, count: r.update_runs.duration.count })),
    },
    {
      name: "flatgate_update_repo_runs_total",
      help: "Summary regenerations (update-repo runs) that finished, successful or not.",
      type: "counter",
      samples: repos.map((r) => ({ labels: { repo: r.repo }, value: r.update_runs.ok + r.update_runs.failed })),
    },
    {
      name: "flatgate_purge_requests_total",
      help: "CDN purge requests (batches) after summary updates, by provider and outcome.",
      type: "counter",
      samples: repos.flatMap((r) => Object.entries(r.purges).flatMap(([provider, t]) => [
        { labels: { repo: r.repo, provider, outcome: "ok" }, value: t.ok },
        { labels: { repo: r.repo, provider, outcome: "failed" }, value: t.failed },
      ])),
    },
    {
      name: "flatgate_repo_master_up",
      help: "1 when the RepoCoordinator last reached the repo master, else 0.",
      type: "gauge",
      samples: repos.map((r) => ({ labels: { repo: r.repo }, value: r.repo_master_up ? 1 : 0 })),
    },
    {
      name: "flatgate_repo_paused",
      help: "1 when publishing to the repo is paused.",
      type: "gauge",
      samples: repos.map((r) => ({ labels: { repo: r.repo }, value: r.paused ? 1 : 0 })),
    },
    {
      name: "flatgate_repo_queue_length",
      help: "Builds in the RepoCoordinator's publish queue.",
      type: "gauge",
      samples: repos.map((r) => ({ labels: { repo: r.repo }, value: r.queue_length })),
    },
  ];
}
