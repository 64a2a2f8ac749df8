/**
 * Verifies a Standard Webhooks signed request (build intake, repo-master callbacks, the agent's
 * API) or throws the 401 AppError whose message says what to fix. Returns the webhook-id.
 */
import { AppError } from "./errors.js";
import { verify, type VerifyError } from "./standard-webhooks.js";

export async function verifySignedRequest(
  secrets: readonly string[],
  headers: { get(name: string): string | null | undefined },
  body: string,
  opts: { secretName: string; now?: number },
): Promise<string> {
  const result = await verify(
    secrets,
    { id: headers.get("webhook-id"), timestamp: headers.get("webhook-timestamp"), signature: headers.get("webhook-signature"), body },
    opts.now ?? Date.now(),
  );
  if (result.ok) return result.value.id;
  throw signatureError(result.error, opts.secretName);
}

/** The 401 for a Standard Webhooks failure, saying what to fix. */
export function signatureError(error: VerifyError, secretName: string): AppError {
  const message = {
    missing_signature: "send webhook-id, webhook-timestamp and webhook-signature headers (Standard Webhooks)",
    invalid_signature: `webhook-signature does not match the body under any ${secretName} secret`,
    stale_timestamp: "webhook-timestamp is more than 5 minutes away from the receiver's clock; check the sender's clock",
  }[error];
  return new AppError(error, message);
}
