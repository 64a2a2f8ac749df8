/**
 * GitHub App authentication: the app JWT and cached installation tokens.
 *
 * Why not @octokit/auth-app (not a dependency any more): it does run on WebCrypto and takes a baseUrl
 * through its `request` option, but
 * - the token exchange goes through @octokit/request, a second fetch wrapper that throws
 *   instead of returning our `HttpFailure` with `retryAfterMs`, which the AppPublisher alarm
 *   needs (STYLE.md §7: one request helper);
 * - its cache keeps a token 59 minutes from when it was fetched (toad-cache LRU TTL), not
 *   relative to the `expires_at` GitHub returns, and reads `Date.now()`, so "refresh 5 minutes
 *   before expiry" can neither be expressed nor tested with an injected clock;
 * - its JWT signer (universal-github-app-jwt) converts PKCS#1 keys in Node but throws in
 *   workerd, so Node tests would not catch a production failure (config.ts refuses PKCS#1).
 * The JWT is ~20 lines of WebCrypto (RSASSA-PKCS1-v1_5 + SHA-256 = RS256), so it is written here.
 *
 * JWT claims (docs.github.com "Generating a JSON Web Token for a GitHub App"): `iat` 60 s in
 * the past against clock drift, `exp` at most 10 minutes ahead (9 here, same reason), `iss`
 * the App ID. Installation tokens expire after 1 hour; we reuse one until 5 minutes before its
 * `expires_at` so a token never dies in the middle of a retried request.
 */
import { z } from "zod";
import { request, type HttpFailure } from "../http/request.js";
import { err, ok, type Result } from "../result.js";
import { githubHeaders, type GitHubTransport } from "./transport.js";

export interface AppCredentials {
  appId: number;
  privateKeyPkcs8: string;
  apiUrl: string;
}

export const JWT_BACKDATE_SECONDS = 60;
export const JWT_LIFETIME_SECONDS = 9 * 60;
/** a cached installation token is replaced this long before its `expires_at` */
export const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;

const RS256 = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;
const encoder = new TextEncoder();

const keys = new Map<string, Promise<CryptoKey>>();

function importKey(pem: string): Promise<CryptoKey> {
  let key = keys.get(pem);
  if (!key) {
    const body = pem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, "").replace(/\s+/g, "");
    const der = Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
    key = crypto.subtle.importKey("pkcs8", der, RS256, false, ["sign"]);
    // a key that fails to import is not kept, so a fixed secret takes effect without a restart
    key.catch(() => keys.delete(pem));
    keys.set(pem, key);
  }
  return key;
}

function base64url(bytes: Uint8Array | string): string {
  const raw = typeof bytes === "string" ? encoder.encode(bytes) : bytes;
  let s = "";
  for (const b of raw) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The app JWT (RS256) for `Authorization: Bearer` on `/app/…` endpoints. */
export async function createAppJwt(creds: Pick<AppCredentials, "appId" | "privateKeyPkcs8">, nowMs: number = Date.now()): Promise<string> {
  const now = Math.floor(nowMs / 1000);
  const header = base64url(JSON.stringify({ alg: "RS256", typ: "JWT" }));
  const payload = base64url(
    JSON.stringify({ iat: now - JWT_BACKDATE_SECONDS, exp: now + JWT_LIFETIME_SECONDS, iss: String(creds.appId) }),
  );
  const key = await importKey(creds.privateKeyPkcs8);
  const signature = await crypto.subtle.sign(RS256, key, encoder.encode(`${header}.${payload}`));
  return `${header}.${payload}.${base64url(new Uint8Array(signature))}`;
}

const AccessToken = z.looseObject({ token: z.string().min(1), expires_at: z.iso.datetime({ offset: true }) });

interface CachedToken {
  token: string;
  expiresAtMs: number;
}

/** Module-level: an isolate reuses tokens across requests and Durable Objects. */
const tokens = new Map<string, CachedToken>();
const pending = new Map<string, Promise<Result<CachedToken, HttpFailure>>>();

const cacheKey = (creds: AppCredentials, installationId: number) => `${creds.apiUrl}|${creds.appId}|${installationId}`;

/**
 * An installation token, from the cache or `POST /app/installations/{id}/access_tokens`.
 * Concurrent callers share one exchange.
 */
export async function getInstallationToken(
  creds: AppCredentials,
  installationId: number,
  transport: GitHubTransport = {},
): Promise<Result<string, HttpFailure>> {
  const now = transport.now ?? Date.now;
  const key = cacheKey(creds, installationId);
  const hit = tokens.get(key);
  if (hit && hit.expiresAtMs - TOKEN_REFRESH_MARGIN_MS > now()) return ok(hit.token);
  let inflight = pending.get(key);
  if (!inflight) {
    inflight = exchange(creds, installationId, transport).finally(() => pending.delete(key));
    pending.set(key, inflight);
  }
  const fresh = await inflight;
  if (!fresh.ok) return fresh;
  tokens.set(key, fresh.value);
  return ok(fresh.value.token);
}

async function exchange(
  creds: AppCredentials,
  installationId: number,
  transport: GitHubTransport,
): Promise<Result<CachedToken, HttpFailure>> {
  const jwt = await createAppJwt(creds, (transport.now ?? Date.now)());
  const res = await request({
    ...transport.request,
    url: `${creds.apiUrl}/app/installations/${installationId}/access_tokens`,
    method: "POST",
    headers: githubHeaders(jwt),
    schema: AccessToken,
    service: "GitHub",
  });
  if (!res.ok) return err(res.error);
  return ok({ token: res.value.data.token, expiresAtMs: Date.parse(res.value.data.expires_at) });
}

/** Drops a token GitHub refused (401: revoked, or the installation was removed). */
export function forgetInstallationToken(creds: AppCredentials, installationId: number): void {
  tokens.delete(cacheKey(creds, installationId));
}

/** Tests only: start from an empty cache. */
export function clearInstallationTokenCache(): void {
  tokens.clear();
  pending.clear();
}
