/**
 * The flat-manager client in workerd against the stand-in: a configured FLAT_MANAGER_TOKEN is
 * sent as is and its limits come back as a token problem in plain words; job reads go over
 * a socket with their JSON body.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { claimsFor, mintToken } from "../../lib/flat-manager/token.js";
import { FlatManagerClient, socketExchange } from "../../workers/publish/flat-manager-client.js";
import { control } from "./helpers.js";
import { TEST_SECRETS } from "./test-env.js";

const fm = () => (env as unknown as { FAKE_FLAT_MANAGER_URL: string }).FAKE_FLAT_MANAGER_URL;

async function clientWith(claims: Parameters<typeof mintToken>[1]) {
  const token = await mintToken(TEST_SECRETS.flatManager, claims);
  return new FlatManagerClient({ repo: "flat-manager", fmRepo: "stable", baseUrl: fm(), repoUrl: `${fm()}/repo/stable`, credential: { kind: "token", token } });
}

describe("FlatManagerClient", () => {
  it("sends FLAT_MANAGER_TOKEN as is; a scope it lacks is a token problem that names it", async () => {
    const b = await control(fm(), "build", { app_id: "org.example.FmClient" });
    const now = Math.floor(Date.now() / 1000);
    const readOnly = await clientWith({ ...claimsFor({ kind: "build", buildId: b.id, appId: "org.example.FmClient" }, "stable", now) });
    expect(await readOnly.getExtended(b.id)).toMatchObject({ ok: true, value: { build: { id: b.id, repo_state: 2 } } });
    const denied = await readOnly.publish(b.id);
    expect(denied).toMatchObject({ ok: false, error: { kind: "token", status: 403 } });
    expect(!denied.ok && denied.error.message).toMatch(/^FLAT_MANAGER_TOKEN does not allow this call \(Not enough permissions: Not matching scope 'publish' in token\)/);
    // another repo or another app's prefix: refused the same way
    const otherRepo = await clientWith({ ...claimsFor({ kind: "build", buildId: b.id }, "beta", now) });
    expect(await otherRepo.getExtended(b.id)).toMatchObject({ ok: false, error: { kind: "token", status: 403 } });
    const otherPrefix = await clientWith({ ...claimsFor({ kind: "build", buildId: b.id, appId: "org.example.Other" }, "stable", now) });
    expect(await otherPrefix.getExtended(b.id)).toMatchObject({ ok: false, error: { kind: "token", status: 403 } });
    const expired = await clientWith({ ...claimsFor({ kind: "build", buildId: b.id }, "stable", now), exp: now - 10 });
    const e = await expired.getExtended(b.id);
    expect(!e.ok && e.error.message).toMatch(/^flat-manager rejected FLAT_MANAGER_TOKEN \(Token is expired\)/);
  });

  it("reads a job with a GET that carries a JSON body, over a socket", async () => {
    const b = await control(fm(), "build", { app_id: "org.example.FmSocket" });
    const { job_id } = await control(fm(), "publish-directly", { id: b.id });
    const token = await mintToken(TEST_SECRETS.flatManager, claimsFor({ kind: "jobs" }, "stable", Math.floor(Date.now() / 1000)));
    const res = await socketExchange("GET", new URL(`${fm()}/api/v1/job/${job_id}`), { authorization: `Bearer ${token}`, "content-type": "application/json" }, '{"log-offset":0}', 5000);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ id: job_id, kind: 1, contents: JSON.stringify({ build: b.id }) });
    // without the body flat-manager answers plain text, which the client does not mistake for JSON
    const bare = await socketExchange("GET", new URL(`${fm()}/api/v1/job/${job_id}`), { authorization: `Bearer ${token}` }, "", 5000);
    expect(bare).toMatchObject({ status: 400, body: "Content type error" });
  });
});
