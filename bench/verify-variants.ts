/**
 * The alternatives `verify()` from lib/standard-webhooks.ts is measured against, with the same
 * checks (headers present, timestamp within tolerance, any `v1,` entry under any secret):
 * node:crypto `createHmac` + `timingSafeEqual` (what a Node-only implementation would do), and
 * WebCrypto with the keys imported once instead of per call. Shared by the Node run and the
 * workerd run, so both time the same code.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { base64ToBytes, secretBytes, TOLERANCE_SECONDS, type VerifyInput } from "../lib/standard-webhooks.js";

const encoder = new TextEncoder();

/** The signed fields, or undefined when `verify()` would refuse before any HMAC. */
function signed(input: VerifyInput, nowMs: number): { data: string; macs: Uint8Array[] } | undefined {
  const { id, timestamp, signature, body } = input;
  if (!id || !timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return undefined;
  const ts = Number(timestamp);
  if (Math.abs(nowMs / 1000 - ts) > TOLERANCE_SECONDS) return undefined;
  const macs: Uint8Array[] = [];
  for (const part of signature.split(" ")) {
    const [version, b64] = part.split(",", 2);
    if (version === "v1" && b64) macs.push(base64ToBytes(b64));
  }
  return { data: `${id}.${ts}.${body}`, macs };
}

export function verifyNodeCrypto(secrets: readonly Uint8Array[], input: VerifyInput, nowMs: number): boolean {
  const s = signed(input, nowMs);
  if (!s) return false;
  for (const secret of secrets) {
    const expected = createHmac("sha256", secret).update(s.data).digest();
    for (const mac of s.macs) if (mac.length === expected.length && timingSafeEqual(mac, expected)) return true;
  }
  return false;
}

export async function verifyCachedKeys(keys: readonly CryptoKey[], input: VerifyInput, nowMs: number): Promise<boolean> {
  const s = signed(input, nowMs);
  if (!s) return false;
  const data = encoder.encode(s.data);
  for (const key of keys) {
    for (const mac of s.macs) if (await crypto.subtle.verify("HMAC", key, mac, data)) return true;
  }
  return false;
}

export function importVerifyKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", secretBytes(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
}
