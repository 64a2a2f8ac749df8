/** The webhook worker's Hono app: middleware, routes, and the one place errors become HTTP. */
import { Hono } from "hono";
import { ConfigError } from "../../lib/config.js";
import { AppError } from "../../lib/errors.js";
import { createLogger } from "../../lib/log.js";
import type { HonoEnv } from "./context.js";
import { allowedMethods } from "./method-not-allowed.js";
import { requestContext } from "./middleware/request-context.js";
import { apps } from "./routes/apps.js";
import { builds } from "./routes/builds.js";
import { github } from "./routes/github.js";
import { listing } from "./routes/listing.js";
import { metrics } from "./routes/metrics.js";
import { repoMasterEvents } from "./routes/repo-master-events.js";
import { repos } from "./routes/repos.js";
import { status } from "./routes/status.js";

export const app = new Hono<HonoEnv>();

app.get("/healthz", (c) => c.json({ ok: true }));
app.use("/v1/*", requestContext);
app.use("/status/*", requestContext);
app.use("/metrics", requestContext);

const allowed = allowedMethods(app.routes);
// before the routes' own middleware (operator auth): a wrong method is 405 whoever asks
app.use("*", async (c, next) => {
  const allow = allowed(c.req.path);
  if (allow.length > 0 && !allow.includes(c.req.method)) {
    c.header("Allow", allow.join(", "));
    return c.json(new AppError("method_not_allowed", `${c.req.method} is not allowed on ${c.req.path}; use ${allow.join(", ")}`).toJSON(), 405);
  }
  await next();
});

app.route("/", builds);
app.route("/", listing);
app.route("/", metrics);
app.route("/", apps);
app.route("/", repos);
app.route("/", repoMasterEvents);
app.route("/", github);
app.route("/", status);

app.notFound((c) => c.json(new AppError("not_found", `no route ${c.req.method} ${c.req.path}; see docs/api.md`).toJSON(), 404));

app.onError((e, c) => {
  if (e instanceof AppError) {
    if (e.status >= 500) c.get("log")?.error(e.message, { code: e.code });
    return c.json(e.toJSON(), e.status as 400);
  }
  const requestId = c.get("requestId") ?? crypto.randomUUID();
  const log = c.get("log") ?? createLogger({ request_id: requestId });
  if (e instanceof ConfigError) {
    log.error("configuration error", { error: e.message });
    return c.json({ error: { code: "not_configured", message: e.message, request_id: requestId } }, 503);
  }
  log.error("unhandled error", { error: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined });
  return c.json({ error: { code: "internal_error", message: `internal error; quote request id ${requestId} when reporting it`, request_id: requestId } }, 500);
});
