/**
 * The answers of the HTTP API the CLI reads (README "HTTP API"), parsed at the edge (STYLE.md §4).
 * Loose objects: the server may add fields without breaking an older CLI; the fields the CLI
 * prints are required.
 */
import { z } from "zod";
import { BUILD_STATES } from "../lib/build-state.js";

export const State = z.enum(BUILD_STATES);

export const ErrorBody = z.looseObject({
  error: z.looseObject({
    code: z.string(),
    message: z.string(),
    issues: z.array(z.looseObject({ path: z.string(), message: z.string() })).optional(),
    state: z.string().optional(),
    needed_role: z.string().optional(),
    claim: z.string().optional(),
    request_id: z.string().optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

export const IntakeAnswer = z.looseObject({
  build: z.looseObject({ key: z.string(), state: State, status_url: z.string(), status_page_url: z.string() }),
  duplicate: z.boolean().optional(),
});
export type IntakeAnswer = z.infer<typeof IntakeAnswer>;

export const HistoryEntry = z.looseObject({
  at: z.string(),
  kind: z.string(),
  from: State.optional(),
  to: State.optional(),
  action: z.string().optional(),
  actor: z.looseObject({ kind: z.string(), name: z.string() }),
  reason: z.string().optional(),
});

export const Build = z.looseObject({
  key: z.string(),
  state: State,
  reason: z.string().optional(),
  received_at: z.string(),
  updated_at: z.string().optional(),
  history: z.array(HistoryEntry),
  status_url: z.string().optional(),
});
export type Build = z.infer<typeof Build>;
export const BuildAnswer = z.looseObject({ build: Build });

export const RepoSummary = z.looseObject({
  repo: z.string(),
  approval: z.string(),
  paused: z.boolean(),
  paused_reason: z.string().optional(),
  repo_master: z.looseObject({ reachable: z.boolean(), down_since: z.string().optional() }),
  queue_count: z.number(),
  builds: z.looseObject({ total: z.number(), by_state: z.record(z.string(), z.number()) }),
});
export const ReposAnswer = z.looseObject({ repos: z.array(RepoSummary) });
export type ReposAnswer = z.infer<typeof ReposAnswer>;

export const RepoView = z.looseObject({
  repo: z.string(),
  paused: z.boolean(),
  paused_reason: z.string().optional(),
  paused_by: z.string().optional(),
  queue: z.array(z.looseObject({ build_key: z.string(), attempts: z.number().optional(), ready_at: z.string().optional() })),
  queue_count: z.number().optional(),
  waiting_for_summary_count: z.number().optional(),
  running: z.array(z.looseObject({ job_id: z.string(), kind: z.string(), phase: z.string().optional(), build_count: z.number().optional() })),
  repo_master: z.looseObject({ reachable: z.boolean(), down_since: z.string().optional() }).optional(),
  recent_updates: z.array(
    z.looseObject({
      update_id: z.string(),
      ok: z.boolean(),
      finished_at: z.union([z.number(), z.string()]).optional(),
      builds: z.number().optional(),
      live: z.number().optional(),
      summary_sha256: z.string().optional(),
      duration_ms: z.number().optional(),
    }),
  ),
});
export type RepoView = z.infer<typeof RepoView>;

export const AppView = z.looseObject({
  repo: z.string(),
  app_id: z.string(),
  branches: z.record(
    z.string(),
    z.array(z.looseObject({ key: z.string(), build_id: z.string(), state: State, received_at: z.string(), updated_at: z.string(), status_url: z.string().optional() })),
  ),
});
export type AppView = z.infer<typeof AppView>;

export const ListedBuild = z.looseObject({
  key: z.string(),
  repo: z.string(),
  app_id: z.string(),
  branch: z.string(),
  build_id: z.string(),
  state: State,
  received_at: z.string(),
  updated_at: z.string(),
  approvals: z.looseObject({ count: z.number(), required: z.number() }).optional(),
  reason: z.string().optional(),
  status_url: z.string().optional(),
});
export type ListedBuild = z.infer<typeof ListedBuild>;
export const BuildsPage = z.looseObject({ items: z.array(ListedBuild), next_cursor: z.string().nullable() });
