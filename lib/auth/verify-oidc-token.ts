/**
 * Verifies a GitHub Actions OIDC token against TRUSTED_PUBLISHERS (issue 13 §1) with `jose`:
 * RS256 only, the key from the issuer's JWKS (found through its OpenID discovery document),
 * `iss`, `aud`, and `exp`/`nbf`/`iat` with OIDC_LEEWAY_SECONDS of leeway; then which publisher
 * the claims are (trusted-publisher.ts). Errors name the claim and never contain the token.
 *
 * Key sets are kept per issuer for the isolate's life. jose's remote set caches the keys by
 * `kid` and refetches on an unknown `kid` at most once per cooldown, so a flood of tokens with
 * made-up `kid`s costs the issuer one request per cooldown, and a rotated key is picked up.
 */
import { createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JWTVerifyGetKey } from "jose";
import { z } from "zod";
import { AppError } from "../errors.js";
import { request } from "../http/request.js";
import {
  ActionsClaims,
  IssuerUrl,
  OIDC_LEEWAY_SECONDS,
  OIDC_MAX_LIFETIME_SECONDS,
  isPullRequestEvent,
  matchPublisher,
  type TrustedPublisher,
} from "./trusted-publisher.js";

export interface VerifiedPublisher {
  publisher: TrustedPublisher;
  claims: ActionsClaims;
}

export interface VerifyOidcOptions {
  /** how long an unknown `kid` waits before the JWKS is fetched again */
  jwksCooldownMs: number;
  fetch?: typeof fetch;
}

const Discovery = z.looseObject({ issuer: z.string(), jwks_uri: IssuerUrl });

/** Issuer → its key set. Discovery is only cached once it succeeded: an outage stores nothing. */
const keySets = new Map<string, { jwks: JWTVerifyGetKey; cooldownMs: number }>();

/** Test helper: forget every cached key set. */
export function resetOidcKeyCache(): void {
  keySets.clear();
}

function unavailable(issuer: string, what: string): AppError {
  return new AppError("issuer_unavailable", `the OIDC issuer ${issuer} is unavailable (${what}); nothing was stored, retry later`);
}

function invalid(claim: string, message: string): AppError {
  return new AppError("invalid_token", `OIDC token refused: ${message}`, [{ path: claim, message }], { claim });
}

