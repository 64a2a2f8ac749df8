/**
 * Short-lived flat-manager tokens minted from FLAT_MANAGER_SECRET (reference §1): HS256 only,
 * keyed with the base64-decoded `secret`; `exp` is checked with no leeway. Each call gets the
 * narrowest claims that flat-manager accepts for it (`claimsFor`).
 */
export interface FmClaims {
  sub: string;
  scope: string[];
  prefixes: string[];
  repos: string[];
  exp: number;
  name: string;
}

export type FmCall =
  | { kind: "build"; buildId: number; appId?: string } // GET build, extended, its publish job; purge
  | { kind: "publish"; buildId: number; appId?: string } // POST publish
  | { kind: "jobs" }; // GET /job/<id> needs sub "build"

/** Minutes, not hours: a leaked token is worth little; long enough for clock skew. */
export const TOKEN_LIFETIME_S = 300;

export function claimsFor(call: FmCall, repo: string, nowS: number): FmClaims {
  const base = { repos: [repo], exp: nowS + TOKEN_LIFETIME_S, name: "flatgate" };
  switch (call.kind) {
    case "build":
    case "publish":
      // an empty prefixes list allows every id, so name the app's when we know it
      return { ...base, sub: `build/${call.buildId}`, scope: [call.kind], prefixes: call.appId ? [call.appId] : [] };
    case "jobs":
      return { ...base, sub: "build", scope: ["jobs"], prefixes: [] };
  }
}

const b64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const text = (s: string) => new TextEncoder().encode(s);

export function decodeSecret(secretB64: string): Uint8Array {
  const bin = atob(secretB64.trim());
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

export async function mintToken(secretB64: string, claims: FmClaims): Promise<string> {
  const head = `${b64url(text(JSON.stringify({ alg: "HS256", typ: "JWT" })))}.${b64url(text(JSON.stringify(claims)))}`;
  const key = await crypto.subtle.importKey("raw", decodeSecret(secretB64), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", key, text(head)));
  return `${head}.${b64url(sig)}`;
}
