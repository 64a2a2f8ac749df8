/** The Hono environment of the webhook worker: typed bindings and per-request variables. */
import type { WebhookConfig } from "../../lib/config.js";
import type { Logger } from "../../lib/log.js";

export interface Vars {
  requestId: string;
  log: Logger;
  config: WebhookConfig;
  /** the operator name from OPERATOR_TOKENS, recorded as the actor */
  operator: string;
}

export type HonoEnv = { Bindings: Env; Variables: Vars };
