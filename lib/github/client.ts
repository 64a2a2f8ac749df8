/**
 * The one GitHub client (STYLE.md §7). Every call goes through lib/http/request.ts, which owns
 * the timeout, 5xx/429 retries and Retry-After / x-ratelimit-reset; a wait too long for one
 * invocation comes back as `HttpFailure.retryAfterMs` for the caller's alarm.
 * Installation endpoints use the cached installation token; `/repos/{o}/{r}/installation` uses
 * the app JWT (docs.github.com "Authenticating as a GitHub App").
 */
import { z } from "zod";
import { request, type HttpFailure } from "../http/request.js";
import { err, ok, type Result } from "../result.js";
import { createAppJwt, forgetInstallationToken, getInstallationToken, type AppCredentials } from "./app-auth.js";
import { CheckRun, type CheckRunBody, type CheckRunUpdate } from "./checks-api.js";
import { githubHeaders, type GitHubTransport } from "./transport.js";

export interface FindCheckRun {
  headSha: string;
  name: string;
  externalId: string;
}

export interface GitHubClient {
  readonly appId: number;
  /** `POST /repos/{owner}/{repo}/check-runs` */
  createCheckRun(owner: string, repo: string, installationId: number, body: CheckRunBody): Promise<Result<CheckRun, HttpFailure>>;
  /** `PATCH /repos/{owner}/{repo}/check-runs/{checkRunId}` */
  updateCheckRun(
    owner: string,
    repo: string,
    installationId: number,
    checkRunId: number,
    body: CheckRunUpdate,
  ): Promise<Result<CheckRun, HttpFailure>>;
  /** Our newest check run on `headSha` with this name and external_id, if one exists. */
  findCheckRun(owner: string, repo: string, installationId: number, find: FindCheckRun): Promise<Result<CheckRun | undefined, HttpFailure>>;
  /** `GET /repos/{owner}/{repo}/installation` (app JWT) → installation id; 404 = the App is not installed there. */
  getRepoInstallation(owner: string, repo: string): Promise<Result<number, HttpFailure>>;
  /**
   * `GET /repos/{owner}/{repo}/collaborators/{username}/permission` → `role_name` (custom roles
   * included; the legacy `permission` folds maintain into write and triage into read).
   * 404 = not a collaborator → `undefined`.
   */
  getPermission(owner: string, repo: string, installationId: number, username: string): Promise<Result<string | undefined, HttpFailure>>;
}

const Installation = z.looseObject({ id: z.number().int().positive() });
const CheckRunList = z.looseObject({ total_count: z.number().int(), check_runs: z.array(CheckRun) });
const Permission = z.looseObject({ permission: z.string(), role_name: z.string().optional() });
const NotFound = z.looseObject({ message: z.string() });

const seg = encodeURIComponent;

export function createGitHubClient(creds: AppCredentials, transport: GitHubTransport = {}): GitHubClient {
  const base = creds.apiUrl;

  /** A call with an installation token; a 401 drops the cached token and tries once more with a fresh one. */
  async function asInstallation<T>(
    installationId: number,
    call: (token: string) => Promise<Result<{ status: number; data: T }, HttpFailure>>,
  ): Promise<Result<{ status: number; data: T }, HttpFailure>> {
    for (let attempt = 1; ; attempt++) {
      const token = await getInstallationToken(creds, installationId, transport);
      if (!token.ok) return token;
      const res = await call(token.value);
      if (res.ok || res.error.status !== 401 || attempt === 2) return res;
      forgetInstallationToken(creds, installationId);
    }
  }

  return {
    appId: creds.appId,

    async createCheckRun(owner, repo, installationId, body) {
      const res = await asInstallation(installationId, (token) =>
        request({
          ...transport.request,
          url: `${base}/repos/${seg(owner)}/${seg(repo)}/check-runs`,
          method: "POST",
          headers: githubHeaders(token),
          body,
          schema: CheckRun,
          service: "GitHub",
        }),
      );
      return res.ok ? ok(res.value.data) : res;
    },

    async updateCheckRun(owner, repo, installationId, checkRunId, body) {
      const res = await asInstallation(installationId, (token) =>
        request({
          ...transport.request,
          url: `${base}/repos/${seg(owner)}/${seg(repo)}/check-runs/${checkRunId}`,
          method: "PATCH",
          headers: githubHeaders(token),
          body,
          schema: CheckRun,
          service: "GitHub",
        }),
      );
      return res.ok ? ok(res.value.data) : res;
    },

    async findCheckRun(owner, repo, installationId, find) {
      const query = new URLSearchParams({
        check_name: find.name,
        app_id: String(creds.appId),
        filter: "all",
        per_page: "100",
      });
      const res = await asInstallation(installationId, (token) =>
        request({
          ...transport.request,
          url: `${base}/repos/${seg(owner)}/${seg(repo)}/commits/${seg(find.headSha)}/check-runs?${query}`,
          headers: githubHeaders(token),
          schema: CheckRunList,
          service: "GitHub",
        }),
      );
      if (!res.ok) return res;
      const ours = res.value.data.check_runs
        .filter((r) => r.external_id === find.externalId && (r.app?.id === undefined || r.app.id === creds.appId))
        .sort((a, b) => b.id - a.id);
      return ok(ours[0]);
    },

    async getRepoInstallation(owner, repo) {
      const jwt = await createAppJwt(creds, (transport.now ?? Date.now)());
      const res = await request({
        ...transport.request,
        url: `${base}/repos/${seg(owner)}/${seg(repo)}/installation`,
        headers: githubHeaders(jwt),
        schema: Installation,
        service: "GitHub",
      });
      if (res.ok) return ok(res.value.data.id);
      if (res.error.status === 404) {
        return err({ ...res.error, retryable: false, message: `the GitHub App ${creds.appId} is not installed on ${owner}/${repo} (${res.error.message})` });
      }
      return res;
    },

    async getPermission(owner, repo, installationId, username) {
      const res = await asInstallation(installationId, (token) =>
        request({
          ...transport.request,
          url: `${base}/repos/${seg(owner)}/${seg(repo)}/collaborators/${seg(username)}/permission`,
          headers: githubHeaders(token),
          schema: z.union([Permission, NotFound]),
          acceptStatus: [404],
          service: "GitHub",
        }),
      );
      if (!res.ok) return res;
      if (res.value.status === 404) return ok(undefined);
      const body = Permission.safeParse(res.value.data);
      if (!body.success) {
        return err({ kind: "parse", status: res.value.status, retryable: false, message: "GitHub permission response has no `permission`", attempts: 1 });
      }
      // role_name is absent only on old GitHub Enterprise Server versions
      const role = body.data.role_name ?? body.data.permission;
      return ok(role === "none" ? undefined : role);
    },
  };
}
