import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { CloudflareConfig } from "../../lib/purge/config.js";
import { cloudflarePurge } from "../../lib/purge/cloudflare.js";
import { startRecordingServer, type RecordedRequest, type RecordingServer } from "../fixtures/recording-server.js";

const Body = z.union([z.strictObject({ files: z.array(z.string()) }), z.strictObject({ tags: z.array(z.string()) })]);
const itemsOf = (r: RecordedRequest) => {
  const b = Body.parse(r.json);
  return "files" in b ? b.files : b.tags;
};

let cf: RecordingServer;
let sleeps: number[];
const sleep = async (ms: number) => {
  sleeps.push(ms);
};
const cfg = (over: Partial<CloudflareConfig> = {}): CloudflareConfig => ({ apiToken: "cf-test-token", zoneId: "zone-1", apiUrl: cf.url, mode: "files", ...over });
const files = (n: number) => ["summary", "summary.sig", "summary.idx", "summary.idx.sig", ...Array.from({ length: n - 4 }, (_, i) => `refs/heads/app/org.x.A${i}/x86_64/stable`)].map((p) => `https://dl.example.org/repo/${p}`);

beforeEach(async () => {
  sleeps = [];
  let n = 0;
  cf = await startRecordingServer((req) => {
    if (req.method === "POST" && req.path === "/client/v4/zones/zone-1/purge_cache") {
      n++;
      return { body: { success: true, errors: [], messages: [], result: { id: `cf-purge-${n}` } } };
    }
    return { status: 404, body: { success: false, errors: [{ code: 7003, message: "No route for that URI" }] } };
  });
});
afterEach(() => cf.close());

describe("cloudflarePurge", () => {
  it("sends the exact purge_cache request", async () => {
    const report = await cloudflarePurge(cfg(), { files: files(4) }, { sleep });
    expect(cf.requests).toHaveLength(1);
    const [req] = cf.requests;
    expect(req).toMatchObject({ method: "POST", path: "/client/v4/zones/zone-1/purge_cache" });
    expect(req?.headers["authorization"]).toBe("Bearer cf-test-token");
    expect(req?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(req?.body ?? "")).toEqual({ files: files(4) });
    expect(report).toEqual({ provider: "cloudflare", mode: "files", ok: true, attempts: 1, requests: 1, ids: ["cf-purge-1"] });
  });

  it("purges 250 files in exactly 3 requests (100 + 100 + 50), the summary set in the last one", async () => {
    const all = files(250);
    const report = await cloudflarePurge(cfg(), { files: all }, { sleep });
    expect(cf.requests.map((r) => itemsOf(r).length)).toEqual([50, 100, 100]);
    expect(cf.requests.flatMap(itemsOf).sort()).toEqual([...all].sort());
    expect(itemsOf(cf.requests[2]!).slice(0, 4)).toEqual(all.slice(0, 4));
    expect(report).toMatchObject({ ok: true, requests: 3, ids: ["cf-purge-1", "cf-purge-2", "cf-purge-3"] });
  });

  it("purges cache tags in tags mode", async () => {
    await cloudflarePurge(cfg({ mode: "tags" }), { tags: ["stable:summary", "stable:summary.sig"] }, { sleep });
    expect(cf.requests[0]?.json).toEqual({ tags: ["stable:summary", "stable:summary.sig"] });
  });

  it("treats success:false as a failure carrying the errors' messages", async () => {
    cf.handle(() => ({ body: { success: false, errors: [{ code: 1134, message: "Purge rate limited" }], messages: [], result: null } }));
    const report = await cloudflarePurge(cfg(), { files: files(4) }, { sleep });
    expect(report).toMatchObject({ ok: false, attempts: 1 });
    expect(report.error).toBe("Cloudflare purge_cache failed: 1134 Purge rate limited");
  });

  it("names the API's errors on an HTTP 4xx", async () => {
    cf.handle(() => ({ status: 403, body: { success: false, errors: [{ code: 10000, message: "Authentication error" }], messages: [], result: null } }));
    const report = await cloudflarePurge(cfg(), { files: files(4) }, { sleep });
    expect(cf.requests).toHaveLength(1);
    expect(report.error).toBe("Cloudflare purge_cache failed (HTTP 403): 10000 Authentication error");
  });

  it("honours a 429 Retry-After: short waits inline, long ones go back to the caller", async () => {
    cf.failNext(1, { status: 429, headers: { "retry-after": "1" }, body: { success: false, errors: [{ code: 971, message: "throttled" }] } });
    expect(await cloudflarePurge(cfg(), { files: files(4) }, { sleep })).toMatchObject({ ok: true, attempts: 2 });
    expect(sleeps).toEqual([1000]);

    cf.failNext(1, { status: 429, headers: { "retry-after": "300" }, body: { success: false, errors: [{ code: 971, message: "throttled" }] } });
    const report = await cloudflarePurge(cfg(), { files: files(250) }, { sleep });
    expect(report).toMatchObject({ ok: false, retry_after_ms: 300_000, requests: 1 });
    expect(report.error).toMatch(/971 throttled.*2 more request\(s\) not sent/s);
  });

  it("retries a 5xx then succeeds", async () => {
    cf.failNext(2, { status: 502, body: "bad gateway" });
    const report = await cloudflarePurge(cfg(), { files: files(4) }, { sleep });
    expect(cf.requests).toHaveLength(3);
    expect(report).toMatchObject({ ok: true, attempts: 3, requests: 1 });
  });
});
