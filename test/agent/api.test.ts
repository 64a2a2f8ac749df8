/**
 * The agent's HTTP surface: Standard Webhooks signatures on every /v1 request, replay refusal,
 * job_id idempotency, error shapes, and the read-only repo files of local mode.
 */
import { request } from "node:http";
import { z } from "zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSecret, signedHeaders } from "../../lib/standard-webhooks.js";
import type { CreateJobRequest } from "../../lib/repo-master-contract.js";
import { REPO, setupAgent, type TestAgent } from "./helpers.js";

let t: TestAgent;
beforeAll(async () => {
  t = await setupAgent();
});
afterAll(async () => {
  await t?.cleanup();
});

const update = (job_id: string): CreateJobRequest => ({ job_id, kind: "update-repo", repo: REPO, options: { changed_refs: [] } });

const ErrorBody = z.strictObject({
  error: z.strictObject({
    code: z.string(),
    message: z.string().min(1),
    issues: z.array(z.strictObject({ path: z.string(), message: z.string() })).optional(),
  }),
});

async function errorOf(res: Response) {
  const body = ErrorBody.parse(await res.json());
  return { status: res.status, code: body.error.code, body };
}

function rawStatus(rawPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${t.agent.url}/`, { path: rawPath }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("signatures", () => {
  it("answers /healthz unsigned", async () => {
    const res = await fetch(`${t.agent.url}/healthz`);
    expect(await res.json()).toEqual({ ok: true, repos: [REPO] });
  });

  it("refuses an unsigned request", async () => {
    const res = await fetch(`${t.agent.url}/v1/jobs/x`);
    expect(await errorOf(res)).toMatchObject({ status: 401, code: "missing_signature" });
  });

  it("refuses a request signed with another secret", async () => {
    const res = await t.call("POST", "/v1/jobs", update("wrong-secret"), { secret: generateSecret() });
    expect(await errorOf(res)).toMatchObject({ status: 401, code: "invalid_signature" });
  });

  it("refuses a body that is not the one signed", async () => {
    const headers = await signedHeaders(t.secret, JSON.stringify(update("a")));
    const res = await fetch(`${t.agent.url}/v1/jobs`, { method: "POST", headers, body: JSON.stringify(update("b")) });
    expect(await errorOf(res)).toMatchObject({ status: 401, code: "invalid_signature" });
  });

  it("refuses a stale timestamp", async () => {
    const res = await t.call("GET", "/v1/jobs/x", undefined, { now: Date.now() - 6 * 60_000 });
    expect(await errorOf(res)).toMatchObject({ status: 401, code: "stale_timestamp" });
  });

  it("refuses a replayed POST (same webhook-id) but accepts the retry signed anew", async () => {
    const first = await t.call("POST", "/v1/jobs", update("replay-1"), { id: "msg_replay_test" });
    expect(first.status).toBe(202);
    const replay = await t.call("POST", "/v1/jobs", update("replay-1"), { id: "msg_replay_test" });
    expect(await errorOf(replay)).toMatchObject({ status: 401, code: "replayed" });
    const retry = await t.call("POST", "/v1/jobs", update("replay-1"));
    expect(retry.status).toBe(202);
    await t.waitForJob("replay-1");
  });
});

describe("jobs", () => {
  it("returns the same job for the same job_id and 409 for a different body", async () => {
    const first = await t.call("POST", "/v1/jobs", update("idem-1"));
    expect(first.status).toBe(202);
    const done = await t.waitForJob("idem-1");
    expect(done.state).toBe("succeeded");
    const again = await t.call("POST", "/v1/jobs", update("idem-1"));
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ job_id: "idem-1", state: "succeeded" });
    const conflict = await t.call("POST", "/v1/jobs", { ...update("idem-1"), options: { changed_refs: [], generate_static_deltas: true } });
    expect(await errorOf(conflict)).toMatchObject({ status: 409, code: "conflicting_job" });
    // still run once
    expect((await t.waitForJob("idem-1")).runs).toBe(1);
  });

  it("answers 422 with the offending field for a bad body", async () => {
    const res = await t.call("POST", "/v1/jobs", { job_id: "bad", kind: "publish", repo: REPO, builds: [{ build_key: "k", app_id: "nope", artifact: { url: "/x", refs: {} } }] });
    const e = await errorOf(res);
    expect(e).toMatchObject({ status: 422, code: "invalid_payload" });
    expect(e.body.error.issues).toEqual(expect.arrayContaining([expect.objectContaining({ path: "builds.0.app_id" })]));
  });

  it("answers 400 for a body that is not JSON and 404 for an unknown repo or job", async () => {
    expect(await errorOf(await t.call("POST", "/v1/jobs", "{nope"))).toMatchObject({ status: 400, code: "invalid_json" });
    expect(await errorOf(await t.call("POST", "/v1/jobs", { ...update("other-repo"), repo: "beta" }))).toMatchObject({ status: 404, code: "unknown_repo" });
    expect(await errorOf(await t.call("GET", "/v1/jobs/missing"))).toMatchObject({ status: 404, code: "not_found" });
  });
});

describe("local mode: the repo as static files", () => {
  it("serves repo files with their exact length, for GET and HEAD", async () => {
    const get = await fetch(`${t.agent.url}/repos/${REPO}/config`);
    expect(get.status).toBe(200);
    const text = await get.text();
    expect(text).toContain("mode=archive-z2");
    expect(get.headers.get("content-length")).toBe(String(Buffer.byteLength(text)));
    const head = await fetch(`${t.agent.url}/repos/${REPO}/summary`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get("content-length"))).toBeGreaterThan(0);
  });

  it("serves the public key", async () => {
    const res = await fetch(`${t.agent.url}/repos/${REPO}/key.gpg`);
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(32);
  });

  it("refuses traversal, dot-files, directories and writes", async () => {
    // raw paths: fetch() would normalize the dot-segments away before sending
    for (const p of ["../repo-master.json", "%2e%2e/repo-master.json", "..%2frepo-master.json", "refs/../../key.gpg", "refs", ".lock", "tmp/x"]) {
      expect(await rawStatus(`/repos/${REPO}/${p}`), p).toBe(404);
    }
    const put = await fetch(`${t.agent.url}/repos/${REPO}/config`, { method: "PUT", body: "x" });
    expect(put.status).toBe(404);
  });
});
