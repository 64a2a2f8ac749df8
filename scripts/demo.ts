/**
 * `npm run demo`: acts as a build worker and a maintainer against the local pipeline
 * (http://127.0.0.1:${PORT:-8787}; started here, and stopped at the end, when it is not up):
 * builds a tiny real Flatpak app, posts the signed build-complete event, approves it, waits
 * for `live`, then proves it with an OSTree client that trusts only the repo's public key.
 * Prints a timeline; exits 0 when the client saw the new commit in a signed summary.
 */
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { makeTestBuild } from "../repo-master/dev-repo.js";
import { ensureDevVars, loadWorkerVars } from "./dev-vars.js";
import { readSecrets, ROOT, startLocalStack, type LocalStack } from "./local-stack.js";
import { verifyWithOstreeClient } from "./ostree-client.js";
import { buildEvent, PipelineClient, StuckError, type BuildView } from "./pipeline-client.js";

const REPO = process.env.DEMO_REPO ?? "stable";
const APP_ID = "org.flatgate.Demo";
const BRANCH = "stable";
const LIVE_TIMEOUT_MS = Number(process.env.DEMO_TIMEOUT_SECONDS || 180) * 1000;

const port = Number(process.env.PORT || 8787);
const pipelineUrl = `http://127.0.0.1:${port}`;
const stateDir = path.resolve(ROOT, process.env.FLATGATE_STATE_DIR ?? ".flatgate");
const started = Date.now();
const say = (line: string) => process.stdout.write(`${line}\n`);
const secs = (ms: number) => `t+${(ms / 1000).toFixed(1).padStart(5)}s`;

async function isUp(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) })).status === 200;
  } catch {
    return false;
  }
}

/** The running stack's credentials come from the same .dev.vars files it was started with. */
async function credentials(): Promise<{ buildWebhookSecret: string; operatorToken: string }> {
  await ensureDevVars(ROOT);
  const { webhook } = await loadWorkerVars(ROOT, "dev-vars");
  const secrets = readSecrets(webhook.vars, webhook.vars.REPO_MASTER_SECRET ?? "");
  return { buildWebhookSecret: secrets.buildWebhookSecret, operatorToken: secrets.operator.token };
}

function timeline(build: BuildView, t0: number): string[] {
  return build.history
    .filter((h) => h.kind === "transition" || h.action === "approve")
    .map((h) => {
      const what = h.kind === "transition" ? `${h.from ?? "·"} -> ${h.to}` : `${h.action} (${h.kind})`;
      const who = `${h.actor.kind}:${h.actor.name}`;
      return `  ${secs(Date.parse(h.at) - t0)}  ${what.padEnd(32)} ${who}${h.reason ? `  ${h.reason}` : ""}`;
    });
}

