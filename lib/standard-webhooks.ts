/**
 * Standard Webhooks v1 signing and verification with WebCrypto (runs in workerd and Node 20).
 * Spec: https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
 * - signed bytes: `${webhook-id}.${webhook-timestamp}.${raw body}`
 * - `webhook-signature: v1,<base64 HMAC-SHA256>` (space-separated list, for rotation)
 * - secrets are `whsec_<base64>`; timestamps must be within ±5 minutes.
 * We use WebCrypto instead of the `standardwebhooks` package because its tolerance cannot be
 * injected (tests need a clock) and it is CommonJS with Node typings.
 */
import { err, ok, type Result } from "./result.js";

export const TOLERANCE_SECONDS = 5 * 60;

export type VerifyError = "missing_signature" | "invalid_signature" | "stale_timestamp";

export type SignedHeaders = {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
};

const encoder = new TextEncoder();

export function secretBytes(secret: string): Uint8Array {
  const raw = secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret;
  return base64ToBytes(raw);
}

/** True when the string is a well-formed `whsec_` secret of 24–64 bytes. */
export function isValidSecret(secret: string): boolean {
  if (!secret.startsWith("whsec_")) return false;
  try {
    const n = secretBytes(secret).length;
    return n >= 24 && n <= 64;
  } catch {
    return false;
  }
}

async function hmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", secretBytes(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
}

export async function sign(secret: string, id: string, timestamp: number, body: string): Promise<string> {
  const key = await hmacKey(secret);
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(`${id}.${timestamp}.${body}`));
  return `v1,${bytesToBase64(new Uint8Array(mac))}`;
}

/** Headers for an outgoing signed request. */
export async function signedHeaders(
  secret: string,
  body: string,
  opts: { id?: string; now?: number } = {},
): Promise<SignedHeaders> {
  const id = opts.id ?? `msg_${crypto.randomUUID()}`;
  const ts = Math.floor((opts.now ?? Date.now()) / 1000);
  return { "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": await sign(secret, id, ts, body) };
}

export interface VerifyInput {
  id: string | null | undefined;
  timestamp: string | null | undefined;
  signature: string | null | undefined;
  body: string;
}

/**
 * Verifies against every secret (rotation). The comparison is constant-time: `crypto.subtle.verify`
 * compares the MAC itself, so no `===` on signatures.
 */
export async function verify(
  secrets: readonly string[],
  input: VerifyInput,
  nowMs: number = Date.now(),
): Promise<Result<{ id: string; timestamp: number }, VerifyError>> {
  const { id, timestamp, signature, body } = input;
  if (!id || !timestamp || !signature) return err("missing_signature");
  if (!/^\d{1,12}$/.test(timestamp)) return err("invalid_signature");
  const ts = Number(timestamp);
  if (Math.abs(nowMs / 1000 - ts) > TOLERANCE_SECONDS) return err("stale_timestamp");
  const candidates: Uint8Array[] = [];
  for (const part of signature.split(" ")) {
    const [version, b64] = part.split(",", 2);
    if (version !== "v1" || !b64) continue;
    try {
      candidates.push(base64ToBytes(b64));
    } catch {
      // a malformed entry is just not a match; another entry may still verify
    }
  }
  if (candidates.length === 0) return err("invalid_signature");
  const data = encoder.encode(`${id}.${ts}.${body}`);
  for (const secret of secrets) {
    const key = await hmacKey(secret);
    for (const mac of candidates) {
      if (await crypto.subtle.verify("HMAC", key, mac, data)) return ok({ id, timestamp: ts });
    }
  }
  return err("invalid_signature");
}

export function bytesToBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function base64ToBytes(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** A fresh random secret, for `.dev.vars` generation and tests. */
export function generateSecret(bytes = 32): string {
  return `whsec_${bytesToBase64(crypto.getRandomValues(new Uint8Array(bytes)))}`;
}
