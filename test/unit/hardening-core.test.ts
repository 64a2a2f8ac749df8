/**
 * Issue 10's pure parts in node: own-property REPOS lookups, request ids, the 405 route table,
 * failed builds without an artifact, who delivered a build, counted publish attempts, and what
 * the status page says.
 */
import { describe, expect, it } from "vitest";
import type { Build } from "../../lib/build.js";
import { BuildEvent } from "../../lib/build-event.js";
import { loadConfig, repoPolicy, RepoPolicy, WebhookEnvConfig } from "../../lib/config.js";
import { actOnBuild } from "../../lib/publisher/act-on-build.js";
import { applyPublishProgress } from "../../lib/publisher/publish-progress.js";
import { receiveBuild } from "../../lib/publisher/receive-build.js";
import { requestIdFrom } from "../../lib/request-id.js";
import { allowedMethods } from "../../workers/webhook/method-not-allowed.js";
import { renderStatusPage } from "../../workers/webhook/status-page.js";

const t0 = new Date("2026-12-04T10:00:00Z");
const event = (id: string, over: Partial<BuildEvent> = {}): BuildEvent => ({
  repo: "stable",
  app_id: "org.example.App",
  branch: "stable",
  build_id: id,
  status: "success",
  source: { owner: "flathub", name: "org.example.App", sha: "a".repeat(40), ref: "refs/heads/master", triggered_by: "bob" },
  artifact: { url: "https://b/repo", refs: { "app/org.example.App/x86_64/stable": "b".repeat(64) } },
  ...over,
});
const required = RepoPolicy.parse({ approval: "required" });

function created(existing: Build[], e: BuildEvent, worker?: string) {
  const out = receiveBuild(existing, e, required, t0, worker);
  if (out.kind !== "created") throw new Error(out.kind);
  return out;
}

describe("item 2: REPOS lookups see own properties only", () => {
  const env = { REPOS: JSON.stringify({ stable: { approval: "required" } }), BUILD_WEBHOOK_SECRETS: "whsec_dGVzdC1idWlsZC13ZWJob29rLXNlY3JldC0wMDAwMDE=" };

  it("REPOS is a null-prototype object and repoPolicy knows no Object.prototype member", () => {
    const config = loadConfig(env);
    expect(Object.getPrototypeOf(config.REPOS)).toBeNull();
    expect(repoPolicy(config, "stable")?.approval).toBe("required");
    for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf", "isPrototypeOf"]) {
      expect(repoPolicy(config, name), name).toBeUndefined();
      expect(config.REPOS[name], name).toBeUndefined();
    }
  });

  it("repoPolicy is safe on a plain object too", () => {
    expect(repoPolicy({ REPOS: { stable: required } }, "constructor")).toBeUndefined();
  });

  it("a repo named __proto__ in REPOS is a configuration error, not a prototype change", () => {
    expect(WebhookEnvConfig.safeParse({ ...env, REPOS: '{"__proto__":{"approval":"auto"}}' }).success).toBe(false);
  });
});

