/**
 * Per request: a request id (echoed as `x-request-id`; a caller's own only when well-formed), a JSON-lines logger carrying it, and the
 * parsed configuration. A bad configuration fails here with a message naming the variable.
 */
import { createMiddleware } from "hono/factory";
import { loadConfig } from "../../../lib/config.js";
import { createLogger } from "../../../lib/log.js";
import { requestIdFrom } from "../../../lib/request-id.js";
import { parseGitHubConfig } from "../../../lib/github/config.js";
import { loadSlackConfig } from "../../../lib/slack/config.js";
import type { HonoEnv } from "../context.js";

let announced = false;

export const requestContext = createMiddleware<HonoEnv>(async (c, next) => {
  const requestId = requestIdFrom(c.req.header("cf-ray"), c.req.header("x-request-id"));
  const config = loadConfig(c.env);
  const log = createLogger({ request_id: requestId }, config.LOG_LEVEL);
  c.set("requestId", requestId);
  c.set("config", config);
  c.set("log", log);
  if (!announced) {
    // Workers have no startup hook: the first request of an isolate says what is switched off
    announced = true;
    const github = parseGitHubConfig(c.env);
    if (!github.configured) log.info("GitHub App not configured: approve builds through the operator API", { missing: github.missing });
    const slack = loadSlackConfig(c.env);
    if (slack.mode === "disabled") log.info(slack.reason);
  }
  const started = Date.now();
  await next();
  c.header("x-request-id", requestId);
  log.info("request", { method: c.req.method, path: c.req.path, status: c.res.status, ms: Date.now() - started });
});
