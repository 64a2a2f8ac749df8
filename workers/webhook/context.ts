/** The Hono environment of the webhook worker: typed bindings and per-request variables. */
import type { OperatorGrant } from "../../lib/auth/operator-roles.js";
import type { WebhookConfig } from "../../lib/config.js";
import type { Logger } from "../../lib/log.js";

export interface Vars {
  requestId: string;
  log: Logger;
  config: WebhookConfig;
  /** the operator name from OPERATORS or OPERATOR_TOKENS, recorded as the actor */
  operator: string;
  /** the operator's role and repos (operator-auth.ts) */
  operatorGrant: OperatorGrant;
}

export type HonoEnv = { Bindings: Env; Variables: Vars };
