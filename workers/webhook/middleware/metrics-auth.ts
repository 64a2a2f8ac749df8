/**
 * Auth of `GET /metrics`: an operator token, or METRICS_TOKEN, a token that opens nothing else
 * (a Prometheus scraper's credential must not approve builds).
 */
import { createMiddleware } from "hono/factory";
import { AppError } from "../../../lib/errors.js";
import { timingSafeEqualStrings } from "../../../lib/timing-safe.js";
import type { HonoEnv } from "../context.js";

export const metricsAuth = createMiddleware<HonoEnv>(async (c, next) => {
  const m = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "");
  if (!m) throw new AppError("unauthorized", "send Authorization: Bearer <token> with METRICS_TOKEN or a token from OPERATOR_TOKENS");
  const presented = m[1]!;
  const config = c.get("config");
  let ok = false;
  // compare against every token so the time taken does not reveal which one matched
  for (const t of [...config.OPERATOR_TOKENS.map((o) => o.token), ...(config.METRICS_TOKEN ? [config.METRICS_TOKEN] : [])]) {
    if (await timingSafeEqualStrings(presented, t)) ok = true;
  }
  if (!ok) throw new AppError("unauthorized", "unknown token (METRICS_TOKEN or OPERATOR_TOKENS)");
  await next();
});
