/**
 * What a build worker and an operator do against a running pipeline: post a signed
 * build-complete event, approve, read a build and a repo. Used by `npm run demo` and the e2e
 * test; every answer is parsed with zod (the contracts of issues 2 and 3).
 */
import { z } from "zod";
import type { BuildEvent } from "../lib/build-event.js";
import type { BuildState } from "../lib/build-state.js";
import { signedHeaders } from "../lib/standard-webhooks.js";
// build states and history entries are read the same way as the CLI reads them
import { HistoryEntry, State } from "../cli/api-schemas.js";

export const BuildView = z.looseObject({
  key: z.string(),
  state: State,
  reason: z.string().optional(),
  received_at: z.string(),
  published_refs: z.record(z.string(), z.string()).optional(),
  live: z.looseObject({ summary_sha256: z.string(), at: z.string(), seconds_from_approval: z.number().optional() }).optional(),
  history: z.array(HistoryEntry),
});
export type BuildView = z.infer<typeof BuildView>;

const BuildAnswer = z.looseObject({ build: BuildView });
const IntakeAnswer = z.looseObject({ build: z.looseObject({ key: z.string(), state: State, status_url: z.string() }), duplicate: z.boolean().optional() });

export const RepoView = z.looseObject({
  repo: z.string(),
  paused: z.boolean(),
  public_url: z.string().optional(),
  gpg_key_url: z.string().optional(),
  queue: z.array(z.looseObject({ build_key: z.string() })),
  waiting_for_summary: z.array(z.looseObject({ build_key: z.string() })).optional(),
  running: z.array(z.looseObject({ job_id: z.string(), kind: z.string(), phase: z.string().optional() })),
  repo_master: z.looseObject({ reachable: z.boolean() }).optional(),
  recent_updates: z.array(z.unknown()),
});
export type RepoView = z.infer<typeof RepoView>;

export class PipelineError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(message);
    this.name = "PipelineError";
  }
}

const TERMINAL: readonly BuildState[] = ["live", "build_failed", "rejected", "superseded", "expired", "cancelled", "failed"];

export class PipelineClient {
  constructor(
    readonly baseUrl: string,
    private readonly creds: { buildWebhookSecret: string; operatorToken: string },
  ) {}

  /** POST /v1/builds, signed the Standard Webhooks way like a build worker does. */
  async postBuild(event: BuildEvent): Promise<{ status: number; key: string; state: BuildState; duplicate: boolean }> {
    const body = JSON.stringify(event);
    const headers = await signedHeaders(this.creds.buildWebhookSecret, body);
    const res = await fetch(`${this.baseUrl}/v1/builds`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body });
    const answer = IntakeAnswer.parse(await this.json(res, "POST /v1/builds"));
    return { status: res.status, key: answer.build.key, state: answer.build.state, duplicate: answer.duplicate ?? false };
  }

  async act(repo: string, appId: string, buildId: string, action: "approve" | "reject" | "cancel" | "retry", reason?: string): Promise<BuildView> {
    const res = await fetch(this.buildPath(repo, appId, buildId, action), {
      method: "POST",
      headers: { authorization: `Bearer ${this.creds.operatorToken}`, "content-type": "application/json" },
      body: JSON.stringify(reason ? { reason } : {}),
    });
    return BuildAnswer.parse(await this.json(res, `POST …/${action}`)).build;
  }

  async getBuild(repo: string, appId: string, buildId: string): Promise<BuildView> {
    const res = await fetch(this.buildPath(repo, appId, buildId), { headers: { authorization: `Bearer ${this.creds.operatorToken}` } });
    return BuildAnswer.parse(await this.json(res, "GET build")).build;
  }

  async repo(repo: string): Promise<RepoView> {
    const res = await fetch(`${this.baseUrl}/v1/repos/${encodeURIComponent(repo)}`, { headers: { authorization: `Bearer ${this.creds.operatorToken}` } });
    return RepoView.parse(await this.json(res, `GET /v1/repos/${repo}`));
  }

  /**
   * Polls the build until it is in `want` or in a terminal state; `onChange` sees every new
   * state. Throws on timeout with the state it is stuck in.
   */
  async waitFor(
    repo: string,
    appId: string,
    buildId: string,
    want: BuildState,
    opts: { timeoutMs: number; intervalMs?: number; onChange?: (b: BuildView) => void },
  ): Promise<BuildView> {
    const deadline = Date.now() + opts.timeoutMs;
    let last: BuildState | undefined;
    for (;;) {
      const b = await this.getBuild(repo, appId, buildId);
      if (b.state !== last) {
        last = b.state;
        opts.onChange?.(b);
      }
      if (b.state === want || TERMINAL.includes(b.state)) return b;
      if (Date.now() > deadline) throw new StuckError(b, want, opts.timeoutMs);
      await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
    }
  }

  private buildPath(repo: string, appId: string, buildId: string, action?: string): string {
    const p = `${this.baseUrl}/v1/repos/${encodeURIComponent(repo)}/apps/${encodeURIComponent(appId)}/builds/${encodeURIComponent(buildId)}`;
    return action ? `${p}/${action}` : p;
  }

  private async json(res: Response, what: string): Promise<unknown> {
    const text = await res.text();
    if (!res.ok) throw new PipelineError(`${what} answered ${res.status}: ${text.slice(0, 500)}`, res.status, text);
    try {
      return JSON.parse(text);
    } catch {
      throw new PipelineError(`${what} answered ${res.status} with non-JSON: ${text.slice(0, 200)}`, res.status, text);
    }
  }
}

export class StuckError extends Error {
  constructor(
    readonly build: BuildView,
    want: BuildState,
    timeoutMs: number,
  ) {
    super(`build ${build.key} did not become ${want} within ${Math.round(timeoutMs / 1000)} s: it is stuck in "${build.state}"${build.reason ? ` (${build.reason})` : ""}`);
    this.name = "StuckError";
  }
}

/** A build-complete event for a build made with makeTestBuild (fake but well-formed source). */
export function buildEvent(opts: { repo: string; appId: string; branch: string; buildId: string; artifactUrl: string; refs: Record<string, string>; sha?: string }): BuildEvent {
  return {
    repo: opts.repo,
    app_id: opts.appId,
    branch: opts.branch,
    build_id: opts.buildId,
    status: "success",
    source: {
      owner: "flatgate",
      name: opts.appId,
      sha: opts.sha ?? randomHex(40),
      ref: "refs/heads/master",
      triggered_by: "flatgate-demo",
    },
    artifact: { url: opts.artifactUrl, refs: opts.refs },
  };
}

function randomHex(n: number): string {
  return [...crypto.getRandomValues(new Uint8Array(n / 2))].map((b) => b.toString(16).padStart(2, "0")).join("");
}
