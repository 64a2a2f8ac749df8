/** The agent's API errors, always `{"error":{"code","message","issues"?}}` (lib/errors.ts taxonomy). */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppError } from "../lib/errors.js";

export function errorResponse(c: Context, e: AppError): Response {
  return c.json(e.toJSON(), e.status as ContentfulStatusCode);
}
