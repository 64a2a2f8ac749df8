import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { FastlyConfig } from "../../lib/purge/config.js";
import { FASTLY_MAX_KEYS, fastlyPurgeKeys, fastlyPurgeUrls } from "../../lib/purge/fastly.js";
import { startRecordingServer, type RecordedRequest, type RecordingServer } from "../fixtures/recording-server.js";

const Body = z.object({ surrogate_keys: z.array(z.string()) });
const keysOf = (r: RecordedRequest) => Body.parse(r.json).surrogate_keys;

let fastly: RecordingServer;
let sleeps: number[];
const sleep = async (ms: number) => {
  sleeps.push(ms);
};
const cfg = (over: Partial<FastlyConfig> = {}): FastlyConfig => ({
  apiToken: "fastly-test-token",
  serviceId: "svc-1",
  apiUrl: fastly.url,
  softPurge: true,
  mode: "keys",
  ...over,
});

beforeEach(async () => {
  sleeps = [];
  let n = 0;
  fastly = await startRecordingServer((req) => {
    if (req.method === "POST" && req.path === "/service/svc-1/purge") {
      n++;
      return { body: Object.fromEntries(keysOf(req).map((k, i) => [k, `purge-${n}-${i}`])) };
    }
    if (req.method === "POST" && req.path.startsWith("/purge/")) return { body: { status: "ok", id: `url-${req.path}` } };
    return { status: 404, body: { msg: "no route" } };
  });
});
afterEach(() => fastly.close());

const keys = (n: number) => ["stable:summary", "stable:summary.sig", "stable:summary.idx", "stable:summary.idx.sig", ...Array.from({ length: n - 4 }, (_, i) => `stable:refs/heads/app/org.x.A${i}/x86_64/stable`)];

describe("fastlyPurgeKeys", () => {
  it("sends the exact batch purge request", async () => {
    const report = await fastlyPurgeKeys(cfg(), keys(5), { sleep });
    expect(fastly.requests).toHaveLength(1);
    const [req] = fastly.requests;
    expect(req).toMatchObject({ method: "POST", path: "/service/svc-1/purge" });
    expect(req?.headers["fastly-key"]).toBe("fastly-test-token");
    expect(req?.headers["fastly-soft-purge"]).toBe("1");
    expect(req?.headers["content-type"]).toBe("application/json");
    expect(req?.headers["accept"]).toBe("application/json");
    expect(JSON.parse(req?.body ?? "")).toEqual({ surrogate_keys: keys(5) });
    expect(report).toEqual({ provider: "fastly", mode: "keys", ok: true, attempts: 1, requests: 1, ids: ["purge-1-0", "purge-1-1", "purge-1-2", "purge-1-3", "purge-1-4"] });
  });

  it("purges 300 keys in exactly 2 requests (256 + 44), the summary set in the last one", async () => {
    const all = keys(300);
    const report = await fastlyPurgeKeys(cfg(), all, { sleep });
    expect(fastly.requests.map((r) => keysOf(r).length)).toEqual([44, FASTLY_MAX_KEYS]);
    expect(fastly.requests.flatMap(keysOf).sort()).toEqual([...all].sort());
    expect(keysOf(fastly.requests[1]!).slice(0, 4)).toEqual(all.slice(0, 4));
    expect(report).toMatchObject({ ok: true, requests: 2, attempts: 2 });
    expect(report.ids).toHaveLength(300);
  });

  it("leaves out Fastly-Soft-Purge when soft purging is off", async () => {
    await fastlyPurgeKeys(cfg({ softPurge: false }), keys(4), { sleep });
    expect(fastly.requests[0]?.headers).not.toHaveProperty("fastly-soft-purge");
  });

  it("waits a short Retry-After inline, then succeeds", async () => {
    fastly.failNext(1, { status: 429, headers: { "retry-after": "2" }, body: { msg: "slow down" } });
    const report = await fastlyPurgeKeys(cfg(), keys(4), { sleep });
    expect(sleeps).toEqual([2000]);
    expect(fastly.requests).toHaveLength(2);
    expect(report).toMatchObject({ ok: true, attempts: 2, requests: 1 });
  });

  it("hands a long Retry-After back to the caller and stops sending", async () => {
    fastly.failNext(1, { status: 429, headers: { "retry-after": "120" }, body: { msg: "slow down" } });
    const report = await fastlyPurgeKeys(cfg(), keys(300), { sleep });
    expect(sleeps).toEqual([]);
    expect(fastly.requests).toHaveLength(1);
    expect(report.ok).toBe(false);
    expect(report.retry_after_ms).toBe(120_000);
    expect(report.error).toMatch(/429.*1 more request\(s\) not sent: rate limited, retry after 120 s/s);
  });

  it("retries a 5xx and succeeds", async () => {
    fastly.failNext(1, { status: 503, body: { msg: "unavailable" } });
    const report = await fastlyPurgeKeys(cfg(), keys(4), { sleep });
    expect(fastly.requests).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
    expect(report).toMatchObject({ ok: true, attempts: 2, requests: 1 });
  });

  it("reports a permanent failure without throwing", async () => {
    fastly.handle(() => ({ status: 403, body: { msg: "Provided credentials are missing or invalid" } }));
    const report = await fastlyPurgeKeys(cfg(), keys(4), { sleep });
    expect(fastly.requests).toHaveLength(1);
    expect(report).toMatchObject({ ok: false, attempts: 1, requests: 1, ids: [] });
    expect(report.error).toMatch(/Fastly key purge failed: Fastly answered 403 .*credentials/);
  });

  it("gives up after the retry cap on a persistent 5xx", async () => {
    fastly.handle(() => ({ status: 500, body: { msg: "boom" } }));
    const report = await fastlyPurgeKeys(cfg(), keys(4), { sleep });
    expect(fastly.requests).toHaveLength(3);
    expect(report).toMatchObject({ ok: false, attempts: 3 });
  });
});

describe("fastlyPurgeUrls", () => {
  it("POSTs /purge/<host>/<path> for each URL with the Fastly headers", async () => {
    const urls = ["https://dl.example.org/repo/summary", "https://dl.example.org/repo/summary.sig", "https://dl.example.org/repo/refs/heads/app/org.x.App/x86_64/stable"];
    const report = await fastlyPurgeUrls(cfg(), urls, { sleep });
    expect(fastly.requests.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      "POST /purge/dl.example.org/repo/refs/heads/app/org.x.App/x86_64/stable",
      "POST /purge/dl.example.org/repo/summary",
      "POST /purge/dl.example.org/repo/summary.sig",
    ]);
    for (const r of fastly.requests) {
      expect(r.headers["fastly-key"]).toBe("fastly-test-token");
      expect(r.headers["fastly-soft-purge"]).toBe("1");
      expect(r.body).toBe("");
    }
    expect(report).toMatchObject({ provider: "fastly", mode: "urls", ok: true, requests: 3, attempts: 3 });
    expect(report.ids).toContain("url-/purge/dl.example.org/repo/summary");
  });

  it("sends the summary set's group last", async () => {
    const urls = ["summary", "summary.sig", "summary.idx", "summary.idx.sig", ...Array.from({ length: 10 }, (_, i) => `refs/heads/r${i}`)].map((p) => `https://cdn.example/${p}`);
    await fastlyPurgeUrls(cfg(), urls, { sleep });
    expect(fastly.requests).toHaveLength(14);
    const lastGroup = fastly.requests.slice(-6).map((r) => r.path);
    for (const p of ["summary", "summary.sig", "summary.idx", "summary.idx.sig"]) expect(lastGroup).toContain(`/purge/cdn.example/${p}`);
  });
});
