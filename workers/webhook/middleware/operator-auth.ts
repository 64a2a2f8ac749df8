/** Bearer-token auth for the operator API: tokens from OPERATOR_TOKENS (`name:token` pairs). */
import { createMiddleware } from "hono/factory";
import { AppError } from "../../../lib/errors.js";
import { timingSafeEqualStrings } from "../../../lib/timing-safe.js";
import type { HonoEnv } from "../context.js";

export const operatorAuth = createMiddleware<HonoEnv>(async (c, next) => {
  const header = c.req.header("authorization") ?? "";
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) throw new AppError("unauthorized", "send Authorization: Bearer <token> with a token from OPERATOR_TOKENS");
  const presented = m[1]!;
  let name: string | undefined;
  // compare against every token so the time taken does not reveal which one matched
  for (const t of c.get("config").OPERATOR_TOKENS) {
    if (await timingSafeEqualStrings(presented, t.token)) name = t.name;
  }
  if (!name) throw new AppError("unauthorized", "unknown operator token (check OPERATOR_TOKENS)");
  c.set("operator", name);
  await next();
});
