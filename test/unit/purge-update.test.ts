import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { PurgeConfig } from "../../lib/purge/config.js";
import { PurgeReport, PurgeRequest, type PurgeRequest as PurgeRequestT } from "../../lib/purge/contract.js";
import { NO_PROVIDER, purgeUpdate, type PurgeDeps } from "../../lib/purge/purge-update.js";
import { sha256Hex } from "../../lib/purge/verify-edge.js";
import { startRecordingServer, type RecordingServer } from "../fixtures/recording-server.js";

const enc = (s: string) => new TextEncoder().encode(s);
const FastlyBody = z.object({ surrogate_keys: z.array(z.string()) });
const CfBody = z.object({ files: z.array(z.string()) });

let fastly: RecordingServer;
let cf: RecordingServer;
let edge: RecordingServer;
let edgeFresh: () => boolean;
let clock: number;
let sleeps: number[];

const deps = (): PurgeDeps => ({
  sleep: async (ms) => {
    sleeps.push(ms);
    clock += ms;
  },
  now: () => clock,
});

const config = (over: Partial<PurgeConfig> = {}): PurgeConfig => ({
  fastly: { apiToken: "fastly-token", serviceId: "svc", apiUrl: fastly.url, softPurge: true, mode: "keys" },
  cloudflare: { apiToken: "cf-token", zoneId: "zone", apiUrl: cf.url, mode: "files" },
  verify: { rounds: 4, delayMs: 1000, maxDelayMs: 4000 },
  publicUrls: {},
  ...over,
});

async function request(over: Partial<PurgeRequestT> = {}): Promise<PurgeRequestT> {
  return PurgeRequest.parse({
    repo: "stable",
    update_id: "update-42",
    public_url: `${edge.url}/repo`,
    changed_paths: ["summary", "summary.idx", "refs/heads/app/org.x.App/x86_64/stable", "objects/ab/cd.commit", "appstream/x86_64/org.x.App.flatpakref"],
    expected: { summary: await sha256Hex(enc("summary v2")), "summary.sig": await sha256Hex(enc("sig v2")) },
    ...over,
  });
}

beforeEach(async () => {
  clock = 0;
  sleeps = [];
  edgeFresh = () => true;
  fastly = await startRecordingServer((req) => ({ body: Object.fromEntries(FastlyBody.parse(req.json).surrogate_keys.map((k) => [k, `id-${k}`])) }));
  cf = await startRecordingServer(() => ({ body: { success: true, errors: [], messages: [], result: { id: `cf-${cf.requests.length}` } } }));
  edge = await startRecordingServer((req) => {
    const fresh = edgeFresh();
    if (req.path === "/repo/summary") return { body: fresh ? "summary v2" : "summary v1" };
    if (req.path === "/repo/summary.sig") return { body: fresh ? "sig v2" : "sig v1" };
    return { status: 404, body: "not found" };
  });
});
afterEach(async () => {
  await Promise.all([fastly.close(), cf.close(), edge.close()]);
});

