import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sha256Hex, verifyEdge, type VerifyEdgeInput } from "../../lib/purge/verify-edge.js";
import { startRecordingServer, type RecordingServer } from "../fixtures/recording-server.js";

const enc = (s: string) => new TextEncoder().encode(s);
const OLD = { summary: "summary v1", sig: "signature over v1" };
const NEW = { summary: "summary v2", sig: "signature over v2" };

let edge: RecordingServer;
let serving: { summary?: string; sig?: string; summaryStatus?: number };
let clock: number;
let sleeps: number[];
let repurges: number;

beforeEach(async () => {
  serving = { ...OLD };
  clock = 1_000_000;
  sleeps = [];
  repurges = 0;
  edge = await startRecordingServer((req) => {
    if (req.path === "/repo/summary") return serving.summaryStatus ? { status: serving.summaryStatus, body: "upstream error" } : { body: serving.summary ?? "" };
    if (req.path === "/repo/summary.sig") return serving.sig === undefined ? { status: 404, body: "not found" } : { body: serving.sig };
    return { status: 404, body: "not found" };
  });
});
afterEach(() => edge.close());

async function input(over: Partial<VerifyEdgeInput> = {}): Promise<VerifyEdgeInput> {
  return {
    publicUrl: `${edge.url}/repo`,
    expected: { summary: await sha256Hex(enc(NEW.summary)), "summary.sig": await sha256Hex(enc(NEW.sig)) },
    startedAt: clock,
    repurge: async () => {
      repurges++;
    },
    options: { rounds: 5, delayMs: 1000, maxDelayMs: 3000 },
    deps: {
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
      now: () => clock,
    },
    ...over,
  };
}

describe("verifyEdge", () => {
  it("fetches what users get: plain GETs of summary and summary.sig, no cache-busting", async () => {
    serving = { ...NEW };
    const report = await verifyEdge(await input());
    expect(report).toEqual({
      ok: true,
      attempts: 1,
      ms_until_fresh: 0,
      summary_sha256_edge: await sha256Hex(enc(NEW.summary)),
      summary_sig_sha256_edge: await sha256Hex(enc(NEW.sig)),
      signature_mismatch: false,
      signature_check: "sha256",
    });
    expect(edge.requests.map((r) => `${r.method} ${r.path}`).sort()).toEqual(["GET /repo/summary", "GET /repo/summary.sig"]);
    for (const r of edge.requests) {
      expect([...r.query.keys()]).toEqual([]);
      expect(r.headers).not.toHaveProperty("cache-control");
      expect(r.headers).not.toHaveProperty("pragma");
      expect(r.headers["accept"]).toBe("*/*");
    }
    expect(repurges).toBe(0);
  });

  it("purges again while stale and records the time until the edge is fresh", async () => {
    const inp = await input({
      repurge: async () => {
        repurges++;
        if (repurges === 2) serving = { ...NEW };
      },
    });
    const report = await verifyEdge(inp);
    expect(repurges).toBe(2);
    expect(sleeps).toEqual([1000, 2000]);
    expect(report).toMatchObject({ ok: true, attempts: 3, ms_until_fresh: 3000, signature_mismatch: false });
  });

  it("gives up after the bounded rounds with capped waits", async () => {
    const report = await verifyEdge(await input());
    expect(report.attempts).toBe(5);
    expect(sleeps).toEqual([1000, 2000, 3000, 3000]);
    expect(repurges).toBe(4);
    expect(report.ok).toBe(false);
    expect(report.ms_until_fresh).toBeUndefined();
    expect(report.signature_mismatch).toBe(false); // old summary + old signature is a consistent (stale) pair
    expect(report.error).toMatch(/still served an old summary after 5 check\(s\)/);
  });

  it("reports a fresh summary with a stale summary.sig as a signature mismatch", async () => {
    serving = { summary: NEW.summary, sig: OLD.sig };
    const report = await verifyEdge(await input());
    expect(report).toMatchObject({ ok: false, signature_mismatch: true, signature_check: "sha256", ms_until_fresh: 0, attempts: 5 });
    expect(report.error).toMatch(/summary.sig that does not belong to its summary/);
  });

  it("reports a fresh summary.sig next to a stale summary as a mismatch too", async () => {
    serving = { summary: OLD.summary, sig: NEW.sig };
    const report = await verifyEdge(await input({ options: { rounds: 1, delayMs: 1, maxDelayMs: 1 } }));
    expect(report).toMatchObject({ ok: false, signature_mismatch: true });
  });

  it("treats a missing summary.sig of a signed summary as a mismatch", async () => {
    serving = { summary: NEW.summary };
    const report = await verifyEdge(await input({ options: { rounds: 1, delayMs: 1, maxDelayMs: 1 } }));
    expect(report).toMatchObject({ ok: false, signature_mismatch: true });
    expect(report.error).toMatch(/no summary.sig/);
  });

  it("accepts an unsigned repo when no signature is expected", async () => {
    serving = { summary: NEW.summary };
    const report = await verifyEdge(await input({ expected: { summary: await sha256Hex(enc(NEW.summary)) } }));
    expect(report).toMatchObject({ ok: true, signature_mismatch: false, signature_check: "none", attempts: 1 });
  });

  it("counts an edge error as not fresh yet and keeps checking", async () => {
    serving = { ...NEW, summaryStatus: 503 };
    const report = await verifyEdge(
      await input({
        repurge: async () => {
          repurges++;
          serving = { ...NEW };
        },
      }),
    );
    expect(report).toMatchObject({ ok: true, attempts: 2 });
    // the request helper retried the 503 once inside the first check
    expect(edge.requests.filter((r) => r.path === "/repo/summary")).toHaveLength(3);
  });
});
