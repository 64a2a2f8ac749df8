/**
 * The one error taxonomy. Caller faults carry a machine-readable `code` and an HTTP status
 * (4xx); anything else is our fault and becomes a 500 in `app.onError`.
 */
export type ErrorCode =
  | "missing_signature"
  | "invalid_signature"
  | "stale_timestamp"
  /** a signed request whose webhook-id was already used (the agent, and repo-master callbacks) */
  | "replayed"
  /** a signed build event whose webhook-id was already used for a different body */
  | "webhook_id_reused"
  | "unauthorized"
  | "forbidden"
  /** a build credential or trusted publisher announcing an app or repo outside its scope (issue 13) */
  | "forbidden_app"
  /** an OIDC bearer token that failed verification; the message names the claim */
  | "invalid_token"
  /** a trusted publisher's OIDC issuer (discovery or JWKS) could not be reached */
  | "issuer_unavailable"
  | "invalid_json"
  | "invalid_payload"
  | "payload_too_large"
  | "unknown_repo"
  | "not_found"
  /** a known route asked with another method; the response's Allow header lists the right ones */
  | "method_not_allowed"
  | "conflicting_build"
  | "conflicting_job"
  | "invalid_transition"
  | "not_configured"
  /** the build's backend refuses it as it stands (flat-manager: not Ready, refs differ, checks) */
  | "build_refused"
  | "upstream_error";

const STATUS: Record<ErrorCode, number> = {
  missing_signature: 401,
  invalid_signature: 401,
  stale_timestamp: 401,
  replayed: 401,
  webhook_id_reused: 409,
  unauthorized: 401,
  forbidden: 403,
  forbidden_app: 403,
  invalid_token: 401,
  issuer_unavailable: 503,
  invalid_json: 400,
  invalid_payload: 422,
  payload_too_large: 413,
  unknown_repo: 404,
  not_found: 404,
  method_not_allowed: 405,
  conflicting_build: 409,
  conflicting_job: 409,
  invalid_transition: 409,
  not_configured: 503,
  build_refused: 422,
  upstream_error: 502,
};

export interface Issue {
  path: string;
  message: string;
}

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues?: Issue[],
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "AppError";
    this.status = STATUS[code];
  }

  toJSON(): { error: { code: ErrorCode; message: string; issues?: Issue[] } & Record<string, unknown> } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.issues ? { issues: this.issues } : {}),
        ...(this.details ?? {}),
      },
    };
  }
}

/** Turns zod issues into `{path, message}` pairs whose path names the field (`source.sha`). */
export function zodIssues(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): Issue[] {
  return issues.map((i) => ({
    path: i.path.map((p) => String(p)).join(".") || "(root)",
    message: i.message,
  }));
}

/** A 422 whose message names the first offending field, with every issue attached. */
export function invalidPayload(
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
  what = "body",
): AppError {
  const list = zodIssues(issues);
  const first = list[0];
  const message = first ? `invalid ${what}: ${first.path}: ${first.message}` : `invalid ${what}`;
  return new AppError("invalid_payload", message, list);
}
