/**
 * `index-listing`: `GET /v1/builds` page latency with 10,000 builds in one repo's BuildIndex
 * (issue 11 §1: "it must stay fast at 10,000 builds"). The real webhook worker and Durable
 * Objects run in workerd through Miniflare (SQLite-backed, in memory); the index is filled
 * through the same `upsert` RPC the AppPublishers use. The host times each HTTP request end to
 * end (routing, auth, zod, DO RPC, SQL, JSON), so the figure is what a client of a local
 * workerd sees, minus network. A `GET /healthz` in each round gives the bare request overhead.
 */
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { median, percentile } from "./harness.js";
import type { Ratio, Row, Section } from "./report.js";

const BUILDS = 10_000;
const FILL_BATCH = 500;
const ROUNDS = 40;
const TOKEN = "bench-operator-token-0123456789";
const SECRET = "whsec_YmVuY2gtb25seS1idWlsZC13ZWJob29rLXNlY3JldA==";

async function bundleWorker(): Promise<string> {
  const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), "workerd", "index-listing-worker.ts");
  const out = await build({
    entryPoints: [entry], bundle: true, format: "esm", platform: "neutral", external: ["node:*", "cloudflare:*"],
    conditions: ["workerd", "worker", "browser"], mainFields: ["module", "main"], write: false, logLevel: "silent",
  });
  const file = out.outputFiles[0];
  if (!file) throw new Error("esbuild produced no output");
  return file.text;
}

export async function benchIndexListing(): Promise<Section> {
  const title = `Index listing: GET /v1/builds with ${BUILDS.toLocaleString("en")} builds in one repo's BuildIndex (workerd via Miniflare)`;
  let mf: Miniflare | undefined;
  try {
    mf = new Miniflare({
      modules: true,
      script: await bundleWorker(),
      compatibilityDate: "2025-09-01",
      compatibilityFlags: ["nodejs_compat"],
      durableObjects: {
        APP_PUBLISHER: { className: "AppPublisher", useSQLite: true },
        REPO_COORDINATOR: { className: "RepoCoordinator", useSQLite: true },
        REPLAY_LEDGER: { className: "ReplayLedger", useSQLite: true },
        BUILD_INDEX: { className: "BuildIndex", useSQLite: true },
      },
      bindings: {
        REPOS: JSON.stringify({ stable: { approval: "required" } }),
        BUILD_WEBHOOK_SECRETS: SECRET,
        OPERATOR_TOKENS: `bench:${TOKEN}`,
        LOG_LEVEL: "error",
      },
    });
    await mf.ready;
  } catch (e) {
    await mf?.dispose();
    return { id: "index-listing", title, rows: [{ name: "skipped", note: `workerd did not start: ${e instanceof Error ? e.message : String(e)}` }], ratios: [] };
  }
  try {
    const worker = mf;
    const t0 = performance.now();
    for (let from = 0; from < BUILDS; from += FILL_BATCH) {
      const res = await worker.dispatchFetch(`http://bench/__bench/fill?repo=stable&from=${from}&n=${FILL_BATCH}`, { method: "POST" });
      if ((await res.text()) !== String(FILL_BATCH)) throw new Error("fill failed");
    }
    const fillMs = performance.now() - t0;

    const get = async (q: string): Promise<{ ms: number; body: { items: unknown[]; next_cursor: string | null } }> => {
      const start = performance.now();
      const res = await worker.dispatchFetch(`http://bench/v1/builds${q}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      const text = await res.text();
      const ms = performance.now() - start;
      if (res.status !== 200) throw new Error(`GET /v1/builds${q}: ${res.status} ${text.slice(0, 200)}`);
      return { ms, body: JSON.parse(text) as { items: unknown[]; next_cursor: string | null } };
    };
    const healthz = async (): Promise<number> => {
      const start = performance.now();
      await (await worker.dispatchFetch("http://bench/healthz")).text();
      return performance.now() - start;
    };

    // a cursor deep in the listing: walk to build ~9,000 with 200-build pages
    let deep: string | null = null;
    for (let i = 0; i < 45; i++) deep = (await get(`?repo=stable&limit=200${deep ? `&cursor=${deep}` : ""}`)).body.next_cursor;
    if (!deep) throw new Error("the walk ended before build 9,000");
    const full = await get("?repo=stable&state=awaiting_approval&limit=200");

    const cases: { name: string; q: string }[] = [
      { name: "first page, limit 50", q: "?repo=stable&limit=50" },
      { name: "first page, limit 200", q: "?repo=stable&limit=200" },
      { name: "state=awaiting_approval, limit 50", q: "?repo=stable&state=awaiting_approval&limit=50" },
      { name: "state=live, limit 50", q: "?repo=stable&state=live&limit=50" },
      { name: "app_id (20 builds), limit 50", q: "?repo=stable&app_id=org.bench.App42&limit=50" },
      { name: "branch=beta (no app), limit 50", q: "?repo=stable&branch=beta&limit=50" },
      { name: "deep cursor (~build 9,000), limit 50", q: `?repo=stable&limit=50&cursor=${deep}` },
      { name: "all repos (no repo=), limit 50", q: "?limit=50" },
    ];
    for (const c of cases) for (let i = 0; i < 5; i++) await get(c.q); // warm-up
    const samples: Record<string, number[]> = Object.fromEntries(cases.map((c) => [c.name, []]));
    const overhead: number[] = [];
    const items: Record<string, number> = {};
    for (let r = 0; r < ROUNDS; r++) {
      overhead.push(await healthz());
      for (let k = 0; k < cases.length; k++) {
        const c = cases[(r + k) % cases.length]!;
        const { ms, body } = await get(c.q);
        samples[c.name]!.push(ms);
        items[c.name] = body.items.length;
      }
    }
    const repos: number[] = [];
    for (let r = 0; r < 10; r++) {
      const start = performance.now();
      await (await worker.dispatchFetch("http://bench/v1/repos", { headers: { authorization: `Bearer ${TOKEN}` } })).text();
      repos.push(performance.now() - start);
    }
    const us = (ms: number) => ms * 1000;
    const rows: Row[] = [
      { name: `fill: ${BUILDS} upserts (batches of ${FILL_BATCH})`, ms: fillMs, note: `${((fillMs * 1000) / BUILDS).toFixed(0)} µs/upsert` },
      ...cases.map((c) => ({
        name: `GET /v1/builds ${c.name}`,
        p50: us(median(samples[c.name]!)),
        p95: us(percentile(samples[c.name]!, 95)),
        latencyUnit: "us" as const,
        note: `${items[c.name]} items, ${ROUNDS} requests`,
      })),
      { name: "GET /v1/repos (counts by state)", p50: us(median(repos)), p95: us(percentile(repos, 95)), latencyUnit: "us", note: "10 requests; includes the coordinator's status" },
      { name: "GET /healthz (request overhead)", p50: us(median(overhead)), p95: us(percentile(overhead, 95)), latencyUnit: "us" },
    ];
    const first = median(samples["first page, limit 50"]!);
    const ratios: Ratio[] = [
      { name: "deep cursor / first page", value: median(samples["deep cursor (~build 9,000), limit 50"]!) / first, meaning: "≈1: a cursor is an index seek, not an offset" },
      { name: "state filter / first page", value: median(samples["state=awaiting_approval, limit 50"]!) / first, meaning: "≈1: (state, received_at) index" },
    ];
    return { id: "index-listing", title, rows, ratios, data: { builds: BUILDS, awaiting_approval_total: full.body.items.length, samples_ms: samples, overhead_ms: overhead, fill_ms: fillMs } };
  } finally {
    await mf.dispose();
  }
}
