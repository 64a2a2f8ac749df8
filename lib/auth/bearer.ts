/**
 * Parses `Authorization: Bearer <token>` for the build intake (issue 13 §1). Strict on purpose:
 * one scheme, one space-free token in JWT compact form (three base64url parts), a bounded size.
 * The result never carries the header back into a message.
 */
import { err, ok, type Result } from "../result.js";

/** GitHub's tokens are about 1 KB; anything far larger is not one. */
export const MAX_BEARER_LENGTH = 8 * 1024;

export type BearerError = "missing" | "not_bearer" | "not_a_jwt" | "too_long";

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export function parseBearerJwt(header: string | null | undefined): Result<string, BearerError> {
  if (header === null || header === undefined || header.trim() === "") return err("missing");
  if (header.length > MAX_BEARER_LENGTH) return err("too_long");
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  if (!m) return err("not_bearer");
  const token = m[1]!;
  return JWT.test(token) ? ok(token) : err("not_a_jwt");
}

export const BEARER_MESSAGES: Record<BearerError, string> = {
  missing: "send Authorization: Bearer <OIDC token>, or sign with Standard Webhooks",
  not_bearer: "the Authorization header must be Bearer <OIDC token>",
  not_a_jwt: "the bearer token is not a JWT (three base64url parts joined by dots)",
  too_long: `the Authorization header is longer than ${MAX_BEARER_LENGTH} characters`,
};
