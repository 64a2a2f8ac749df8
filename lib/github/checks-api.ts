/**
 * The shapes of GitHub's Checks API that Flatgate sends and reads, with GitHub's limits.
 * Source: REST "Create a check run" (ChecksCreateRequest in github/rest-api-description) and
 * docs.github.com/rest/guides/using-the-rest-api-to-interact-with-checks.
 */
import { z } from "zod";

export const CHECK_RUN_LIMITS = {
  /** output.summary and output.text: at most 65535 characters each */
  outputChars: 65_535,
  /** "A maximum of three actions are accepted" */
  actions: 3,
  actionLabel: 20,
  actionDescription: 40,
  actionIdentifier: 20,
} as const;

export type CheckRunStatus = "queued" | "in_progress" | "completed";

/** `stale` is GitHub's alone (after 14 days incomplete); `skipped` is unused here. */
export type CheckRunConclusion = "action_required" | "cancelled" | "failure" | "neutral" | "success" | "skipped" | "timed_out";

export interface CheckRunAction {
  label: string;
  description: string;
  identifier: string;
}

export interface CheckRunOutput {
  title: string;
  summary: string;
  text?: string;
}

/** Body of `POST /repos/{owner}/{repo}/check-runs`. */
export interface CheckRunBody {
  name: string;
  head_sha: string;
  external_id: string;
  details_url?: string;
  status: CheckRunStatus;
  /** required with `status: completed`; sending it forces `completed` */
  conclusion?: CheckRunConclusion;
  started_at?: string;
  completed_at?: string;
  output: CheckRunOutput;
  /** always sent, `[]` included: a PATCH without `actions` keeps the old buttons */
  actions: CheckRunAction[];
}

/** Body of `PATCH /repos/{owner}/{repo}/check-runs/{id}`: the same fields minus `head_sha`. */
export type CheckRunUpdate = Omit<CheckRunBody, "head_sha">;

export function toUpdate(body: CheckRunBody): CheckRunUpdate {
  const { head_sha: _headSha, ...update } = body;
  return update;
}

/** The fields of a check run we read back; GitHub sends many more. */
export const CheckRun = z.looseObject({
  id: z.number().int().positive(),
  name: z.string().optional(),
  external_id: z.string().nullable().optional(),
  head_sha: z.string().optional(),
  status: z.string().optional(),
  conclusion: z.string().nullable().optional(),
  html_url: z.string().nullable().optional(),
  app: z.looseObject({ id: z.number().int() }).nullable().optional(),
});
export type CheckRun = z.infer<typeof CheckRun>;
