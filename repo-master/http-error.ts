/**
 * The agent's API errors, always `{"error":{"code","message","issues"?}}`. The shared taxonomy
 * (lib/errors.ts) has no code for a replayed request yet, so the agent adds `replayed` here.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError, type ErrorCode, type Issue } from "../lib/errors.js";

export type AgentErrorCode = ErrorCode | "replayed";

export class AgentError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: AgentErrorCode,
    message: string,
    readonly issues?: Issue[],
  ) {
    super(message);
    this.name = "AgentError";
  }

  static from(e: AppError): AgentError {
    return new AgentError(e.status as ContentfulStatusCode, e.code, e.message, e.issues);
  }
}

export function errorResponse(c: Context, e: AgentError): Response {
  return c.json({ error: { code: e.code, message: e.message, ...(e.issues ? { issues: e.issues } : {}) } }, e.status);
}
