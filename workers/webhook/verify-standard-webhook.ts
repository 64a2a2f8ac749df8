/** Verifies a Standard Webhooks signed request (intake, repo-master callbacks) or throws a 401. */
import { AppError } from "../../lib/errors.js";
import { verify } from "../../lib/standard-webhooks.js";

const MESSAGES = {
  missing_signature: "send webhook-id, webhook-timestamp and webhook-signature headers (Standard Webhooks)",
  invalid_signature: "webhook-signature does not match the body under any configured secret",
  stale_timestamp: "webhook-timestamp is more than 5 minutes away from now; check the sender's clock",
} as const;

export async function verifyStandardWebhook(secrets: readonly string[], headers: Headers, body: string): Promise<string> {
  const result = await verify(secrets, {
    id: headers.get("webhook-id"),
    timestamp: headers.get("webhook-timestamp"),
    signature: headers.get("webhook-signature"),
    body,
  });
  if (!result.ok) throw new AppError(result.error, MESSAGES[result.error]);
  return result.value.id;
}