async function main(): Promise<number> {
  let stack: LocalStack | undefined;
  let stackLog: string | undefined;
  if (await isUp(pipelineUrl)) {
    say(`using the pipeline already running on ${pipelineUrl}`);
  } else {
    await mkdir(stateDir, { recursive: true });
    stackLog = path.join(stateDir, "demo-stack.log");
    const out = createWriteStream(stackLog, { flags: "w" });
    say(`no pipeline on ${pipelineUrl}: starting the local stack (logs: ${path.relative(ROOT, stackLog)})`);
    stack = await startLocalStack({ port, agentPort: Number(process.env.AGENT_PORT || 8790), stateDir, log: (l) => out.write(`${l}\n`) });
  }
  const where = stackLog ? path.relative(ROOT, stackLog) : "the output of `npm start` (wrangler and [agent] lines)";
  const client = new PipelineClient(pipelineUrl, stack ? { buildWebhookSecret: stack.secrets.buildWebhookSecret, operatorToken: stack.secrets.operator.token } : await credentials());
  const work = await mkdtemp(path.join(tmpdir(), "fg-demo-"));
  try {
    const repo = await client.repo(REPO);
    if (!repo.public_url || !repo.gpg_key_url) throw new Error(`GET /v1/repos/${REPO} gives no public_url/gpg_key_url: set them in REPOS (.dev.vars)`);

    // the build machine: a real Flatpak app, different content every run
    const marker = new Date().toISOString();
    const buildId = `demo-${Date.now()}`;
    const build = await makeTestBuild({ dir: path.join(stateDir, "builds", "demo"), appId: APP_ID, branch: BRANCH, marker });
    say(`built ${build.ref} ${build.refs[build.ref]!.slice(0, 12)} into ${path.relative(ROOT, build.repoPath)}`);

    const t0 = Date.now();
    const intake = await client.postBuild(buildEvent({ repo: REPO, appId: APP_ID, branch: BRANCH, buildId, artifactUrl: build.repoPath, refs: build.refs }));
    say(`POST /v1/builds -> ${intake.status} ${intake.key} (${intake.state})`);
    if (intake.state === "awaiting_approval") {
      const approved = await client.act(REPO, APP_ID, buildId, "approve", "npm run demo");
      say(`approved by the operator API -> ${approved.state}`);
    }

    let live: BuildView;
    try {
      live = await client.waitFor(REPO, APP_ID, buildId, "live", {
        timeoutMs: LIVE_TIMEOUT_MS,
        onChange: (b) => say(`  ${secs(Date.now() - t0)}  ${b.state}`),
      });
    } catch (e) {
      if (!(e instanceof StuckError)) throw e;
      const status = await client.repo(REPO).catch(() => undefined);
      say(`\n${e.message}.`);
      say(`history:\n${timeline(e.build, t0).join("\n")}`);
      if (status) say(`GET /v1/repos/${REPO}: ${JSON.stringify({ paused: status.paused, queue: status.queue, running: status.running, repo_master: status.repo_master })}`);
      if (status?.paused) say(`the repo is paused${status.paused_reason ? ` (${String(status.paused_reason)})` : ""}: POST ${pipelineUrl}/v1/repos/${REPO}/resume with the operator token`);
      if (status?.repo_master && !status.repo_master.reachable) say(`the pipeline cannot reach the repo-master agent (REPO_MASTER_URL in workers/publish/.dev.vars)`);
      say(`look at ${where}; the agent's jobs are in ${path.relative(ROOT, path.join(stateDir, "agent", "jobs"))}/`);
      return 1;
    }
    if (live.state !== "live") {
      say(`\nthe build ended ${live.state}${live.reason ? `: ${live.reason}` : ""}`);
      say(`history:\n${timeline(live, t0).join("\n")}`);
      say(`look at ${where}`);
      return 1;
    }
    const commit = live.published_refs?.[build.ref];
    if (!commit) throw new Error(`the live build reports no published commit for ${build.ref}`);

    // the user's side: trust only the downloaded key, require signatures
    const tClient = Date.now();
    const check = await verifyWithOstreeClient({ dir: path.join(work, "client"), publicUrl: repo.public_url, gpgKeyUrl: repo.gpg_key_url, ref: build.ref });
    const tVerified = Date.now();
    const ok = check.summaryCommit === commit && check.pulledCommit === commit;

    say(`\ntimeline of ${live.key}:`);
    say(timeline(live, t0).join("\n"));
    say(`  ${secs(tVerified - t0)}  client: signed summary lists ${build.ref} = ${check.summaryCommit?.slice(0, 12) ?? "(missing)"} (${tVerified - tClient} ms)`);
    say(`\nostree remote summary (gpg-verify-summary=true, key from ${repo.gpg_key_url}):`);
    const shown = /^\s*\*|Latest Commit|^\s+[0-9a-f]{64}$|Collection ID|GPG:|Signature made|Good signature/;
    say(check.summaryText.split("\n").filter((l) => shown.test(l)).map((l) => `  | ${l}`).join("\n"));
    say("");
    if (!ok) {
      say(`FAILED: the build reports ${commit}, the signed summary lists ${check.summaryCommit ?? "nothing"}, the client pulled ${check.pulledCommit}`);
      return 1;
    }
    say(`OK: ${build.ref} ${commit.slice(0, 12)} is live in ${REPO}, summary signed by "${check.signer}", commit pulled and verified.`);
    say(`approval to live: ${live.live?.seconds_from_approval ?? "?"} s; whole demo: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  } finally {
    await rm(work, { recursive: true, force: true });
    if (stack) {
      say("stopping the local stack");
      await stack.stop();
    }
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`\nnpm run demo failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
