/**
 * The whole flow against real components (issue 3 "Tests"): the three workers under
 * `wrangler dev`, the repo-master agent with real ostree/flatpak/gpg, and an OSTree client that
 * trusts only the repo's public key. Its own ports, state and persistence under a temp dir,
 * and the committed .dev.vars examples, so it neither clashes with a running `npm start` nor
 * depends on local edits.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { makeTestBuild } from "../../repo-master/dev-repo.js";
import { startLocalStack, type LocalStack } from "../../scripts/local-stack.js";
import { verifyWithOstreeClient } from "../../scripts/ostree-client.js";
import { buildEvent, PipelineClient } from "../../scripts/pipeline-client.js";
import { freePorts } from "../../scripts/wrangler-dev.js";

const LIVE_TIMEOUT_MS = 90_000;

let dir: string;
let stack: LocalStack;
let client: PipelineClient;
const logs: string[] = [];

function showLogsOnFailure(): void {
  onTestFailed(() => {
    process.stderr.write(`--- last stack output ---\n${logs.slice(-120).join("\n")}\n`);
  });
}

function repoInfo(name: string) {
  const r = stack.repos.find((x) => x.name === name);
  if (!r) throw new Error(`the stack has no repo ${name}`);
  return r;
}

beforeAll(async () => {
  // short: gpg-agent's socket lives under the state dir and must fit in 107 bytes
  dir = await mkdtemp(path.join(tmpdir(), "fg-e2e-"));
  const [port, agentPort] = await freePorts(2);
  try {
    stack = await startLocalStack({
      port: port!,
      agentPort: agentPort!,
      stateDir: path.join(dir, "state"),
      persistTo: path.join(dir, "wrangler-state"),
      vars: "examples",
      log: (line) => logs.push(line),
    });
  } catch (e) {
    process.stderr.write(`--- stack output ---\n${logs.join("\n")}\n`);
    throw e;
  }
  client = new PipelineClient(stack.pipelineUrl, { buildWebhookSecret: stack.secrets.buildWebhookSecret, operatorToken: stack.secrets.operator.token });
});

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("end to end", () => {
  it("publishes an approved stable build: signed event -> approve -> live, seen by a verifying OSTree client", async () => {
    showLogsOnFailure();
    const appId = "org.flatgate.E2e";
    const build = await makeTestBuild({ dir: path.join(dir, "builder"), appId, branch: "stable" });

    const intake = await client.postBuild(buildEvent({ repo: "stable", appId, branch: "stable", buildId: "e2e-1", artifactUrl: build.repoPath, refs: build.refs }));
    expect(intake).toMatchObject({ status: 202, state: "awaiting_approval" });

    // approval is required: nothing moves until someone approves
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await client.getBuild("stable", appId, "e2e-1")).state).toBe("awaiting_approval");

    const approved = await client.act("stable", appId, "e2e-1", "approve", "e2e");
    expect(["approved", "queued", "publishing"]).toContain(approved.state);

    const live = await client.waitFor("stable", appId, "e2e-1", "live", { timeoutMs: LIVE_TIMEOUT_MS });
    expect(live.state, `ended ${live.state}: ${live.reason ?? ""}`).toBe("live");
    const path_ = live.history.filter((h) => h.kind === "transition").map((h) => h.to);
    expect(path_).toEqual(["received", "awaiting_approval", "approved", "queued", "publishing", "published", "live"]);
    const commit = live.published_refs?.[build.ref];
    expect(commit).toMatch(/^[0-9a-f]{64}$/);
    // build-commit-from writes a new, signed commit: not the artifact's
    expect(commit).not.toBe(build.refs[build.ref]);

    const stable = repoInfo("stable");
    const check = await verifyWithOstreeClient({ dir: path.join(dir, "client-stable"), publicUrl: stable.public_url, gpgKeyUrl: stable.gpg_key_url, ref: build.ref });
    expect(check.signer).toContain("Flatgate development key");
    expect(check.summaryCommit).toBe(commit);
    expect(check.pulledCommit).toBe(commit);
    expect(live.live?.summary_sha256).toMatch(/^[0-9a-f]{64}$/);

    // the proof can fail: a client trusting another key refuses this summary
    const beta = repoInfo("beta");
    await expect(
      verifyWithOstreeClient({ dir: path.join(dir, "client-wrong-key"), publicUrl: stable.public_url, gpgKeyUrl: beta.gpg_key_url, ref: build.ref }),
    ).rejects.toThrow(/remote summary|signature|GPG/i);

    // the agent's completion callbacks reached the webhook worker and were verified
    expect(logs.some((l) => l.includes('"msg":"callback delivered"') && l.includes(`${stack.pipelineUrl}/v1/repo-master/events`))).toBe(true);
    expect(logs.some((l) => l.includes('"msg":"repo-master event"'))).toBe(true);

    const repo = await client.repo("stable");
    expect(repo).toMatchObject({ public_url: stable.public_url, gpg_key_url: stable.gpg_key_url, queue: [], running: [] });
    expect(repo.recent_updates.length).toBeGreaterThan(0);
  });

  it("publishes a beta build without approval (auto)", async () => {
    showLogsOnFailure();
    const appId = "org.flatgate.E2eBeta";
    const build = await makeTestBuild({ dir: path.join(dir, "builder-beta"), appId, branch: "beta" });

    const intake = await client.postBuild(buildEvent({ repo: "beta", appId, branch: "beta", buildId: "e2e-beta-1", artifactUrl: build.repoPath, refs: build.refs }));
    expect(intake.status).toBe(202);
    expect(intake.state).not.toBe("awaiting_approval");

    const live = await client.waitFor("beta", appId, "e2e-beta-1", "live", { timeoutMs: LIVE_TIMEOUT_MS });
    expect(live.state, `ended ${live.state}: ${live.reason ?? ""}`).toBe("live");
    expect(live.history.some((h) => h.to === "awaiting_approval")).toBe(false);
    expect(live.history.some((h) => h.actor.kind === "operator")).toBe(false);

    const beta = repoInfo("beta");
    const check = await verifyWithOstreeClient({ dir: path.join(dir, "client-beta"), publicUrl: beta.public_url, gpgKeyUrl: beta.gpg_key_url, ref: build.ref });
    expect(check.summaryCommit).toBe(live.published_refs?.[build.ref]);
    expect(check.pulledCommit).toBe(live.published_refs?.[build.ref]);
  });
});
