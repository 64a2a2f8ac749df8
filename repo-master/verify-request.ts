/**
 * Every /v1 request must be signed the Standard Webhooks way over its raw body (GET: empty),
 * checked before any routing on its content. POSTs are also refused when their webhook-id was
 * already used: a client retrying a job must sign it again with a new id (job_id is the
 * idempotency key, webhook-id only identifies one message).
 */
import type { MiddlewareHandler } from "hono";
import { readBody } from "../lib/read-body.js";
import { verifySignedRequest } from "../lib/verify-signed-request.js";
import { AppError } from "../lib/errors.js";
import type { ReplayCache } from "./replay-cache.js";

/** 200 builds with long URLs fit comfortably; anything bigger is not a job request */
export const MAX_BODY_BYTES = 1024 * 1024;


export function verifyRequest(opts: { secrets: readonly string[]; replays: ReplayCache; now?: () => number }): MiddlewareHandler {
  return async (c, next) => {
    // through Hono's body cache, so the route can read the body again
    const body = await readBody({ headers: c.req.raw.headers, arrayBuffer: () => c.req.arrayBuffer() }, MAX_BODY_BYTES);
    const id = await verifySignedRequest(opts.secrets, c.req.raw.headers, body, { secretName: "REPO_MASTER_SECRET", ...(opts.now ? { now: opts.now() } : {}) });
    // only after the signature checked out, so forged requests cannot burn ids
    if (c.req.method === "POST" && !opts.replays.remember(id)) {
      throw new AppError("replayed", `webhook-id ${id} was already used; sign each request with a new id`);
    }
    await next();
  };
}
