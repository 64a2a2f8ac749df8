/**
 * The pure parts of issue 13 in node: scope patterns, trusted-publisher claim checks, operator
 * roles, the configuration entries, the Authorization parser (fuzzed), which credential signed,
 * and the OIDC verifier against the local issuer the workerd tests use.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestActionsIdToken } from "../../lib/auth/actions-id-token.js";
import { MAX_BEARER_LENGTH, parseBearerJwt } from "../../lib/auth/bearer.js";
import { BuildCredential, verifyBuildCredential } from "../../lib/auth/build-credentials.js";
import { findOperator, legacyOperators, OperatorEntry, roleRefusal } from "../../lib/auth/operator-roles.js";
import { coversApp, coversRepo, scopeRefusal } from "../../lib/auth/scope.js";
import {
  ActionsClaims,
  isPullRequestEvent,
  matchPublisher,
  publisherScopeRefusal,
  refMatches,
  TrustedPublisher,
  workflowRunUrl,
} from "../../lib/auth/trusted-publisher.js";
import { resetOidcKeyCache, verifyOidcToken } from "../../lib/auth/verify-oidc-token.js";
import { WebhookEnvConfig } from "../../lib/config.js";
import { AppError } from "../../lib/errors.js";
import { sha256Hex } from "../../lib/replay/ledger-keys.js";
import { generateSecret, signedHeaders } from "../../lib/standard-webhooks.js";
import { githubClaims, startOidcIssuer } from "../fixtures/oidc-issuer.js";

const publisher = (over: Record<string, unknown> = {}) =>
  TrustedPublisher.parse({
    name: "gnome-ci",
    issuer: "https://token.actions.githubusercontent.com",
    audience: "flatgate",
    repository: "flathub/org.gnome.Maps",
    repository_id: "123",
    repository_owner_id: 456,
    workflow: "build.yml",
    environment: null,
    refs: ["refs/heads/master", "refs/heads/branch/*"],
    apps: ["org.gnome.Maps"],
    repos: ["stable", "beta"],
    ...over,
  });
const claims = (over: Record<string, unknown> = {}) => ActionsClaims.parse({ iss: "https://token.actions.githubusercontent.com", ...githubClaims(over) });

describe("scope patterns", () => {
  it("matches exact ids and prefix.* below the prefix only", () => {
    expect(coversApp(["org.gnome.Maps"], "org.gnome.Maps")).toBe(true);
    expect(coversApp(["org.gnome.Maps"], "org.gnome.Maps.Devel")).toBe(false);
    expect(coversApp(["org.gnome.*"], "org.gnome.Maps")).toBe(true);
    expect(coversApp(["org.gnome.*"], "org.gnome.Maps.Devel")).toBe(true);
    expect(coversApp(["org.gnome.*"], "org.gnome")).toBe(false);
    expect(coversApp(["org.gnome.*"], "org.gnomeish.App")).toBe(false);
    expect(coversApp(["org.gnome.*"], "org.kde.App")).toBe(false);
    expect(coversRepo(["stable"], "beta")).toBe(false);
    expect(coversRepo(["*"], "beta")).toBe(true);
    expect(scopeRefusal({ apps: ["org.gnome.*"], repos: ["stable"] }, "org.kde.App", "stable")).toContain("org.kde.App");
    expect(scopeRefusal({ apps: ["org.gnome.*"], repos: ["stable"] }, "org.gnome.App", "beta")).toContain("beta");
  });

  it("refuses malformed patterns in the configuration", () => {
    for (const apps of [["org.*.Maps"], ["*"], ["org.gnome."], [""]]) {
      expect(BuildCredential.safeParse({ name: "x", secret: generateSecret(), apps, repos: ["stable"] }).success, JSON.stringify(apps)).toBe(false);
    }
    expect(BuildCredential.safeParse({ name: "x", secret: "not-a-secret", apps: ["org.gnome.*"], repos: ["stable"] }).success).toBe(false);
  });
});

describe("trusted publisher claims", () => {
  it("accepts the claims of the configured workflow", () => {
    expect(matchPublisher([publisher()], claims())).toEqual({ ok: true, value: publisher() });
    expect(refMatches(["refs/heads/branch/*"], "refs/heads/branch/48")).toBe(true);
    expect(refMatches(["refs/heads/master"], "refs/heads/master2")).toBe(false);
  });

  it("names the claim that differs", () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ repository_id: "1" }, "repository_id"],
      [{ repository_owner_id: "1" }, "repository_owner_id"],
      [{ job_workflow_ref: "flathub/org.gnome.Maps/.github/workflows/evil.yml@refs/heads/master" }, "job_workflow_ref"],
      // a reusable workflow from another repository is not this publisher's workflow
      [{ job_workflow_ref: "evil/org.gnome.Maps/.github/workflows/build.yml@refs/heads/master" }, "job_workflow_ref"],
      [{ ref: "refs/heads/dev", job_workflow_ref: "flathub/org.gnome.Maps/.github/workflows/build.yml@refs/heads/dev" }, "ref"],
    ];
    for (const [over, claim] of cases) {
      const r = matchPublisher([publisher()], claims(over));
      expect(r.ok ? undefined : r.error.claim).toBe(claim);
    }
    const env = matchPublisher([publisher({ environment: "publish" })], claims());
    expect(env.ok ? undefined : env.error.claim).toBe("environment");
    expect(matchPublisher([publisher({ environment: "publish" })], claims({ environment: "publish" })).ok).toBe(true);
  });

  it("among several candidates reports the one that got furthest, and picks the one that matches", () => {
    const other = publisher({ name: "other", repository_id: "999" });
    const r = matchPublisher([other, publisher()], claims({ ref: "refs/heads/dev", job_workflow_ref: "flathub/org.gnome.Maps/.github/workflows/build.yml@refs/heads/dev" }));
    expect(r.ok ? undefined : r.error.claim).toBe("ref");
    const m = matchPublisher([other, publisher()], claims());
    expect(m.ok && m.value.name).toBe("gnome-ci");
  });

  it("scope, sha, pull requests and the run link", () => {
    const c = claims();
    const source = { owner: "Flathub", name: "org.gnome.Maps", sha: c.sha };
    const event = (over: Record<string, unknown> = {}, src: Record<string, unknown> = {}) => ({ app_id: "org.gnome.Maps", repo: "stable", ...over, source: { ...source, ...src } }) as never;
    expect(publisherScopeRefusal(publisher(), c, event())).toBeUndefined();
    expect(publisherScopeRefusal(publisher(), c, event({ repo: "quorum" }))).toContain("quorum");
    expect(publisherScopeRefusal(publisher(), c, event({ app_id: "org.gnome.Weather" }))).toContain("org.gnome.Weather");
    expect(publisherScopeRefusal(publisher(), c, event({}, { sha: "f".repeat(40) }))).toContain("source.sha");
    expect(publisherScopeRefusal(publisher(), c, event({}, { owner: "someone" }))).toContain("repository");
    for (const e of ["pull_request", "pull_request_target", "pull_request_review"]) expect(isPullRequestEvent(e)).toBe(true);
    for (const e of ["push", "workflow_dispatch", "release"]) expect(isPullRequestEvent(e)).toBe(false);
    expect(workflowRunUrl(c)).toBe("https://github.com/flathub/org.gnome.Maps/actions/runs/9876543210");
  });

  it("requires https issuers except on loopback", () => {
    expect(TrustedPublisher.safeParse({ ...publisher(), issuer: "http://token.example.com" }).success).toBe(false);
    expect(TrustedPublisher.safeParse({ ...publisher(), issuer: "http://127.0.0.1:9999/x" }).success).toBe(true);
    expect(TrustedPublisher.safeParse({ ...publisher(), issuer: "http://localhost:9999" }).success).toBe(true);
    expect(TrustedPublisher.safeParse({ ...publisher(), issuer: "http://127.0.0.1.evil.com" }).success).toBe(false);
  });
});

describe("operator roles", () => {
  const grant = (role: "viewer" | "approver" | "admin", repos = ["stable"]) => ({ name: "x", role, repos });
  it("viewer < approver < admin, per repo, naming the role needed", () => {
    expect(roleRefusal(grant("viewer"), "read", "stable")).toBeUndefined();
    expect(roleRefusal(grant("viewer"), "approve", "stable")).toContain("needs approver");
    expect(roleRefusal(grant("approver"), "cancel", "stable")).toBeUndefined();
    expect(roleRefusal(grant("approver"), "pause", "stable")).toContain("needs admin");
    expect(roleRefusal(grant("admin"), "end_of_life", "stable")).toBeUndefined();
    expect(roleRefusal(grant("admin"), "read", "beta")).toContain("no role on repo beta");
    expect(roleRefusal(grant("viewer", ["*"]), "read", "beta")).toBeUndefined();
  });

  it("finds a token given in the clear or as its SHA-256 digest; legacy tokens are admin everywhere", async () => {
    const entries = [
      OperatorEntry.parse({ name: "vera", token: "vera-token-0123456789", role: "viewer", repos: ["stable"] }),
      OperatorEntry.parse({ name: "ada", token_sha256: await sha256Hex("ada-token-0123456789"), role: "admin", repos: ["beta"] }),
      ...legacyOperators([{ name: "alice", token: "alice-token-0123456789" }]),
    ];
    expect(await findOperator(entries, "vera-token-0123456789")).toEqual({ name: "vera", role: "viewer", repos: ["stable"] });
    expect(await findOperator(entries, "ada-token-0123456789")).toEqual({ name: "ada", role: "admin", repos: ["beta"] });
    expect(await findOperator(entries, "alice-token-0123456789")).toEqual({ name: "alice", role: "admin", repos: ["*"] });
    expect(await findOperator(entries, "vera-token-012345678")).toBeUndefined();
    expect(OperatorEntry.safeParse({ name: "x", role: "admin", repos: ["*"] }).success).toBe(false);
    expect(OperatorEntry.safeParse({ name: "x", token: "t".repeat(16), token_sha256: "a".repeat(64), role: "admin", repos: ["*"] }).success).toBe(false);
    expect(OperatorEntry.safeParse({ name: "x", token: "t".repeat(16), role: "root", repos: ["*"] }).success).toBe(false);
  });
});

describe("configuration", () => {
  const base = { REPOS: JSON.stringify({ stable: { approval: "required" } }) };
  it("needs at least one way to announce a build", () => {
    expect(WebhookEnvConfig.safeParse(base).success).toBe(false);
    expect(WebhookEnvConfig.safeParse({ ...base, BUILD_WEBHOOK_SECRETS: generateSecret() }).success).toBe(true);
    const tp = WebhookEnvConfig.safeParse({ ...base, TRUSTED_PUBLISHERS: JSON.stringify([publisher()]) });
    expect(tp.success && tp.data.TRUSTED_PUBLISHERS[0]!.repository_owner_id).toBe("456");
  });
  it("names the bad variable", () => {
    const r = WebhookEnvConfig.safeParse({ ...base, BUILD_WEBHOOK_SECRETS: generateSecret(), OPERATORS: '[{"name":"x","token":"short","role":"admin","repos":["*"]}]' });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path[0]).toBe("OPERATORS");
  });
});

describe("Authorization parsing (fuzzed)", () => {
  it("accepts Bearer <jwt> and nothing else", () => {
    expect(parseBearerJwt("Bearer a.b.c")).toEqual({ ok: true, value: "a.b.c" });
    expect(parseBearerJwt("bearer   a-_.b.c ")).toEqual({ ok: true, value: "a-_.b.c" });
    for (const h of [null, undefined, "", " ", "Bearer", "Bearer ", "Basic a.b.c", "Bearer a.b", "Bearer a.b.c.d", "Bearer a.b.c d", "Bearer a..c", "Bearer a.b.c=", `Bearer ${"a".repeat(MAX_BEARER_LENGTH)}.b.c`, "Bearer\na.b.c"]) {
      expect(parseBearerJwt(h).ok, JSON.stringify(h)).toBe(false);
    }
  });

  it("never throws and only ever returns a substring of the header shaped like a JWT", () => {
    // a seeded generator, so a failure reproduces
    let x = 0x9e3779b9;
    const rand = () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 8) / 0x1000000;
    const alphabet = ["Bearer ", "bearer", " ", "\t", "\n", ".", "a", "Z", "0", "-", "_", "=", "+", "/", "é", "\u0000", "Basic ", "..", "\u2028"];
    for (let i = 0; i < 20_000; i++) {
      let h = "";
      const n = Math.floor(rand() * 24);
      for (let j = 0; j < n; j++) h += alphabet[Math.floor(rand() * alphabet.length)];
      const r = parseBearerJwt(h);
      if (r.ok) {
        expect(h).toContain(r.value);
        expect(r.value).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
        expect(h.trimStart().toLowerCase().startsWith("bearer")).toBe(true);
      }
    }
  });
});

describe("which credential signed", () => {
  it("names the scoped credential, falls back to the unscoped secrets, and refuses others", async () => {
    const [s1, s2, legacy] = [generateSecret(), generateSecret(), generateSecret()];
    const creds = [
      BuildCredential.parse({ name: "bot", secret: s1, apps: ["org.gnome.*"], repos: ["stable"] }),
      BuildCredential.parse({ name: "bot", secret: s2, apps: ["org.gnome.*"], repos: ["stable"] }),
    ];
    const headers = async (secret: string) => new Headers({ ...(await signedHeaders(secret, "{}")) });
    for (const s of [s1, s2]) expect((await verifyBuildCredential(creds, [legacy], await headers(s), "{}")).credential).toMatchObject({ kind: "scoped", name: "bot" });
    expect((await verifyBuildCredential(creds, [legacy], await headers(legacy), "{}")).credential).toEqual({ kind: "unscoped" });
    await expect(verifyBuildCredential(creds, [legacy], await headers(generateSecret()), "{}")).rejects.toMatchObject({ code: "invalid_signature" });
    await expect(verifyBuildCredential(creds, [], new Headers(), "{}")).rejects.toMatchObject({ code: "missing_signature" });
  });
});

describe("verifyOidcToken against a local issuer", () => {
  let issuer: Awaited<ReturnType<typeof startOidcIssuer>>;
  beforeAll(async () => {
    issuer = await startOidcIssuer();
  });
  afterAll(() => issuer.close());
  const mint = async (claims: Record<string, unknown> = {}) => {
    const res = await fetch(`${issuer.url}/__control/mint`, { method: "POST", body: JSON.stringify({ issuer: "unit", claims }) });
    return ((await res.json()) as { token: string }).token;
  };
  const pubs = () => [publisher({ issuer: issuer.issuerUrl("unit") })];

  it("verifies a real token and refuses alg none and an unknown issuer, naming the claim", async () => {
    resetOidcKeyCache();
    const ok = await verifyOidcToken(await mint(), pubs(), { jwksCooldownMs: 1000 });
    expect(ok.publisher.name).toBe("gnome-ci");
    const [, payload] = (await mint()).split(".");
    const none = `${btoa(JSON.stringify({ alg: "none", typ: "JWT" })).replace(/=+$/, "")}.${payload}.sig`;
    await expect(verifyOidcToken(none, pubs(), { jwksCooldownMs: 1000 })).rejects.toMatchObject({ code: "invalid_token" });
    const e = await verifyOidcToken(await mint({ iss: "https://evil.example" }), pubs(), { jwksCooldownMs: 1000 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).details).toEqual({ claim: "iss" });
  });

  it("the Actions runtime client asks for the audience with the request token", async () => {
    let seen: { url: string; auth: string | null } | undefined;
    const fake = (async (url: string | URL, init?: RequestInit) => {
      seen = { url: String(url), auth: new Headers(init?.headers).get("authorization") };
      return new Response(JSON.stringify({ value: "the-token" }), { headers: { "content-type": "application/json" } });
    }) as typeof fetch;
    const token = await requestActionsIdToken({ requestUrl: "https://pipelines.actions.example/id?api-version=2.0", requestToken: "rt" }, "flatgate", fake);
    expect(token).toBe("the-token");
    expect(seen).toEqual({ url: "https://pipelines.actions.example/id?api-version=2.0&audience=flatgate", auth: "Bearer rt" });
  });
});
