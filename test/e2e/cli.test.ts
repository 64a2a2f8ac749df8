/**
 * The `flatgate` CLI against the local stack over real HTTP (issue 11 §4 "Tests"): each command
 * runs as `node bin/flatgate.js …` in a child process without a TTY, as a CI job or a script
 * would, and is judged by its exit code and output. One stack for the whole file (it takes
 * ~30 s to start); its own ports and state under a temp dir, configured from the committed
 * .dev.vars examples like test/e2e/pipeline.test.ts.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { z } from "zod";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { makeTestBuild, type TestBuild } from "../../repo-master/dev-repo.js";
import { ROOT, startLocalStack, type LocalStack } from "../../scripts/local-stack.js";
import { freePorts } from "../../scripts/wrangler-dev.js";
import { generateSecret, verify } from "../../lib/standard-webhooks.js";
import { startOidcIssuer } from "../fixtures/oidc-issuer.js";
import { startRecordingServer, type RecordingServer } from "../fixtures/recording-server.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const APP = "org.flatgate.CliE2e";

let dir: string;
let stack: LocalStack;
let build: TestBuild;
const logs: string[] = [];
let issuer: Awaited<ReturnType<typeof startOidcIssuer>>;
/** stands in for the GitHub Actions runtime's token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL) */
let actions: RecordingServer;
/** a pipeline front that fails on demand and otherwise forwards to the stack (a deploy, a proxy) */
let front: RecordingServer;
const RUNTIME_TOKEN = "actions-runtime-token";
/** the GitHub Actions job of the trusted publisher below (claims of test/fixtures/oidc-issuer.ts) */
const ACTIONS_ENV = {
  GITHUB_REPOSITORY: "flathub/org.gnome.Maps",
  GITHUB_SHA: "0123456789abcdef0123456789abcdef01234567",
  GITHUB_REF: "refs/heads/master",
  GITHUB_ACTOR: "octocat",
  GITHUB_RUN_ID: "9876543210",
  GITHUB_RUN_ATTEMPT: "1",
  GITHUB_SERVER_URL: "https://github.com",
};

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The real CLI as a child process; HOME and XDG_CONFIG_HOME point into the temp dir. */
function flatgate(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, "bin/flatgate.js"), ...args], {
      cwd: dir,
      // the caller's own FLATGATE_* must not leak in: each test says exactly what the CLI sees
      env: { ...process.env, FLATGATE_URL: undefined, FLATGATE_TOKEN: undefined, FLATGATE_WEBHOOK_SECRET: undefined, HOME: path.join(dir, "home"), XDG_CONFIG_HOME: path.join(dir, "xdg"), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      onTestFailed(() => {
        process.stderr.write(`--- flatgate ${args.join(" ")} → ${code}\n${stdout}\n${stderr}\n`);
      });
      resolve({ code, stdout, stderr });
    });
  });
}

const operatorEnv = () => ({ FLATGATE_URL: stack.pipelineUrl, FLATGATE_TOKEN: stack.secrets.operator.token });

/** A failed build of another app: it supersedes nothing and needs no artifact. */
function failureFlags(appId: string, buildId: string): string[] {
  return ["--repo", "stable", "--app-id", appId, "--branch", "stable", "--build-id", buildId, "--status", "failure",
    "--source-owner", "flatgate", "--source-name", appId, "--source-sha", SHA, "--source-ref", "refs/heads/master", "--triggered-by", "octocat"];
}

