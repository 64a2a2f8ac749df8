/**
 * What every GitHub call shares: the headers GitHub asks for and the knobs of the request
 * helper (lib/http/request.ts owns timeout, retries and Retry-After; these only tune it).
 * https://docs.github.com/rest/about-the-rest-api/api-versions
 */
import type { RequestOptions } from "../http/request.js";

export const GITHUB_API_VERSION = "2022-11-28";

export interface GitHubTransport {
  /** the clock for JWT claims and token expiry (tests move it) */
  now?: () => number;
  /** passed to every `request()`: fetch, sleep, timeoutMs, attempts, baseDelayMs, maxInlineWaitMs */
  request?: Pick<RequestOptions<unknown>, "fetch" | "sleep" | "timeoutMs" | "attempts" | "baseDelayMs" | "maxInlineWaitMs">;
}

/** `token` is an installation token, or the app JWT for `/app/…` and `/repos/…/installation`. */
export function githubHeaders(token: string): Record<string, string> {
  return {
    authorization: `Bearer ${token}`,
    accept: "application/vnd.github+json",
    "x-github-api-version": GITHUB_API_VERSION,
    "user-agent": "flatgate",
  };
}
