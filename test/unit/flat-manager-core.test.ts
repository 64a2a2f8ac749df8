/** The pure parts of the flat-manager backend: build decisions, error mapping, tokens, HTTP/1.1 framing, summary refs. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildIdFromUrl, type FmBuildExtended } from "../../lib/flat-manager/api.js";
import { decideBuild } from "../../lib/flat-manager/decide-build.js";
import { classifyFailure, publishRefusal } from "../../lib/flat-manager/map-error.js";
import { claimsFor, mintToken } from "../../lib/flat-manager/token.js";
import { parseResponse, serializeRequest } from "../../lib/flat-manager/http1.js";
import { summaryIndex, summaryRefs } from "../../lib/flat-manager/summary-refs.js";
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { makeTestBuild } from "../../repo-master/dev-repo.js";
import { discardEffects } from "../../lib/publisher/discard-build.js";
import type { Build } from "../../lib/build.js";

const REF = "app/org.example.App/x86_64/stable";
const C1 = "a".repeat(64);

function ext(over: Partial<FmBuildExtended["build"]> = {}, refs: Record<string, string> = { [REF]: C1 }, checks: FmBuildExtended["checks"] = []): FmBuildExtended {
  return {
    build: { id: 42, repo: "stable", repo_state: 2, published_state: 0, app_id: "org.example.App", ...over },
    build_refs: Object.entries(refs).map(([ref_name, commit], i) => ({ id: i + 1, build_id: 42, ref_name, commit })),
    checks,
  };
}

describe("decideBuild", () => {
  it("publishes a Ready build with the event's refs", () => {
    expect(decideBuild(ext(), { [REF]: C1 }, "publish")).toEqual({ kind: "publish" });
    // flat-manager's own screenshots ref is not the event's business
    expect(decideBuild(ext({}, { [REF]: C1, "screenshots/x86_64": "b".repeat(64) }), { [REF]: C1 }, "intake")).toEqual({ kind: "publish" });
  });

  it("refuses with the reason: not Ready, refs differ, checks Failed or ReviewRequired, a failed publish", () => {
    const reason = (d: ReturnType<typeof decideBuild>) => (d.kind === "refuse" ? d.reason : d.kind);
    expect(reason(decideBuild(ext({ repo_state: 6 }), { [REF]: C1 }, "intake"))).toBe("flat-manager build 42 is in repo_state Validating, not Ready");
    expect(reason(decideBuild(ext({ repo_state: 3, repo_state_reason: "1 out of 1 checks failed (lint)" }), { [REF]: C1 }, "publish"))).toContain("repo_state Failed, not Ready: 1 out of 1 checks failed (lint)");
    expect(reason(decideBuild(ext(), { [REF]: "c".repeat(64) }, "intake"))).toContain(`${REF} is at aaaaaaaaaaaa in the build, not cccccccccccc as the event says`);
    expect(reason(decideBuild(ext(), { [REF]: C1, "runtime/org.example.App.Locale/x86_64/stable": C1 }, "intake"))).toContain("runtime/org.example.App.Locale/x86_64/stable is missing from the build");
    expect(reason(decideBuild(ext({}, { [REF]: C1, "app/org.example.Other/x86_64/stable": C1 }), { [REF]: C1 }, "intake"))).toContain("which the event does not list");
    const checks = [{ check_name: "lint", build_id: 42, job_id: 503, status: 4, status_reason: "new permissions" }, { check_name: "size", build_id: 42, job_id: 504, status: 1 }];
    expect(reason(decideBuild(ext({}, undefined, checks), { [REF]: C1 }, "publish"))).toBe("flat-manager build 42: checks block it: lint is ReviewRequired (new permissions)");
    expect(reason(decideBuild(ext({ published_state: 3, published_state_reason: "Server was restarted during publish" }), { [REF]: C1 }, "publish"))).toContain("a previous publish failed: Server was restarted during publish");
  });

  it("follows a publish already under way before publishing, and refuses it at intake", () => {
    expect(decideBuild(ext({ published_state: 1 }), { [REF]: C1 }, "publish")).toEqual({ kind: "follow" });
    expect(decideBuild(ext({ published_state: 2 }), { [REF]: C1 }, "publish")).toEqual({ kind: "follow" });
    expect(decideBuild(ext({ published_state: 2 }), { [REF]: C1 }, "intake")).toEqual({ kind: "refuse", reason: "flat-manager build 42 is already published" });
  });

  it("reads the build id from the build URL flat-manager-client prints", () => {
    expect(buildIdFromUrl("https://hub.example.org/api/v1/build/42", "https://hub.example.org/")).toBe(42);
    expect(buildIdFromUrl("https://other.example.org/api/v1/build/42", "https://hub.example.org")).toBeUndefined();
    expect(buildIdFromUrl("https://hub.example.org/api/v1/build/42/publish", "https://hub.example.org")).toBeUndefined();
  });
});

describe("error mapping", () => {
  const wrong = (type: string, current: string) => JSON.stringify({ status: 400, "error-type": type, message: "m", "current-state": current, "expected-state": "unpublished" });

  it("treats wrong-published-state published/publishing as success and everything else as a failure with the reason", () => {
    const f = (text: string) => {
      const c = classifyFailure("POST /api/v1/build/42/publish", 400, text, "FLAT_MANAGER_TOKEN");
      if (c.kind !== "refused") throw new Error(c.kind);
      return publishRefusal(c);
    };
    expect(f(wrong("wrong-published-state", "published"))).toEqual({ kind: "follow" });
    expect(f(wrong("wrong-published-state", "publishing"))).toEqual({ kind: "follow" });
    expect(f(wrong("wrong-published-state", "failed"))).toMatchObject({ kind: "fail" });
    expect(f(wrong("wrong-repo-state", "validating"))).toEqual({ kind: "fail", reason: "flat-manager refused POST /api/v1/build/42/publish: m (current state validating)" });
  });

  it("names the token on 401/403, and retries 5xx", () => {
    const expired = classifyFailure("GET /api/v1/build/42/extended", 401, JSON.stringify({ status: 401, "error-type": "invalid-token", message: "Token is expired" }), "FLAT_MANAGER_TOKEN");
    expect(expired.kind).toBe("token");
    expect(expired.message).toMatch(/^flat-manager rejected FLAT_MANAGER_TOKEN \(Token is expired\)/);
    expect(expired.message).toContain("gentoken");
    expect(classifyFailure("x", 403, "{}", "FLAT_MANAGER_SECRET").message).toContain("FLAT_MANAGER_SECRET does not allow this call");
    expect(classifyFailure("x", 500, JSON.stringify({ status: 500, "error-type": "internal-error", message: "Internal Server Error" }), "FLAT_MANAGER_TOKEN").kind).toBe("transient");
    expect(classifyFailure("x", 400, "Content type error", "FLAT_MANAGER_TOKEN")).toMatchObject({ kind: "refused", errorType: "plain-text" });
  });
});

describe("tokens", () => {
  it("mints HS256 tokens with the narrowest claims for each call", async () => {
    expect(claimsFor({ kind: "publish", buildId: 42, appId: "org.example.App" }, "stable", 1000)).toEqual({ sub: "build/42", scope: ["publish"], prefixes: ["org.example.App"], repos: ["stable"], exp: 1300, name: "flatgate" });
    expect(claimsFor({ kind: "jobs" }, "stable", 1000)).toMatchObject({ sub: "build", scope: ["jobs"] });
    const { createHmac } = await import("node:crypto");
    const token = await mintToken(btoa("secret"), claimsFor({ kind: "build", buildId: 7 }, "stable", 1000));
    const [h, p, s] = token.split(".");
    expect(createHmac("sha256", "secret").update(`${h}.${p}`).digest("base64url")).toBe(s);
    expect(JSON.parse(Buffer.from(h!, "base64url").toString())).toEqual({ alg: "HS256", typ: "JWT" });
    expect(JSON.parse(Buffer.from(p!, "base64url").toString())).toMatchObject({ sub: "build/7", scope: ["build"], exp: 1300 });
  });
});

describe("HTTP/1.1 framing for GET with a body", () => {
  it("writes a GET with a JSON body and reads plain and chunked answers", () => {
    const bytes = serializeRequest({ method: "GET", url: new URL("http://127.0.0.1:8080/api/v1/job/502"), headers: { "Content-Type": "application/json", authorization: "Bearer t" }, body: '{"log-offset":0}' });
    expect(new TextDecoder().decode(bytes)).toBe('GET /api/v1/job/502 HTTP/1.1\r\nhost: 127.0.0.1:8080\r\nconnection: close\r\ncontent-length: 16\r\ncontent-type: application/json\r\nauthorization: Bearer t\r\n\r\n{"log-offset":0}');
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(parseResponse(enc("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"))).toMatchObject({ status: 200, body: "{}" });
    expect(parseResponse(enc("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n"))).toMatchObject({ status: 200, body: '{"a":1}' });
    expect(parseResponse(enc("HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n{}"))).toBeUndefined(); // cut short
  });
});

describe("summaryRefs", () => {
  it("reads the refs of a summary written by ostree itself", () => {
    const dir = mkdtempSync(join(tmpdir(), "fm-summary-"));
    const repo = join(dir, "repo");
    execFileSync("ostree", ["init", "--mode=archive-z2", `--repo=${repo}`]);
    const tree = join(dir, "tree");
    mkdirSync(tree);
    const commits: Record<string, string> = {};
    for (const ref of ["app/org.example.App/x86_64/stable", "runtime/org.example.App.Locale/x86_64/stable", "app/org.example.Zed/aarch64/beta"]) {
      writeFileSync(join(tree, "file"), ref);
      commits[ref] = execFileSync("ostree", [`--repo=${repo}`, "commit", `--branch=${ref}`, tree], { encoding: "utf8" }).trim();
    }
    execFileSync("ostree", [`--repo=${repo}`, "summary", "-u"]);
    const refs = summaryRefs(new Uint8Array(readFileSync(join(repo, "summary"))));
    expect(Object.fromEntries(refs ?? [])).toEqual(commits);
    expect(summaryRefs(new Uint8Array([1, 2, 3]))).toBeUndefined();
  });

  it("reads flatpak's summary index and the per-arch subsummary it names", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fm-index-"));
    const build = await makeTestBuild({ dir, appId: "org.example.Indexed", branch: "stable" });
    execFileSync("flatpak", ["build-update-repo", build.repoPath], { stdio: "ignore" });
    const index = summaryIndex(new Uint8Array(readFileSync(join(build.repoPath, "summary.idx"))));
    const arch = build.ref.split("/")[2]!;
    const digest = index?.get(arch);
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    const raw = gunzipSync(readFileSync(join(build.repoPath, "summaries", `${digest}.gz`)));
    expect(createHash("sha256").update(raw).digest("hex")).toBe(digest);
    expect(summaryRefs(new Uint8Array(raw))?.get(build.ref)).toBe(build.refs[build.ref]);
    expect(summaryIndex(new Uint8Array([0, 1]))).toBeUndefined();
  });
});

describe("discardEffects", () => {
  it("purges unpublished builds that ended superseded, rejected, expired or cancelled, in flat-manager repos only", () => {
    const b = (key: string, state: string, repo = "fm", published?: Record<string, string>) => ({ key, repo, state, ...(published ? { published_refs: published } : {}) }) as unknown as Build;
    const policy = (repo: string) => (repo === "fm" ? { backend: "flat-manager" as const } : { backend: "agent" as const });
    expect(discardEffects([b("a", "superseded"), b("b", "rejected"), b("c", "expired"), b("d", "cancelled"), b("e", "failed"), b("f", "queued"), b("g", "superseded", "stable"), b("h", "superseded", "fm", { [REF]: C1 })], policy))
      .toEqual(["a", "b", "c", "d"].map((k) => ({ kind: "discard_build", build_key: k })));
  });
});