function eventFlags(buildId: string, b: TestBuild = build): string[] {
  return [
    "--repo", "stable", "--app-id", APP, "--branch", "stable", "--build-id", buildId,
    "--source-owner", "flatgate", "--source-name", APP, "--source-sha", SHA, "--source-ref", "refs/heads/master", "--triggered-by", "octocat",
    "--artifact-url", b.repoPath,
    ...Object.entries(b.refs).flatMap(([ref, commit]) => ["--artifact-ref", `${ref}=${commit}`]),
  ];
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "fg-cli-"));
  const [port, agentPort] = await freePorts(2);
  issuer = await startOidcIssuer();
  actions = await startRecordingServer(async (r) => {
    if (r.headers.authorization !== `Bearer ${RUNTIME_TOKEN}`) return { status: 401, body: { message: "bad runtime token" } };
    const res = await fetch(`${issuer.url}/__control/mint`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ issuer: "main", claims: { aud: r.query.get("audience") } }) });
    const { token } = z.object({ token: z.string() }).parse(await res.json());
    return { body: { count: 1, value: token } };
  });
  front = await startRecordingServer(async (r) => {
    const res = await fetch(`${stack.pipelineUrl}${r.path}`, {
      method: r.method,
      headers: Object.fromEntries(Object.entries(r.headers).filter(([k]) => k.startsWith("webhook-") || k === "content-type" || k === "authorization")),
      ...(r.method === "POST" ? { body: r.body } : {}),
    });
    return { status: res.status, body: await res.json() };
  });
  const publisher = {
    name: "cli-ci",
    issuer: issuer.issuerUrl("main"),
    audience: "flatgate",
    repository: "flathub/org.gnome.Maps",
    repository_id: "123",
    repository_owner_id: "456",
    workflow: "build.yml",
    environment: null,
    refs: ["refs/heads/master"],
    apps: ["org.flatgate.*"],
    repos: ["stable"],
  };
  try {
    stack = await startLocalStack({
      port: port!,
      agentPort: agentPort!,
      stateDir: path.join(dir, "state"),
      persistTo: path.join(dir, "wrangler-state"),
      vars: "examples",
      varsOverride: { webhook: { TRUSTED_PUBLISHERS: JSON.stringify([publisher]) } },
      log: (line) => logs.push(line),
    });
  } catch (e) {
    process.stderr.write(`--- stack output ---\n${logs.join("\n")}\n`);
    throw e;
  }
  build = await makeTestBuild({ dir: path.join(dir, "builder"), appId: APP, branch: "stable" });
});

