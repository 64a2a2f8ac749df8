/** `GET /metrics` (issue 11 §3): Prometheus text from every repo's BuildIndex and RepoCoordinator. */
import { Hono } from "hono";
import { metricFamilies } from "../../../lib/build-index/metric-families.js";
import { CONTENT_TYPE, formatMetrics } from "../../../lib/metrics/exposition.js";
import type { HonoEnv } from "../context.js";
import { metricsAuth } from "../middleware/metrics-auth.js";
import { buildIndex, repoCoordinator } from "../publisher-stub.js";

export const metrics = new Hono<HonoEnv>().get("/metrics", metricsAuth, async (c) => {
  const repos = await Promise.all(
    Object.keys(c.get("config").REPOS).map(async (repo) => {
      const coordinator = repoCoordinator(c.env, repo);
      // the coordinator keeps its last 200 finished updates; the index counts each once
      const [status, updates] = await Promise.all([coordinator.status(repo), coordinator.updatesPage(undefined, 200)]);
      const index = await buildIndex(c.env, repo).metrics(updates.items);
      return { repo, ...index, repo_master_up: status.repo_master.reachable, paused: status.paused, queue_length: status.queue_count };
    }),
  );
  return c.body(formatMetrics(metricFamilies(repos)), 200, { "content-type": CONTENT_TYPE });
});
