/**
 * Flatgate in front of flat-manager, through the local stack (issue 12 "Tests"): the three
 * workers under `wrangler dev`, the stand-in flat-manager doing real OSTree work with a real
 * GPG key, and an OSTree client that trusts only that key pulling the published commit.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { loadWorkerVars } from "../../scripts/dev-vars.js";
import { readSecrets, ROOT } from "../../scripts/local-stack.js";
import { verifyWithOstreeClient } from "../../scripts/ostree-client.js";
import { buildEvent, PipelineClient } from "../../scripts/pipeline-client.js";
import { freePorts, startWranglerDev, type WranglerDev } from "../../scripts/wrangler-dev.js";
import { startFakeFlatManager, type FakeFlatManager } from "../fixtures/fake-flat-manager.js";

const SECRET = Buffer.from("flatgate-e2e-flat-manager-secret").toString("base64");

let dir: string;
let fm: FakeFlatManager;
let wrangler: WranglerDev | undefined;
let client: PipelineClient;
const logs: string[] = [];

beforeAll(async () => {
  // short: gpg-agent's socket lives under it and must fit in 107 bytes
  dir = await mkdtemp(path.join(tmpdir(), "fg-e2e-fm-"));
  fm = await startFakeFlatManager({ dir: path.join(dir, "fm"), secretB64: SECRET, delayUpdateSecs: 1 });
  const [port] = await freePorts(1);
  const pipelineUrl = `http://127.0.0.1:${port}`;
  const files = await loadWorkerVars(ROOT, "examples");
  const repos = JSON.stringify({
    hub: { approval: "required", backend: "flat-manager", flat_manager_url: fm.url, flat_manager_repo: "stable", update_debounce_seconds: 0.5, update_max_wait_seconds: 2, public_url: `${fm.url}/repo/stable`, gpg_key_url: `${fm.url}/repo/stable/key.gpg` },
  });
  const webhook = { ...files.webhook.vars, REPOS: repos, PIPELINE_URL: pipelineUrl };
  const secrets = readSecrets(webhook, files.webhook.vars.REPO_MASTER_SECRET ?? "");
  try {
    wrangler = await startWranglerDev({
      root: ROOT,
      port: port!,
      persistTo: path.join(dir, "wrangler-state"),
      stateDir: path.join(dir, "state"),
      generatedVars: { webhook, publish: { ...files.publish.vars, PIPELINE_URL: pipelineUrl, REPOS: repos, FLAT_MANAGER_SECRET: SECRET }, purge: files.purge.vars },
      log: (line) => logs.push(line),
    });
  } catch (e) {
    process.stderr.write(`--- stack output ---\n${logs.join("\n")}\n`);
    throw e;
  }
  client = new PipelineClient(pipelineUrl, { buildWebhookSecret: secrets.buildWebhookSecret, operatorToken: secrets.operator.token });
});

afterAll(async () => {
  await wrangler?.stop();
  await fm?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("end to end with flat-manager", () => {
  it("approved build → flat-manager publish → update-repo → live, seen by a verifying OSTree client", async () => {
    onTestFailed(() => {
      process.stderr.write(`--- last stack output ---\n${logs.slice(-120).join("\n")}\n`);
    });
    const appId = "org.flatgate.E2eHub";
    const b = await fm.build({ app_id: appId });
    const ref = Object.keys(b.refs)[0]!;
    const intake = await client.postBuild(buildEvent({ repo: "hub", appId, branch: "stable", buildId: "hub-1", artifactUrl: b.url, refs: b.refs }));
    expect(intake).toMatchObject({ status: 202, state: "awaiting_approval" });
    await client.act("hub", appId, "hub-1", "approve", "e2e");
    const live = await client.waitFor("hub", appId, "hub-1", "live", { timeoutMs: 90_000 });
    expect(live.state, `ended ${live.state}: ${live.reason ?? ""}`).toBe("live");
    const commit = live.published_refs?.[ref];
    expect(commit).toMatch(/^[0-9a-f]{64}$/);
    expect(commit).not.toBe(b.refs[ref]);
    const check = await verifyWithOstreeClient({ dir: path.join(dir, "client"), publicUrl: `${fm.url}/repo/stable`, gpgKeyUrl: `${fm.url}/repo/stable/key.gpg`, ref });
    expect(check.signer).toContain("Flatgate development key");
    expect(check.summaryCommit).toBe(commit);
    expect(check.pulledCommit).toBe(commit);
  });
});
