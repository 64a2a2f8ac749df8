import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  clearInstallationTokenCache,
  createAppJwt,
  getInstallationToken,
  JWT_BACKDATE_SECONDS,
  JWT_LIFETIME_SECONDS,
  TOKEN_REFRESH_MARGIN_MS,
  type AppCredentials,
} from "../../lib/github/app-auth.js";
import { createGitHubClient } from "../../lib/github/client.js";
import { fakeGitHub, generateAppKey, verifyJwt } from "../fixtures/github-app.js";
import { startRecordingServer, type RecordingServer } from "../fixtures/recording-server.js";

const key = await generateAppKey();
const APP_ID = 31337;

let server: RecordingServer;
let clock: number;
const now = () => clock;

beforeEach(async () => {
  clearInstallationTokenCache();
  clock = Date.parse("2026-11-25T10:00:00Z");
  server = await startRecordingServer();
});
afterEach(() => server.close());

const creds = (): AppCredentials => ({ appId: APP_ID, privateKeyPkcs8: key.privateKeyPkcs8, apiUrl: server.url });
const bearer = (h: Record<string, string>) => (h["authorization"] ?? "").replace(/^Bearer /, "");

describe("app JWT", () => {
  it("is RS256, signed by the App key, iat 60 s back, exp 9 minutes ahead, iss the App ID", async () => {
    const jwt = await createAppJwt(creds(), clock);
    const claims = await verifyJwt(jwt, key.publicKey);
    const t = clock / 1000;
    expect(claims).toEqual({ iat: t - JWT_BACKDATE_SECONDS, exp: t + JWT_LIFETIME_SECONDS, iss: String(APP_ID) });
    expect(claims.exp - t).toBeLessThanOrEqual(600); // GitHub refuses exp more than 10 minutes ahead
  });

  it("does not verify with another key", async () => {
    const other = await generateAppKey();
    await expect(verifyJwt(await createAppJwt(creds(), clock), other.publicKey)).rejects.toThrow(/does not verify/);
  });
});

describe("installation tokens", () => {
  it("exchanges the JWT once and reuses the token for several calls", async () => {
    const fake = fakeGitHub({ now });
    server.handle(fake.handler);
    const client = createGitHubClient(creds(), { now });
    for (let i = 0; i < 3; i++) expect(await client.getPermission("example", "app", 4242, "nobody")).toEqual({ ok: true, value: undefined });

    const exchanges = server.requests.filter((r) => r.path === "/app/installations/4242/access_tokens");
    expect(exchanges).toHaveLength(1);
    const ex = exchanges[0]!;
    expect(ex.method).toBe("POST");
    expect(ex.headers["accept"]).toBe("application/vnd.github+json");
    expect(ex.headers["x-github-api-version"]).toBe("2022-11-28");
    expect(ex.headers["user-agent"]).toBe("flatgate");
    const claims = await verifyJwt(bearer(ex.headers), key.publicKey);
    expect(claims.iss).toBe(String(APP_ID));

    const calls = server.requests.filter((r) => r.path.endsWith("/permission"));
    expect(calls.map((r) => r.headers["authorization"])).toEqual(Array(3).fill(`Bearer ${fake.issued[0]}`));
  });

  it("refreshes the token 5 minutes before expires_at, not later", async () => {
    const fake = fakeGitHub({ now, tokenLifetimeMs: 60 * 60_000 });
    server.handle(fake.handler);
    expect(await getInstallationToken(creds(), 7, { now })).toEqual({ ok: true, value: fake.issued[0] });

    clock += 60 * 60_000 - TOKEN_REFRESH_MARGIN_MS - 1_000; // 55 min - 1 s: still the cached one
    expect(await getInstallationToken(creds(), 7, { now })).toEqual({ ok: true, value: fake.issued[0] });
    expect(fake.issued).toHaveLength(1);

    clock += 2_000; // inside the 5-minute margin
    expect(await getInstallationToken(creds(), 7, { now })).toEqual({ ok: true, value: fake.issued[1] });
    expect(fake.issued).toHaveLength(2);
  });

  it("keeps tokens per installation and shares one exchange between concurrent callers", async () => {
    const fake = fakeGitHub({ now });
    server.handle(fake.handler);
    const [a, b, c] = await Promise.all([
      getInstallationToken(creds(), 1, { now }),
      getInstallationToken(creds(), 1, { now }),
      getInstallationToken(creds(), 2, { now }),
    ]);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(server.requests.map((r) => r.path).sort()).toEqual(["/app/installations/1/access_tokens", "/app/installations/2/access_tokens"]);
  });

  it("returns the failure (not a cached error) when the exchange fails, and succeeds next time", async () => {
    const fake = fakeGitHub({ now });
    server.handle(fake.handler);
    server.failNext(1, { status: 401, body: { message: "A JSON web token could not be decoded" } });
    const first = await getInstallationToken(creds(), 3, { now });
    expect(first.ok).toBe(false);
    if (!first.ok) expect(first.error).toMatchObject({ status: 401, retryable: false });
    expect(await getInstallationToken(creds(), 3, { now })).toEqual({ ok: true, value: fake.issued[0] });
  });

  it("drops a token GitHub refuses (401) and retries the call once with a fresh one", async () => {
    const fake = fakeGitHub({ now });
    server.handle(fake.handler);
    const client = createGitHubClient(creds(), { now });
    fake.roles["bob"] = "write";
    expect(await client.getPermission("example", "app", 5, "bob")).toEqual({ ok: true, value: "write" });
    server.failNext(1, { status: 401, body: { message: "Bad credentials" } });
    expect(await client.getPermission("example", "app", 5, "bob")).toEqual({ ok: true, value: "write" });
    expect(fake.issued).toHaveLength(2);
    const perms = server.requests.filter((r) => r.path.endsWith("/permission")).map((r) => r.headers["authorization"]);
    expect(perms).toEqual([`Bearer ${fake.issued[0]}`, `Bearer ${fake.issued[0]}`, `Bearer ${fake.issued[1]}`]);
  });
});
