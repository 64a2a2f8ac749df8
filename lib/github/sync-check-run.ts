/**
 * Brings a build's GitHub check run up to the build's current state: one call per outbox
 * effect, safe to repeat. The AppPublisher stores the returned ids on `build.github` and, on a
 * retryable failure, retries from its alarm (after `retryAfterMs` when GitHub gave one), so
 * GitHub being down never blocks intake or loses a state change (issue 4).
 */
import type { Build } from "../build.js";
import type { HttpFailure } from "../http/request.js";
import { err, ok, type Result } from "../result.js";
import { projectCheckRun, type CheckRunContext } from "./check-run.js";
import { toUpdate } from "./checks-api.js";
import type { GitHubClient } from "./client.js";

export interface SyncedCheckRun {
  installation_id: number;
  check_run_id: number;
  /** true when this call created the check run (store the id before anything else) */
  created: boolean;
}

export interface SyncFailure {
  /** which call failed */
  step: "installation" | "find" | "create" | "update";
  message: string;
  /** false for answers a retry cannot change (App not installed, 403, 422) */
  retryable: boolean;
  /** GitHub's Retry-After / rate-limit reset, for the alarm */
  retryAfterMs?: number;
  status?: number;
}

const failure = (step: SyncFailure["step"], e: HttpFailure): SyncFailure => ({
  step,
  message: e.message,
  retryable: e.retryable,
  ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
  ...(e.status !== undefined ? { status: e.status } : {}),
});

/**
 * Without `build.github.check_run_id`, looks for a check run this App already made for the
 * build (same head sha, name and `external_id`: the previous attempt may have created it and
 * died before the id was stored) and creates one only if there is none. With an id, PATCHes
 * it; a 404 there (the run was deleted) creates a new one.
 */
export async function syncCheckRun(
  client: GitHubClient,
  build: Build,
  ctx: CheckRunContext = {},
): Promise<Result<SyncedCheckRun, SyncFailure>> {
  const { owner, name: repo } = build.source;
  let installationId = build.github?.installation_id;
  if (installationId === undefined) {
    const found = await client.getRepoInstallation(owner, repo);
    if (!found.ok) return err(failure("installation", found.error));
    installationId = found.value;
  }
  const body = projectCheckRun(build, ctx);

  let checkRunId = build.github?.check_run_id;
  if (checkRunId === undefined) {
    const existing = await client.findCheckRun(owner, repo, installationId, {
      headSha: body.head_sha,
      name: body.name,
      externalId: body.external_id,
    });
    if (!existing.ok) return err(failure("find", existing.error));
    checkRunId = existing.value?.id;
  }

  if (checkRunId !== undefined) {
    const updated = await client.updateCheckRun(owner, repo, installationId, checkRunId, toUpdate(body));
    if (updated.ok) return ok({ installation_id: installationId, check_run_id: checkRunId, created: false });
    if (updated.error.status !== 404) return err(failure("update", updated.error));
  }

  const created = await client.createCheckRun(owner, repo, installationId, body);
  if (!created.ok) return err(failure("create", created.error));
  return ok({ installation_id: installationId, check_run_id: created.value.id, created: true });
}
