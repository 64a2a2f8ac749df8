/**
 * Bearer-token auth for the operator API (issue 13 §3): the token's grant from OPERATORS, or from
 * OPERATOR_TOKENS (`name:token` pairs, admin on every repo). `requireRole` then checks the route's
 * operation against the grant on the request's `:repo`.
 */
import { createMiddleware } from "hono/factory";
import { findOperator, legacyOperators, NEEDED_ROLE, roleRefusal, type OperatorAction, type OperatorGrant } from "../../../lib/auth/operator-roles.js";
import { AppError } from "../../../lib/errors.js";
import type { HonoEnv } from "../context.js";

export const operatorAuth = createMiddleware<HonoEnv>(async (c, next) => {
  const header = c.req.header("authorization") ?? "";
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) throw new AppError("unauthorized", "send Authorization: Bearer <token> with a token from OPERATORS or OPERATOR_TOKENS");
  const config = c.get("config");
  const grant = await findOperator([...config.OPERATORS, ...legacyOperators(config.OPERATOR_TOKENS)], m[1]!);
  if (!grant) throw new AppError("unauthorized", "unknown operator token (check OPERATORS and OPERATOR_TOKENS)");
  c.set("operator", grant.name);
  c.set("operatorGrant", grant);
  await next();
});

/** Throws `403 forbidden`, naming the role needed, unless the grant allows `action` on `repo`. */
export function authorize(grant: OperatorGrant, action: OperatorAction, repo: string): void {
  const refusal = roleRefusal(grant, action, repo);
  if (refusal) throw new AppError("forbidden", refusal, undefined, { needed_role: NEEDED_ROLE[action] });
}