describe("purgeUpdate", () => {
  it("skips and says so when no CDN provider is configured", async () => {
    const report = await purgeUpdate(await request(), config({ fastly: undefined, cloudflare: undefined }), deps());
    expect(report).toEqual({ update_id: "update-42", skipped: NO_PROVIDER, paths: 6, providers: [], alerts: [] });
    expect(NO_PROVIDER).toBe("no CDN provider configured (set FASTLY_* or CLOUDFLARE_*)");
    expect(edge.requests).toHaveLength(0);
  });

  it("purges exactly the mutable paths on both providers and verifies the edge", async () => {
    const report = await purgeUpdate(await request(), config(), deps());
    expect(PurgeReport.parse(report)).toEqual(report);
    expect(fastly.requests).toHaveLength(1);
    expect(FastlyBody.parse(fastly.requests[0]?.json).surrogate_keys).toEqual([
      "stable:summary",
      "stable:summary.sig",
      "stable:summary.idx",
      "stable:summary.idx.sig",
      "stable:appstream/x86_64/org.x.App.flatpakref",
      "stable:refs/heads/app/org.x.App/x86_64/stable",
    ]);
    expect(cf.requests).toHaveLength(1);
    expect(CfBody.parse(cf.requests[0]?.json).files).toEqual(
      ["summary", "summary.sig", "summary.idx", "summary.idx.sig", "appstream/x86_64/org.x.App.flatpakref", "refs/heads/app/org.x.App/x86_64/stable"].map((p) => `${edge.url}/repo/${p}`),
    );
    expect(report.providers.map((p) => [p.provider, p.mode, p.ok, p.requests])).toEqual([
      ["fastly", "keys", true, 1],
      ["cloudflare", "files", true, 1],
    ]);
    expect(report.verify).toMatchObject({ ok: true, attempts: 1, ms_until_fresh: 0, signature_mismatch: false });
    expect(report.alerts).toEqual([]);
  });

  it("purges the summary set again while the edge is stale and records the time until fresh", async () => {
    edgeFresh = () => fastly.requests.length >= 2;
    const report = await purgeUpdate(await request(), config({ cloudflare: undefined }), deps());
    expect(fastly.requests).toHaveLength(2);
    expect(FastlyBody.parse(fastly.requests[1]?.json).surrogate_keys).toEqual(["stable:summary", "stable:summary.sig", "stable:summary.idx", "stable:summary.idx.sig"]);
    expect(report.providers[0]).toMatchObject({ ok: true, requests: 2, attempts: 2 });
    expect(report.verify).toMatchObject({ ok: true, attempts: 2, ms_until_fresh: 1000 });
    expect(sleeps).toEqual([1000]);
    expect(report.alerts).toEqual([]);
  });

  it("reports a permanent provider failure with an alert and does not throw", async () => {
    fastly.handle(() => ({ status: 401, body: { msg: "Provided credentials are missing or invalid" } }));
    const report = await purgeUpdate(await request(), config(), deps());
    expect(report.providers.map((p) => [p.provider, p.ok])).toEqual([
      ["fastly", false],
      ["cloudflare", true],
    ]);
    expect(report.providers[0]?.error).toMatch(/401/);
    expect(report.alerts).toHaveLength(1);
    expect(report.alerts[0]).toMatch(/^Fastly purge of stable failed \(update update-42, 1 attempt\(s\)\): .*credentials.* The publish is live at the origin/);
    expect(report.verify?.ok).toBe(true);
  });

  it("alerts when a provider still fails after its retries", async () => {
    cf.handle(() => ({ status: 500, body: { success: false, errors: [{ code: 10001, message: "internal" }] } }));
    const report = await purgeUpdate(await request(), config({ fastly: undefined, verify: { rounds: 0, delayMs: 0, maxDelayMs: 0 } }), deps());
    expect(cf.requests).toHaveLength(3);
    expect(report.providers[0]).toMatchObject({ provider: "cloudflare", ok: false, attempts: 3 });
    expect(report.alerts[0]).toMatch(/Cloudflare purge of stable failed \(update update-42, 3 attempt\(s\)\): Cloudflare purge_cache failed \(HTTP 500\): 10001 internal/);
    expect(report.verify).toBeUndefined();
  });

  it("alerts on a signature mismatch at the edge: users would see BAD signature", async () => {
    edge.handle((req) => ({ body: req.path === "/repo/summary" ? "summary v2" : "sig v1" }));
    const report = await purgeUpdate(await request(), config({ cloudflare: undefined }), deps());
    expect(report.verify).toMatchObject({ ok: false, signature_mismatch: true, attempts: 4 });
    expect(report.alerts).toHaveLength(1);
    expect(report.alerts[0]).toMatch(/stable: the CDN serves a summary and summary.sig that do not match .*users would see "BAD signature"/);
    // one purge plus a re-purge of the summary set after each stale check but the last
    expect(fastly.requests).toHaveLength(4);
  });

  it("alerts when the edge stays stale", async () => {
    edgeFresh = () => false;
    const report = await purgeUpdate(await request(), config({ cloudflare: undefined }), deps());
    expect(report.verify).toMatchObject({ ok: false, signature_mismatch: false, attempts: 4 });
    expect(report.alerts[0]).toMatch(/stable: the CDN still serves a stale summary after the purge \(update update-42\): the edge still served an old summary after 4 check/);
  });

  it("needs a public URL for URL purges, falling back to REPOS", async () => {
    const req = await request({ public_url: undefined });
    const noUrl = await purgeUpdate(req, config({ fastly: undefined }), deps());
    expect(cf.requests).toHaveLength(0);
    expect(noUrl.providers[0]).toMatchObject({ provider: "cloudflare", ok: false, requests: 0 });
    expect(noUrl.providers[0]?.error).toMatch(/needs the repo's public URL: set public_url for "stable" in REPOS/);
    expect(noUrl.alerts).toHaveLength(1);
    expect(noUrl.verify).toBeUndefined();

    const viaRepos = await purgeUpdate(req, config({ fastly: undefined, publicUrls: { stable: `${edge.url}/repo` } }), deps());
    expect(viaRepos.providers[0]?.ok).toBe(true);
    expect(viaRepos.verify?.ok).toBe(true);
  });

  it("finds no public URL for a repo named like an Object.prototype member (issue 10 item 2)", async () => {
    const req = await request({ repo: "constructor", public_url: undefined });
    const report = await purgeUpdate(req, config({ fastly: undefined, publicUrls: { stable: `${edge.url}/repo` } }), deps());
    expect(cf.requests).toHaveLength(0);
    expect(report.providers[0]?.error).toMatch(/needs the repo's public URL: set public_url for "constructor"/);
  });

  it("reports an unreachable provider instead of throwing", async () => {
    const closed = await startRecordingServer();
    const url = closed.url;
    await closed.close();
    const report = await purgeUpdate(await request(), config({ cloudflare: undefined, fastly: { apiToken: "t", serviceId: "s", apiUrl: url, softPurge: true, mode: "keys" }, verify: { rounds: 0, delayMs: 0, maxDelayMs: 0 } }), deps());
    expect(report.providers[0]).toMatchObject({ ok: false, attempts: 3 });
    expect(report.providers[0]?.error).toMatch(/Fastly unreachable/);
    expect(report.alerts).toHaveLength(1);
  });
});

describe("PurgeRequest", () => {
  it("requires the summary's sha256 and a valid repo", () => {
    expect(PurgeRequest.safeParse({ repo: "stable", update_id: "u", changed_paths: [], expected: {} }).success).toBe(false);
    expect(PurgeRequest.safeParse({ repo: "Stable!", update_id: "u", changed_paths: [], expected: { summary: "0".repeat(64) } }).success).toBe(false);
    expect(PurgeRequest.safeParse({ repo: "stable", update_id: "u", changed_paths: [], expected: { summary: "0".repeat(64) } }).success).toBe(true);
  });
});