describe("item 5: requestIdFrom", () => {
  it("takes the first well-formed candidate and otherwise makes a UUID", () => {
    expect(requestIdFrom(undefined, "abc-123")).toBe("abc-123");
    expect(requestIdFrom("8a1b2c3d4e5f6789-SJC", "abc")).toBe("8a1b2c3d4e5f6789-SJC");
    expect(requestIdFrom("bad id", "ok.id")).toBe("ok.id");
    expect(requestIdFrom("x".repeat(40_000))).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdFrom("a".repeat(129))).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdFrom("a".repeat(128))).toBe("a".repeat(128));
    expect(requestIdFrom("")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("item 9: allowedMethods", () => {
  const allowed = allowedMethods([
    { method: "ALL", path: "/v1/*" },
    { method: "POST", path: "/v1/builds" },
    { method: "GET", path: "/v1/repos/:repo" },
    { method: "POST", path: "/v1/repos/:repo/:action{pause|resume}" },
    { method: "GET", path: "/status/:repo/:app_id/:build_id" },
  ]);

  it("lists the methods of the routes that match the path; middleware does not count", () => {
    expect(allowed("/v1/builds")).toEqual(["POST"]);
    expect(allowed("/v1/repos/stable")).toEqual(["GET", "HEAD"]);
    expect(allowed("/v1/repos/stable/pause")).toEqual(["POST"]);
    expect(allowed("/v1/repos/stable/explode")).toEqual([]);
    expect(allowed("/status/stable/org.example.App/1")).toEqual(["GET", "HEAD"]);
    expect(allowed("/v1/nothing/here")).toEqual([]);
  });
});

describe("item 13: BuildEvent without an artifact", () => {
  it("is valid for a failure and invalid for a success", () => {
    const { artifact: _a, ...failed } = event("f", { status: "failure" });
    expect(BuildEvent.safeParse(failed).success).toBe(true);
    const { artifact: _b, ...ok } = event("s");
    const parsed = BuildEvent.safeParse(ok);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join("."))).toContain("artifact");
  });

  it("becomes a build_failed build with no artifact, and a re-send is a duplicate", () => {
    const { artifact: _a, ...failed } = event("f2", { status: "failure" });
    const out = created([], failed);
    expect(out.build.state).toBe("build_failed");
    expect(out.build.artifact).toBeUndefined();
    expect(receiveBuild([out.build], failed, required, t0).kind).toBe("duplicate");
  });
});

describe("item 15: history and counters", () => {
  it("the received entry names the build worker; triggered_by stays the source's", () => {
    const b = created([], event("w"), "ci-buildbot").build;
    expect(b.history[0]).toMatchObject({ to: "received", actor: { kind: "build_worker", name: "ci-buildbot" }, reason: "triggered by bob" });
    expect(b.source.triggered_by).toBe("bob");
    expect(created([], event("w2")).build.history[0]?.actor.name).toBe("build-webhook");
  });

  it("publish_attempts counts every claim for a publish job, across an operator retry", () => {
    const step = (b: Build, p: Parameters<typeof applyPublishProgress>[1]) => applyPublishProgress(b, p, t0).build;
    let b: Build = { ...created([], event("a")).build, state: "queued" };
    b = step(b, { kind: "publishing", job_id: "j1" });
    expect(b.publish_attempts).toBe(1);
    b = step(b, { kind: "publishing", job_id: "j1" }); // a re-sent claim is not another attempt
    expect(b.publish_attempts).toBe(1);
    b = step(b, { kind: "retrying", reason: "gpg-agent", attempt: 1 });
    b = step(b, { kind: "publishing", job_id: "j2" });
    b = step(b, { kind: "retrying", reason: "gpg-agent", attempt: 2 });
    b = step(b, { kind: "publishing", job_id: "j3" });
    b = step(b, { kind: "failed", reason: "gave up after 3 attempts: gpg-agent" });
    expect(b).toMatchObject({ state: "failed", publish_attempts: 3 });
    const retried = actOnBuild(b, "retry", { kind: "operator", name: "alice" }, required, t0).build;
    b = step(retried, { kind: "publishing", job_id: "j4" });
    b = step(b, { kind: "published", job_id: "j4", refs: {} });
    expect(b).toMatchObject({ state: "published", publish_attempts: 4 });
  });

  it("a first-time success counts one attempt", () => {
    let b: Build = { ...created([], event("one")).build, state: "queued" };
    b = applyPublishProgress(b, { kind: "publishing", job_id: "j" }, t0).build;
    b = applyPublishProgress(b, { kind: "published", job_id: "j", refs: {} }, t0).build;
    expect(b.publish_attempts).toBe(1);
  });
});

describe("item 16: the status page", () => {
  const page = (b: Build, github = true) => renderStatusPage(b, { github });

  it("a superseded build links its successor and drops its stale failure reason", () => {
    const old: Build = { ...created([], event("old")).build, state: "failed", reason: "attempt 1 failed: gpg-agent exploded" };
    const { superseded } = created([old], event("new"));
    expect(superseded).toHaveLength(1);
    const html = page(superseded[0]!);
    expect(html).toContain('<a href="/status/stable/org.example.App/new">stable/org.example.App/new</a>');
    expect(html).not.toContain("gpg-agent exploded");
    expect(html).not.toContain("<p></p>");
  });

  it("no empty paragraph for states without a next step", () => {
    const { artifact: _a, ...failed } = event("bf", { status: "failure" });
    expect(page(created([], failed).build)).not.toMatch(/<p>\s*<\/p>/);
  });

  it("64-hex values may break anywhere (no horizontal scroll at 400 px)", () => {
    const html = page(created([], event("hex")).build);
    expect(html).toContain("overflow-wrap:anywhere");
    expect(html).toMatch(/code\{[^}]*word-break:break-all/);
    expect(html).toContain('<meta name="viewport" content="width=device-width">');
  });

  it("mentions GitHub buttons only when GitHub is configured", () => {
    const b = created([], event("gh")).build;
    expect(page(b, true)).toContain("click <b>Publish</b>");
    const off = page(b, false);
    expect(off).not.toMatch(/click|check run/i);
    expect(off).toContain("operator API");
    const failed: Build = { ...b, state: "failed", reason: "x" };
    expect(page(failed, false)).not.toMatch(/click|check run/i);
  });

  it("refreshes until the build is final and labels repo and branch", () => {
    const b = created([], event("r")).build;
    expect(page(b)).toMatch(/<meta http-equiv="refresh" content="\d+">/);
    for (const state of ["live", "rejected", "superseded", "expired", "cancelled", "build_failed"] as const) {
      expect(page({ ...b, state }), state).not.toContain('http-equiv="refresh"');
    }
    expect(page(b)).toContain("<dt>Repository</dt><dd>stable</dd>");
    expect(page(b)).toContain("<dt>Branch</dt><dd>stable</dd>");
  });
});
