/** Constant-time string comparison via HMAC digests (works in workerd and Node, no `===` on secrets). */
const encoder = new TextEncoder();
let keyPromise: Promise<CryptoKey> | undefined;

export async function timingSafeEqualStrings(a: string, b: string): Promise<boolean> {
  keyPromise ??= crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]) as Promise<CryptoKey>;
  const key = await keyPromise;
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(a));
  return crypto.subtle.verify("HMAC", key, mac, encoder.encode(b));
}