afterAll(async () => {
  await stack?.stop();
  await Promise.all([issuer?.close(), actions?.close(), front?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("flatgate CLI against the local stack", () => {
  const key = `stable/${APP}/cli-1`;

  it("sign prints three headers that verify under the secret", async () => {
    const body = path.join(dir, "body.json");
    await writeFile(body, '{"hello": "world"}\n');
    const secret = stack.secrets.buildWebhookSecret;
    const r = await flatgate(["sign", "--secret", secret, body]);
    expect(r.code).toBe(0);
    const h = Object.fromEntries(r.stdout.trim().split("\n").map((l) => l.split(": ", 2) as [string, string]));
    expect(Object.keys(h)).toEqual(["webhook-id", "webhook-timestamp", "webhook-signature"]);
    const input = { id: h["webhook-id"], timestamp: h["webhook-timestamp"], signature: h["webhook-signature"] };
    expect((await verify([secret], { ...input, body: '{"hello": "world"}\n' })).ok).toBe(true);
    // the signature covers the exact bytes: another body or another secret does not verify
    expect((await verify([secret], { ...input, body: '{"hello":"world"}\n' })).ok).toBe(false);
    expect((await verify([generateSecret()], { ...input, body: '{"hello": "world"}\n' })).ok).toBe(false);
  });

  it("sign's output works as curl's header file: the pipeline accepts the event (202)", async () => {
    const event = { repo: "stable", app_id: "org.flatgate.CliCurl", branch: "stable", build_id: "curl-1", status: "failure", source: { owner: "flatgate", name: "org.flatgate.CliCurl", sha: SHA, ref: "refs/heads/master", triggered_by: "octocat" } };
    const file = path.join(dir, "curl-event.json");
    await writeFile(file, `${JSON.stringify(event, null, 2)}\n`);
    const signed = await flatgate(["sign", file], { FLATGATE_WEBHOOK_SECRET: stack.secrets.buildWebhookSecret });
    expect(signed.code).toBe(0);
    await writeFile(path.join(dir, "headers.txt"), signed.stdout);
    const curl = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const c = spawn("curl", ["-sS", "-o", "-", "-w", "\n%{http_code}", "-X", "POST", `${stack.pipelineUrl}/v1/builds`, "-H", `@${path.join(dir, "headers.txt")}`, "-H", "content-type: application/json", "--data-binary", `@${file}`]);
      let out = "";
      c.stdout.on("data", (d: Buffer) => (out += d.toString()));
      c.on("error", reject);
      c.on("close", (code) => resolve({ code, out }));
    });
    expect(curl.code).toBe(0);
    expect(curl.out.trim().split("\n").at(-1)).toBe("202");
  });

  it("notify-build posts a signed event: 202, the status page URL on stdout", async () => {
    const r = await flatgate(["notify-build", ...eventFlags("cli-1")], { FLATGATE_URL: stack.pipelineUrl, FLATGATE_WEBHOOK_SECRET: stack.secrets.buildWebhookSecret });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${stack.pipelineUrl}/status/stable/${APP}/cli-1\n`);
    expect(r.stderr).toContain(`accepted ${key} (awaiting_approval)`);
    // the same build again is a duplicate, not a second build
    const again = await flatgate(["notify-build", "--url", stack.pipelineUrl, "--secret", stack.secrets.buildWebhookSecret, ...eventFlags("cli-1")]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`already received ${key}`);
  });

  it("notify-build with a wrong secret exits 1 with the server's code; a bad event exits 2 before sending", async () => {
    const r = await flatgate(["notify-build", "--url", stack.pipelineUrl, "--secret", generateSecret(), ...eventFlags("cli-bad")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/POST \/v1\/builds answered 401 invalid_signature: /);
    expect(r.stdout).toBe("");

    const bad = await flatgate(["notify-build", "--url", stack.pipelineUrl, "--secret", stack.secrets.buildWebhookSecret, ...eventFlags("cli-bad"), "--source-sha", "nope"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--source-sha: must be a 40-hex git commit sha");
  });

  it("notify-build to an unreachable pipeline gives up with exit 3", async () => {
    const [closed] = await freePorts(1);
    const r = await flatgate(["notify-build", "--url", `http://127.0.0.1:${closed}`, "--secret", stack.secrets.buildWebhookSecret, "--retry-for", "2", ...eventFlags("cli-x")]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/unreachable \(ECONNREFUSED\); retrying in/);
    expect(r.stderr).toMatch(/gave up after \d+ attempts/);
  });

  it("notify-build retries a 503 with the same webhook-id, and one build is made", async () => {
    front.failNext(2, { status: 503, headers: { "retry-after": "1" }, body: { error: { code: "internal_error", message: "deploying", request_id: "r-1" } } });
    const before = front.requests.length;
    const r = await flatgate(["notify-build", "--url", front.url, "--secret", stack.secrets.buildWebhookSecret, ...failureFlags("org.flatgate.CliRetry", "cli-retry")]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/answered 503 internal_error: deploying \(request r-1\); retrying in 1 s[\s\S]*answered 503[\s\S]*accepted stable\/org\.flatgate\.CliRetry\/cli-retry/);
    const sent = front.requests.slice(before);
    expect(sent).toHaveLength(3);
    expect(new Set(sent.map((q) => q.headers["webhook-id"])).size).toBe(1);
  });

  it("notify-build --oidc fetches a token for audience flatgate and posts it as bearer", async () => {
    const env = { ...ACTIONS_ENV, FLATGATE_URL: stack.pipelineUrl, ACTIONS_ID_TOKEN_REQUEST_URL: `${actions.url}/token?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: RUNTIME_TOKEN };
    const r = await flatgate(["notify-build", "--oidc", "--repo", "stable", "--app-id", "org.flatgate.CliOidc", "--branch", "stable", "--status", "failure"], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${stack.pipelineUrl}/status/stable/org.flatgate.CliOidc/9876543210.1\n`);
    const asked = actions.requests.at(-1)!;
    expect(asked.query.get("audience")).toBe("flatgate");
    expect(asked.query.get("api-version")).toBe("2.0");
    // the server took the token as the trusted publisher, not as a signature
    const seen = await flatgate(["status", "stable/org.flatgate.CliOidc/9876543210.1", "--json"], operatorEnv());
    const received = z.object({ build: z.object({ history: z.array(z.object({ to: z.string().optional(), actor: z.object({ kind: z.string(), name: z.string() }) })) }) }).parse(JSON.parse(seen.stdout));
    expect(received.build.history.find((h) => h.to === "received")?.actor).toMatchObject({ kind: "build_worker", name: "cli-ci" });

    // the token is never printed, and a publisher outside its scope is refused by the server
    const out = await flatgate(["notify-build", "--oidc", "--repo", "beta", "--app-id", "org.flatgate.CliOidc", "--branch", "beta", "--status", "failure"], env);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/403 forbidden_app: .*cli-ci/);
    expect(out.stderr).not.toMatch(/eyJ/);

    // outside GitHub Actions: a usage error saying what is missing
    const none = await flatgate(["notify-build", "--oidc", "--url", stack.pipelineUrl, ...eventFlags("cli-o")]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("id-token: write");
  });

  it("builds --state awaiting_approval --json lists the build", async () => {
    const r = await flatgate(["builds", "--state", "awaiting_approval", "--repo", "stable", "--json"], operatorEnv());
    expect(r.code).toBe(0);
    const items = (JSON.parse(r.stdout) as { items: { key: string; state: string }[] }).items;
    expect(items).toContainEqual(expect.objectContaining({ key, state: "awaiting_approval" }));
    expect(items.every((b) => b.state === "awaiting_approval")).toBe(true);

    const table = await flatgate(["builds", "--state", "awaiting_approval"], operatorEnv());
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^KEY\s+STATE\s+APPROVALS/);
    expect(table.stdout).toMatch(new RegExp(`${key.replace(/\./g, "\\.")}\\s+awaiting_approval`));
  });

  it("operator errors: a wrong token exits 1 unauthorized, an unknown build exits 1 not_found, no token exits 2", async () => {
    const wrong = await flatgate(["status"], { FLATGATE_URL: stack.pipelineUrl, FLATGATE_TOKEN: "not-a-token" });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/GET \/v1\/repos answered 401 unauthorized/);
    const missing = await flatgate(["approve", `stable/${APP}/no-such-build`], operatorEnv());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/answered 404 not_found/);
    const none = await flatgate(["status"], { FLATGATE_URL: stack.pipelineUrl });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("no operator token");
  });

  it("approve by status page URL, then watch follows it to live and exits 0", async () => {
    const a = await flatgate(["approve", `${stack.pipelineUrl}/status/stable/${APP}/cli-1`, "--reason", "cli e2e"], operatorEnv());
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(new RegExp(`^${key.replace(/\./g, "\\.")}: (approved|queued|publishing)`));

    const w = await flatgate(["watch", key, "--interval", "0.5", "--timeout", "110"], operatorEnv());
    expect(w.code).toBe(0);
    expect(w.stdout).toBe(`${key}: live\n`);
    // no TTY: one progress line per state, not carriage returns
    expect(w.stderr).not.toContain("\r");
    expect(w.stderr.trim().split("\n").at(-1)).toMatch(new RegExp(`live .*\\[received > awaiting_approval > approved > queued > publishing > published > live\\]`));
  }, 150_000);

  it("watch of a failed build exits 4", async () => {
    const n = await flatgate(["notify-build", "--url", stack.pipelineUrl, "--secret", stack.secrets.buildWebhookSecret, ...failureFlags(APP, "cli-fail")]);
    expect(n.code).toBe(0);
    const w = await flatgate(["watch", `stable/${APP}/cli-fail`, "--interval", "0.2"], operatorEnv());
    expect(w.code).toBe(4);
    expect(w.stdout).toMatch(/cli-fail: build_failed/);
  });

  it("status prints tables for repos, a repo, an app and a build, read from the config file", async () => {
    // no FLATGATE_* variables: $XDG_CONFIG_HOME/flatgate/config.json supplies both
    await mkdir(path.join(dir, "xdg", "flatgate"), { recursive: true });
    await writeFile(path.join(dir, "xdg", "flatgate", "config.json"), JSON.stringify({ url: stack.pipelineUrl, token: stack.secrets.operator.token }));

    const repos = await flatgate(["status"]);
    expect(repos.code).toBe(0);
    expect(repos.stdout).toMatch(/^REPO\s+APPROVAL\s+PAUSED\s+REPO MASTER\s+QUEUE\s+BUILDS\s+STATES/);
    expect(repos.stdout).toMatch(/\nstable\s+required\s+no\s+up\s+0\s+\d+\s+.*live=1/);
    expect(repos.stdout).toMatch(/\nbeta\s+auto\s+no/);

    const repo = await flatgate(["status", "stable"]);
    expect(repo.code).toBe(0);
    expect(repo.stdout).toMatch(/^repo:\s+stable\npaused:\s+no/);
    expect(repo.stdout).toContain("Recent updates\nUPDATE");

    const app = await flatgate(["status", "stable", APP]);
    expect(app.code).toBe(0);
    expect(app.stdout).toMatch(/BRANCH\s+BUILD\s+STATE/);
    expect(app.stdout).toMatch(/stable\s+cli-1\s+live/);

    const one = await flatgate(["status", key]);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/state:\s+live/);
    expect(one.stdout).toMatch(/awaiting_approval -> approved\s+operator:dev\s+cli e2e/);

    const asJson = await flatgate(["status", "stable", APP, "cli-1", "--json"]);
    expect(JSON.parse(asJson.stdout)).toMatchObject({ build: { key, state: "live" } });
  });

  it("pause and resume a repo", async () => {
    const p = await flatgate(["pause", "beta", "--reason", "disk swap"], operatorEnv());
    expect(p.code).toBe(0);
    expect(p.stdout).toBe("beta: paused (disk swap)\n");
    const seen = await flatgate(["status", "--json"], operatorEnv());
    expect((JSON.parse(seen.stdout) as { repos: { repo: string; paused: boolean }[] }).repos).toContainEqual(expect.objectContaining({ repo: "beta", paused: true }));
    const r = await flatgate(["resume", "beta"], operatorEnv());
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("beta: running\n");
    const bad = await flatgate(["pause", "no-such-repo"], operatorEnv());
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/404 unknown_repo/);
  });
});
