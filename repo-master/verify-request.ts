/**
 * Every /v1 request must be signed the Standard Webhooks way over its raw body (GET: empty),
 * checked before any routing on its content. POSTs are also refused when their webhook-id was
 * already used: a client retrying a job must sign it again with a new id (job_id is the
 * idempotency key, webhook-id only identifies one message).
 */
import type { MiddlewareHandler } from "hono";
import { verify } from "../lib/standard-webhooks.js";
import { AgentError } from "./http-error.js";
import type { ReplayCache } from "./replay-cache.js";

/** 200 builds with long URLs fit comfortably; anything bigger is not a job request */
export const MAX_BODY_BYTES = 1024 * 1024;

const MESSAGES = {
  missing_signature: "webhook-id, webhook-timestamp and webhook-signature headers are required",
  invalid_signature: "webhook-signature does not match the body signed with REPO_MASTER_SECRET",
  stale_timestamp: "webhook-timestamp is more than 5 minutes away from the agent's clock",
} as const;

export function verifyRequest(opts: { secrets: readonly string[]; replays: ReplayCache; now?: () => number }): MiddlewareHandler {
  return async (c, next) => {
    const declared = Number(c.req.header("content-length") ?? "0");
    if (declared > MAX_BODY_BYTES) throw new AgentError(413, "payload_too_large", `body exceeds ${MAX_BODY_BYTES} bytes`);
    const body = await c.req.text();
    if (body.length > MAX_BODY_BYTES) throw new AgentError(413, "payload_too_large", `body exceeds ${MAX_BODY_BYTES} bytes`);
    const checked = await verify(
      opts.secrets,
      { id: c.req.header("webhook-id"), timestamp: c.req.header("webhook-timestamp"), signature: c.req.header("webhook-signature"), body },
      opts.now?.() ?? Date.now(),
    );
    if (!checked.ok) throw new AgentError(401, checked.error, MESSAGES[checked.error]);
    // only after the signature checked out, so forged requests cannot burn ids
    if (c.req.method === "POST" && !opts.replays.remember(checked.value.id)) {
      throw new AgentError(401, "replayed", `webhook-id ${checked.value.id} was already used; sign each request with a new id`);
    }
    await next();
  };
}