async function keySet(issuer: string, opts: VerifyOidcOptions): Promise<JWTVerifyGetKey> {
  const cached = keySets.get(issuer);
  if (cached && cached.cooldownMs === opts.jwksCooldownMs) return cached.jwks;
  const res = await request({
    url: `${issuer}/.well-known/openid-configuration`,
    schema: Discovery,
    service: `OIDC issuer ${issuer}`,
    attempts: 2,
    timeoutMs: 5_000,
    maxInlineWaitMs: 1_000,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
  if (!res.ok) throw unavailable(issuer, res.error.message);
  // OpenID Connect Discovery §4.3: the document's issuer must be the one we asked
  if (res.value.data.issuer.replace(/\/+$/, "") !== issuer) throw unavailable(issuer, `its discovery document names issuer ${res.value.data.issuer}`);
  const jwks = createRemoteJWKSet(new URL(res.value.data.jwks_uri), { cooldownDuration: opts.jwksCooldownMs, timeoutDuration: 5_000 });
  keySets.set(issuer, { jwks, cooldownMs: opts.jwksCooldownMs });
  return jwks;
}

/** Maps a jose failure to our taxonomy: the issuer being unreachable is a 503, anything else the token's fault. */
function mapJoseError(e: unknown, issuer: string): AppError {
  if (e instanceof AppError) return e;
  if (e instanceof errors.JWTExpired) return invalid(e.claim, `"${e.claim}" check failed: the token has expired`);
  if (e instanceof errors.JWTClaimValidationFailed) {
    const why = e.reason === "missing" ? "is missing" : e.claim === "nbf" || e.claim === "iat" ? "is in the future: the token is not valid yet" : e.claim === "aud" ? "does not name this publisher's audience" : e.claim === "iss" ? "does not match the issuer" : "does not match";
    return invalid(e.claim, `"${e.claim}" ${why}`);
  }
  if (e instanceof errors.JWKSNoMatchingKey) return invalid("kid", "no key of the issuer's JWKS matches the token's kid");
  if (e instanceof errors.JWSSignatureVerificationFailed) return invalid("signature", "the signature does not verify with the issuer's key");
  if (e instanceof errors.JOSEAlgNotAllowed) return invalid("alg", "alg must be RS256");
  if (e instanceof errors.JWKSTimeout) return unavailable(issuer, "its JWKS timed out");
  if (e instanceof errors.JWKSInvalid) return unavailable(issuer, "its JWKS is malformed");
  if (e instanceof errors.JWSInvalid || e instanceof errors.JWTInvalid) return invalid("token", "not a well-formed JWT");
  if (e instanceof errors.JOSEError && e.code === "ERR_JOSE_GENERIC") return unavailable(issuer, "its JWKS could not be fetched");
  if (e instanceof errors.JOSEError) return invalid("token", e.message);
  // fetch itself failed (connection refused, DNS): jose passes the TypeError through
  return unavailable(issuer, "its JWKS could not be fetched");
}

/**
 * The publisher this bearer token belongs to, or an AppError: `invalid_token` (401) naming the
 * claim, `forbidden` (403) for a pull-request event, `issuer_unavailable` (503).
 * `jti` replay and the event's scope are checked by the caller, which has the event.
 */
export async function verifyOidcToken(token: string, publishers: readonly TrustedPublisher[], opts: VerifyOidcOptions): Promise<VerifiedPublisher> {
  let unverified: { iss?: unknown };
  try {
    unverified = decodeJwt(token);
  } catch {
    throw invalid("token", "not a well-formed JWT");
  }
  // The issuer picks the key set; it is only trusted once the signature by that issuer's key verifies.
  const issuer = typeof unverified.iss === "string" ? unverified.iss.replace(/\/+$/, "") : undefined;
  const byIssuer = publishers.filter((p) => p.issuer === issuer);
  if (!issuer || byIssuer.length === 0) throw invalid("iss", "iss is not the issuer of any TRUSTED_PUBLISHERS entry");
  const audiences = [...new Set(byIssuer.map((p) => p.audience))];

  let payload: Record<string, unknown>;
  let aud: string[];
  try {
    const jwks = await keySet(issuer, opts);
    const verified = await jwtVerify(token, jwks, {
      algorithms: ["RS256"],
      issuer: [issuer, `${issuer}/`],
      audience: audiences,
      clockTolerance: OIDC_LEEWAY_SECONDS,
      maxTokenAge: OIDC_MAX_LIFETIME_SECONDS,
      requiredClaims: ["exp", "iat", "jti"],
    });
    payload = verified.payload;
    aud = typeof verified.payload.aud === "string" ? [verified.payload.aud] : (verified.payload.aud ?? []);
  } catch (e) {
    throw mapJoseError(e, issuer);
  }

  const parsed = ActionsClaims.safeParse(payload);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    const claim = first.path.map(String).join(".") || "token";
    throw invalid(claim, `"${claim}" ${payload[claim] === undefined ? "is missing" : first.message}`);
  }
  const claims = parsed.data;
  if (claims.exp - claims.iat > OIDC_MAX_LIFETIME_SECONDS) throw invalid("exp", `the token lives longer than ${OIDC_MAX_LIFETIME_SECONDS} s (exp − iat)`);
  if (isPullRequestEvent(claims.event_name)) {
    throw new AppError("forbidden", `OIDC token refused: "event_name" is ${claims.event_name}; tokens of pull-request workflows may not publish`, [{ path: "event_name", message: "pull-request event" }], { claim: "event_name" });
  }
  const candidates = byIssuer.filter((p) => aud.includes(p.audience));
  const match = matchPublisher(candidates, claims);
  if (!match.ok) throw invalid(match.error.claim, match.error.message);
  return { publisher: match.value, claims };
}
