/**
 * flat-manager's answers mapped to what Flatgate does (issue 12 "Error mapping"). Pure.
 *   401/403              the token: an alert naming FLAT_MANAGER_TOKEN (or _SECRET); never retried as is
 *   404                  not found (unknown build or job, or no publish job yet)
 *   other 4xx            refused, with flat-manager's error-type, states and message
 *   5xx, network, 429    transient: retried with backoff, nothing is lost
 */
import { FmErrorBody } from "./api.js";

export type FmFailure =
  | { kind: "token"; status: number; message: string }
  | { kind: "not-found"; status: 404; message: string }
  | { kind: "refused"; status: number; errorType: string; currentState?: string; message: string }
  | { kind: "transient"; status?: number; message: string };

export function classifyFailure(call: string, status: number, text: string, credential: "FLAT_MANAGER_TOKEN" | "FLAT_MANAGER_SECRET"): FmFailure {
  let body: FmErrorBody | undefined;
  try {
    const parsed = FmErrorBody.safeParse(JSON.parse(text));
    body = parsed.success ? parsed.data : undefined;
  } catch {
    body = undefined; // plain-text 400s (a GET without its JSON body) and proxies' HTML
  }
  const said = body?.message ?? text.slice(0, 200);
  if (status === 401 || status === 403) {
    const what = status === 401
      ? `flat-manager rejected ${credential} (${said})`
      : `${credential} does not allow this call (${said})`;
    const fix = credential === "FLAT_MANAGER_TOKEN"
      ? "mint a new token with flat-manager's gentoken (sub \"build\", scopes build, publish and jobs, this repo and prefix) and set it with `wrangler secret put FLAT_MANAGER_TOKEN` on flatgate-publish"
      : "check that FLAT_MANAGER_SECRET is flat-manager's base64 `secret` and the server's clock";
    return { kind: "token", status, message: `${what} on ${call}: builds wait until it is fixed; ${fix}` };
  }
  if (status === 404) return { kind: "not-found", status, message: `flat-manager: ${call}: ${said}` };
  if (status >= 500 || status === 429 || status === 408) return { kind: "transient", status, message: `flat-manager answered ${status} to ${call}: ${said}` };
  return {
    kind: "refused",
    status,
    errorType: body?.["error-type"] ?? "plain-text",
    ...(body?.["current-state"] ? { currentState: body["current-state"] } : {}),
    message: `flat-manager refused ${call}: ${said}${body?.["current-state"] ? ` (current state ${body["current-state"]})` : ""}`,
  };
}

export type PublishRefusal =
  /** already published or on its way: success, follow the existing publish job */
  | { kind: "follow" }
  | { kind: "fail"; reason: string };

/**
 * POST /build/<id>/publish refused with 400. Both official clients treat current-state
 * published, publishing or validating of wrong-published-state as a no-op; failed is final.
 * wrong-repo-state (not committed, validating, failed, purged) fails the build with the reason.
 */
export function publishRefusal(f: Extract<FmFailure, { kind: "refused" }>): PublishRefusal {
  if (f.errorType === "wrong-published-state" && (f.currentState === "published" || f.currentState === "publishing")) return { kind: "follow" };
  return { kind: "fail", reason: f.message };
}
