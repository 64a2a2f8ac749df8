/** `GET /metrics` (issue 11 §3): Prometheus text from every repo's BuildIndex and RepoCoordinator. */
import { Hono } from "hono";
import { metricFamilies } from "../../../lib/build-index/metric-families.js";
import { CONTENT_TYPE, formatMetrics } from "../../../lib/metrics/exposition.js";
import type { HonoEnv } from "../context.js";
import { metricsAuth } from "../middleware/metrics-auth.js";
import { buildIndex, repoCoordinator } from "../publisher-stub.js";

/** bounds one scrape's extra RPCs; the rest are counted by the next scrapes */
const PURGE_DETAILS_PER_SCRAPE = 20;

export const metrics = new Hono<HonoEnv>().get("/metrics", metricsAuth, async (c) => {
  const repos = await Promise.all(
    Object.keys(c.get("config").REPOS).map(async (repo) => {
      const coordinator = repoCoordinator(c.env, repo);
      const index = buildIndex(c.env, repo);
      // the coordinator keeps its last 200 finished updates; the index counts each once
      const [status, updates] = await Promise.all([coordinator.status(repo), coordinator.updatesPage(undefined, 200)]);
      // a purge report lands after its update finished: fetch the detail of those not counted yet
      const wanted = (await index.purgesWanted(updates.items.filter((u) => u.purge).map((u) => u.update_id))).slice(0, PURGE_DETAILS_PER_SCRAPE);
      const purges = await Promise.all(wanted.map(async (id) => ({ update_id: id, providers: (await coordinator.updateDetail(id, "", 1))?.purge?.providers ?? [] })));
      const metrics = await index.metrics(updates.items, purges);
      return { repo, ...metrics, repo_master_up: status.repo_master.reachable, paused: status.paused, queue_length: status.queue_count };
    }),
  );
  return c.body(formatMetrics(metricFamilies(repos)), 200, { "content-type": CONTENT_TYPE });
});
